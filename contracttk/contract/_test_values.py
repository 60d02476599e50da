"""Stripe's published test values: cards, bank accounts, identity values, and what is public.

Part of the contract's domain knowledge (:mod:`contracttk.contract.domain` re-exports it);
each value keeps its source tag beside it. Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

from ._brands import BRANDS

__all__ = [
    "IBAN_COUNTRIES",
    "LUHN_FAILING_TEST_NUMBER",
    "OUTCOME_SUCCESS",
    "TEST_ADDRESS_LINE1",
    "TEST_BANK_ACCOUNTS",
    "TEST_BANK_NAME",
    "TEST_BANK_TOKENS",
    "TEST_CARDS",
    "TEST_COMPANY_NAMES",
    "TEST_DOBS",
    "TEST_FIRST_NAMES",
    "TEST_IDENTITY_FILES",
    "TEST_ID_NUMBERS",
    "TEST_PHONE",
    "TEST_ROUTING_NUMBER",
    "TEST_SSN_LAST_4",
    "TEST_TAX_IDS",
    "TestBankAccount",
    "TestCard",
    "bank_accounts",
    "find_test_card",
    "is_public_test_value",
    "is_safe_id_number",
    "is_test_card",
    "test_cards",
]


# --------------------------------------------------------------------------------------------
# Test cards [DOC: Testing]
# --------------------------------------------------------------------------------------------

OUTCOME_SUCCESS = "success"


@dataclass(frozen=True, slots=True)
class TestCard:
    """One of Stripe's documented test card numbers.

    ``brand`` is the :data:`BRANDS` key of the BIN range the number falls in (for co-branded
    cards, the international network; the local one is ``co_brand``). ``display_brand`` is the
    ``brand`` string Stripe reports, or ``None`` where that is not established.
    ``funding``/``country`` are ``None`` unless documented. ``outcome`` is ``"success"`` or
    what happens when the token is *used* (charged / attached); every number here tokenizes
    successfully (Stripe makes only format checks when tokenizing [ISSUE: artsy/emission#1151]
    [INF]).
    """

    # Stop pytest from collecting this class when a test module imports it.
    __test__: ClassVar[bool] = False

    number: str
    brand: str
    display_brand: str | None
    funding: str | None
    country: str | None
    outcome: str
    test_token: str | None
    basis: str
    co_brand: str | None = field(default=None)

    @property
    def last4(self) -> str:
        """Last four digits, as the card object's ``last4`` reports them."""
        return self.number[-4:]


_DOC_TESTING = "[DOC: Testing]"
# The brand string of a co-branded card is our inference: the docs' table names both networks,
# and the card's BIN is the international network's.
_DOC_TESTING_COBRAND = "[DOC: Testing] [INF: display_brand]"


def _card(
    number: str,
    brand: str,
    *,
    token: str | None = None,
    funding: str | None = None,
    country: str | None = None,
    outcome: str = OUTCOME_SUCCESS,
    display_known: bool = True,
    basis: str = _DOC_TESTING,
    co_brand: str | None = None,
) -> TestCard:
    return TestCard(
        number=number,
        brand=brand,
        display_brand=BRANDS[brand].display if display_known else None,
        funding=funding,
        country=country,
        outcome=outcome,
        test_token=token,
        basis=basis,
        co_brand=co_brand,
    )


TEST_CARDS: tuple[TestCard, ...] = (
    # By brand. Where the docs give several numbers for one test token, the token goes
    # with the first number only.
    # funding "credit"/country "US" for 4242…: the [FIX] card fixture and the by-country list.
    _card(
        "4242424242424242",
        "visa",
        token="tok_visa",
        funding="credit",
        country="US",
        basis="[DOC: Testing] [FIX]",
    ),
    _card("4000056655665556", "visa", token="tok_visa_debit", funding="debit"),
    _card("5555555555554444", "mastercard", token="tok_mastercard"),
    _card("2223003122003222", "mastercard"),
    _card("5200828282828210", "mastercard", token="tok_mastercard_debit", funding="debit"),
    _card("5105105105105100", "mastercard", token="tok_mastercard_prepaid", funding="prepaid"),
    _card("378282246310005", "amex", token="tok_amex"),
    _card("371449635398431", "amex"),
    _card("6011111111111117", "discover", token="tok_discover"),
    _card("6011000990139424", "discover"),
    _card("6011981111111113", "discover", funding="debit"),
    _card("3056930009020004", "diners", token="tok_diners"),
    _card("36227206271667", "diners"),
    # BCcard/DinaCard: prefix 65 is Discover's range, so our detection says discover, but what
    # Stripe reports as `brand` is not established.
    _card("6555900000604105", "discover", display_known=False),
    _card("3566002020360505", "jcb", token="tok_jcb"),
    _card("6200000000000005", "unionpay", token="tok_unionpay"),
    _card("6200000000000047", "unionpay", funding="debit"),
    _card("6205500000000000004", "unionpay"),
    _card(
        "4000002500001001",
        "visa",
        token="tok_visa_cartesBancaires",
        basis=_DOC_TESTING_COBRAND,
        co_brand="cartes_bancaires",
    ),
    _card(
        "5555552500001001",
        "mastercard",
        token="tok_mastercard_cartesBancaires",
        basis=_DOC_TESTING_COBRAND,
        co_brand="cartes_bancaires",
    ),
    # funding "debit" for the eftpos pair: the documented test tokens are named "…_debit_…".
    _card(
        "4000050360000001",
        "visa",
        token="tok_visa_debit_eftposAuCoBranded",
        funding="debit",
        basis=_DOC_TESTING_COBRAND,
        co_brand="eftpos_au",
    ),
    _card(
        "5555050360000080",
        "mastercard",
        token="tok_mastercard_debit_eftposAuCoBranded",
        funding="debit",
        basis=_DOC_TESTING_COBRAND,
        co_brand="eftpos_au",
    ),
    # By country (4242… is above). 3530111333300000 is also the JCB row's "Japan" number.
    _card("4000000760000002", "visa", country="BR"),
    _card("4000001240000000", "visa", country="CA"),
    _card("4000002760000016", "visa", country="DE"),
    _card("4000008260000000", "visa", country="GB"),
    _card("4000003920000003", "visa", country="JP"),
    _card("3530111333300000", "jcb", country="JP"),
    _card("4000002500000003", "visa", country="FR"),
    _card("4000000360000006", "visa", country="AU"),
    # By outcome (4242424242424241 left out on purpose: it fails Luhn).
    _card(
        "4000000000000002",
        "visa",
        token="tok_visa_chargeDeclined",
        outcome="card_declined:generic_decline",
    ),
    _card(
        "4000000000009995",
        "visa",
        token="tok_visa_chargeDeclinedInsufficientFunds",
        outcome="card_declined:insufficient_funds",
    ),
    _card(
        "4000000000009987",
        "visa",
        token="tok_visa_chargeDeclinedLostCard",
        outcome="card_declined:lost_card",
    ),
    _card(
        "4000000000009979",
        "visa",
        token="tok_visa_chargeDeclinedStolenCard",
        outcome="card_declined:stolen_card",
    ),
    _card(
        "4000000000000069", "visa", token="tok_chargeDeclinedExpiredCard", outcome="expired_card"
    ),
    _card(
        "4000000000000127", "visa", token="tok_chargeDeclinedIncorrectCvc", outcome="incorrect_cvc"
    ),
    _card(
        "4000000000000119",
        "visa",
        token="tok_chargeDeclinedProcessingError",
        outcome="processing_error",
    ),
    _card(
        "4000000000006975",
        "visa",
        token="tok_visa_chargeDeclinedVelocityLimitExceeded",
        outcome="card_declined:card_velocity_exceeded",
    ),
    _card(
        "4000000000000341", "visa", token="tok_chargeCustomerFail", outcome="charge_customer_fail"
    ),
    _card("4100000000000019", "visa", token="tok_radarBlock", outcome="radar_block"),
    _card("4000000000000101", "visa", token="tok_cvcCheckFail", outcome="cvc_check_fail"),
    _card("4000000000000036", "visa", token="tok_avsZipFail", outcome="avs_zip_fail"),
    _card("4000000000000028", "visa", token="tok_avsLine1Fail", outcome="avs_line1_fail"),
    _card("4000000000000010", "visa", token="tok_avsFail", outcome="avs_fail"),
    _card("4000000000000044", "visa", token="tok_avsUnchecked", outcome="avs_unchecked"),
    _card("4000000000000259", "visa", outcome="dispute_fraudulent"),
)

LUHN_FAILING_TEST_NUMBER = "4242424242424241"
"""Stripe's documented Luhn-failing number: tokenization fails with ``incorrect_number``."""

_CARDS_BY_NUMBER: Mapping[str, TestCard] = MappingProxyType({c.number: c for c in TEST_CARDS})
_OUTCOMES: frozenset[str] = frozenset(c.outcome for c in TEST_CARDS)


def test_cards(
    *, brand: str | None = None, outcome: str | None = None, country: str | None = None
) -> tuple[TestCard, ...]:
    """Test cards matching every given filter, in :data:`TEST_CARDS` order.

    ``brand`` is a :data:`BRANDS` key (matching ``TestCard.brand`` or ``co_brand``),
    ``outcome`` one of the outcomes used in :data:`TEST_CARDS`, ``country`` an ISO code (case
    ignored). An unknown ``brand`` or ``outcome`` raises :class:`ValueError`, so a typo does not
    silently select nothing.
    """
    if brand is not None and brand not in BRANDS:
        raise ValueError(f"unknown brand key {brand!r}; expected one of {sorted(BRANDS)}")
    if outcome is not None and outcome not in _OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {sorted(_OUTCOMES)}")
    wanted_country = country.upper() if country is not None else None
    return tuple(
        card
        for card in TEST_CARDS
        if (brand is None or brand in (card.brand, card.co_brand))
        and (outcome is None or card.outcome == outcome)
        and (wanted_country is None or card.country == wanted_country)
    )


# Stop pytest from collecting this function when a test module imports it by name.
test_cards.__test__ = False  # type: ignore[attr-defined]


def find_test_card(number: str) -> TestCard | None:
    """The documented test card with exactly this number, or ``None``."""
    return _CARDS_BY_NUMBER.get(number) if isinstance(number, str) else None


def is_test_card(number: str) -> bool:
    """True iff ``number`` is one of :data:`TEST_CARDS` (the Luhn-failing number is not)."""
    return find_test_card(number) is not None


# --------------------------------------------------------------------------------------------
# Test bank accounts [DOC: Payouts] [DOC: Testing Stripe Connect] [DOC: SEPA Direct Debit]
# --------------------------------------------------------------------------------------------

TEST_ROUTING_NUMBER = "110000000"
TEST_BANK_NAME = "STRIPE TEST BANK"


@dataclass(frozen=True, slots=True)
class TestBankAccount:
    """One documented test bank account.

    ``effect`` is ``"success"`` or what happens later (payout, SEPA debit, verification);
    all of them tokenize successfully [INF]. ``effect`` is ``"not_established"`` for the
    third-party IBANs. ``routing_number`` is ``None`` when ``account_number`` is an IBAN.
    """

    __test__: ClassVar[bool] = False

    country: str
    currency: str
    account_number: str
    routing_number: str | None
    effect: str
    last4: str
    bank_name: str | None
    basis: str


_DOC_PAYOUTS = "[DOC: Payouts] [DOC: Testing Stripe Connect]"
_DOC_SEPA = "[DOC: SEPA Direct Debit test IBANs]"


def _us_account(number: str, effect: str) -> TestBankAccount:
    return TestBankAccount(
        country="US",
        currency="usd",
        account_number=number,
        routing_number=TEST_ROUTING_NUMBER,
        effect=effect,
        last4=number[-4:],
        bank_name=TEST_BANK_NAME,
        basis=_DOC_PAYOUTS,
    )


def _iban_account(iban: str, currency: str, effect: str, basis: str) -> TestBankAccount:
    # last4 of an IBAN account = its last four characters [INF]; bank_name not established.
    return TestBankAccount(
        country=iban[:2],
        currency=currency,
        account_number=iban,
        routing_number=None,
        effect=effect,
        last4=iban[-4:],
        bank_name=None,
        basis=basis,
    )


TEST_BANK_ACCOUNTS: tuple[TestBankAccount, ...] = (
    _us_account("000123456789", OUTCOME_SUCCESS),
    _us_account("000111111116", "payout_failed:no_account"),
    _us_account("000111111113", "payout_failed:account_closed"),
    _us_account("000222222227", "payout_failed:insufficient_funds"),
    _us_account("000333333335", "payout_failed:debit_not_authorized"),
    _us_account("000444444440", "payout_failed:invalid_currency"),
    _us_account("000888888883", "instant_payouts_unsupported"),
    _us_account("000999999991", "ownership_verification:completed"),
    _us_account("000999999992", "ownership_verification:documents_required"),
    # SEPA Direct Debit outcomes: they describe debiting the account, not tokenizing it.
    _iban_account("DE89370400440532013000", "eur", OUTCOME_SUCCESS, _DOC_SEPA),
    _iban_account("DE62370400440532013001", "eur", "sepa_debit:failed", _DOC_SEPA),
    _iban_account("DE08370400440532013003", "eur", "sepa_debit:delayed_success", _DOC_SEPA),
    _iban_account("DE78370400440532013004", "eur", "sepa_debit:delayed_failure", _DOC_SEPA),
    _iban_account("DE35370400440532013002", "eur", "sepa_debit:disputed", _DOC_SEPA),
    # IBANs seen in public integrations [3P]; the payout outcome per IBAN is not established.
    _iban_account("FR1420041010050500013M02606", "eur", "not_established", "[3P]"),
    _iban_account("GB82WEST12345698765432", "gbp", "not_established", "[3P]"),
    _iban_account("AT611904300234573201", "eur", "not_established", "[3P]"),
    _iban_account("CH9300762011623852957", "chf", "not_established", "[3P]"),
)

# Ready-made bank tokens [DOC: Testing Stripe Connect]; the doc abbreviates the last four as
# "…_accountClosed" etc. after "btok_us_verified_noAccount", expanded here.
TEST_BANK_TOKENS: tuple[str, ...] = (
    "btok_us_verified",
    "btok_us_verified_noAccount",
    "btok_us_verified_accountClosed",
    "btok_us_verified_insufficientFunds",
    "btok_us_verified_debitNotAuthorized",
    "btok_us_verified_invalidCurrency",
)


def bank_accounts(*, country: str | None = None) -> tuple[TestBankAccount, ...]:
    """Test bank accounts, optionally only those of ``country`` (ISO code, case ignored)."""
    if country is None:
        return TEST_BANK_ACCOUNTS
    wanted = country.upper()
    return tuple(a for a in TEST_BANK_ACCOUNTS if a.country == wanted)


# Countries whose bank_account[account_number] is an IBAN (no routing number): EU-27, the
# other EEA states (IS, LI, NO), GB and CH. Written out rather than taken from stdnum: stdnum
# knows ~90 IBAN countries (BR, SA, TR, …) where Stripe uses local account formats, and
# reading stdnum's table would cost the import time this module avoids. Every entry is in
# stdnum's IBAN registry (checked by the tests).
IBAN_COUNTRIES: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
        "IS", "LI", "NO",
        "GB", "CH",
    }
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Identity test values [DOC: Testing Stripe Connect]. Accepted verbatim in
# account/person/pii tokens; their effects appear only when applied to an Account/Person [INF].
# --------------------------------------------------------------------------------------------

