"""``documented_params``: one valid payload per documented Stripe test value.

Expected values are Stripe's published test values, written out here by hand.
"""

from __future__ import annotations

from datetime import date

import pytest

from contracttk.contract import KIND_NAMES, documented_params, evaluate_create

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_every_documented_payload_is_accepted(kind: str) -> None:
    payloads = documented_params(kind)
    assert payloads
    for params in payloads:
        assert list(params) == [kind]
        ev = evaluate_create(params, today=TODAY)
        assert ev.accepted, (params, ev.findings)


def test_cards_cover_the_documented_numbers_with_the_brand_cvc_length() -> None:
    cards = {p["card"]["number"]: p["card"] for p in documented_params("card")}
    for number in (
        "4242424242424242",
        "4000056655665556",
        "5555555555554444",
        "2223003122003222",
        "5200828282828210",
        "5105105105105100",
        "6011111111111117",
        "3056930009020004",
        "36227206271667",
        "3566002020360505",
        "6200000000000005",
        "6205500000000000004",
        "4000002500001001",
        "5555050360000080",
        "4000000000000002",
        "4000000000009995",
        "4100000000000019",
    ):
        assert len(cards[number]["cvc"]) == 3, number
    for amex in ("378282246310005", "371449635398431"):
        assert len(cards[amex]["cvc"]) == 4
    # Documented to fail tokenization (Luhn): not a valid payload.
    assert "4242424242424241" not in cards


def test_bank_accounts() -> None:
    banks = [p["bank_account"] for p in documented_params("bank_account")]
    us = {b["account_number"]: b for b in banks if b["country"] == "US"}
    for number in ("000123456789", "000111111116", "000111111113", "000222222227"):
        assert us[number]["routing_number"] == "110000000"
        assert us[number]["currency"] == "usd"
    ibans = {b["account_number"]: b for b in banks if b["country"] == "DE"}
    assert "DE89370400440532013000" in ibans
    assert "routing_number" not in ibans["DE89370400440532013000"]
    assert ibans["DE89370400440532013000"]["currency"] == "eur"


def test_pii_and_cvc_update() -> None:
    assert {p["pii"]["id_number"] for p in documented_params("pii")} == {
        "000000000",
        "111111111",
        "222222222",
    }
    assert sorted(len(p["cvc_update"]["cvc"]) for p in documented_params("cvc_update")) == [3, 4]


@pytest.mark.parametrize("kind", ["account", "person"])
def test_identity_test_values_all_appear(kind: str) -> None:
    people = [
        p["account"]["individual"] if kind == "account" else p["person"]
        for p in documented_params(kind)
        if kind == "person" or "individual" in p["account"]
    ]
    dobs = {(d["dob"]["year"], d["dob"]["month"], d["dob"]["day"]) for d in people}
    assert dobs == {(1901, 1, 1), (1902, 1, 1), (1900, 1, 1)}
    assert {d["id_number"] for d in people} == {"000000000", "111111111", "222222222"}
    assert {d["ssn_last_4"] for d in people} == {"0000"}
    assert {d["phone"] for d in people} == {"0000000000"}
    assert {d["address"]["line1"] for d in people} == {
        "address_full_match",
        "address_no_match",
        "address_line1_no_match",
    }
    assert {d["first_name"] for d in people} >= {
        "mismatch_director",
        "missing_director",
        "extraneous_director",
        "mismatch_owner",
        "extraneous_owner",
    }
    assert {d["verification"]["document"]["front"] for d in people} == {
        "file_identity_document_success",
        "file_identity_document_failure",
    }


def test_company_test_values_all_appear() -> None:
    companies = [
        p["account"]["company"] for p in documented_params("account") if "company" in p["account"]
    ]
    assert {c["name"] for c in companies} == {
        "mismatch_business_name",
        "disallowed_name",
        "match_name_relationships",
        "match_name_only",
    }
    assert {c["tax_id"] for c in companies} == {
        "000000000",
        "000000001",
        "111111111",
        "111111112",
        "222222222",
        "222221000",
        "222221001",
        "222221002",
        "222221003",
        "222221004",
        "222221005",
    }
