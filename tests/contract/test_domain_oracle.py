"""The domain test: which accepted payloads the model understands (hard acceptance) and why
the others are only warnings. Every expectation is written out by hand from the facts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracttk import strategies as S
from contracttk.contract import (
    KIND_NAMES,
    Strength,
    documented_params,
    domain_problems,
    evaluate_create,
    is_public_test_value,
    parse_key,
    sample_params,
)
from contracttk.encoding import decode, encode

D = date(2025, 6, 15)
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
US_BANK = {
    "country": "US",
    "currency": "usd",
    "routing_number": "110000000",
    "account_number": "000123456789",
}


def _person(**fields: Any) -> dict[str, Any]:
    return {"person": {"first_name": "Jenny", "last_name": "Rosen", **fields}}


def _understood(params: dict[str, Any]) -> bool:
    ev = evaluate_create(params, today=D)
    assert ev.accepted, ev.findings
    return ev.understood


# --- acceptance strength --------------------------------------------------------------------------


def test_acceptance_strength_follows_the_domain() -> None:
    good = evaluate_create({"card": CARD}, today=D)
    assert (good.accepted, good.understood, good.acceptance) == (True, True, Strength.HARD)
    odd = evaluate_create({"card": {**CARD, "number": "4111111111111111"}}, today=D)
    assert (odd.accepted, odd.understood, odd.acceptance) == (True, False, Strength.WARNING)
    bad = evaluate_create({"card": {**CARD, "number": "4242424242424241"}}, today=D)
    assert (bad.accepted, bad.understood, bad.acceptance) == (False, False, Strength.NOT_ASSERTED)


@pytest.mark.parametrize(
    ("params", "want"),
    [
        # The fuzz cases that failed faithful servers (issue 9).
        (
            {"bank_account": {**US_BANK, "country": False}},
            [
                "bank_account[country]: 'false' is not an ISO 3166-1 alpha-2 country code",
                "bank_account[country]: 'false' is not the test account's country US",
            ],
        ),
        (
            {"card": {**CARD, "address_country": 0}},
            ["card[address_country]: '0' is not an ISO 3166-1 alpha-2 country code"],
        ),
        (
            {"card": CARD, "expand": ["junk"]},
            ["expand[0]: 'junk' is not a path the model can expand"],
        ),
        (
            _person(dob={"day": 99, "month": 13, "year": 1}),
            ["person[dob]: 1-13-99 is not a calendar date"],
        ),
        (
            _person(relationship={"percent_ownership": 150}),
            ["person[relationship][percent_ownership]: 150 is not a percentage from 0 to 100"],
        ),
        (
            {"card": {**CARD, "number": "4111111111111111"}},
            ["card[number]: the value is not one of Stripe's test card numbers"],
        ),
    ],
)
def test_issue_examples_are_outside_the_domain(params: dict[str, Any], want: list[str]) -> None:
    ev = evaluate_create(params, today=D)
    assert ev.accepted and not ev.understood
    assert list(ev.outside_domain) == want
    assert domain_problems(params, today=D) == want
    # The wire form gives the same verdict.
    assert evaluate_create(decode(encode(params)), today=D).outside_domain == ev.outside_domain


def test_sensitive_values_never_appear_in_problems() -> None:
    secrets = {"4111111111111111", "123456789", "987654321", "1234"}
    params = {
        "account": {
            "business_type": "individual",
            "individual": {"first_name": "J", "id_number": "123456789", "ssn_last_4": "1234"},
        }
    }
    problems = domain_problems(params, today=D) + domain_problems(
        {"card": {**CARD, "number": "4111111111111111"}}, today=D
    )
    problems += domain_problems({"pii": {"id_number": "987654321"}}, today=D)
    assert len(problems) == 4
    assert not [p for p in problems for s in secrets if s in p]


def test_empty_expand_item_is_rejected_by_the_oracle() -> None:
    ev = evaluate_create(
        decode(b"card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2030&expand[8]="),
        today=D,
    )
    assert [f.violation for f in ev.findings] == ["expand:empty_item"]
    err = ev.findings[0].error
    assert (err.status, err.type, err.code, err.param) == (
        400,
        "invalid_request_error",
        "parameter_invalid_empty",
        "expand[8]",
    )
    assert err.field_strength("code") is Strength.HARD
    assert err.field_strength("param") is Strength.WARNING
    # documents' files may hold an empty item (the spec allows ""): no finding, but not understood.
    files = _person(documents={"passport": {"files": ["file_identity_document_success", ""]}})
    assert not _understood(files)


@pytest.mark.parametrize(
    ("kind_params", "expand", "understood"),
    [
        ({"card": CARD}, ["card"], True),
        ({"card": CARD}, ["bank_account"], False),
        ({"card": CARD}, ["card.customer"], False),
        ({"bank_account": US_BANK}, ["bank_account"], True),
        ({"pii": {"id_number": "000000000"}}, ["pii"], False),
    ],
)
def test_understood_expand_paths(
    kind_params: dict[str, Any], expand: list[str], understood: bool
) -> None:
    assert _understood({**kind_params, "expand": expand}) is understood


def test_finding_paths_are_not_counted_twice() -> None:
    # The Luhn failure is the finding; the same number being no test card is not repeated.
    ev = evaluate_create({"card": {**CARD, "number": "4242424242424241"}}, today=D)
    assert [f.violation for f in ev.findings] == ["card[number]:luhn"]
    assert ev.outside_domain == ()
    # Another value outside the domain is still reported beside a finding.
    ev = evaluate_create({"card": {**CARD, "exp_month": "13"}, "expand": ["junk"]}, today=D)
    assert [f.violation for f in ev.findings] == ["card[exp_month]:out_of_range"]
    assert ev.outside_domain == ("expand[0]: 'junk' is not a path the model can expand",)


# --- value formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "ok"),
    [
        (_person(address={"country": "GB", "city": "London", "line1": "1 A St"}), True),
        (_person(address={"country": "gb"}), False),
        (_person(address={"country": "UK"}), False),  # not an ISO code
        (_person(nationality="JP"), True),
        (_person(nationality="XX"), False),
        (_person(email="jenny.rosen@example.com"), True),
        (_person(email="jenny@example.c"), False),  # passes the oracle, TLD of one letter
        (_person(phone="0000000000"), True),
        (_person(phone="+15555550123"), True),
        (_person(phone="555-0123"), False),
        (_person(dob={"day": 1, "month": 1, "year": 1900}), True),
        (_person(dob={"day": 31, "month": 12, "year": 1899}), False),
        (_person(dob={"day": 29, "month": 2, "year": 2023}), False),
        (_person(dob={"day": 29, "month": 2, "year": 2024}), True),
        (_person(dob={"day": 16, "month": 6, "year": 2025}), False),  # tomorrow
        (_person(dob={"day": 1, "month": 1, "year": 99999}), False),
        (_person(dob={"day": 1, "month": 1, "year": "9" * 5000}), False),  # int() would refuse
        (_person(relationship={"percent_ownership": 0}), True),
        (_person(relationship={"percent_ownership": "12.5"}), True),
        (_person(relationship={"percent_ownership": -1}), False),
        (
            _person(
                additional_tos_acceptances={"account": {"date": 1700000000, "ip": "192.0.2.1"}}
            ),
            True,
        ),
        (
            _person(
                additional_tos_acceptances={"account": {"date": 1700000000000, "ip": "192.0.2.1"}}
            ),
            False,
        ),
        (
            _person(
                additional_tos_acceptances={"account": {"date": 1700000000, "ip": "300.1.1.1"}}
            ),
            False,
        ),
        (
            _person(
                additional_tos_acceptances={"account": {"date": 1700000000, "ip": "2001:db8::1"}}
            ),
            True,
        ),
        (_person(first_name="José Jäggi-斉藤"), True),
        (_person(first_name=" Jenny"), False),
        (_person(first_name="Jen\x00ny"), False),
        (_person(first_name="Jen\u200bny"), False),  # zero-width space: a format character
        (_person(id_number="000000000"), True),
        (_person(id_number="123456789"), False),
        (_person(ssn_last_4="0000"), True),
        (_person(gender="female"), True),
        (_person(gender="f"), False),
        (_person(verification={"document": {"front": "file_identity_document_success"}}), True),
        (_person(verification={"document": {"front": "file_123"}}), False),
        (_person(metadata={"order": "6735"}), True),
        (_person(metadata={"order": "a\nb"}), False),
    ],
)
def test_person_values(person: dict[str, Any], ok: bool) -> None:
    assert _understood(person) is ok, domain_problems(person, today=D)


@pytest.mark.parametrize(
    ("bank", "ok"),
    [
        (US_BANK, True),
        ({**US_BANK, "currency": "USD"}, False),
        ({**US_BANK, "currency": "eur"}, False),  # not the test account's currency
        ({**US_BANK, "routing_number": "011000015"}, False),  # valid ABA, not the test one
        ({**US_BANK, "account_number": "000123456780"}, False),  # not a test account
        ({**US_BANK, "account_type": "futsu"}, False),
        ({**US_BANK, "account_type": "checking"}, True),
        ({"country": "DE", "currency": "eur", "account_number": "DE89370400440532013000"}, True),
        (
            {"country": "DE", "account_number": "DE89370400440532013000", "routing_number": "x"},
            False,
        ),
        ({"country": "CA", "account_number": "DE89370400440532013000"}, False),
        ({"payment_method": "pm_1Pgc7BB7WZ01zgkW"}, False),
    ],
)
def test_bank_account_values(bank: dict[str, Any], ok: bool) -> None:
    assert _understood({"bank_account": bank}) is ok


def test_card_values() -> None:
    assert _understood({"card": {**CARD, "currency": "usd"}})
    assert not _understood({"card": {**CARD, "currency": "xts"}})  # ISO test code, no currency
    assert _understood({"card": {**CARD, "name": "Jenny Rosen", "address_country": "US"}})
    too_long = evaluate_create({"card": {**CARD, "name": "x" * 5001}}, today=D)
    assert [f.violation for f in too_long.findings] == ["card[name]:too_long"]
    live = parse_key("pk_live_" + "a" * 24)
    # In live mode a test card is the oracle's finding, not a domain question.
    assert [f.violation for f in evaluate_create({"card": CARD}, key=live, today=D).findings] == [
        "card:live_mode_test_card"
    ]


def test_account_entity_matches_the_business_type() -> None:
    individual = {"first_name": "Jenny", "last_name": "Rosen"}
    assert _understood({"account": {"business_type": "individual", "individual": individual}})
    assert not _understood({"account": {"business_type": "company", "individual": individual}})
    assert not _understood({"account": {"business_type": "individual", "company": {"name": "A"}}})


# --- what the model itself produces is understood -----------------------------------------------------


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_samples_and_documented_payloads_are_understood(kind: str) -> None:
    assert _understood(sample_params(kind, today=D))
    for params in documented_params(kind):
        assert _understood(params), (params, domain_problems(params, today=D))


# en_AU is left out: Faker's en_AU secondary_address() ends with a blank ("Apt. 345 "), a
# value whose echo is not established, so those payloads are (rightly) not understood. The
# generators should strip it; until then they earn a warning-strength acceptance only.
LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "de_AT", "de_CH",
           "ja_JP", "pt_BR", "en_CA")  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(KIND_NAMES).flatmap(lambda k: S.params(k, today=D, locale=LOCALES)))
def test_generated_valid_payloads_are_understood(params: dict[str, Any]) -> None:
    ev = evaluate_create(params, today=D)
    assert ev.accepted, ev.findings
    assert ev.outside_domain == (), ev.outside_domain


# --- published test values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "4242424242424242",
        "4242424242424241",  # documented Luhn failure
        "378282246310005",
        "000123456789",
        "110000000",
        "DE89370400440532013000",
        "000000000",
        "111111111",
        "222222222",
        "0000",
        "000000001",
        "222221005",
        "0000000000",
    ],
)
def test_published_test_values(value: str) -> None:
    assert is_public_test_value(value)


@pytest.mark.parametrize(
    "value", ["4111111111111111", "4242424242424243", "123", "1234", "123456789", "", None, 4242]
)
def test_other_values_are_not_public(value: object) -> None:
    assert not is_public_test_value(value)


def test_huge_array_indices_do_not_crash_the_oracle() -> None:
    # int() refuses strings of more than 4300 digits; a form key may carry any number.
    body = (
        b"card[number]=4242424242424242&card[exp_month]=1&card[exp_year]=2030&expand["
        + (b"9" * 5000)
        + b"]=card&expand[10]=junk"
    )
    ev = evaluate_create(decode(body), today=D)
    assert ev.accepted
    assert ev.outside_domain == ("expand[10]: 'junk' is not a path the model can expand",)
