"""The oracle's kind-specific rules (card numbers and dates, bank details, identity, CVC
updates), run only on payloads whose structure is already sound. Each rule's error comes from
:mod:`._rules`, its name from :mod:`._names`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from . import _names as N
from . import _rules as R
from ._errors import ExpectedError
from ._kinds import ApiKey
from ._names import Rule, violation_name
from ._params import param_tree
from ._protocol_errors import live_mode_test_card
from ._wire import is_digits, normalise_exp_year, wire
from .domain import (
    IBAN_COUNTRIES,
    MAX_EXPIRY_YEARS_AHEAD,
    MAX_EXPIRY_YEARS_AHEAD_CERTAIN,
    aba_routing_valid,
    detect_brand,
    iban_valid,
    is_test_card,
    luhn_valid,
)

__all__ = ["bank_rules", "card_rules", "cvc_update_rules", "identity_rules"]

Add = Callable[[str, ExpectedError], None]


def card_rules(card: Mapping[str, Any], add: Add, key: ApiKey | None, today: date) -> None:
    """Number, expiry and CVC of a card [DOC: Testing]; test cards in live mode."""
    number = wire(card["number"]) if "number" in card else None
    number_ok = False
    if number is not None:
        if not is_digits(number):
            add(N.CARD_NUMBER_NOT_DIGITS, R.rule_card_invalid_number())
        elif not 12 <= len(number) <= 19:
            add(N.CARD_NUMBER_WRONG_LENGTH, R.rule_card_invalid_number())
        elif not luhn_valid(number):
            add(N.CARD_NUMBER_LUHN, R.rule_card_luhn())
        else:
            number_ok = True
    month: int | None = None
    if "exp_month" in card:
        raw = wire(card["exp_month"])
        if not is_digits(raw) or len(raw) > 2:
            add(N.CARD_EXP_MONTH_NOT_A_NUMBER, R.rule_card_expiry_month(strong=False))
        elif not 1 <= int(raw) <= 12:
            add(N.CARD_EXP_MONTH_OUT_OF_RANGE, R.rule_card_expiry_month(strong=True))
        else:
            month = int(raw)
    if "exp_year" in card:
        raw = wire(card["exp_year"])
        year = normalise_exp_year(raw, today)
        if not is_digits(raw):
            add(N.CARD_EXP_YEAR_NOT_A_NUMBER, R.rule_card_expiry_year(strong=False))
        elif year is None:
            add(N.CARD_EXP_YEAR_BAD_LENGTH, R.rule_card_expiry_year(strong=False))
        elif year < today.year:
            add(N.CARD_EXP_YEAR_PAST, R.rule_card_expiry_year(strong=True))
        elif year > today.year + MAX_EXPIRY_YEARS_AHEAD_CERTAIN:
            add(N.CARD_EXP_YEAR_FAR_FUTURE, R.rule_card_expiry_year(strong=True))
        elif year > today.year + MAX_EXPIRY_YEARS_AHEAD:
            add(N.CARD_EXP_YEAR_FAR_FUTURE_APPROX, R.rule_expiry_not_asserted("exp_year"))
        elif year == today.year and month is not None and month < today.month:
            add(N.CARD_EXP_MONTH_PAST_IN_CURRENT_YEAR, R.rule_card_expired_this_year())
    if "cvc" in card:
        cvc = wire(card["cvc"])
        if not is_digits(cvc) or len(cvc) not in (3, 4):
            add(N.CARD_CVC_BAD_SHAPE, R.rule_card_cvc(strong=True))
        elif (
            number_ok
            and (brand := detect_brand(number or "")) is not None
            and len(cvc) not in brand.cvc_lengths
        ):
            add(N.CARD_CVC_BRAND_LENGTH, R.rule_card_cvc(strong=False))
    if key is not None and key.livemode and number_ok and is_test_card(number or ""):
        add(N.CARD_LIVE_MODE_TEST_CARD, live_mode_test_card())


def bank_rules(bank: Mapping[str, Any], add: Add) -> None:
    """``payment_method`` exclusivity, US routing and account numbers, IBANs."""
    if "payment_method" in bank:
        if len(bank) > 1:
            add(N.BANK_PAYMENT_METHOD_EXCLUSIVE, R.rule_payment_method_exclusive())
        return
    country = wire(bank.get("country"))
    account = wire(bank.get("account_number"))
    if country == "US":
        if "routing_number" not in bank:
            add(N.BANK_ROUTING_MISSING_FOR_US, R.rule_routing_missing_us())
        else:
            routing = wire(bank["routing_number"])
            if not (is_digits(routing) and len(routing) == 9):
                add(N.BANK_ROUTING_WRONG_LENGTH, R.rule_routing_length())
            elif not aba_routing_valid(routing):
                add(N.BANK_ROUTING_BAD_CHECKSUM, R.rule_routing_checksum())
        if "account_number" in bank and not (is_digits(account) and 4 <= len(account) <= 17):
            add(
                N.BANK_ACCOUNT_NUMBER_INVALID_US,
                R.rule_account_number_invalid("Invalid account number"),
            )
    elif country in IBAN_COUNTRIES and "account_number" in bank:
        if not iban_valid(account) or not account.startswith(country):
            add(N.BANK_ACCOUNT_NUMBER_BAD_IBAN, R.rule_account_number_invalid("Invalid IBAN"))


def identity_rules(kind: str, root: Mapping[str, Any], add: Add) -> None:
    """E-mail shape; person ToS acceptances that lack their date or IP."""
    holder = root.get("individual") if kind == "account" else root
    if isinstance(holder, Mapping) and "email" in holder:
        email = wire(holder["email"])
        if not R.EMAIL_RE.fullmatch(email):
            node = param_tree(kind).child("individual") if kind == "account" else param_tree(kind)
            email_param = node.child("email") if node else None
            assert email_param is not None
            add(violation_name(email_param.path, Rule.INVALID), R.rule_email_invalid(email_param))
    if kind == "person":
        acc = root.get("additional_tos_acceptances")
        acc = acc.get("account") if isinstance(acc, Mapping) else None
        if isinstance(acc, Mapping) and acc:
            node = param_tree("person").child("additional_tos_acceptances")
            node = node.child("account") if node else None
            assert node is not None
            for name in ("date", "ip"):
                if name not in acc:
                    child = node.child(name)
                    assert child is not None
                    add(
                        violation_name(child.path, Rule.MISSING),
                        R.rule_tos_acceptance_missing(child),
                    )


def cvc_update_rules(root: Mapping[str, Any], add: Add) -> None:
    """``cvc_update[cvc]`` of 3-4 digits."""
    if "cvc" in root:
        cvc = wire(root["cvc"])
        if not is_digits(cvc) or len(cvc) not in (3, 4):
            add(N.CVC_UPDATE_CVC_BAD_SHAPE, R.rule_cvc_update_cvc())
