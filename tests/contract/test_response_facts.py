"""What a valid request must get: acceptance of Stripe's test values and the token's fields.

Requests and Stripe-faithful responses are written here from ``tests/data/stripe-tokens.md``
(§3, §7, §10). The model must accept the documented test values, its response rules must
pass a faithful token, fail hard on a token wrong in an established field, and never fail
hard on an inferred one.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timezone
from typing import Any

import pytest
from support.facts import US_TEST_ACCOUNTS, USE_TIME_CARDS

from contracttk.contract import Strength, evaluate_create, parse_key, token_rules
from contracttk.encoding import decode, encode

D = date(2025, 6, 15)
CREATED = int(datetime(2025, 6, 15, 12, tzinfo=timezone.utc).timestamp())
TEST_SK = parse_key("sk_test_facts")
TEST_PK = parse_key("pk_test_facts")
EXP = {"exp_month": "12", "exp_year": "2030"}

# §10.1: "Cards by brand (all succeed; any future date; CVC 3 digits, 4 for Amex)" [DOC: Testing]
SUCCEEDING_CARDS = {
    "4242424242424242": "123",
    "4000056655665556": "123",
    "5555555555554444": "123",
    "2223003122003222": "123",
    "5200828282828210": "123",
    "5105105105105100": "123",
    "378282246310005": "1234",
    "371449635398431": "1234",
    "6011111111111117": "123",
    "6011000990139424": "123",
    "6011981111111113": "123",
    "3056930009020004": "123",
    "36227206271667": "123",
    "6555900000604105": "123",
    "3566002020360505": "123",
    "3530111333300000": "123",
    "6200000000000005": "123",
    "6200000000000047": "123",
    "6205500000000000004": "123",
    "4000002500001001": "123",
    "5555552500001001": "123",
    "4000050360000001": "123",
    "5555050360000080": "123",
    "4000000760000002": "123",
    "4000001240000000": "123",
    "4000002760000016": "123",
    "4000008260000000": "123",
    "4000003920000003": "123",
    "4000002500000003": "123",
    "4000000360000006": "123",
}
US_BANK = {
    "country": "US",
    "currency": "usd",
    "account_holder_name": "Jenny Rosen",
    "account_holder_type": "individual",
    "routing_number": "110000000",
    "account_number": "000123456789",
}
PERSON = {"first_name": "Jenny", "last_name": "Rosen", "dob": {"day": 1, "month": 1, "year": 1901}}


def accepted(payload: dict[str, Any], key: Any = TEST_SK) -> bool:
    verdicts = {
        evaluate_create(f, key=key, today=D).accepted for f in (payload, decode(encode(payload)))
    }
    assert len(verdicts) == 1, "the wire changed the verdict"
    return verdicts.pop()


def not_rejected_hard(payload: dict[str, Any]) -> bool:
    return all(
        evaluate_create(f, key=TEST_SK, today=D).must_reject is not Strength.HARD
        for f in (payload, decode(encode(payload)))
    )


# --- acceptance of the documented test values ------------------------------------------------


@pytest.mark.parametrize("number", sorted(SUCCEEDING_CARDS))
@pytest.mark.parametrize("key", [TEST_SK, TEST_PK], ids=["sk_test", "pk_test"])
def test_documented_card_is_accepted(number: str, key: Any) -> None:
    assert accepted({"card": {"number": number, **EXP, "cvc": SUCCEEDING_CARDS[number]}}, key)


# §10.2: fail at use, tokenize successfully ([INF] for most, so only "not rejected hard").
@pytest.mark.parametrize("number", USE_TIME_CARDS)
def test_use_time_failure_card_is_not_rejected_at_tokenization(number: str) -> None:
    assert not_rejected_hard({"card": {"number": number, **EXP, "cvc": "123"}})


def test_two_digit_year_is_accepted() -> None:
    # §3.1: "params accept two- or four-digit years" [SDK]
    assert accepted({"card": {"number": "4242424242424242", "exp_month": "8", "exp_year": "30"}})


@pytest.mark.parametrize("account_number", sorted(US_TEST_ACCOUNTS))
def test_documented_us_bank_account_is_accepted(account_number: str) -> None:
    # §10.3: all tokenize; outcomes surface at payout time.
    assert accepted({"bank_account": {**US_BANK, "account_number": account_number}})


@pytest.mark.parametrize(
    ("iban", "currency"),
    [
        ("DE89370400440532013000", "eur"),
        ("DE62370400440532013001", "eur"),
        ("DE08370400440532013003", "eur"),
        ("DE78370400440532013004", "eur"),
        ("DE35370400440532013002", "eur"),
        ("FR1420041010050500013M02606", "eur"),
        ("GB82WEST12345698765432", "gbp"),
        ("AT611904300234573201", "eur"),
        ("CH9300762011623852957", "chf"),
    ],
)
def test_documented_iban_needs_no_routing_number(iban: str, currency: str) -> None:
    bank = {"country": iban[:2], "currency": currency, "account_number": iban}
    assert not_rejected_hard({"bank_account": bank})
    if iban.startswith("DE"):
        assert accepted({"bank_account": bank})  # [DOC] SEPA test IBANs


@pytest.mark.parametrize(
    "person",
    [
        {**PERSON, "dob": {"day": 1, "month": 1, "year": 1902}},
        {**PERSON, "dob": {"day": 1, "month": 1, "year": 1900}},
        {**PERSON, "id_number": "000000000"},
        {**PERSON, "id_number": "111111111"},
        {**PERSON, "ssn_last_4": "0000"},
        {**PERSON, "phone": "0000000000"},
        {**PERSON, "first_name": "mismatch_director"},
        {
            **PERSON,
            "address": {"line1": "address_full_match", "city": "Boston", "state": "MA"},
        },
    ],
    ids=[
        "dob 1902",
        "dob 1900",
        "id 000000000",
        "id 111111111",
        "ssn 0000",
        "phone",
        "director",
        "address",
    ],
)
def test_identity_test_values_are_not_rejected(person: dict[str, Any]) -> None:
    # §10.4: accepted verbatim in person/account/pii tokens [INF]
    assert not_rejected_hard({"person": person})
    account = {"business_type": "individual", "individual": person, "tos_shown_and_accepted": True}
    assert not_rejected_hard({"account": account})


@pytest.mark.parametrize("id_number", ["000000000", "111111111", "222222222"])
def test_pii_test_id_numbers_are_accepted(id_number: str) -> None:
    assert accepted({"pii": {"id_number": id_number}})


# --- the token object -------------------------------------------------------------------------


def faithful(kind: str, prefix: str, **embedded: Any) -> dict[str, Any]:
    """A token as Stripe shows it (§3 [SDK] [FIX]), with the kind's embedded object if any."""
    body: dict[str, Any] = {
        "id": prefix + "1Pgc7BB7WZ01zgkWptnajzKJ",
        "object": "token",
        "type": kind,
        "created": CREATED,
        "livemode": False,
        "used": False,
        "client_ip": None,
        "redaction": None,  # newer API versions add keys; tolerated (§3)
    }
    body.update(embedded)
    return body


