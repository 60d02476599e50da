"""The oracle: what Stripe would answer to a ``POST /v1/tokens`` body.

``evaluate_create`` walks a payload (nested dict as built in Python, or as decoded from
the wire; both give the same verdict because values are compared in their wire form)
and returns every violation it finds, in the order a server should report them. The
reference server answers with the first; the checks accept any of them when a payload
breaks several rules at once (Stripe's own precedence between rules is not established).

It also runs the domain test (:mod:`._domain_check`): a payload the oracle accepts earns a
hard "must create" only when every value in it lies in the model's understood domain
(:attr:`Evaluation.acceptance`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from . import _names as N
from . import _rules as R
from ._domain_check import check_domain
from ._errors import ExpectedError, Strength, invalid_value
from ._kinds import KIND_NAMES, ApiKey, get_kind
from ._names import Rule, split_violation_name, violation_name
from ._oracle_kinds import bank_rules, card_rules, cvc_update_rules, identity_rules
from ._params import (
    METADATA_MAX_KEY_LENGTH,
    METADATA_MAX_KEYS,
    METADATA_MAX_VALUE_LENGTH,
    Param,
    param_tree,
    shared_params,
)
from ._protocol_errors import live_secret_key_forbidden
from ._wire import (
    INT_RE,
    NUM_RE,
    as_map,
    as_text,
    digit_order,
    is_container,
    is_digits,
    wire,
)
from .domain import IBAN_COUNTRIES

__all__ = ["TOP_LEVEL_PARAMS", "Evaluation", "Finding", "evaluate_create"]

TOP_LEVEL_PARAMS = frozenset((*KIND_NAMES, "customer", "expand"))


@dataclass(frozen=True)
class Finding:
    """One violation found in a payload: its catalogue name and the error it earns."""

    violation: str
    error: ExpectedError

    @property
    def path(self) -> str | None:
        """The bracket path the violation is about (None for request-level rules)."""
        return split_violation_name(self.violation)[0]


@dataclass
class Evaluation:
    """The oracle's verdict on one create request."""

    kind: str | None
    findings: list[Finding] = field(default_factory=list)
    params: Any = field(default=None, repr=False, compare=False)
    """The payload judged (the domain test reads it on demand)."""
    today: date | None = field(default=None, repr=False, compare=False)

    @cached_property
    def outside_domain(self) -> tuple[str, ...]:
        """Values outside the model's understood domain, as ``"<path>: <reason>"`` (see
        :func:`~contracttk.contract.domain_problems`), leaving out values a finding is about.

        Computed on first use: a server answering the oracle's verdict never needs it, and
        fuzzers send payloads of every kind at once, whose trees are large.
        """
        if self.kind is None:
            # No single token kind: a request-level finding already says what is wrong, and
            # no token's answer is predicted, so there is nothing the domain could explain.
            return ()
        return _outside(check_domain(self.params, today=self.today), self.findings)

    @property
    def accepted(self) -> bool:
        """True when Stripe would create a token."""
        return not self.findings

    @property
    def understood(self) -> bool:
        """Accepted, and every value lies in the model's understood domain."""
        return self.accepted and not self.outside_domain

    @property
    def acceptance(self) -> Strength:
        """How strongly "a token must be created" is asserted: HARD when the payload is
        understood, WARNING when accepted but not understood (a rejection would be
        unexplained, not wrong), NOT_ASSERTED when the oracle rejects it."""
        if not self.accepted:
            return Strength.NOT_ASSERTED
        return Strength.HARD if self.understood else Strength.WARNING

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


Add = Callable[[str, ExpectedError], None]


def _check_node(param: Param, value: Any, add: Add, parent: Mapping[str, Any] | None) -> None:
    path = param.path
    if param.is_object:
        if not is_container(value) and as_text(value) == "":
            if not param.empty_ok:
                add(violation_name(path, Rule.EMPTY), R.rule_empty(param))
            return
        if param.is_map:
            value = as_map(value)
        if not isinstance(value, dict):
            if param.alternatives and not is_container(value) and "customer" in (parent or {}):
                # The documented alternative: a customer's saved card by ID (Connect
                # cloning); `request:customer` already says it is not asserted either way.
                return
            add(violation_name(path, Rule.SCALAR_FOR_HASH), R.rule_scalar_for_hash(param))
            return
        if param.is_map:
            _check_map(param, value, add)
            return
        for key in value:
            if param.child(key) is None:
                add(violation_name(path, Rule.UNKNOWN_PARAM), R.rule_unknown(param.keys, key))
        # bank_account[payment_method] is sent alone: the SDK says it is exclusive with every
        # other key, so the keys required otherwise are not required beside it [SDK docstring].
        waived = param.keys == ("bank_account",) and "payment_method" in value
        for child in param.children:
            if child.name in value:
                _check_node(child, value[child.name], add, value)
            elif child.required and not waived:
                add(violation_name(child.path, Rule.MISSING), R.rule_missing(child))
        return
    if param.type == "array":
        _check_array(param, value, add)
        return
    # scalar leaf
    if is_container(value):
        add(violation_name(path, Rule.HASH_FOR_SCALAR), R.rule_hash_for_scalar(param))
        return
    text = as_text(value)
    if text == "":
        if param.empty_ok:
            return
        if (
            param.keys == ("bank_account", "routing_number")
            and parent is not None
            and (wire(parent.get("country")) in IBAN_COUNTRIES)
        ):
            add(N.BANK_ROUTING_EMPTY_WITH_IBAN, R.rule_empty_routing_with_iban())
        else:
            add(violation_name(path, Rule.EMPTY), R.rule_empty(param))
        return
    if param.max_length is not None and len(text) > param.max_length:
        add(violation_name(path, Rule.TOO_LONG), R.rule_too_long(param, param.max_length))
        return
    if param.enum and text not in param.enum:
        add(violation_name(path, Rule.NOT_IN_ENUM), R.rule_not_in_enum(param, param.enum))
        return
    if (
        (param.type == "integer" and not INT_RE.fullmatch(text))
        or (param.type == "number" and not NUM_RE.fullmatch(text))
        or (param.type == "boolean" and text not in ("true", "false"))
    ):
        add(violation_name(path, Rule.WRONG_TYPE), R.rule_wrong_type(param, text))