TEST_DOBS: tuple[tuple[int, int, int], ...] = (
    (1901, 1, 1),  # date-of-birth match
    (1902, 1, 1),  # immediate match (result in the response, not a webhook)
    (1900, 1, 1),  # OFAC alert
)
TEST_ID_NUMBERS: tuple[str, ...] = (
    "000000000",  # match
    "111111111",  # mismatch -> currently_due
    "222222222",  # immediate match
)
TEST_SSN_LAST_4: tuple[str, ...] = ("0000",)  # matches
TEST_TAX_IDS: tuple[str, ...] = (
    "000000000",  # match
    "000000001",  # match as non-profit
    "111111111",  # mismatch
    "111111112",  # not issued
    "222222222",  # immediate match
    # registry outcomes: the docs' range 222221000…222221005
    *(f"22222100{i}" for i in range(6)),
)
TEST_PHONE = "0000000000"  # phone validation passes
TEST_ADDRESS_LINE1: tuple[str, ...] = (
    "address_full_match",
    "address_no_match",
    "address_line1_no_match",
)
TEST_IDENTITY_FILES: tuple[str, ...] = (
    "file_identity_document_success",
    "file_identity_document_failure",
)
TEST_FIRST_NAMES: tuple[str, ...] = (  # director/owner registry checks
    "mismatch_director",
    "missing_director",
    "extraneous_director",
    "mismatch_owner",
    "extraneous_owner",
)
TEST_COMPANY_NAMES: tuple[str, ...] = (  # company[name] checks
    "mismatch_business_name",
    "disallowed_name",
    "match_name_relationships",
    "match_name_only",
)

