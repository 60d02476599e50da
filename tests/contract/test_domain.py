"""Tests for ``contracttk.contract.domain``: test values, brands and checksums.

Expected values are written out here from ``tests/data/stripe-tokens.md`` (§3.1, §10, §11) and
checked with small reference implementations written in this file, never with the module's
own functions, so a typo in either the module or a number shows up as a failure.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from support.facts import US_TEST_ACCOUNTS, USE_TIME_CARDS, data_file
from support.secrets import luhn_ok

from contracttk.contract import domain as d

# --------------------------------------------------------------------------------------------
# Independent reference implementations
# --------------------------------------------------------------------------------------------


def ref_aba(routing: str) -> bool:
    """ABA routing checksum: weights 3, 7, 1 repeated, sum divisible by 10."""
    weights = (3, 7, 1) * 3
    return sum(w * int(c) for w, c in zip(weights, routing, strict=True)) % 10 == 0


def ref_iban(iban: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to 10..35, mod 97 == 1."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


# --------------------------------------------------------------------------------------------
# The documented numbers, copied from §10.1 / §10.2 (brand key, length)
# --------------------------------------------------------------------------------------------

DOC_CARDS: dict[str, tuple[str, int]] = {
    # §10.1 by brand
    "4242424242424242": ("visa", 16),
    "4000056655665556": ("visa", 16),
    "5555555555554444": ("mastercard", 16),
    "2223003122003222": ("mastercard", 16),
    "5200828282828210": ("mastercard", 16),
    "5105105105105100": ("mastercard", 16),
    "378282246310005": ("amex", 15),
    "371449635398431": ("amex", 15),
    "6011111111111117": ("discover", 16),
    "6011000990139424": ("discover", 16),
    "6011981111111113": ("discover", 16),
    "3056930009020004": ("diners", 16),
    "36227206271667": ("diners", 14),
    "6555900000604105": ("discover", 16),  # BCcard/DinaCard, in Discover's range
    "3566002020360505": ("jcb", 16),
    "3530111333300000": ("jcb", 16),
    "6200000000000005": ("unionpay", 16),
    "6200000000000047": ("unionpay", 16),
    "6205500000000000004": ("unionpay", 19),
    "4000002500001001": ("visa", 16),
    "5555552500001001": ("mastercard", 16),
    "4000050360000001": ("visa", 16),
    "5555050360000080": ("mastercard", 16),
    # §10.1 by country
    "4000000760000002": ("visa", 16),
    "4000001240000000": ("visa", 16),
    "4000002760000016": ("visa", 16),
    "4000008260000000": ("visa", 16),
    "4000003920000003": ("visa", 16),
    "4000002500000003": ("visa", 16),
    "4000000360000006": ("visa", 16),
    # §10.2 by outcome
    "4000000000000002": ("visa", 16),
    "4000000000009995": ("visa", 16),
    "4000000000009987": ("visa", 16),
    "4000000000009979": ("visa", 16),
    "4000000000000069": ("visa", 16),
    "4000000000000127": ("visa", 16),
    "4000000000000119": ("visa", 16),
    "4000000000006975": ("visa", 16),
    "4000000000000341": ("visa", 16),
    "4100000000000019": ("visa", 16),
    "4000000000000101": ("visa", 16),
    "4000000000000036": ("visa", 16),
    "4000000000000028": ("visa", 16),
    "4000000000000010": ("visa", 16),
    "4000000000000044": ("visa", 16),
    "4000000000000259": ("visa", 16),
}

DOC_TOKENS: dict[str, str] = {
    "4242424242424242": "tok_visa",
    "4000056655665556": "tok_visa_debit",
    "5555555555554444": "tok_mastercard",
    "5200828282828210": "tok_mastercard_debit",
    "5105105105105100": "tok_mastercard_prepaid",
    "378282246310005": "tok_amex",
    "6011111111111117": "tok_discover",
    "3056930009020004": "tok_diners",
    "3566002020360505": "tok_jcb",
    "6200000000000005": "tok_unionpay",
    "4000002500001001": "tok_visa_cartesBancaires",
    "5555552500001001": "tok_mastercard_cartesBancaires",
    "4000050360000001": "tok_visa_debit_eftposAuCoBranded",
    "5555050360000080": "tok_mastercard_debit_eftposAuCoBranded",
    "4000000000000002": "tok_visa_chargeDeclined",
    "4000000000009995": "tok_visa_chargeDeclinedInsufficientFunds",
    "4000000000009987": "tok_visa_chargeDeclinedLostCard",
    "4000000000009979": "tok_visa_chargeDeclinedStolenCard",
    "4000000000000069": "tok_chargeDeclinedExpiredCard",
    "4000000000000127": "tok_chargeDeclinedIncorrectCvc",
    "4000000000000119": "tok_chargeDeclinedProcessingError",
    "4000000000006975": "tok_visa_chargeDeclinedVelocityLimitExceeded",
    "4000000000000341": "tok_chargeCustomerFail",
    "4100000000000019": "tok_radarBlock",
    "4000000000000101": "tok_cvcCheckFail",
    "4000000000000036": "tok_avsZipFail",
    "4000000000000028": "tok_avsLine1Fail",
    "4000000000000010": "tok_avsFail",
    "4000000000000044": "tok_avsUnchecked",
}

DOC_COUNTRIES = {
    "4242424242424242": "US",
    "4000000760000002": "BR",
    "4000001240000000": "CA",
    "4000002760000016": "DE",
    "4000008260000000": "GB",
    "4000003920000003": "JP",
    "3530111333300000": "JP",
    "4000002500000003": "FR",
    "4000000360000006": "AU",
}

DOC_OUTCOMES = {
    "4000000000000002": "card_declined:generic_decline",
    "4000000000009995": "card_declined:insufficient_funds",
    "4000000000009987": "card_declined:lost_card",
    "4000000000009979": "card_declined:stolen_card",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
    "4000000000006975": "card_declined:card_velocity_exceeded",
    "4000000000000101": "cvc_check_fail",
    "4000000000000036": "avs_zip_fail",
    "4000000000000028": "avs_line1_fail",
    "4000000000000010": "avs_fail",
    "4000000000000044": "avs_unchecked",
    "4000000000000341": "charge_customer_fail",  # attaching works, charging fails
    "4100000000000019": "radar_block",  # Radar always blocks
    "4000000000000259": "dispute_fraudulent",  # disputed as fraudulent
}

DOC_FUNDING = {
    "4242424242424242": "credit",
    "4000056655665556": "debit",
    "5200828282828210": "debit",
    "5105105105105100": "prepaid",
    "6011981111111113": "debit",
    "6200000000000047": "debit",
}

OVERLAP_NUMBER = "6555900000604105"


def test_reference_luhn_sanity() -> None:
    # The reference implementation itself must be right, or every check below is hollow.
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")
    assert luhn_ok("4242424242424242")


def test_test_cards_are_exactly_the_documented_numbers() -> None:
    numbers = [c.number for c in d.TEST_CARDS]
    assert len(numbers) == len(set(numbers)), "duplicate test card"
    assert set(numbers) == set(DOC_CARDS)


@pytest.mark.parametrize("card", d.TEST_CARDS, ids=lambda c: c.number)
def test_each_test_card(card: d.TestCard) -> None:
    brand, length = DOC_CARDS[card.number]
    assert luhn_ok(card.number)
    assert len(card.number) == length
    assert card.brand == brand
    assert length in d.BRANDS[card.brand].lengths
    assert card.number.isascii() and card.number.isdigit()
    assert card.test_token == DOC_TOKENS.get(card.number)
    assert card.country == DOC_COUNTRIES.get(card.number)
    assert card.outcome == DOC_OUTCOMES.get(card.number, d.OUTCOME_SUCCESS)
    assert card.basis.startswith("[DOC: Testing]")
    assert card.last4 == card.number[-4:]
    if card.number in DOC_FUNDING:
        assert card.funding == DOC_FUNDING[card.number]
    assert card.funding in (None, "credit", "debit", "prepaid")
    detected = d.detect_brand(card.number)
    assert detected is not None and detected.key == card.brand
    if card.number == OVERLAP_NUMBER:
        # §11: sits in Discover's range, reported brand not established.
        assert card.display_brand is None
    else:
        assert card.display_brand == d.BRANDS[card.brand].display
        assert d.brand_display(card.number) == card.display_brand


def test_success_and_use_time_outcomes() -> None:
    success = {c.number for c in d.test_cards(outcome=d.OUTCOME_SUCCESS)}
    # Every §10.1 number succeeds; every §10.2 number has a use-time outcome.
    assert set(DOC_CARDS) - success == set(USE_TIME_CARDS)


def test_co_branded_cards() -> None:
    cb = {c.number for c in d.test_cards(brand="cartes_bancaires")}
    eftpos = {c.number for c in d.test_cards(brand="eftpos_au")}
    assert cb == {"4000002500001001", "5555552500001001"}
    assert eftpos == {"4000050360000001", "5555050360000080"}


def test_luhn_failing_number() -> None:
    assert d.LUHN_FAILING_TEST_NUMBER == "4242424242424241"
    assert not luhn_ok(d.LUHN_FAILING_TEST_NUMBER)
    assert not d.luhn_valid(d.LUHN_FAILING_TEST_NUMBER)
    assert not d.is_test_card(d.LUHN_FAILING_TEST_NUMBER)
    assert d.find_test_card(d.LUHN_FAILING_TEST_NUMBER) is None


def test_reference_doc_agrees() -> None:
    # Cross-check against the repository's copy of the ground-truth document.
    text = data_file("stripe-tokens.md").read_text(encoding="utf-8")
    section = text[text.index("### 10.1") : text.index("### 10.3")]
    found = set(re.findall(r"(?<![0-9])[0-9]{14,19}(?![0-9])", section))
    # The document abbreviates three AVS numbers ("…0028 / …0010 / …0044").
    abbreviated = {"4000000000000028", "4000000000000010", "4000000000000044"}
    assert found == ({c.number for c in d.TEST_CARDS} - abbreviated) | {d.LUHN_FAILING_TEST_NUMBER}
    tokens = set(re.findall(r"\btok_[A-Za-z0-9_]+", section))
    assert {c.test_token for c in d.TEST_CARDS if c.test_token} == tokens


# --------------------------------------------------------------------------------------------
# Lookups and filters
# --------------------------------------------------------------------------------------------


def test_filters() -> None:
    assert [c.number for c in d.test_cards(brand="amex")] == ["378282246310005", "371449635398431"]
    assert {c.number for c in d.test_cards(country="jp")} == {
        "4000003920000003",
        "3530111333300000",
    }
    assert [c.number for c in d.test_cards(outcome="expired_card")] == ["4000000000000069"]
    assert d.test_cards(brand="visa", country="FR")[0].number == "4000002500000003"
    assert d.test_cards() == d.TEST_CARDS
    with pytest.raises(ValueError):
        d.test_cards(brand="Visa")
    with pytest.raises(ValueError):
        d.test_cards(outcome="declined")


def test_find_test_card() -> None:
    card = d.find_test_card("4242424242424242")
    assert card is not None and card.test_token == "tok_visa"
    assert d.is_test_card("378282246310005")
    assert not d.is_test_card("4242 4242 4242 4242")
    assert not d.is_test_card("")


def test_dataclasses_are_frozen() -> None:
    card = d.TEST_CARDS[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.number = "1"  # type: ignore[misc]
    with pytest.raises(TypeError):
        d.BRANDS["visa"] = d.BRANDS["amex"]  # type: ignore[index]


# --------------------------------------------------------------------------------------------
# Brands
# --------------------------------------------------------------------------------------------


def test_brand_display_strings() -> None:
    # §3.1 value set of the legacy card object's `brand` (note "MasterCard").
    assert {k: b.display for k, b in d.BRANDS.items()} == {
        "visa": "Visa",
        "mastercard": "MasterCard",
        "amex": "American Express",
        "discover": "Discover",
        "jcb": "JCB",
        "diners": "Diners Club",
        "unionpay": "UnionPay",
        "cartes_bancaires": "Cartes Bancaires",
        "eftpos_au": "Eftpos Australia",
    }
    assert d.UNKNOWN_BRAND == "Unknown"
    assert all(b.key == k for k, b in d.BRANDS.items())
    assert all(set(b.lengths) <= set(b.possible_lengths) for b in d.BRANDS.values())


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("4", "visa"),
        ("2220999999999999", None),
        ("2221000000000009", "mastercard"),
        ("2720990000000000", "mastercard"),
        ("2721000000000000", None),
        ("5099999999999999", None),
        ("5100000000000000", "mastercard"),
        ("5599999999999999", "mastercard"),
        ("5600000000000000", None),
        ("340000000000000", "amex"),
        ("350000000000000", None),
        ("370000000000000", "amex"),
        ("3527999999999999", None),
        ("3528000000000000", "jcb"),
        ("3589999999999999", "jcb"),
        ("3590000000000000", None),
        ("30000000000000", "diners"),
        ("36000000000000", "diners"),
        ("3800000000000000", "diners"),
        ("3900000000000000", "diners"),
        ("3100000000000000", None),
        ("6000000000000000", "discover"),
        ("6400000000000000", "discover"),
        ("6500000000000000", "discover"),
        ("6600000000000000", None),
        ("6200000000000000", "unionpay"),
        ("8100000000000000", "unionpay"),
        ("1234567890123456", None),
        ("", None),
        ("52", "mastercard"),
        ("35", None),  # too short to tell a JCB 4-digit prefix
        ("4242 4242 4242 4242", None),
    ],
)
def test_detect_brand_prefixes(number: str, expected: str | None) -> None:
    spec = d.detect_brand(number)
    assert (spec.key if spec else None) == expected
    assert d.brand_display(number) == (d.BRANDS[expected].display if expected else "Unknown")


def test_co_brands_are_never_detected() -> None:
    assert d.BRANDS["cartes_bancaires"].prefixes == ()
    assert d.BRANDS["eftpos_au"].prefixes == ()


def test_cvc_lengths() -> None:
    assert d.cvc_lengths_for("378282246310005") == (4,)
    assert d.cvc_lengths_for("371449635398431") == (4,)
    assert d.cvc_lengths_for("4242424242424242") == (3,)
    assert d.cvc_lengths_for("5555555555554444") == (3,)
    assert d.cvc_lengths_for("9999999999999995") == (3, 4)
    assert d.BRANDS["amex"].cvc_lengths == (4,)
    assert all(b.cvc_lengths == (3,) for k, b in d.BRANDS.items() if k != "amex")


@given(st.one_of(st.text(), st.binary().map(lambda b: b.decode("latin-1"))))
@example("٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢")  # Arabic-Indic digits: isdigit() but not ASCII
@example("４２４２４２４２４２４２４２４２")
def test_detect_brand_never_raises(text: str) -> None:
    spec = d.detect_brand(text)
    if not (text.isascii() and text.isdigit()):
        assert spec is None
    assert isinstance(d.brand_display(text), str)
    assert d.cvc_lengths_for(text) in {(3,), (4,), (3, 4)}
    assert isinstance(d.luhn_valid(text), bool)


@given(st.from_regex(r"[0-9]{1,20}", fullmatch=True))
def test_detect_brand_is_longest_prefix(number: str) -> None:
    # Independent oracle: collect every matching range, pick the widest.
    matches = [
        (len(str(lo)), spec.key)
        for spec in d.BRANDS.values()
        for lo, hi in spec.prefixes
        if len(number) >= len(str(lo)) and lo <= int(number[: len(str(lo))]) <= hi
    ]
    spec = d.detect_brand(number)
    if not matches:
        assert spec is None
    else:
        width = max(w for w, _ in matches)
        widest = {k for w, k in matches if w == width}
        assert len(widest) == 1, "ambiguous prefix table"
        assert spec is not None and spec.key in widest


# --------------------------------------------------------------------------------------------
# Luhn
# --------------------------------------------------------------------------------------------


@given(st.from_regex(r"[0-9]{1,25}", fullmatch=True))
def test_luhn_valid_matches_reference(number: str) -> None:
    assert d.luhn_valid(number) == luhn_ok(number)


@pytest.mark.parametrize("bad", ["", " ", "4242-4242", "42424242424242a2", "４２"])
def test_luhn_valid_rejects_non_digits(bad: str) -> None:
    assert d.luhn_valid(bad) is False


@given(st.from_regex(r"[0-9]{0,24}", fullmatch=True), st.integers(0, 9))
def test_luhn_check_digit_property(partial: str, other: int) -> None:
    check = d.luhn_check_digit(partial)
    assert len(check) == 1 and check.isdigit()
    assert luhn_ok(partial + check)
    assert d.luhn_valid(partial + check) or partial + check == ""
    if str(other) != check:
        assert not luhn_ok(partial + str(other))
        assert not d.luhn_valid(partial + str(other))


def test_luhn_check_digit_rejects_non_digits() -> None:
    with pytest.raises(ValueError):
        d.luhn_check_digit("42x")


# --------------------------------------------------------------------------------------------
# ABA routing numbers
# --------------------------------------------------------------------------------------------


def test_test_routing_number() -> None:
    assert d.TEST_ROUTING_NUMBER == "110000000"
    assert d.TEST_BANK_NAME == "STRIPE TEST BANK"
    assert ref_aba("110000000")
    assert d.aba_routing_valid("110000000")
    assert not d.aba_routing_valid("110000001")


def test_every_single_digit_change_breaks_the_routing_number() -> None:
    # Weights 3, 7, 1 are coprime to 10, so no one-digit change keeps the checksum.
    base = d.TEST_ROUTING_NUMBER
    for i in range(9):
        for digit in "0123456789":
            if digit != base[i]:
                assert not d.aba_routing_valid(base[:i] + digit + base[i + 1 :])


@given(st.from_regex(r"[0-9]{9}", fullmatch=True))
def test_aba_matches_reference(routing: str) -> None:
    assert d.aba_routing_valid(routing) == ref_aba(routing)


@pytest.mark.parametrize("bad", ["", "11000000", "1100000000", "110 000 000", "11000000a", None])
def test_aba_rejects_bad_shape(bad: str) -> None:
    assert d.aba_routing_valid(bad) is False


# --------------------------------------------------------------------------------------------
# Bank accounts and IBANs
# --------------------------------------------------------------------------------------------

DOC_US_ACCOUNTS = US_TEST_ACCOUNTS
TEST_BANK = "STRIPE TEST BANK"
DOC_IBANS = {
    "DE89370400440532013000": "eur",
    "DE62370400440532013001": "eur",
    "DE08370400440532013003": "eur",
    "DE78370400440532013004": "eur",
    "DE35370400440532013002": "eur",
    "FR1420041010050500013M02606": "eur",
    "GB82WEST12345698765432": "gbp",
    "AT611904300234573201": "eur",
    "CH9300762011623852957": "chf",
}


def test_bank_accounts_are_exactly_the_documented_ones() -> None:
    numbers = [a.account_number for a in d.TEST_BANK_ACCOUNTS]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == DOC_US_ACCOUNTS | set(DOC_IBANS)


def test_us_bank_accounts() -> None:
    us = d.bank_accounts(country="us")
    assert {a.account_number for a in us} == DOC_US_ACCOUNTS
    for a in us:
        assert (a.currency, a.routing_number, a.bank_name) == ("usd", "110000000", TEST_BANK)
        assert a.last4 == a.account_number[-4:]
    success = [a for a in us if a.effect == d.OUTCOME_SUCCESS]
    assert [(a.account_number, a.last4) for a in success] == [("000123456789", "6789")]


@pytest.mark.parametrize("iban", sorted(DOC_IBANS))
def test_listed_ibans(iban: str) -> None:
    assert ref_iban(iban)
    assert d.iban_valid(iban)
    (account,) = (a for a in d.TEST_BANK_ACCOUNTS if a.account_number == iban)
    assert account.routing_number is None
    assert account.country == iban[:2]
    assert account.country in d.IBAN_COUNTRIES
    assert account.currency == DOC_IBANS[iban]
    if iban.startswith("DE"):
        assert account.basis.startswith("[DOC:")
    else:
        assert account.basis == "[3P]"
    assert account.last4 == iban[-4:]


@given(st.sampled_from(sorted(DOC_IBANS)), st.data())
def test_mutated_iban_is_invalid(iban: str, data: st.DataObject) -> None:
    # MOD 97-10 catches every single-character substitution.
    positions = [i for i, ch in enumerate(iban) if ch.isdigit()]
    i = data.draw(st.sampled_from(positions))
    digit = data.draw(st.sampled_from([c for c in "0123456789" if c != iban[i]]))
    mutated = iban[:i] + digit + iban[i + 1 :]
    assert not ref_iban(mutated)
    assert not d.iban_valid(mutated)


def test_iban_forms() -> None:
    assert not d.iban_valid("DE89370400440532013001")  # last digit changed
    assert not d.iban_valid("DE89 3704 0044 0532 0130 00")
    assert d.iban_valid("DE89 3704 0044 0532 0130 00", allow_print_form=True)
    assert not d.iban_valid("de89370400440532013000")
    assert not d.iban_valid("")
    assert not d.iban_valid("XX89370400440532013000")
    assert not d.iban_valid(None)  # type: ignore[arg-type]


def test_iban_countries_are_known_to_stdnum() -> None:
    from stdnum import numdb

    db = numdb.get("iban")
    for cc in d.IBAN_COUNTRIES:
        assert db.info(cc + "00")[0][1], cc
    eu_eea = set(
        "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
    )
    assert eu_eea | {"IS", "LI", "NO", "GB", "CH"} <= d.IBAN_COUNTRIES
    assert "US" not in d.IBAN_COUNTRIES


def test_bank_tokens() -> None:
    assert d.TEST_BANK_TOKENS[0] == "btok_us_verified"
    assert all(t.startswith("btok_us_verified") for t in d.TEST_BANK_TOKENS)


# --------------------------------------------------------------------------------------------
# Identity values and expiry constants
# --------------------------------------------------------------------------------------------


def test_identity_values() -> None:
    assert d.TEST_DOBS == ((1901, 1, 1), (1902, 1, 1), (1900, 1, 1))
    assert d.TEST_ID_NUMBERS == ("000000000", "111111111", "222222222")
    assert d.TEST_SSN_LAST_4 == ("0000",)
    assert set(d.TEST_TAX_IDS) == {
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
    assert d.TEST_PHONE == "0000000000"
    assert d.TEST_ADDRESS_LINE1 == (
        "address_full_match",
        "address_no_match",
        "address_line1_no_match",
    )
    assert d.TEST_IDENTITY_FILES == (
        "file_identity_document_success",
        "file_identity_document_failure",
    )


def test_is_safe_id_number() -> None:
    for value in ("000000000", "111111111", "222222222", "0000", "222221005", "111111112"):
        assert d.is_safe_id_number(value)
    for value in ("123456789", "222221006", "", "000-00-0000", "1234"):
        assert not d.is_safe_id_number(value)


def test_expiry_constants() -> None:
    assert d.MAX_EXPIRY_YEARS_AHEAD == 50
    assert d.MAX_EXPIRY_YEARS_BACK == 50


# --------------------------------------------------------------------------------------------
# Module hygiene
# --------------------------------------------------------------------------------------------


def test_public_surface() -> None:
    assert sorted(d.__all__) == sorted(set(d.__all__))
    for name in d.__all__:
        assert hasattr(d, name), name


def test_import_is_cheap_and_lazy() -> None:
    # stdnum costs ~25-40 ms to import; the module must defer it until a checksum is needed.
    code = (
        "import sys; import contracttk.contract.domain as d; "
        "assert 'stdnum' not in sys.modules, 'stdnum imported eagerly'; "
        "d.luhn_valid('4242424242424242'); assert 'stdnum' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
