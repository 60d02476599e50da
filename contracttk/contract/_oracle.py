"""The oracle: what Stripe would answer to a ``POST /v1/tokens`` body.

``evaluate_create`` walks a payload (nested dict as built in Python, or as decoded from
the wire; both give the same verdict because values are compared in their wire form)
and returns every violation it finds, in the order a server should report them. The
reference server answers with the first; the checks accept any of them when a payload
breaks several rules at once (Stripe's own precedence between rules is not established).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import _rules as R
from ._errors import (
    ExpectedError,
    Strength,
    invalid_value,
    live_mode_test_card,
    live_secret_key_forbidden,
)
from ._kinds import KIND_NAMES, ApiKey
from ._params import Param, param_tree, shared_params
from .domain import (
    IBAN_COUNTRIES,
    aba_routing_valid,
    cvc_lengths_for,
    detect_brand,
    iban_valid,
    is_test_card,
    luhn_valid,
)

TOP_LEVEL_PARAMS = frozenset((*KIND_NAMES, "customer", "expand"))
METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500
# §4.1: "implausibly far ahead (≈ >50 years)". Between 51 and 60 years we assert nothing.
EXPIRY_HARD_LIMIT_AHEAD = 60
EXPIRY_SOFT_LIMIT_AHEAD = 50

_INT_RE = re.compile(r"-?[0-9]+")
_NUM_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Finding:
    """One violation found in a payload: its catalogue name and the error it earns."""

    violation: str
    error: ExpectedError


@dataclass
class Evaluation:
    """The oracle's verdict on one create request."""

    kind: str | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """True when Stripe would create a token."""
        return not self.findings

    @property
    def first(self) -> Finding | None:
        """The error a server should report (the first rule broken)."""
        return self.findings[0] if self.findings else None

    @property
    def must_reject(self) -> Strength:
        """How strongly a 2xx answer is a failure: the strongest ``reject`` among findings."""
        strengths = {f.error.reject for f in self.findings}
        for s in (Strength.HARD, Strength.WARNING):
            if s in strengths:
                return s
        return Strength.NOT_ASSERTED