_SAFE_ID_NUMBERS: frozenset[str] = frozenset(TEST_ID_NUMBERS + TEST_TAX_IDS + TEST_SSN_LAST_4)


def is_safe_id_number(value: str) -> bool:
    """True iff ``value`` is one of Stripe's identity test values.

    Covers ``id_number``, ``company[tax_id]`` and ``ssn_last_4`` values, so generators can
    check they never send something that could be a real person's or company's identifier.
    """
    return isinstance(value, str) and value in _SAFE_ID_NUMBERS


_PUBLIC_TEST_VALUES: frozenset[str] = frozenset(
    {
        *(c.number for c in TEST_CARDS),
        LUHN_FAILING_TEST_NUMBER,
        *(a.account_number for a in TEST_BANK_ACCOUNTS),
        TEST_ROUTING_NUMBER,
        *TEST_ID_NUMBERS,
        *TEST_SSN_LAST_4,
        *TEST_TAX_IDS,
        TEST_PHONE,
    }
)


def is_public_test_value(value: object) -> bool:
    """True iff ``value`` is one of Stripe's published test values.

    Test card numbers (including the documented Luhn-failing 4242424242424241), test bank
    account numbers and IBANs, the test routing number 110000000, the identity test numbers,
    ``ssn_last_4`` 0000, the tax ID test values and the test phone number. Such values
    reproduce a finding and may be shown in full; anything else in a sensitive field is masked.
    """
    return isinstance(value, str) and value in _PUBLIC_TEST_VALUES
