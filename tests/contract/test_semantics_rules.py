"""``token_rules``: every documented field of the token object checked for meaning.

The token bodies are written out by hand (shaped like Stripe's fixture and API reference
examples); each test breaks one fact and expects exactly the rule (and strength) it names.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from contracttk.contract import Strength, has_hard_source, token_rules

H, W = Strength.HARD, Strength.WARNING
TODAY = date(2025, 6, 15)
NOW = 1750000000  # 2025-06-15T15:06:40Z
CARD_PARAMS = {
    "card": {"number": "4242424242424242", "exp_month": "12", "exp_year": "30", "cvc": "123"}
}
CARD_TOKEN: dict[str, Any] = {
    "id": "tok_1Pgc7BB7WZ01zgkWptnajzKJ",
    "object": "token",
    "card": {
        "id": "card_1Pgc7BB7WZ01zgkWgK5lCOlh",
        "object": "card",
        "address_city": None,
        "address_country": None,
        "address_line1": None,
        "address_line1_check": None,
        "address_line2": None,
        "address_state": None,
        "address_zip": None,
        "address_zip_check": None,
        "brand": "Visa",
        "country": "US",
        "cvc_check": "pass",
        "dynamic_last4": None,
        "exp_month": 12,
        "exp_year": 2030,
        "fingerprint": "Xt5EWLLDS7FJjR1c",
        "funding": "credit",
        "last4": "4242",
        "metadata": {},
        "name": None,
        "networks": {"preferred": None},
        "regulated_status": None,
        "tokenization_method": None,
    },
    "client_ip": None,
    "created": NOW,
    "livemode": False,
    "type": "card",
    "used": False,
}
BANK_PARAMS = {
    "bank_account": {
        "country": "US",
        "currency": "usd",
        "account_holder_name": "Jenny Rosen",
        "account_holder_type": "individual",
        "routing_number": "110000000",
        "account_number": "000123456789",
    }
}
BANK_TOKEN: dict[str, Any] = {
    "id": "btok_1Pgc7BB7WZ01zgkW",
    "object": "token",
    "bank_account": {
        "id": "ba_1Pgc7BB7WZ01zgkW",
        "object": "bank_account",
        "account_holder_name": "Jenny Rosen",
        "account_holder_type": "individual",
        "account_type": None,
        "bank_name": "STRIPE TEST BANK",
        "country": "US",
        "currency": "usd",
        "fingerprint": "1JWtPxqbdX5Gamtz",
        "last4": "6789",
        "routing_number": "110000000",
        "status": "new",
    },
    "client_ip": None,
    "created": NOW,
    "livemode": False,
    "type": "bank_account",
    "used": False,
}
PII_TOKEN = {
    "id": "pii_1Pgc7BB7WZ01zgkW",
    "object": "token",
    "client_ip": None,
    "created": NOW,
    "livemode": False,
    "type": "pii",
    "used": False,
}


def failures(
    kind: str, params: dict[str, Any], body: Any, *, understood: bool = True
) -> list[tuple[Strength, str]]:
    rules = token_rules(kind, params, livemode=False, today=TODAY, now=NOW, understood=understood)
    return [(r.strength, msg) for r in rules if (msg := r.check(body))]


def changed(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    cur = out
    for key in path[:-1]:
        cur = cur[key]
    if value is DROP:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return out


DROP = object()


def test_faithful_tokens_pass_every_rule() -> None:
    assert failures("card", CARD_PARAMS, CARD_TOKEN) == []
    assert failures("bank_account", BANK_PARAMS, BANK_TOKEN) == []
    assert failures("pii", {"pii": {"id_number": "000000000"}}, PII_TOKEN) == []


@pytest.mark.parametrize(
    ("path", "value", "want"),
    [
        (("object",), "card", [(H, "object: expected 'token', got 'card'")]),
        (("type",), "pii", [(H, "type: expected 'card', got 'pii'")]),
        (
            ("id",),
            "pii_1Pgc7BB7WZ01zgkW",
            [
                (H, "id: expected a value starting with tok_, got 'pii_1Pgc7BB7WZ01zgkW'"),
                (W, "id: expected tok_ followed by letters and digits, got 'pii_1Pgc7BB7WZ01zgkW'"),
            ],
        ),
        (
            ("id",),
            "tok_1-2",
            [(W, "id: expected tok_ followed by letters and digits, got 'tok_1-2'")],
        ),
        (("livemode",), True, [(H, "livemode: expected False, got True")]),
        (("used",), True, [(H, "used: expected False, got True")]),
        (
            ("client_ip",),
            7,
            [
                (H, "client_ip must be str or null, got 7"),
                (W, "client_ip: expected an IP address or null, got 7"),
            ],
        ),
        (
            ("client_ip",),
            "not-an-ip",
            [(W, "client_ip: expected an IP address or null, got 'not-an-ip'")],
        ),
        (("client_ip",), "203.0.113.5", []),
        (
            ("bank_account",),
            {"id": "ba_1"},
            [(H, "bank_account must be absent, got {'id': 'ba_1'}")],
        ),
    ],
)
def test_token_fields(path: tuple[str, ...], value: Any, want: list[tuple[Strength, str]]) -> None:
    assert failures("card", CARD_PARAMS, changed(CARD_TOKEN, path, value)) == want


def test_created_is_unix_seconds_near_now() -> None:
    ms = changed(CARD_TOKEN, ("created",), NOW * 1000)
    assert [s for s, _ in failures("card", CARD_PARAMS, ms)] == [H, W]
    assert [s for s, _ in failures("card", CARD_PARAMS, changed(CARD_TOKEN, ("created",), 0))] == [
        H,
        W,
    ]
    # A server clock two days off: a warning only.
    assert [
        s
        for s, _ in failures(
            "card", CARD_PARAMS, changed(CARD_TOKEN, ("created",), NOW - 2 * 86400)
        )
    ] == [W]
    assert failures("card", CARD_PARAMS, changed(CARD_TOKEN, ("created",), NOW - 3600)) == []
    assert [
        s for s, _ in failures("card", CARD_PARAMS, changed(CARD_TOKEN, ("created",), "1750000000"))
    ] == [H, H, W]


@pytest.mark.parametrize(
    ("path", "value", "strength"),
    [
        (("card", "object"), "token", H),
        (("card", "last4"), "4241", H),
        (("card", "exp_year"), 30, H),  # a two-digit year is reported with four digits
        (("card", "exp_month"), "12", H),
        (("card", "brand"), "visa", H),  # not in the value set, and not the test card's brand
        (("card", "funding"), "debit", H),  # 4242... is documented as credit
        (("card", "country"), "GB", H),  # 4242... is the US test card
        (("card", "cvc_check"), None, H),  # a CVC was sent
        (("card", "tokenization_method"), "apple_pay", W),
        (("card", "dynamic_last4"), "4242", W),
        (("card", "regulated_status"), "maybe", H),
        (("card", "networks"), {"preferred": "amex"}, H),
        (("card", "fingerprint"), "4242 4242", W),
        (("card", "id"), "ba_1Pgc7BB7", H),
    ],
)
def test_embedded_card_fields(path: tuple[str, ...], value: Any, strength: Strength) -> None:
    found = failures("card", CARD_PARAMS, changed(CARD_TOKEN, path, value))
    assert found, "breaking the field must fail a rule"
    strongest = H if any(s is H for s, _ in found) else W
    assert strongest is strength, found


def test_card_check_fields_follow_what_was_sent() -> None:
    no_cvc = {"card": {k: v for k, v in CARD_PARAMS["card"].items() if k != "cvc"}}
    body = changed(CARD_TOKEN, ("card", "cvc_check"), None)
    assert failures("card", no_cvc, body) == []
    # No CVC sent but a check result shown: only a warning (the null rule is inferred).
    assert failures("card", no_cvc, CARD_TOKEN) == [
        (W, "card.cvc_check: expected None, got 'pass'")
    ]
    with_zip = {"card": {**CARD_PARAMS["card"], "address_zip": "94111"}}
    body = changed(
        changed(CARD_TOKEN, ("card", "address_zip"), "94111"),
        ("card", "address_zip_check"),
        "unchecked",
    )
    assert failures("card", with_zip, body) == []
    body = changed(body, ("card", "address_zip_check"), None)
    assert failures("card", with_zip, body) == [
        (
            H,
            "card.address_zip_check: expected one of ['pass', 'fail', 'unavailable', 'unchecked'], got None",
        )
    ]


def test_cobranded_test_cards_brand_and_funding_are_warnings() -> None:
    params = {"card": {**CARD_PARAMS["card"], "number": "4000050360000001"}}
    body = changed(CARD_TOKEN, ("card", "last4"), "0001")
    body = changed(body, ("card", "country"), None)
    body = changed(body, ("card", "brand"), "Eftpos Australia")
    body = changed(body, ("card", "funding"), "credit")
    assert failures("card", params, body) == [
        (W, "card.brand: expected 'Visa', got 'Eftpos Australia'"),
        (W, "card.funding: expected 'debit', got 'credit'"),
    ]
    # A plain test card's brand is hard.
    plain = {"card": {**CARD_PARAMS["card"], "number": "4000056655665556"}}
    body = changed(changed(CARD_TOKEN, ("card", "last4"), "5556"), ("card", "country"), None)
    body = changed(body, ("card", "funding"), "debit")
    assert failures("card", plain, changed(body, ("card", "brand"), "MasterCard")) == [
        (H, "card.brand: expected 'Visa', got 'MasterCard'")
    ]


def test_not_understood_payloads_demote_input_rules_only() -> None:
    body = changed(changed(CARD_TOKEN, ("card", "last4"), "0000"), ("object",), "card")
    found = failures("card", CARD_PARAMS, body, understood=False)
    assert found == [
        (H, "object: expected 'token', got 'card'"),
        (W, "card.last4: expected '4242', got '0000'"),
    ]


@pytest.mark.parametrize(
    ("path", "value", "want"),
    [
        (
            ("bank_account", "status"),
            "validated",
            [(H, "bank_account.status: expected 'new', got 'validated'")],
        ),
        (
            ("bank_account", "currency"),
            "USD",
            [
                (H, "bank_account.currency: expected three lower-case letters, got 'USD'"),
                (H, "bank_account.currency: expected 'usd', got 'USD'"),
            ],
        ),
        (
            ("bank_account", "country"),
            "us",
            [
                (H, "bank_account.country: expected two upper-case letters, got 'us'"),
                (H, "bank_account.country: expected 'US', got 'us'"),
            ],
        ),
        (
            ("bank_account", "last4"),
            "0000",
            [(H, "bank_account.last4: expected '6789', got '0000'")],
        ),
        (
            ("bank_account", "bank_name"),
            None,
            [(H, "bank_account.bank_name: expected 'STRIPE TEST BANK', got None")],
        ),
        (
            ("bank_account", "routing_number"),
            None,
            [(H, "bank_account.routing_number: expected '110000000', got None")],
        ),
        (
            ("bank_account", "account_holder_type"),
            "company",
            [(H, "bank_account.account_holder_type: expected 'individual', got 'company'")],
        ),
        (("card",), {"id": "card_1"}, [(H, "card must be absent, got {'id': 'card_1'}")]),
    ],
)
def test_embedded_bank_account_fields(
    path: tuple[str, ...], value: Any, want: list[tuple[Strength, str]]
) -> None:
    assert failures("bank_account", BANK_PARAMS, changed(BANK_TOKEN, path, value)) == want


def test_iban_last4_and_foreign_routing_echo_are_warnings() -> None:
    iban = {
        "bank_account": {
            "country": "DE",
            "currency": "eur",
            "account_number": "DE89370400440532013000",
        }
    }
    body = changed(BANK_TOKEN, ("bank_account", "country"), "DE")
    body = changed(body, ("bank_account", "currency"), "eur")
    body = changed(body, ("bank_account", "routing_number"), None)
    body = changed(body, ("bank_account", "bank_name"), None)
    assert failures("bank_account", iban, changed(body, ("bank_account", "last4"), "3000")) == []
    assert failures("bank_account", iban, changed(body, ("bank_account", "last4"), "0000")) == [
        (W, "bank_account.last4: expected '3000', got '0000'")
    ]
    # A routing number other than the US test one: its echo is not established.
    ca = {
        "bank_account": {
            "country": "CA",
            "currency": "cad",
            "routing_number": "11000-000",
            "account_number": "000123456789",
        }
    }
    body = changed(
        changed(BANK_TOKEN, ("bank_account", "country"), "CA"), ("bank_account", "currency"), "cad"
    )
    body = changed(
        changed(body, ("bank_account", "bank_name"), None),
        ("bank_account", "routing_number"),
        "11000000",
    )
    assert failures(
        "bank_account", ca, changed(body, ("bank_account", "account_holder_name"), None)
    ) == [(W, "bank_account.routing_number: expected '11000-000', got '11000000'")]


@pytest.mark.parametrize("kind", ["pii", "account", "person", "cvc_update"])
def test_kinds_without_an_embedded_object(kind: str) -> None:
    body = {
        **PII_TOKEN,
        "type": kind,
        "id": {"pii": "pii_", "account": "ct_", "person": "cpt_", "cvc_update": "cvctok_"}[kind]
        + "A1",
    }
    assert failures(kind, {kind: {}}, body) == []
    assert [s for s, _ in failures(kind, {kind: {}}, {**body, "card": None})] == [H]


def test_every_hard_rule_cites_a_hard_source() -> None:
    for kind, params in (
        ("card", CARD_PARAMS),
        ("bank_account", BANK_PARAMS),
        ("pii", {"pii": {}}),
    ):
        for rule in token_rules(kind, params, livemode=False, today=TODAY, now=NOW):
            if rule.strength is H:
                assert has_hard_source(rule.basis), (rule.path, rule.basis)


def test_a_country_the_model_does_not_understand_asserts_no_format() -> None:
    # A fuzzer's country: echoing it back, or answering something else, is not established.
    odd = {"bank_account": {**BANK_PARAMS["bank_account"], "country": "0"}}
    echoed = changed(
        changed(BANK_TOKEN, ("bank_account", "country"), "0"), ("bank_account", "bank_name"), None
    )
    assert failures("bank_account", odd, echoed, understood=False) == []
    fixed = changed(BANK_TOKEN, ("bank_account", "bank_name"), None)
    assert failures("bank_account", odd, fixed, understood=False) == [
        (W, "bank_account.country: expected '0', got 'US'")
    ]