def wire(value: Any) -> str:
    """A scalar as it travels in a form body (``True`` -> ``"true"``, ``None`` -> ``""``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _text(value: Any) -> str:
    """``wire(value)``, except that an empty hash or list is ``""``.

    Why: ``encoding.encode`` sends ``{}`` and ``[]`` as the empty string, so the
    verdict on ``{"card": {"networks": {}}}`` must be the one for ``card[networks]=``.
    """
    if isinstance(value, (dict, list)) and not value:
        return ""
    return wire(value)


def _is_container(value: Any) -> bool:
    """A non-empty hash or list (an empty one travels as ``""``, see :func:`_text`)."""
    return isinstance(value, (dict, list)) and bool(value)


def _is_digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def two_digit_year(yy: int, today: date) -> int:
    """Expand a two-digit expiry year: 20yy unless that is more than 50 years ahead (§10.2: '95' is past)."""
    year = 2000 + yy
    return year if year <= today.year + EXPIRY_SOFT_LIMIT_AHEAD else 1900 + yy


def normalise_exp_year(raw: str, today: date) -> int | None:
    """The four-digit year Stripe reports for ``card[exp_year]``, or None if not a 2/4-digit year."""
    if not _is_digits(raw) or len(raw) not in (2, 4):
        return None
    return two_digit_year(int(raw), today) if len(raw) == 2 else int(raw)


Add = Callable[[str, ExpectedError], None]


def _as_map(value: Any) -> Any:
    """A decoder turns ``metadata[0]=x`` into a list; for a string map it is a hash again."""
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return value


def _check_node(param: Param, value: Any, add: Add, parent: Mapping[str, Any] | None) -> None:
    path = param.path
    if param.is_object:
        if not _is_container(value) and _text(value) == "":
            if not param.empty_ok:
                add(f"{path}:empty", R.rule_empty(param))
            return
        if param.is_map:
            value = _as_map(value)
        if not isinstance(value, dict):
            if param.alternatives and not _is_container(value) and "customer" in (parent or {}):
                # The documented alternative: a customer's saved card by ID (Connect
                # cloning); `request:customer` already says it is not asserted either way.
                return
            add(f"{path}:scalar_for_hash", R.rule_scalar_for_hash(param))
            return
        if param.is_map:
            _check_map(param, value, add)
            return
        for key in value:
            if param.child(key) is None:
                add(f"{path}:unknown_param", R.rule_unknown(param.keys, key))
        for child in param.children:
            if child.name in value:
                _check_node(child, value[child.name], add, value)
            elif child.required:
                add(f"{child.path}:missing", R.rule_missing(child))
        return
    if param.type == "array":
        if isinstance(value, dict) and value and all(_is_digits(k) for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if not _is_container(value):
            if _text(value) == "":
                if not param.empty_ok:
                    add(f"{path}:empty", R.rule_empty(param))
                return
            add(f"{path}:scalar_for_array", R.rule_array_wrong_type(param))
            return
        if isinstance(value, dict):
            add(f"{path}:wrong_type", R.rule_array_wrong_type(param))
            return
        items = param.items
        for item in value:
            if _is_container(item):
                add(f"{path}:wrong_type", R.rule_array_wrong_type(param))
                return
            text = _text(item)
            if items and items.max_length is not None and len(text) > items.max_length:
                add(f"{path}:too_long", R.rule_too_long(param, items.max_length))
                return
            if items and items.enum and text not in items.enum:
                add(f"{path}:not_in_enum", R.rule_not_in_enum(param, items.enum))
                return
        return
    # scalar leaf
    if _is_container(value):
        add(f"{path}:hash_for_scalar", R.rule_hash_for_scalar(param))
        return
    text = _text(value)
    if text == "":
        if param.empty_ok:
            return
        if (
            param.keys == ("bank_account", "routing_number")
            and parent is not None
            and (wire(parent.get("country")) in IBAN_COUNTRIES)
        ):
            add(f"{path}:empty_with_iban", R.rule_empty_routing_with_iban())
        else:
            add(f"{path}:empty", R.rule_empty(param))
        return
    if param.max_length is not None and len(text) > param.max_length:
        add(f"{path}:too_long", R.rule_too_long(param, param.max_length))
        return
    if param.enum and text not in param.enum:
        add(f"{path}:not_in_enum", R.rule_not_in_enum(param, param.enum))
        return
    if (
        (param.type == "integer" and not _INT_RE.fullmatch(text))
        or (param.type == "number" and not _NUM_RE.fullmatch(text))
        or (param.type == "boolean" and text not in ("true", "false"))
    ):
        add(f"{path}:wrong_type", R.rule_wrong_type(param, text))


def _check_map(param: Param, value: dict[str, Any], add: Add) -> None:
    path = param.path
    if len(value) > METADATA_MAX_KEYS:
        add(f"{path}:too_many_keys", R.rule_metadata(param, f"at most {METADATA_MAX_KEYS} keys"))
        return
    for key, item in value.items():
        if len(key) > METADATA_MAX_KEY_LENGTH:
            add(
                f"{path}:key_too_long",
                R.rule_metadata(param, f"keys are at most {METADATA_MAX_KEY_LENGTH} characters"),
            )
            return
        if _is_container(item):
            add(f"{path}:hash_for_scalar", R.rule_hash_for_scalar(param))
            return
        if len(_text(item)) > METADATA_MAX_VALUE_LENGTH:
            add(
                f"{path}:value_too_long",
                R.rule_metadata(
                    param, f"values are at most {METADATA_MAX_VALUE_LENGTH} characters"
                ),
            )
            return


# --- kind-specific rules (run only on structurally sound payloads) ----------------------------


def _card_rules(card: Mapping[str, Any], add: Add, key: ApiKey | None, today: date) -> None:
    number = wire(card["number"]) if "number" in card else None
    number_ok = False
    if number is not None:
        if not _is_digits(number):
            add("card[number]:not_digits", R.rule_card_invalid_number())
        elif not 12 <= len(number) <= 19:
            add("card[number]:wrong_length", R.rule_card_invalid_number())
        elif not luhn_valid(number):
            add("card[number]:luhn", R.rule_card_luhn())
        else:
            number_ok = True
    month: int | None = None
    if "exp_month" in card:
        raw = wire(card["exp_month"])
        if not _is_digits(raw) or len(raw) > 2:
            add("card[exp_month]:not_a_number", R.rule_card_expiry_month(strong=False))
        elif not 1 <= int(raw) <= 12:
            add("card[exp_month]:out_of_range", R.rule_card_expiry_month(strong=True))
        else:
            month = int(raw)
    if "exp_year" in card:
        raw = wire(card["exp_year"])
        year = normalise_exp_year(raw, today)
        if not _is_digits(raw):
            add("card[exp_year]:not_a_number", R.rule_card_expiry_year(strong=False))
        elif year is None:
            add("card[exp_year]:bad_length", R.rule_card_expiry_year(strong=False))
        elif year < today.year:
            add("card[exp_year]:past", R.rule_card_expiry_year(strong=True))
        elif year > today.year + EXPIRY_HARD_LIMIT_AHEAD:
            add("card[exp_year]:far_future", R.rule_card_expiry_year(strong=True))
        elif year > today.year + EXPIRY_SOFT_LIMIT_AHEAD:
            add("card[exp_year]:far_future_approx", R.rule_expiry_not_asserted("exp_year"))
        elif year == today.year and month is not None and month < today.month:
            add("card[exp_month]:past_in_current_year", R.rule_card_expired_this_year())
    if "cvc" in card:
        cvc = wire(card["cvc"])
        if not _is_digits(cvc) or len(cvc) not in (3, 4):
            add("card[cvc]:bad_shape", R.rule_card_cvc(strong=True))
        elif (
            number_ok
            and detect_brand(number or "") is not None
            and len(cvc) not in cvc_lengths_for(number or "")
        ):
            add("card[cvc]:brand_length", R.rule_card_cvc(strong=False))
    if key is not None and key.livemode and number_ok and is_test_card(number or ""):
        add("card:live_mode_test_card", live_mode_test_card())


def _bank_rules(bank: Mapping[str, Any], add: Add) -> None:
    if "payment_method" in bank and len(bank) > 1:
        add("bank_account[payment_method]:exclusive", R.rule_payment_method_exclusive())
        return
    country = wire(bank.get("country"))
    account = wire(bank.get("account_number"))
    if country == "US":
        if "routing_number" not in bank:
            add("bank_account[routing_number]:missing_for_us", R.rule_routing_missing_us())
        else:
            routing = wire(bank["routing_number"])
            if not (_is_digits(routing) and len(routing) == 9):
                add("bank_account[routing_number]:wrong_length", R.rule_routing_length())
            elif not aba_routing_valid(routing):
                add("bank_account[routing_number]:bad_checksum", R.rule_routing_checksum())
        if "account_number" in bank and not (_is_digits(account) and 4 <= len(account) <= 17):
            add(
                "bank_account[account_number]:invalid_us",
                R.rule_account_number_invalid("Invalid account number"),
            )
    elif country in IBAN_COUNTRIES and "account_number" in bank:
        if not iban_valid(account) or not account.startswith(country):
            add(
                "bank_account[account_number]:bad_iban",
                R.rule_account_number_invalid("Invalid IBAN"),
            )


def _identity_rules(kind: str, root: Mapping[str, Any], add: Add) -> None:
    holder = root.get("individual") if kind == "account" else root
    if isinstance(holder, Mapping) and "email" in holder:
        email = wire(holder["email"])
        if not _EMAIL_RE.fullmatch(email):
            param = param_tree(kind).child("individual") if kind == "account" else param_tree(kind)
            assert param is not None
            email_param = param.child("email")
            assert email_param is not None
            add(f"{email_param.path}:invalid", R.rule_email_invalid(email_param))
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
                    add(f"{child.path}:missing", R.rule_tos_acceptance_missing(child))


def _cvc_update_rules(root: Mapping[str, Any], add: Add) -> None:
    if "cvc" in root:
        cvc = wire(root["cvc"])
        if not _is_digits(cvc) or len(cvc) not in (3, 4):
            add("cvc_update[cvc]:bad_shape", R.rule_cvc_update_cvc())


def evaluate_create(
    params: Any, *, key: ApiKey | None = None, today: date | None = None
) -> Evaluation:
    """Evaluate a create-token payload against the contract.

    ``params`` is the nested request (``{"card": {...}, "expand": [...]}``); ``key`` the
    parsed API key when known (live-mode rules need it); ``today`` pins the date used
    for expiry rules (defaults to the local date).
    """
    today = today or date.today()
    findings: list[Finding] = []

    def add(name: str, error: ExpectedError) -> None:
        findings.append(Finding(name, error))

    if not isinstance(params, Mapping):
        add("request:not_a_hash", invalid_value(None, "Invalid request body", warn="status type"))
        return Evaluation(None, findings)
    for name in params:
        if name not in TOP_LEVEL_PARAMS:
            add("request:unknown_param", R.rule_unknown((), name))
    present = [k for k in KIND_NAMES if k in params]
    kind = present[0] if len(present) == 1 else None
    if not present:
        add("request:no_kind", R.rule_no_kind())
    elif len(present) > 1:
        add("request:two_kinds", R.rule_two_kinds())
    if "expand" in params:
        _check_node(shared_params()["expand"], params["expand"], add, params)
    if "customer" in params:
        add("request:customer", R.rule_customer())
    if kind is None:
        return Evaluation(None, findings)
    before = len(findings)
    _check_node(param_tree(kind), params[kind], add, params)
    root = params[kind]
    if len(findings) == before and isinstance(root, Mapping):
        if kind == "card":
            _card_rules(root, add, key, today)
        elif kind == "bank_account":
            _bank_rules(root, add)
        elif kind in ("account", "person"):
            _identity_rules(kind, root, add)
        elif kind == "cvc_update":
            _cvc_update_rules(root, add)
    if key is not None and key.livemode and key.role == "secret" and kind in ("account", "person"):
        add(f"{kind}:live_secret_key", live_secret_key_forbidden(kind))
    return Evaluation(kind, findings)
