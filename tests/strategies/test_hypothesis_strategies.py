"""Tests for the Hypothesis strategies of ``contracttk.strategies``.

The oracle (``evaluate_create``) and the domain tables are the contract model, not the code
under test, so they serve as the judge; realism checks (Luhn, IBAN mod-97, expiry windows,
CVC lengths, the documented test values) use small reference implementations and values
written out here from Stripe's published test values.
"""

from __future__ import annotations

import calendar
import re
import subprocess
import sys
from datetime import date
from typing import Any

import contracttk.strategies as strategies_module
import pytest
from contracttk.strategies import (
    InvalidPayload,
    account_params,
    any_invalid_params,
    any_valid_params,
    bank_account_params,
    card_params,
    cvc_update_params,
    invalid_account_params,
    invalid_bank_account_params,
    invalid_card_params,
    invalid_cvc_update_params,
    invalid_params,
    invalid_person_params,
    invalid_pii_params,
    params,
    person_params,
    pii_params,
)
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from support.facts import SAFE_IDS, US_TEST_ACCOUNTS

from contracttk.contract import (
    KIND_NAMES,
    Finding,
    catalogue,
    evaluate_create,
    param_tree,
    sensitive_values,
    violations_for,
)
from contracttk.contract import domain as D
from contracttk.encoding import decode, encode

TODAY = date.today()
SAFE_FILES = {"file_identity_document_success", "file_identity_document_failure"}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

QUICK = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ONE = settings(phases=[Phase.generate], max_examples=1, database=None, deadline=None)


# --------------------------------------------------------------------------------------------
# Reference helpers (independent of the code under test)
# --------------------------------------------------------------------------------------------


def luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def iban_mod97(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def wire_form(value: Any) -> Any:
    """What a form decoder gives back: every scalar as its wire string."""
    if isinstance(value, dict):
        return {k: wire_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire_form(v) for v in value]
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def leaves(value: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in leaves(v, (*path, k))]
    if isinstance(value, list):
        return [(path, v) for v in value]
    return [(path, value)]


def expiry_year(raw: str) -> int:
    assert raw.isdigit() and len(raw) in (2, 4), raw
    return 2000 + int(raw) if len(raw) == 2 else int(raw)


def assert_valid(payload: dict[str, Any]) -> None:
    evaluation = evaluate_create(payload, today=TODAY)
    assert evaluation.accepted, (evaluation.findings, payload)
    assert decode(encode(payload)) == wire_form(payload)
    assert evaluate_create(decode(encode(payload)), today=TODAY).accepted


def assert_realistic(payload: dict[str, Any]) -> None:
    ((kind, body),) = payload.items()
    for path, value in leaves(body):
        assert value not in ("", None), path  # an empty value would unset the field
        node = param_tree(kind)
        for key in path:
            child = node.child(key) if not node.is_map else None
            if child is None:
                break
            node = child
        limit = node.max_length or (node.items.max_length if node.items else None)
        if isinstance(value, str) and limit is not None:
            assert len(value) <= limit, (path, value)
        if path and path[-1] == "email":
            assert EMAIL.fullmatch(value)
        if path and path[-1] in ("front", "back", "files"):
            assert value in SAFE_FILES
    for path, secret in sensitive_values(kind, payload):
        if kind == "card":
            continue
        if kind == "bank_account":
            assert secret in US_TEST_ACCOUNTS or iban_mod97(secret), path
        elif kind == "cvc_update":
            assert secret.isdigit() and len(secret) in (3, 4)
        else:
            assert secret in SAFE_IDS, (path, secret)
    if kind == "card":
        assert D.is_test_card(body["number"]) and luhn(body["number"])
        year = expiry_year(body["exp_year"])
        assert TODAY.year < year <= TODAY.year + 10
        assert 1 <= int(body["exp_month"]) <= 12
        if "cvc" in body:
            amex = body["number"][:2] in ("34", "37")
            assert len(body["cvc"]) == (4 if amex else 3) and body["cvc"].isdigit()
    for holder in (body, body.get("individual", {})):
        if isinstance(holder, dict) and "dob" in holder:
            dob = holder["dob"]
            assert 1 <= dob["day"] <= calendar.monthrange(dob["year"], dob["month"])[1]
            assert dob["year"] <= TODAY.year - 18
    tos = body.get("additional_tos_acceptances", {}).get("account") if kind == "person" else None
    if tos:
        assert "date" in tos and "ip" in tos


# --------------------------------------------------------------------------------------------
# Public surface
# --------------------------------------------------------------------------------------------


def test_public_surface() -> None:
    expected = {
        "InvalidPayload",
        "StripeProvider",
        "add_providers",
        "any_invalid_params",
        "any_valid_params",
        "as_requests_data",
        "encode",
        "invalid_params",
        "judge",
        "params",
    }
    for kind in KIND_NAMES:
        expected |= {f"{kind}_params", f"invalid_{kind}_params"}
    assert set(strategies_module.__all__) == expected
    for name in expected:
        assert getattr(strategies_module, name) is not None
    with pytest.raises(AttributeError):
        _ = strategies_module.no_such_name  # type: ignore[attr-defined]


def test_package_import_is_cheap() -> None:
    code = (
        "import sys, contracttk.strategies; "
        "print(sorted(m for m in ('faker', 'hypothesis') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------
# Valid payloads
# --------------------------------------------------------------------------------------------


@QUICK
@given(any_valid_params(today=TODAY))
def test_any_valid_payload_is_accepted_and_round_trips(payload: dict[str, Any]) -> None:
    assert_valid(payload)
    assert_realistic(payload)


@pytest.mark.parametrize("include_optional", [None, True, False])
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_valid_payloads_per_kind(kind: str, include_optional: bool | None) -> None:
    @settings(QUICK, max_examples=15)
    @given(params(kind, include_optional=include_optional, today=TODAY))
    def check(payload: dict[str, Any]) -> None:
        assert list(payload) == [kind]
        assert_valid(payload)
        assert_realistic(payload)

    check()


@QUICK
@given(card_params())
def test_default_today_is_the_current_date(payload: dict[str, Any]) -> None:
    assert evaluate_create(payload).accepted
    assert expiry_year(payload["card"]["exp_year"]) > date.today().year


@pytest.mark.parametrize(
    ("kind", "required"),
    [
        ("card", {"number", "exp_month", "exp_year"}),
        ("pii", {"id_number"}),
        ("account", {"business_type"}),
        ("person", {"first_name", "last_name"}),
        ("cvc_update", {"cvc"}),
    ],
)
def test_include_optional_false_sends_only_required_and_anchor_keys(
    kind: str, required: set[str]
) -> None:
    @settings(QUICK, max_examples=10)
    @given(params(kind, include_optional=False, today=TODAY))
    def check(payload: dict[str, Any]) -> None:
        assert set(payload[kind]) == required

    check()


@QUICK
@given(bank_account_params(include_optional=False, today=TODAY))
def test_minimal_bank_account(payload: dict[str, Any]) -> None:
    bank = payload["bank_account"]
    if bank["country"] == "US":
        assert bank == {
            "country": "US",
            "routing_number": "110000000",
            "account_number": bank["account_number"],
        }
        assert bank["account_number"] in US_TEST_ACCOUNTS
    else:
        assert set(bank) == {"country", "account_number"}
        assert bank["account_number"].startswith(bank["country"])
        assert iban_mod97(bank["account_number"])


@QUICK
@given(card_params(include_optional=True, locale="de_DE", today=TODAY))
def test_full_card_has_every_optional_field_in_the_locale(payload: dict[str, Any]) -> None:
    card = payload["card"]
    assert {"cvc", "name", "address_line1", "address_city", "address_zip", "currency"} <= set(card)
    assert card["address_country"] == "DE"


@pytest.mark.parametrize(
    ("brand", "prefixes", "length"),
    [
        ("amex", ("34", "37"), {15}),
        ("visa", ("4",), {16}),
        ("diners", ("30", "36", "38", "39"), {14, 16}),
        ("unionpay", ("62", "81"), {16, 19}),
    ],
)
def test_brand_option(brand: str, prefixes: tuple[str, ...], length: set[int]) -> None:
    @settings(QUICK, max_examples=20)
    @given(card_params(brand=brand, include_optional=True, today=TODAY))
    def check(payload: dict[str, Any]) -> None:
        number = payload["card"]["number"]
        assert number.startswith(prefixes) and len(number) in length
        assert len(payload["card"]["cvc"]) == (4 if brand == "amex" else 3)
        assert_valid(payload)

    check()


def test_brands_and_lengths_are_all_reached() -> None:
    lengths = {len(c.number) for c in D.TEST_CARDS}
    for n in lengths:
        found = find(card_params(today=TODAY), lambda p, n=n: len(p["card"]["number"]) == n)
        assert len(found["card"]["number"]) == n
    for brand in ("visa", "mastercard", "amex", "discover", "jcb", "diners", "unionpay"):
        found = find(card_params(brand=brand, today=TODAY), lambda p: True)
        assert D.find_test_card(found["card"]["number"]).brand == brand  # type: ignore[union-attr]


def test_two_digit_expiry_years_are_generated() -> None:
    found = find(card_params(today=TODAY), lambda p: len(p["card"]["exp_year"]) == 2)
    assert TODAY.year < expiry_year(found["card"]["exp_year"]) <= TODAY.year + 10


@QUICK
@given(bank_account_params(country="DE", today=TODAY))
def test_bank_country_option(payload: dict[str, Any]) -> None:
    bank = payload["bank_account"]
    assert bank["country"] == "DE" and bank["account_number"].startswith("DE")
    assert "routing_number" not in bank


@settings(QUICK, max_examples=300)
@given(card_params(today=TODAY))
def test_no_card_number_outside_stripe_test_numbers(payload: dict[str, Any]) -> None:
    # Hypothesis side: 300 draws (the Faker test makes 100,000 through the same builders).
    assert D.is_test_card(payload["card"]["number"])


# --------------------------------------------------------------------------------------------
# Invalid payloads
# --------------------------------------------------------------------------------------------


@QUICK
@given(any_invalid_params(today=TODAY))
def test_invalid_payload_is_labelled_with_the_oracles_answer(inv: InvalidPayload) -> None:
    assert isinstance(inv, InvalidPayload)
    first = evaluate_create(inv.params, today=TODAY).first
    assert first == Finding(inv.violation, inv.expected)
    assert (inv.status, inv.type, inv.code, inv.param, inv.strength) == (
        inv.expected.status,
        inv.expected.type,
        inv.expected.code,
        inv.expected.param,
        inv.expected.strength,
    )
    assert inv.status >= 400


_INVALID_FACTORIES = {
    "card": invalid_card_params,
    "bank_account": invalid_bank_account_params,
    "pii": invalid_pii_params,
    "account": invalid_account_params,
    "person": invalid_person_params,
    "cvc_update": invalid_cvc_update_params,
}


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_invalid_per_kind(kind: str) -> None:
    @settings(QUICK, max_examples=25)
    @given(_INVALID_FACTORIES[kind](today=TODAY))
    def check(inv: InvalidPayload) -> None:
        assert inv.violation in {v.name for v in violations_for(kind)}
        assert evaluate_create(inv.params, today=TODAY).first == Finding(
            inv.violation, inv.expected
        )

    check()


@QUICK
@given(invalid_card_params(["card[number]:luhn", "card[cvc]:bad_shape"], today=TODAY))
def test_violation_list_restricts(inv: InvalidPayload) -> None:
    assert inv.violation in ("card[number]:luhn", "card[cvc]:bad_shape")
    assert inv.code in ("incorrect_number", "invalid_cvc")


_ENTRIES = [v for v in catalogue() if v.requires is None]
_CHUNK = 10


@pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)
@pytest.mark.parametrize("start", range(0, len(_ENTRIES), _CHUNK))
def test_every_catalogue_entry_is_reachable(start: int) -> None:
    chunk = _ENTRIES[start : start + _CHUNK]
    # Request-level entries (kind None) are drawn on a different kind each time.
    kinds = [v.kind or KIND_NAMES[i % len(KIND_NAMES)] for i, v in enumerate(chunk, start)]
    strategy = st.tuples(
        *(
            invalid_params(kind, v.name, include_optional=False, today=TODAY)
            for kind, v in zip(kinds, chunk, strict=True)
        )
    )
    drawn = find(strategy, lambda _: True, settings=ONE)
    assert [inv.violation for inv in drawn] == [v.name for v in chunk]
    for inv in drawn:
        assert evaluate_create(inv.params, today=TODAY).first == Finding(
            inv.violation, inv.expected
        )


def test_chunks_cover_the_catalogue() -> None:
    names = {v.name for v in catalogue()}
    assert {v.name for v in _ENTRIES} == names - {
        "card:live_mode_test_card",
        "account:live_secret_key",
        "person:live_secret_key",
    }


# --------------------------------------------------------------------------------------------
# Argument errors: raised when drawn, never when the strategy is made
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: card_params(brand="nope"), "brand"),
        (lambda: card_params(brand="amex", country="DE"), "no Stripe test card"),
        (lambda: bank_account_params(country="ZZ"), "no Stripe test bank account"),
        (lambda: person_params(locale="xx_XX"), "locale"),
        (lambda: pii_params(locale=["en_US", 5]), "locale"),  # type: ignore[list-item]
        (lambda: account_params(include_optional="yes"), "include_optional"),  # type: ignore[arg-type]
        (lambda: cvc_update_params(today="2030-01-01"), "today"),  # type: ignore[arg-type]
        (lambda: invalid_card_params("no-such-rule"), "no-such-rule"),
        (lambda: invalid_card_params(["card[number]:luhn", "person[email]:invalid"]), "person"),
        (lambda: invalid_card_params("card:live_mode_test_card"), "live-mode key"),
        (lambda: invalid_card_params(42), "violation"),  # type: ignore[arg-type]
        (lambda: params("coupon"), "unknown token kind"),
        (lambda: params("pii", brand="visa"), "brand"),
        (lambda: invalid_params("card", None, colour="red"), "colour"),
    ],
)
def test_argument_errors_are_raised_when_drawn(make: Any, message: str) -> None:
    strategy = make()  # must not raise
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        find(strategy, lambda _: True, settings=ONE)


# --------------------------------------------------------------------------------------------
# Shrinking
# --------------------------------------------------------------------------------------------


def test_failing_card_test_shrinks_to_the_required_fields() -> None:
    seen: list[dict[str, Any]] = []

    @settings(database=None, deadline=None, max_examples=50)
    @given(card_params(today=TODAY))
    def always_fails(payload: dict[str, Any]) -> None:
        seen.append(payload)
        raise AssertionError("boom")

    with pytest.raises(AssertionError, match="boom"):
        always_fails()
    # Hypothesis replays the shrunk example last.
    assert seen[-1] == {
        "card": {
            "number": "4242424242424242",
            "exp_month": "01",
            "exp_year": str(TODAY.year + 1),
        }
    }


@pytest.mark.parametrize(
    ("strategy", "keys"),
    [
        (person_params(today=TODAY), {"first_name", "last_name"}),
        (account_params(today=TODAY), {"business_type"}),
        (pii_params(today=TODAY), {"id_number"}),
    ],
)
def test_find_is_minimal(strategy: Any, keys: set[str]) -> None:
    found = find(strategy, lambda _: True, settings=settings(database=None, deadline=None))
    ((_, body),) = found.items()
    assert set(body) == keys