def failures(rules: list[Any], body: dict[str, Any]) -> dict[str, Strength]:
    """Failing rules of ``body`` by dotted path (the strongest strength per path)."""
    out: dict[str, Strength] = {}
    for rule in rules:
        if rule.check(body) is not None:
            where = ".".join(rule.path)
            if out.get(where) is not Strength.HARD:
                out[where] = rule.strength
    return out


CARD_PARAMS = {
    "card": {
        "number": "4242424242424242",
        "exp_month": "8",
        "exp_year": "30",
        "cvc": "123",
        "name": "Jenny Rosen",
        "address_zip": "94107",
    }
}
CARD_OBJECT = {
    "id": "card_1Pgc7BB7WZ01zgkWx2Yz",
    "object": "card",
    "brand": "Visa",
    "funding": "credit",
    "country": "US",
    "last4": "4242",
    "exp_month": 8,
    "exp_year": 2030,
    "name": "Jenny Rosen",
    "address_zip": "94107",
    "address_line1": None,
    "address_line2": None,
    "address_city": None,
    "address_state": None,
    "address_country": None,
    # §3.1: nullable but present in a card token; null for what was not sent
    "address_line1_check": None,
    "address_zip_check": "pass",
    "cvc_check": "unchecked",
    "metadata": {},
}


def test_faithful_card_token_passes_every_rule() -> None:
    rules = token_rules("card", CARD_PARAMS, livemode=False, today=D, now=CREATED)
    assert failures(rules, faithful("card", "tok_", card=CARD_OBJECT)) == {}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"object": "card_token"}, "object"),
        ({"type": "bank_account"}, "type"),
        ({"id": "card_1Pgc7BB7WZ01zgkW"}, "id"),
        ({"livemode": True}, "livemode"),
        ({"used": True}, "used"),
        ({"bank_account": {"id": "ba_1", "object": "bank_account"}}, "bank_account"),
        ({"card": {**CARD_OBJECT, "last4": "4241"}}, "card.last4"),
        ({"card": {**CARD_OBJECT, "exp_year": 30}}, "card.exp_year"),
        ({"card": {**CARD_OBJECT, "exp_month": "8"}}, "card.exp_month"),
        ({"card": {**CARD_OBJECT, "object": "source"}}, "card.object"),
        ({"card": {**CARD_OBJECT, "id": "src_1Pgc"}}, "card.id"),
        ({"card": {**CARD_OBJECT, "brand": "visa"}}, "card.brand"),
        ({"card": {**CARD_OBJECT, "funding": "debit"}}, "card.funding"),
        ({"card": {**CARD_OBJECT, "name": "JENNY ROSEN"}}, "card.name"),
        ({"card": {**CARD_OBJECT, "address_zip": None}}, "card.address_zip"),
        ({"card": {**CARD_OBJECT, "cvc_check": "maybe"}}, "card.cvc_check"),
    ],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_card_token_wrong_in_an_established_field_fails_hard(
    change: dict[str, Any], where: str
) -> None:
    rules = token_rules("card", CARD_PARAMS, livemode=False, today=D, now=CREATED)
    body = {**faithful("card", "tok_", card=CARD_OBJECT), **change}
    assert failures(rules, body).get(where) is Strength.HARD


