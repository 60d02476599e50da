"""Domain entries of the violation catalogue: card numbers, expiry and CVC, bank routing and
account numbers, identity, key rules. Each entry's expected error is built by the same
``_rules`` function the oracle uses, and its name comes from :mod:`._names`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from . import _names as N
from . import _rules as R
from ._catalogue_base import (
    IBAN_BANK,
    US_BANK,
    Mutator,
    Payload,
    Violation,
    chain,
    deleter,
    node,
    replace_bank,
    sample_params,
    setter,
)
from ._errors import ExpectedError
from ._names import Rule, split_violation_name, violation_name
from ._params import param_tree
from ._protocol_errors import live_mode_test_card, live_secret_key_forbidden
from .domain import LUHN_FAILING_TEST_NUMBER, cvc_lengths_for, detect_brand

__all__ = ["UNKNOWN_KEY", "domain_violations"]

UNKNOWN_KEY = "contracttk_unknown"


def _card_number(fn: Callable[[str], str]) -> Mutator:
    def mutate(payload: Payload, today: date) -> None:
        card = node(payload, ("card",))
        card["number"] = fn(str(card.get("number") or "4242424242424242"))

    return mutate


def _flip_check_digit(number: str) -> str:
    if not number.isdigit() or len(number) < 12:
        return LUHN_FAILING_TEST_NUMBER
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def _exp_year_from_today(years: int) -> Mutator:
    # Relative to ``today``, not a fixed year: fixture dumps pin "today" (--as-of), and a
    # fixed 2019 is not in the past for a dump made as of 2018.
    def mutate(payload: Payload, today: date) -> None:
        node(payload, ("card",))["exp_year"] = str(today.year + years)

    return mutate


def _cvc_for_other_brand(payload: Payload, today: date) -> None:
    card = node(payload, ("card",))
    number = str(card.get("number") or "")
    if detect_brand(number) is None:
        card["number"] = number = "4242424242424242"
    card["cvc"] = "1234" if 4 not in cvc_lengths_for(number) else "123"


def _two_kinds(payload: Payload, today: date) -> None:
    other = "cvc_update" if "pii" in payload else "pii"
    payload.update(sample_params(other, today=today))


def _tos_partial(missing: str) -> Mutator:
    present = {"date": 1700000000, "ip": "127.0.0.1", "user_agent": "Mozilla/5.0"}
    present.pop(missing)
    return setter(("person", "additional_tos_acceptances", "account"), present)


def domain_violations() -> list[Violation]:
    """Every domain entry, request-level ones first."""

    def e(
        name: str,
        kind: str | None,
        desc: str,
        expected: ExpectedError,
        mutate: Mutator,
        requires: str | None = None,
    ) -> Violation:
        path, rule = split_violation_name(name)
        return Violation(name, kind, rule, path, desc, expected, requires, mutate)

    person = param_tree("person")
    individual = param_tree("account").child("individual")
    assert individual is not None
    email_a, email_p = individual.child("email"), person.child("email")
    tos = person.child("additional_tos_acceptances")
    tos_acc = tos.child("account") if tos else None
    assert email_a and email_p and tos_acc
    date_p, ip_p = tos_acc.child("date"), tos_acc.child("ip")
    assert date_p and ip_p
    return [
        e(
            N.REQUEST_NO_KIND,
            None,
            "none of the six token hashes",
            R.rule_no_kind(),
            lambda p, t: p.clear(),
        ),
        e(
            N.REQUEST_TWO_KINDS,
            None,
            "two token hashes in one request",
            R.rule_two_kinds(),
            _two_kinds,
        ),
        e(
            N.REQUEST_UNKNOWN_PARAM,
            None,
            "an unknown top-level parameter",
            R.rule_unknown((), UNKNOWN_KEY),
            setter((UNKNOWN_KEY,), "x"),
        ),
        # card
        e(
            N.CARD_NUMBER_LUHN,
            "card",
            "card number fails the Luhn check",
            R.rule_card_luhn(),
            _card_number(_flip_check_digit),
        ),
        e(
            N.CARD_NUMBER_WRONG_LENGTH,
            "card",
            "card number of 8 digits",
            R.rule_card_invalid_number(),
            _card_number(lambda n: (n if n.isdigit() else "4242424242424242")[:8]),
        ),
        e(
            N.CARD_NUMBER_NOT_DIGITS,
            "card",
            "card number with letters",
            R.rule_card_invalid_number(),
            _card_number(lambda n: "4242abcd4242abcd"),
        ),
        e(
            N.CARD_EXP_MONTH_OUT_OF_RANGE,
            "card",
            "expiry month 13",
            R.rule_card_expiry_month(strong=True),
            setter(("card", "exp_month"), "13"),
        ),
        e(
            N.CARD_EXP_MONTH_NOT_A_NUMBER,
            "card",
            "expiry month 'ab'",
            R.rule_card_expiry_month(strong=False),
            setter(("card", "exp_month"), "ab"),
        ),
        e(
            N.CARD_EXP_YEAR_PAST,
            "card",
            "expiry year last year (in the past)",
            R.rule_card_expiry_year(strong=True),
            _exp_year_from_today(-1),
        ),
        e(
            N.CARD_EXP_YEAR_FAR_FUTURE,
            "card",
            "expiry year 100 years ahead (more than 60)",
            R.rule_card_expiry_year(strong=True),
            _exp_year_from_today(100),
        ),
        e(
            N.CARD_EXP_YEAR_NOT_A_NUMBER,
            "card",
            "expiry year 'yyyy'",
            R.rule_card_expiry_year(strong=False),
            setter(("card", "exp_year"), "yyyy"),
        ),
        e(
            N.CARD_EXP_YEAR_BAD_LENGTH,
            "card",
            "three-digit expiry year",
            R.rule_card_expiry_year(strong=False),
            setter(("card", "exp_year"), "203"),
        ),
        e(
            N.CARD_CVC_BAD_SHAPE,
            "card",
            "two-digit CVC '99'",
            R.rule_card_cvc(strong=True),
            setter(("card", "cvc"), "99"),
        ),
        e(
            N.CARD_CVC_BRAND_LENGTH,
            "card",
            "CVC length of another brand (4 digits on Visa, 3 on Amex)",
            R.rule_card_cvc(strong=False),
            _cvc_for_other_brand,
        ),
        e(
            N.CARD_LIVE_MODE_TEST_CARD,
            "card",
            "a Stripe test card sent with a live-mode key",
            live_mode_test_card(),
            chain(),
            requires="live_key",
        ),
        # bank_account
        e(
            N.BANK_ROUTING_WRONG_LENGTH,
            "bank_account",
            "US routing number of 8 digits",
            R.rule_routing_length(),
            chain(replace_bank(US_BANK), setter(("bank_account", "routing_number"), "11000000")),
        ),
        e(
            N.BANK_ROUTING_BAD_CHECKSUM,
            "bank_account",
            "US routing number failing the ABA checksum",
            R.rule_routing_checksum(),
            chain(replace_bank(US_BANK), setter(("bank_account", "routing_number"), "110000001")),
        ),
        e(
            N.BANK_ROUTING_MISSING_FOR_US,
            "bank_account",
            "US account without a routing number",
            R.rule_routing_missing_us(),
            chain(replace_bank(US_BANK), deleter(("bank_account", "routing_number"))),
        ),
        e(
            N.BANK_ROUTING_EMPTY_WITH_IBAN,
            "bank_account",
            "IBAN account with an empty routing number",
            R.rule_empty_routing_with_iban(),
            chain(replace_bank(IBAN_BANK), setter(("bank_account", "routing_number"), "")),
        ),
        e(
            N.BANK_ACCOUNT_NUMBER_INVALID_US,
            "bank_account",
            "US account number with letters",
            R.rule_account_number_invalid("Invalid account number"),
            chain(replace_bank(US_BANK), setter(("bank_account", "account_number"), "12ab")),
        ),
        e(
            N.BANK_ACCOUNT_NUMBER_BAD_IBAN,
            "bank_account",
            "IBAN failing the mod-97 check",
            R.rule_account_number_invalid("Invalid IBAN"),
            chain(
                replace_bank(IBAN_BANK),
                setter(("bank_account", "account_number"), "DE89370400440532013001"),
            ),
        ),
        e(
            N.BANK_PAYMENT_METHOD_EXCLUSIVE,
            "bank_account",
            "payment_method beside other bank keys",
            R.rule_payment_method_exclusive(),
            setter(("bank_account", "payment_method"), "pm_contracttk"),
        ),
        # identity
        e(
            violation_name(email_a.path, Rule.INVALID),
            "account",
            "malformed e-mail address",
            R.rule_email_invalid(email_a),
            setter(email_a.keys, "not-an-email"),
        ),
        e(
            violation_name(email_p.path, Rule.INVALID),
            "person",
            "malformed e-mail address",
            R.rule_email_invalid(email_p),
            setter(email_p.keys, "not-an-email"),
        ),
        e(
            violation_name(date_p.path, Rule.MISSING),
            "person",
            "ToS acceptance without its date",
            R.rule_tos_acceptance_missing(date_p),
            _tos_partial("date"),
        ),
        e(
            violation_name(ip_p.path, Rule.MISSING),
            "person",
            "ToS acceptance without its IP",
            R.rule_tos_acceptance_missing(ip_p),
            _tos_partial("ip"),
        ),
        e(
            violation_name("account", Rule.LIVE_SECRET_KEY),
            "account",
            "account token created with a live secret key",
            live_secret_key_forbidden("account"),
            chain(),
            requires="live_secret_key",
        ),
        e(
            violation_name("person", Rule.LIVE_SECRET_KEY),
            "person",
            "person token created with a live secret key",
            live_secret_key_forbidden("person"),
            chain(),
            requires="live_secret_key",
        ),
        e(
            N.CVC_UPDATE_CVC_BAD_SHAPE,
            "cvc_update",
            "two-digit CVC",
            R.rule_cvc_update_cvc(),
            setter(("cvc_update", "cvc"), "12"),
        ),
    ]