def _check_array(param: Param, value: Any, add: Add) -> None:
    path = param.path
    keys: list[str] | None = None
    if isinstance(value, dict) and value and all(is_digits(k) for k in value):
        keys = sorted(value, key=digit_order)
        value = [value[k] for k in keys]
    if not is_container(value):
        if as_text(value) == "":
            if not param.empty_ok:
                add(violation_name(path, Rule.EMPTY), R.rule_empty(param))
            return
        add(violation_name(path, Rule.SCALAR_FOR_ARRAY), R.rule_array_wrong_type(param))
        return
    if isinstance(value, dict):
        add(violation_name(path, Rule.WRONG_TYPE), R.rule_array_wrong_type(param))
        return
    items = param.items
    for i, item in enumerate(value):
        if is_container(item):
            add(violation_name(path, Rule.WRONG_TYPE), R.rule_array_wrong_type(param))
            return
        text = as_text(item)
        if text == "" and not (items and items.empty_ok):
            # An empty item cannot unset anything: rejected like any empty string [SDK].
            index = keys[i] if keys is not None else str(i)
            add(violation_name(path, Rule.EMPTY_ITEM), R.rule_empty_item(param, index))
            return
        if items and items.max_length is not None and len(text) > items.max_length:
            add(violation_name(path, Rule.TOO_LONG), R.rule_too_long(param, items.max_length))
            return
        if items and items.enum and text and text not in items.enum:
            add(violation_name(path, Rule.NOT_IN_ENUM), R.rule_not_in_enum(param, items.enum))
            return


def _check_map(param: Param, value: dict[str, Any], add: Add) -> None:
    path = param.path
    if len(value) > METADATA_MAX_KEYS:
        add(
            violation_name(path, Rule.TOO_MANY_KEYS),
            R.rule_metadata(param, f"at most {METADATA_MAX_KEYS} keys"),
        )
        return
    for key, item in value.items():
        if len(key) > METADATA_MAX_KEY_LENGTH:
            add(
                violation_name(path, Rule.KEY_TOO_LONG),
                R.rule_metadata(param, f"keys are at most {METADATA_MAX_KEY_LENGTH} characters"),
            )
            return
        if is_container(item):
            add(violation_name(path, Rule.HASH_FOR_SCALAR), R.rule_hash_for_scalar(param))
            return
        if len(as_text(item)) > METADATA_MAX_VALUE_LENGTH:
            add(
                violation_name(path, Rule.VALUE_TOO_LONG),
                R.rule_metadata(
                    param, f"values are at most {METADATA_MAX_VALUE_LENGTH} characters"
                ),
            )
            return


def _outside(problems: list[Any], findings: list[Finding]) -> tuple[str, ...]:
    """Domain problems, leaving out those about a value a finding is already about."""
    covered = [f.path for f in findings if f.path]
    return tuple(
        str(p)
        for p in problems
        if not any(p.path == c or p.path.startswith(c + "[") for c in covered)
    )


def evaluate_create(
    params: Any, *, key: ApiKey | None = None, today: date | None = None
) -> Evaluation:
    """Evaluate a create-token payload against the contract.

    ``params`` is the nested request (``{"card": {...}, "expand": [...]}``); ``key`` the
    parsed API key when known (live-mode rules need it); ``today`` pins the date used
    for expiry rules and the domain's date windows (defaults to the local date).
    """
    if key is not None and not isinstance(key, ApiKey):
        raise TypeError(f"key must be an ApiKey (parse_key(raw)), not {type(key).__name__}")
    today = today or date.today()
    findings: list[Finding] = []

    def add(name: str, error: ExpectedError) -> None:
        findings.append(Finding(name, error))

    if not isinstance(params, Mapping):
        add(N.REQUEST_NOT_A_HASH, invalid_value(None, "Invalid request body", warn="status type"))
        return Evaluation(None, findings)
    for name in params:
        if name not in TOP_LEVEL_PARAMS:
            add(N.REQUEST_UNKNOWN_PARAM, R.rule_unknown((), name))
    present = [k for k in KIND_NAMES if k in params]
    kind = present[0] if len(present) == 1 else None
    if not present:
        add(N.REQUEST_NO_KIND, R.rule_no_kind())
    elif len(present) > 1:
        add(N.REQUEST_TWO_KINDS, R.rule_two_kinds())
    if "expand" in params:
        _check_node(shared_params()["expand"], params["expand"], add, params)
    if "customer" in params:
        add(N.REQUEST_CUSTOMER, R.rule_customer())
    if kind is not None:
        before = len(findings)
        _check_node(param_tree(kind), params[kind], add, params)
        root = params[kind]
        if len(findings) == before and isinstance(root, Mapping):
            if kind == "card":
                card_rules(root, add, key, today)
            elif kind == "bank_account":
                bank_rules(root, add)
            elif kind in ("account", "person"):
                identity_rules(kind, root, add)
            elif kind == "cvc_update":
                cvc_update_rules(root, add)
        if (
            key is not None
            and key.livemode
            and key.role == "secret"
            and not get_kind(kind).live_secret_may_create
        ):
            add(violation_name(kind, Rule.LIVE_SECRET_KEY), live_secret_key_forbidden(kind))
    return Evaluation(kind, findings, params, today)
