"""The rules of the contract: for each kind of bad input, the error Stripe gives.

Each ``rule_*`` function takes the parameter (and what it needs to phrase the error)
and returns the :class:`ExpectedError`. The oracle (:mod:`._oracle`) calls them when it
finds a violation in a payload; the violation catalogue (:mod:`._violations`) calls the
same functions to label the payloads it builds. One function per rule, used by both.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ._errors import (
    ExpectedError,
    Strength,
    card_error,
    coded_invalid,
    invalid_value,
    parameter_invalid_empty,
    parameter_invalid_integer,
    parameter_missing,
    parameter_unknown,
)
from ._params import Param, bracket_path

_TYPE_WORD = {"integer": "integer", "number": "decimal", "boolean": "boolean", "string": "string"}

# Required keys whose absence is documented with the exact error shape [DOC changelog]
# [ISSUE]; other required markers come from the SDK and their error shape is by analogy.
_STRONG_MISSING = frozenset(
    {
        ("card", "number"),
        ("card", "exp_month"),
        ("card", "exp_year"),
        ("bank_account", "account_number"),
        ("bank_account", "country"),
    }
)


def rule_missing(param: Param) -> ExpectedError:
    """A required key is absent."""
    return parameter_missing(param.path, strong=param.keys in _STRONG_MISSING)


def rule_unknown(parent_keys: tuple[str, ...], key: str) -> ExpectedError:
    """A key the parameter tree does not know, at any nesting level."""
    if not parent_keys:
        return parameter_unknown(key, top_level=True)
    return parameter_unknown(bracket_path((*parent_keys, key)), top_level=False)


def rule_empty(param: Param) -> ExpectedError:
    """An empty string where the field cannot be unset."""
    return parameter_invalid_empty(param.path)


def rule_empty_item(param: Param, index: str) -> ExpectedError:
    """An empty string as an array item (``expand[8]=``): it cannot unset anything, so it is
    rejected like any empty string [SDK] [ISSUE: stripe/stripe-dotnet#1828]; the ``param``
    Stripe names for an item (``expand[8]`` or ``expand``) is not established."""
    e = parameter_invalid_empty(bracket_path((*param.keys, index)))
    return e.with_strength(hard="status type code", warn="param")


def rule_empty_routing_with_iban() -> ExpectedError:
    """Empty routing number beside an IBAN. Stripe's answer differs by era, and both pass:

    * 2022: the generic ``parameter_invalid_empty`` on ``bank_account[routing_number]``
      (the message quoted in [ISSUE: stripe/stripe-react-native#807], a DE IBAN);
    * 2016: "Invalid bic" with ``param`` ``bank_account`` [ISSUE: stripe/stripe-go#247].
    """
    current = replace(
        parameter_invalid_empty("bank_account[routing_number]"),
        basis="[ISSUE: stripe/stripe-react-native#807] (2022)",
    )
    legacy = ExpectedError(
        400,
        "invalid_request_error",
        None,
        "bank_account",
        "Invalid bic",
        basis="[ISSUE: stripe/stripe-go#247] (2016)",
    ).with_strength(hard="status type param")
    return current.or_else(legacy)


def rule_wrong_type(param: Param, value: str) -> ExpectedError:
    """A scalar of the wrong type: integers are [ISSUE]-established, the rest [INF]."""
    if param.type == "integer":
        return parameter_invalid_integer(param.path, value)
    return invalid_value(
        param.path, f"Invalid {_TYPE_WORD.get(param.type, param.type)}: {value[:50]}"
    )


# A value of the wrong JSON type cannot be what the [SDK] parameter types describe, and the
# API validates its parameters (it rejects unknown keys and bad integers [ISSUE]), so a
# token minted from one is a hard failure; the error's shape is our inference.
_TYPE_BASIS = "[SDK: parameter types] [INF: error shape]"


def rule_hash_for_scalar(param: Param) -> ExpectedError:
    """A hash (or list) where a scalar belongs: rejected; error shape [INF]."""
    return invalid_value(
        param.path,
        f"Invalid {_TYPE_WORD.get(param.type, param.type)}",
        basis=_TYPE_BASIS,
        warn="status type param",
        reject=Strength.HARD,
    )


def rule_scalar_for_hash(param: Param) -> ExpectedError:
    """A plain string where a hash belongs: rejected; error shape [INF]."""
    return invalid_value(
        param.path,
        "Invalid hash",
        basis=_TYPE_BASIS,
        warn="status type param",
        reject=Strength.HARD,
    )


def rule_array_wrong_type(param: Param) -> ExpectedError:
    """Not an array where an array belongs: rejected; error shape [INF]."""
    return invalid_value(
        param.path,
        "Invalid array",
        basis=_TYPE_BASIS,
        warn="status type param",
        reject=Strength.HARD,
    )


def rule_too_long(param: Param, limit: int) -> ExpectedError:
    """Over the historic maxLength [HSPEC]; Stripe's code for it is not established."""
    return invalid_value(
        param.path,
        f"Invalid string: must be at most {limit} characters",
        basis="[HSPEC maxLength] [INF: error shape]",
    )


def rule_not_in_enum(param: Param, allowed: tuple[str, ...]) -> ExpectedError:
    """A value outside the SDK's enum. The API validates it [SDK]; error shape [INF]."""
    return invalid_value(
        param.path,
        f"Invalid {param.name}: must be one of {', '.join(allowed)}",
        basis="[SDK enum] [INF: error shape]",
    )


def rule_metadata(param: Param, what: str) -> ExpectedError:
    """Metadata limits (50 keys, 40-char keys, 500-char values) [DOC: Metadata]."""
    return invalid_value(
        param.path,
        f"Invalid metadata: {what}",
        basis="[DOC: Metadata]",
        hard="status type",
        warn="param",
    )


# --- card (card errors carry the bare field name [ISSUE: stripe/stripe-node#162]) ------------

_CARD_BASIS = "[DOC: Testing] [DOC: Errors 402] [ISSUE: stripe/stripe-node#162]"


def rule_card_luhn() -> ExpectedError:
    """Number fails Luhn: 402 incorrect_number."""
    return card_error(
        "incorrect_number", "number", "Your card number is incorrect.", basis=_CARD_BASIS
    )


def rule_card_invalid_number() -> ExpectedError:
    """Not a card number at all (junk, wrong length): invalid_number; trigger [INF]."""
    return card_error(
        "invalid_number",
        "number",
        "This card number looks invalid.",
        basis="[SDK enum] [INF: trigger]",
        hard="",
        warn="status type code param",
    )


def rule_card_expiry_month(*, strong: bool) -> ExpectedError:
    """Month outside 1-12 (hard, [DOC: Testing]) or not a number ([INF])."""
    hard, warn = ("status type code param", "") if strong else ("", "status type code param")
    return card_error(
        "invalid_expiry_month",
        "exp_month",
        "Your card's expiration month is invalid.",
        basis=_CARD_BASIS,
        hard=hard,
        warn=warn,
    )


def rule_card_expiry_year(*, strong: bool) -> ExpectedError:
    """Year in the past / far ahead (hard, [DOC: Testing][ISSUE]) or unparseable ([INF])."""
    hard, warn = ("status type code param", "") if strong else ("", "status type code param")
    return card_error(
        "invalid_expiry_year",
        "exp_year",
        "Your card's expiration year is invalid.",
        basis=_CARD_BASIS + " [ISSUE: stripe/stripe-ios#552]",
        hard=hard,
        warn=warn,
    )


def rule_card_expired_this_year() -> ExpectedError:
    """Current year, past month: the code is not established — never asserted."""
    e = card_error(
        "invalid_expiry_month",
        "exp_month",
        "Your card's expiration month is invalid.",
        basis="[3P stripe-ruby-mock] not established",
        hard="",
        warn="",
    )
    return e.with_strength(reject=Strength.NOT_ASSERTED)


def rule_card_cvc(*, strong: bool) -> ExpectedError:
    """CVC of the wrong shape (hard, [DOC: Testing]) or wrong length for the brand ([INF])."""
    hard, warn = ("status type code param", "") if strong else ("", "status type code param")
    return card_error(
        "invalid_cvc",
        "cvc",
        "Your card's security code is invalid.",
        basis="[DOC: Testing]" if strong else "[DOC: Testing] [INF: per-brand length]",
        hard=hard,
        warn=warn,
    )


def rule_expiry_not_asserted(param: str) -> ExpectedError:
    """Years 51-60 ahead: the cut-off is only approximate in the sources (≈ 50)."""
    e = card_error(
        "invalid_expiry_year",
        param,
        "Your card's expiration year is invalid.",
        basis="[ISSUE: stripe/stripe-ios#552] approximate cut-off",
        hard="",
        warn="",
    )
    return e.with_strength(reject=Strength.NOT_ASSERTED)


# --- bank accounts ----------------------------------------------------------------------------


def rule_routing_length() -> ExpectedError:
    """US routing number not 9 digits [ISSUE: code-corps/code-corps-ember#933]; code [SDK]."""
    return coded_invalid(
        "bank_account[routing_number]",
        "routing_number_invalid",
        "Routing number must have 9 digits",
        basis="[ISSUE: code-corps/code-corps-ember#933] [SDK enum]",
        hard="status type",
        warn="code param",
    )


def rule_routing_checksum() -> ExpectedError:
    """9 digits that fail the ABA checksum: [INF]."""
    return coded_invalid(
        "bank_account[routing_number]",
        "routing_number_invalid",
        "Invalid routing number",
        basis="[INF]",
        hard="",
        warn="status type code param",
    )


def rule_routing_missing_us() -> ExpectedError:
    """US account without a routing number: required for US [SDK docstring]; shape [INF]."""
    return parameter_missing("bank_account[routing_number]", strong=False)


def rule_account_number_invalid(message: str) -> ExpectedError:
    """Bad account number / IBAN: code in the SDK enum, trigger [INF]."""
    return coded_invalid(
        "bank_account[account_number]",
        "account_number_invalid",
        message,
        basis="[SDK enum] [INF: trigger]",
        hard="",
        warn="status type code param",
    )


def rule_payment_method_exclusive() -> ExpectedError:
    """``payment_method`` with other bank_account keys: exclusive [SDK docstring]; the code
    ``parameters_exclusive`` and the error shape are [INF]."""
    return coded_invalid(
        "bank_account[payment_method]",
        "parameters_exclusive",
        "payment_method cannot be combined with other bank_account parameters.",
        basis="[SDK docstring] [INF: code]",
        hard="",
        warn="status type code param",
    )


# --- identity ---------------------------------------------------------------------------------

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
"""What the oracle rejects as a malformed e-mail address (the trigger of ``email_invalid``
is [INF]: only clearly broken addresses are rejected)."""


def rule_email_invalid(param: Param) -> ExpectedError:
    """Malformed e-mail address: email_invalid [SDK enum], trigger [INF]."""
    return coded_invalid(
        param.path,
        "email_invalid",
        "Invalid email address.",
        basis="[SDK enum] [INF: trigger]",
        hard="",
        warn="status type code param",
    )


def rule_tos_acceptance_missing(param: Param) -> ExpectedError:
    """``additional_tos_acceptances[account]`` sent without its date or ip.

    Our reading of the person token docs is that date and ip go together, but the SDK marks
    both optional and no document states the error: a warning at most [INF].
    """
    e = parameter_missing(param.path, strong=False)
    e = e.with_strength(warn="status type code param", reject=Strength.WARNING)
    return replace(e, basis="[INF] (the SDK marks date and ip optional)")


def rule_cvc_update_cvc() -> ExpectedError:
    """cvc_update[cvc] not 3-4 digits: invalid_cvc by analogy with cards [INF]."""
    return card_error(
        "invalid_cvc",
        "cvc",
        "Your card's security code is invalid.",
        basis="[INF by analogy with card[cvc]]",
        hard="",
        warn="status type code param",
    )


# --- request level ----------------------------------------------------------------------------


def rule_no_kind() -> ExpectedError:
    """None of the six hashes: 400 "You must supply either a card, customer, PII data, bank
    account…" [3P + public scan report]. A token of no kind cannot exist (its ``type`` is
    never null [SDK]): rejection is hard, the error's shape a warning."""
    return invalid_value(
        None,
        "You must supply either a card, customer, PII data, bank account, or account legal entity "
        "to create a token.",
        basis="[SDK: Token.type is never null] [3P] [INF: status]",
        warn="status type",
        reject=Strength.HARD,
    )


def rule_two_kinds() -> ExpectedError:
    """Two token kinds in one request: not documented; expect a 400 [INF]."""
    return invalid_value(
        None,
        "You may only specify one of these parameters: "
        "card, bank_account, pii, account, person, cvc_update.",
        basis="[INF]",
        warn="status type",
        reject=Strength.WARNING,
    )


def rule_customer() -> ExpectedError:
    """``customer`` needs Connect (an OAuth token or Stripe-Account); not asserted either way."""
    e = invalid_value(
        "customer", "No such customer", basis="[SDK docstring] not established", warn=""
    )
    return e.with_strength(reject=Strength.NOT_ASSERTED)
