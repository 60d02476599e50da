"""The documented error codes, as literals: one hand-written request, one expected error.

Each request here breaks exactly one rule of ``tests/data/stripe-tokens.md``; the error the
oracle expects for it (the same after the wire encoding) is compared field by field with the
code, status and param the facts give, and with which of those fields are established.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from contracttk.contract import ApiKey, ExpectedError, Strength, evaluate_create, parse_key
from contracttk.encoding import decode, encode

D = date(2025, 6, 15)
TEST_SK = parse_key("sk_test_facts")
FIELDS = ("status", "type", "code", "param")
CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030", "cvc": "123"}
US_BANK = {
    "country": "US",
    "currency": "usd",
    "routing_number": "110000000",
    "account_number": "000123456789",
}
PERSON = {"first_name": "Jenny", "last_name": "Rosen", "dob": {"day": 1, "month": 1, "year": 1901}}
ACCOUNT = {"business_type": "individual", "individual": PERSON, "tos_shown_and_accepted": True}


def card(**changes: Any) -> dict[str, Any]:
    """The valid card request with fields changed (None = left out)."""
    body = {**CARD, **changes}
    return {"card": {k: v for k, v in body.items() if v is not None}}


def only_error(payload: dict[str, Any], k: ApiKey | None = TEST_SK) -> ExpectedError:
    """The single error the oracle expects for ``payload`` (same on the wire)."""
    ev = evaluate_create(payload, key=k, today=D)
    assert len(ev.findings) == 1, ev.findings
    wire = evaluate_create(decode(encode(payload)), key=k, today=D)
    assert [f.error for f in wire.findings] == [ev.findings[0].error]
    return ev.findings[0].error


def shape(e: ExpectedError) -> tuple[Any, ...]:
    return (e.status, e.type, e.code, e.param)


def hard_fields(e: ExpectedError) -> set[str]:
    return {f for f in FIELDS if e.field_strength(f) is Strength.HARD}


ALL = {"status", "type", "code", "param"}


def test_month_13_is_invalid_expiry_month() -> None:
    e = only_error(card(exp_month="13"))
    assert shape(e) == (402, "card_error", "invalid_expiry_month", "exp_month")
    assert hard_fields(e) == ALL


def test_year_95_is_invalid_expiry_year() -> None:
    e = only_error(card(exp_year="95"))
    assert shape(e) == (402, "card_error", "invalid_expiry_year", "exp_year")
    assert hard_fields(e) == ALL


def test_luhn_failure_is_incorrect_number() -> None:
    e = only_error(card(number="4242424242424241"))
    assert shape(e) == (402, "card_error", "incorrect_number", "number")
    assert hard_fields(e) == ALL


def test_cvc_99_is_invalid_cvc() -> None:
    e = only_error(card(cvc="99"))
    assert shape(e) == (402, "card_error", "invalid_cvc", "cvc")
    assert hard_fields(e) == ALL


def test_empty_string_is_parameter_invalid_empty() -> None:
    e = only_error(card(name=""))
    assert shape(e) == (400, "invalid_request_error", "parameter_invalid_empty", "card[name]")
    assert hard_fields(e) == ALL
    e = only_error({"account": {**ACCOUNT, "business_type": ""}})
    assert shape(e) == (
        400,
        "invalid_request_error",
        "parameter_invalid_empty",
        "account[business_type]",
    )


def test_unknown_top_level_parameter_is_parameter_unknown() -> None:
    e = only_error({**card(), "currency": "usd"})
    assert shape(e) == (400, "invalid_request_error", "parameter_unknown", "currency")
    assert hard_fields(e) == ALL


def test_unknown_nested_parameter_is_parameter_unknown_with_a_soft_param() -> None:
    e = only_error(card(foo="x"))
    assert (e.status, e.type, e.code) == (400, "invalid_request_error", "parameter_unknown")
    assert hard_fields(e) == {"status", "type", "code"}  # bracket param is [INF]


def test_non_integer_day_of_birth_is_parameter_invalid_integer() -> None:
    payload = {"person": copy.deepcopy(PERSON)}
    payload["person"]["dob"]["day"] = "first"
    e = only_error(payload)
    assert shape(e) == (
        400,
        "invalid_request_error",
        "parameter_invalid_integer",
        "person[dob][day]",
    )
    assert hard_fields(e) == ALL


def test_missing_card_number_is_parameter_missing() -> None:
    e = only_error(card(number=None))
    assert shape(e) == (400, "invalid_request_error", "parameter_missing", "card[number]")
    assert hard_fields(e) == ALL


def test_short_routing_number_is_routing_number_invalid() -> None:
    e = only_error({"bank_account": {**US_BANK, "routing_number": "11000000"}})
    assert (e.status, e.type, e.code) == (400, "invalid_request_error", "routing_number_invalid")
    # Older responses had no code and param `bank_account` (§4.2): only status/type are hard.
    assert hard_fields(e) == {"status", "type"}


@pytest.mark.parametrize("where", ["account", "person"])
def test_malformed_email_is_email_invalid_but_only_a_warning(where: str) -> None:
    payload = copy.deepcopy({"account": ACCOUNT} if where == "account" else {"person": PERSON})
    holder = payload["account"]["individual"] if where == "account" else payload["person"]
    holder["email"] = "jenny.rosen"
    e = only_error(payload)
    assert (e.status, e.type, e.code) == (400, "invalid_request_error", "email_invalid")
    assert hard_fields(e) == set() and e.reject is not Strength.HARD  # trigger is [INF]