@pytest.mark.parametrize(
    "number",
    ["4000002500001001", "5555552500001001", "4000050360000001", "5555050360000080"],
)
def test_co_branded_card_brand_and_funding_are_not_hard(number: str) -> None:
    params = {"card": {"number": number, **EXP, "cvc": "123"}}
    rules = token_rules("card", params, livemode=False, today=D, now=CREATED)
    for rule in rules:
        # Which brand and funding: [INF] for co-branded cards. (That brand is one of the
        # Card.brand values is [SDK], and may stay hard.)
        if rule.path in (("card", "brand"), ("card", "funding")) and rule.has_value:
            assert rule.strength is not Strength.HARD, rule


BANK_OBJECT = {
    "id": "ba_1Pgc7BB7WZ01zgkW",
    "object": "bank_account",
    "country": "US",
    "currency": "usd",
    "last4": "6789",
    "status": "new",
    "account_holder_name": "Jenny Rosen",
    "account_holder_type": "individual",
    "routing_number": "110000000",
    "bank_name": "STRIPE TEST BANK",
    "fingerprint": "1JWtPxqbdX5Gamtc",
}


@pytest.mark.parametrize("prefix", ["btok_", "tok_"])  # §7: current and older docs
def test_faithful_bank_token_passes_every_rule(prefix: str) -> None:
    params = {"bank_account": {**US_BANK, "currency": "USD"}}
    rules = token_rules("bank_account", params, livemode=False, today=D, now=CREATED)
    assert failures(rules, faithful("bank_account", prefix, bank_account=BANK_OBJECT)) == {}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"last4": "0000"}, "bank_account.last4"),
        ({"currency": "USD"}, "bank_account.currency"),
        ({"status": "validated"}, "bank_account.status"),
        ({"bank_name": "BANK OF TESTS"}, "bank_account.bank_name"),
        ({"routing_number": "110-000-000"}, "bank_account.routing_number"),
        ({"id": "card_1Pgc"}, "bank_account.id"),
    ],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_bank_token_wrong_in_an_established_field_fails_hard(
    change: dict[str, Any], where: str
) -> None:
    rules = token_rules(
        "bank_account", {"bank_account": US_BANK}, livemode=False, today=D, now=CREATED
    )
    body = faithful("bank_account", "btok_", bank_account={**BANK_OBJECT, **change})
    assert failures(rules, body).get(where) is Strength.HARD


@pytest.mark.parametrize(
    "bank",
    [
        {**US_BANK, "routing_number": "021000021"},
        {
            "country": "GB",
            "currency": "gbp",
            "routing_number": "108800",
            "account_number": "00012345",
        },
    ],
    ids=["US non-test routing", "GB sort code"],
)
def test_routing_number_echo_is_hard_only_for_the_us_test_number(bank: dict[str, Any]) -> None:
    rules = token_rules(
        "bank_account", {"bank_account": bank}, livemode=False, today=D, now=CREATED
    )
    echo = [r for r in rules if r.path == ("bank_account", "routing_number")]
    assert all(r.strength is not Strength.HARD for r in echo)


@pytest.mark.parametrize(
    ("kind", "prefix", "params"),
    [
        ("pii", "pii_", {"pii": {"id_number": "000000000"}}),
        ("account", "ct_", {"account": {"business_type": "individual"}}),
        ("person", "cpt_", {"person": copy.deepcopy(PERSON)}),
        ("cvc_update", "cvctok_", {"cvc_update": {"cvc": "123"}}),
    ],
)
def test_bare_token_kinds(kind: str, prefix: str, params: dict[str, Any]) -> None:
    # §3: these tokens carry only the scalar fields; ids per §7 [DOC].
    rules = token_rules(kind, params, livemode=False, today=D, now=CREATED)
    assert failures(rules, faithful(kind, prefix)) == {}
    assert failures(rules, faithful(kind, "tok_")).get("id") is Strength.HARD
    wrapped = faithful(kind, prefix, card=CARD_OBJECT)
    assert failures(rules, wrapped).get("card") is Strength.HARD
    live = token_rules(kind, params, livemode=True, today=D, now=CREATED)
    assert failures(live, faithful(kind, prefix)).get("livemode") is Strength.HARD
