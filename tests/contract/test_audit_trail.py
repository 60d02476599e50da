"""The audit trail: every hard rule of the contract cites a source a hard rule may rest on.

A rule is hard only when its basis cites [SDK], [SDK-other], [FIX], [HSPEC], [DOC] or
[ISSUE]; one citing only [INF] or [3P], or nothing, must be a warning at most. The rules that
issue 9 found contradicted by Stripe are checked one by one against hand-written answers.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from support import run_cli

from contracttk.contract import (
    BASIS_TAGS,
    PROTOCOL_RULES,
    ExpectedError,
    Strength,
    basis_tags,
    catalogue,
    evaluate_create,
    get_violation,
    has_hard_source,
)

D = date(2025, 6, 15)


def _is_hard(e: ExpectedError) -> bool:
    return bool(e.hard) or e.reject is Strength.HARD


def test_basis_tags() -> None:
    assert set(BASIS_TAGS) == {"SDK", "SDK-other", "FIX", "HSPEC", "DOC", "ISSUE", "3P", "INF"}
    assert basis_tags("[DOC: Testing] [SDK enum] [INF]") == ["DOC", "SDK", "INF"]
    assert basis_tags("[ISSUE: stripe/stripe-go#247] (2016)") == ["ISSUE"]
    assert has_hard_source("[3P] [ISSUE: a/b#1]")
    assert not has_hard_source("[INF] [3P]")
    assert not has_hard_source("")
    assert not has_hard_source("design §3")


@pytest.mark.parametrize("violation", catalogue(), ids=lambda v: v.name)
def test_every_hard_catalogue_rule_cites_a_hard_source(violation: Any) -> None:
    for e in (violation.expected, *violation.expected.alternatives):
        assert set(basis_tags(e.basis)) <= set(BASIS_TAGS), e.basis
        assert "stripe-tokens" not in e.basis and "§" not in e.basis, e.basis
        if _is_hard(e):
            assert has_hard_source(e.basis), f"{violation.name}: hard on {e.basis!r}"


def test_protocol_rules_cite_hard_sources() -> None:
    for name, (strength, basis) in PROTOCOL_RULES.items():
        if strength is Strength.HARD:
            assert has_hard_source(basis), name


def test_cli_shows_every_hard_rule_with_its_source() -> None:
    result = run_cli("schema", "--violations", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == len(catalogue())
    hard = [r for r in rows if r["strength"] == "hard"]
    assert hard
    for row in hard:
        assert has_hard_source(row["basis"]), row["name"]
    iban = next(r for r in rows if r["name"] == "bank_account[routing_number]:empty_with_iban")
    assert "stripe/stripe-react-native#807" in iban["basis"]
    assert "stripe/stripe-go#247" in iban["basis"]
    table = run_cli("schema", "--violations")
    assert "[ISSUE: stripe/stripe-go#247]" in table.stdout


# --- the corrected rules (issue 9), one by one ---------------------------------------------------------


def _error(**fields: Any) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", **fields}}


def test_empty_routing_number_with_an_iban_accepts_both_eras() -> None:
    e = get_violation("bank_account[routing_number]:empty_with_iban").expected
    # 2022: the generic empty-string error on the routing number.
    assert e.judge(
        400, _error(code="parameter_invalid_empty", param="bank_account[routing_number]")
    ).ok
    # 2016: "Invalid bic" on the whole bank account.
    assert e.judge(400, _error(param="bank_account", message="Invalid bic")).ok
    # Neither: a failure.
    assert not e.judge(400, _error(code="parameter_missing", param="bank_account[country]")).ok


def test_payment_method_alone_is_valid() -> None:
    ev = evaluate_create({"bank_account": {"payment_method": "pm_1Pgc7BB7WZ01zgkW"}}, today=D)
    assert ev.accepted
    assert ev.acceptance is Strength.WARNING  # the PaymentMethod's details are unknown
    beside = evaluate_create({"bank_account": {"payment_method": "pm_1", "country": "US"}}, today=D)
    assert [f.violation for f in beside.findings] == ["bank_account[payment_method]:exclusive"]
    assert beside.findings[0].error.strength is Strength.WARNING


def test_live_mode_test_card_does_not_assert_param() -> None:
    e = get_violation("card:live_mode_test_card").expected
    answer = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "live_mode_test_card",
        }
    }
    assert e.judge(402, answer).ok and e.judge(402, answer).warnings == ()
    assert e.field_strength("param") is Strength.NOT_ASSERTED
    assert not e.judge(402, {"error": {"type": "card_error", "code": "incorrect_number"}}).ok


@pytest.mark.parametrize("field", ["date", "ip"])
def test_tos_acceptance_date_and_ip_are_not_hard(field: str) -> None:
    e = get_violation(f"person[additional_tos_acceptances][account][{field}]:missing").expected
    assert e.strength is Strength.WARNING
    assert e.judge(200, {"id": "cpt_1", "object": "token"}).ok


def test_new_parameters_have_their_max_length() -> None:
    from contracttk.contract import find_param

    want = {
        ("account", "company", "export_license_id"): 5000,
        ("account", "company", "export_purpose_code"): 5000,
        ("account", "individual", "id_number_secondary"): 5000,
        ("person", "id_number_secondary"): 5000,
    }
    for owner in (("account", "individual"), ("person",)):
        want.update(
            {
                (*owner, "registered_address", "city"): 100,
                (*owner, "registered_address", "country"): 5000,
                (*owner, "registered_address", "line1"): 200,
                (*owner, "registered_address", "line2"): 200,
                (*owner, "registered_address", "postal_code"): 5000,
                (*owner, "registered_address", "state"): 5000,
            }
        )
    assert len(want) == 16
    for keys, limit in want.items():
        param = find_param(keys)
        assert param is not None and param.max_length == limit, keys
    structure = find_param(("account", "company", "structure"))
    assert structure is not None and structure.enum is not None
    assert "registered_charity" in structure.enum


def test_protocol_errors_cite_hard_sources_where_hard() -> None:
    from contracttk.contract import (
        body_too_large,
        idempotency_in_use,
        idempotency_mismatch,
        invalid_api_key,
        malformed_body,
        no_api_key,
        no_such_token,
        publishable_key_forbidden,
        unrecognized_url,
    )

    errors = [
        no_api_key(),
        invalid_api_key("sk_test_****abcd"),
        publishable_key_forbidden(),
        no_such_token("tok_1"),
        idempotency_mismatch("k"),
        idempotency_in_use(),
        unrecognized_url("GET", "/x"),
        body_too_large(10),
        malformed_body("x"),
    ]
    for e in errors:
        assert set(basis_tags(e.basis)) <= set(BASIS_TAGS), e.basis
        if e.hard:
            assert has_hard_source(e.basis), e.basis
