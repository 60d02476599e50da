"""Violation names, built in one place for the oracle and the catalogue.

A violation is named ``<param path>:<rule>`` (``card[number]:luhn``) or ``request:<rule>`` for
request-level rules. The oracle reports findings under these names and the catalogue labels
its payloads with them; both take the names from here, so the two cannot drift apart.
"""

from __future__ import annotations

__all__ = ["REQUEST", "Rule", "split_violation_name", "violation_name"]

REQUEST = "request"


class Rule:
    """Rule ids of the generic (parameter-tree derived) entries."""

    MISSING = "missing"
    EMPTY = "empty"
    EMPTY_ITEM = "empty_item"
    UNKNOWN_PARAM = "unknown_param"
    SCALAR_FOR_HASH = "scalar_for_hash"
    SCALAR_FOR_ARRAY = "scalar_for_array"
    HASH_FOR_SCALAR = "hash_for_scalar"
    WRONG_TYPE = "wrong_type"
    TOO_LONG = "too_long"
    NOT_IN_ENUM = "not_in_enum"
    TOO_MANY_KEYS = "too_many_keys"
    KEY_TOO_LONG = "key_too_long"
    VALUE_TOO_LONG = "value_too_long"
    INVALID = "invalid"
    LIVE_SECRET_KEY = "live_secret_key"


def violation_name(path: str | None, rule: str) -> str:
    """``card[number]`` + ``luhn`` -> ``card[number]:luhn``; no path -> ``request:<rule>``."""
    return f"{path or REQUEST}:{rule}"


def split_violation_name(name: str) -> tuple[str | None, str]:
    """``card[number]:luhn`` -> ``("card[number]", "luhn")``; ``request:x`` -> ``(None, "x")``."""
    path, _, rule = name.rpartition(":")
    return (None if path == REQUEST else path), rule


# --- request level -------------------------------------------------------------------------------
REQUEST_NOT_A_HASH = violation_name(None, "not_a_hash")
REQUEST_NO_KIND = violation_name(None, "no_kind")
REQUEST_TWO_KINDS = violation_name(None, "two_kinds")
REQUEST_UNKNOWN_PARAM = violation_name(None, Rule.UNKNOWN_PARAM)
REQUEST_CUSTOMER = violation_name(None, "customer")

# --- card ----------------------------------------------------------------------------------------
CARD_NUMBER_NOT_DIGITS = violation_name("card[number]", "not_digits")
CARD_NUMBER_WRONG_LENGTH = violation_name("card[number]", "wrong_length")
CARD_NUMBER_LUHN = violation_name("card[number]", "luhn")
CARD_EXP_MONTH_NOT_A_NUMBER = violation_name("card[exp_month]", "not_a_number")
CARD_EXP_MONTH_OUT_OF_RANGE = violation_name("card[exp_month]", "out_of_range")
CARD_EXP_MONTH_PAST_IN_CURRENT_YEAR = violation_name("card[exp_month]", "past_in_current_year")
CARD_EXP_YEAR_NOT_A_NUMBER = violation_name("card[exp_year]", "not_a_number")
CARD_EXP_YEAR_BAD_LENGTH = violation_name("card[exp_year]", "bad_length")
CARD_EXP_YEAR_PAST = violation_name("card[exp_year]", "past")
CARD_EXP_YEAR_FAR_FUTURE = violation_name("card[exp_year]", "far_future")
CARD_EXP_YEAR_FAR_FUTURE_APPROX = violation_name("card[exp_year]", "far_future_approx")
CARD_CVC_BAD_SHAPE = violation_name("card[cvc]", "bad_shape")
CARD_CVC_BRAND_LENGTH = violation_name("card[cvc]", "brand_length")
CARD_LIVE_MODE_TEST_CARD = violation_name("card", "live_mode_test_card")

# --- bank_account --------------------------------------------------------------------------------
BANK_PAYMENT_METHOD_EXCLUSIVE = violation_name("bank_account[payment_method]", "exclusive")
BANK_ROUTING_MISSING_FOR_US = violation_name("bank_account[routing_number]", "missing_for_us")
BANK_ROUTING_WRONG_LENGTH = violation_name("bank_account[routing_number]", "wrong_length")
BANK_ROUTING_BAD_CHECKSUM = violation_name("bank_account[routing_number]", "bad_checksum")
BANK_ROUTING_EMPTY_WITH_IBAN = violation_name("bank_account[routing_number]", "empty_with_iban")
BANK_ACCOUNT_NUMBER_INVALID_US = violation_name("bank_account[account_number]", "invalid_us")
BANK_ACCOUNT_NUMBER_BAD_IBAN = violation_name("bank_account[account_number]", "bad_iban")

# --- cvc_update ----------------------------------------------------------------------------------
CVC_UPDATE_CVC_BAD_SHAPE = violation_name("cvc_update[cvc]", "bad_shape")
