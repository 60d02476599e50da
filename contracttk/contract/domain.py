"""Domain knowledge of the contract model: card brands, test values, checksums.

The one name everything imports. Brands live in :mod:`._brands`, Stripe's published test
values in :mod:`._test_values` (both re-exported here); this module holds the checksums and
the expiry limits. Each value keeps its source tag next to it (the tags are defined in
:mod:`contracttk.contract._sources`), so generators, fixture dumps, checks and the reference
server read one copy. This module sits in the bottom layer: it imports only the standard
library and (lazily) ``stdnum``.

Why ``stdnum`` is imported inside functions: importing any ``stdnum`` module pulls in
``stdnum.util`` (and with it ``pydoc``), about 25-40 ms, and ``stdnum.iban`` also reads its
country table at import time. The pytest plugin and the CLI import the contract model on every
run, so that cost is paid only when a checksum is actually computed.
"""

from __future__ import annotations

import re

__all__ = [
    "BRANDS",
    "IBAN_COUNTRIES",
    "LUHN_FAILING_TEST_NUMBER",
    "MAX_EXPIRY_YEARS_AHEAD",
    "MAX_EXPIRY_YEARS_AHEAD_CERTAIN",
    "MAX_EXPIRY_YEARS_BACK",
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
    "UNKNOWN_BRAND",
    "BrandSpec",
    "TestBankAccount",
    "TestCard",
    "aba_routing_valid",
    "bank_accounts",
    "brand_display",
    "cvc_lengths_for",
    "detect_brand",
    "find_test_card",
    "iban_valid",
    "is_public_test_value",
    "is_safe_id_number",
    "is_test_card",
    "luhn_check_digit",
    "luhn_valid",
    "test_cards",
]

from ._brands import (
    BRANDS,
    UNKNOWN_BRAND,
    BrandSpec,
    _is_ascii_digits,
    brand_display,
    cvc_lengths_for,
    detect_brand,
)
from ._test_values import (
    IBAN_COUNTRIES,
    LUHN_FAILING_TEST_NUMBER,
    OUTCOME_SUCCESS,
    TEST_ADDRESS_LINE1,
    TEST_BANK_ACCOUNTS,
    TEST_BANK_NAME,
    TEST_BANK_TOKENS,
    TEST_CARDS,
    TEST_COMPANY_NAMES,
    TEST_DOBS,
    TEST_FIRST_NAMES,
    TEST_ID_NUMBERS,
    TEST_IDENTITY_FILES,
    TEST_PHONE,
    TEST_ROUTING_NUMBER,
    TEST_SSN_LAST_4,
    TEST_TAX_IDS,
    TestBankAccount,
    TestCard,
    bank_accounts,
    find_test_card,
    is_public_test_value,
    is_safe_id_number,
    is_test_card,
    test_cards,
)

# --------------------------------------------------------------------------------------------
# Checksums (delegated to python-stdnum)
# --------------------------------------------------------------------------------------------


def luhn_valid(number: str) -> bool:
    """True iff ``number`` is a non-empty ASCII digit string passing the Luhn check."""
    if not _is_ascii_digits(number):
        return False
    from stdnum import luhn

    return luhn.is_valid(number)


def luhn_check_digit(partial: str) -> str:
    """The digit that, appended to ``partial``, makes it Luhn-valid.

    Generators use it to build valid numbers, and any other final digit to build a
    deliberately Luhn-invalid one. Raises :class:`ValueError` unless ``partial`` is ASCII
    digits (the empty string is allowed: its check digit is ``"0"``).
    """
    if partial != "" and not _is_ascii_digits(partial):
        raise ValueError(f"luhn_check_digit needs ASCII digits, got {partial!r}")
    from stdnum import luhn

    return luhn.calc_check_digit(partial)


def aba_routing_valid(routing: str) -> bool:
    """True iff ``routing`` is exactly nine ASCII digits with a valid ABA checksum."""
    # Checked here because stdnum's compact() would strip spaces/dashes and accept them.
    if not _is_ascii_digits(routing) or len(routing) != 9:
        return False
    from stdnum.us import rtn

    return rtn.is_valid(routing)


_IBAN_ELECTRONIC = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")


def iban_valid(iban: str, *, allow_print_form: bool = False) -> bool:
    """True iff ``iban`` passes ISO 13616 mod-97 and its country's BBAN structure.

    By default only the electronic form (upper case, no separators) is accepted, because that
    is what our generators send; whether Stripe normalises spaces or lower case is not
    established. ``allow_print_form=True`` first strips spaces and upper-cases, as stdnum does.
    """
    if not isinstance(iban, str):
        return False
    if allow_print_form:
        iban = iban.replace(" ", "").upper()
    if not _IBAN_ELECTRONIC.fullmatch(iban):
        return False
    from stdnum import iban as stdnum_iban

    return stdnum_iban.is_valid(iban)


# --------------------------------------------------------------------------------------------
# Expiry rules [DOC: Testing] [ISSUE: stripe/stripe-ios#552]
# --------------------------------------------------------------------------------------------

# Source strength: the docs give "up to 50 years back" (e.g. `95`) as an invalid_expiry_year
# trigger [DOC: Testing]; the *ahead* limit is only "implausibly far ahead (≈ >50 years)" from
# issue threads [ISSUE: stripe/stripe-ios#552 (Stripe staff), stripe/stripe-android#1895], so
# treat years between now+~45 and now+~55 as uncertain: generators should stay well inside or
# well outside, and checks on that boundary should be warnings.
MAX_EXPIRY_YEARS_AHEAD = 50
"""The approximate cut-off ahead: a two-digit year is read at most this far ahead, and
beyond it (up to :data:`MAX_EXPIRY_YEARS_AHEAD_CERTAIN`) the oracle asserts nothing."""
MAX_EXPIRY_YEARS_AHEAD_CERTAIN = 60
"""Beyond this many years ahead an expiry year is certainly invalid (hard rule)."""
MAX_EXPIRY_YEARS_BACK = 50
"""A two-digit year is read at most this far back ("up to 50 years back")."""
