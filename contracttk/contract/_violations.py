"""The violation catalogue: every kind of bad input, how to make it, and Stripe's answer.

A :class:`Violation` turns a *valid* payload of its kind into an invalid one (``apply``)
and carries the :class:`ExpectedError` the oracle gives for it (the same ``_rules``
function builds both). Generic entries are derived from the parameter trees (missing,
unknown, empty, wrong type, too long, out of enum, hash/scalar swaps); domain entries
come from stripe-tokens.md §4 and §10 (Luhn, expiry, CVC, routing, IBAN, identity...).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from . import _rules as R
from ._errors import ExpectedError, live_mode_test_card, live_secret_key_forbidden
from ._kinds import KIND_NAMES
from ._params import Param, find_param, param_tree, shared_params
from .domain import (
    LUHN_FAILING_TEST_NUMBER,
    TEST_BANK_NAME,  # noqa: F401  (re-exported for generators' convenience)
    TEST_ROUTING_NUMBER,
    cvc_lengths_for,
    detect_brand,
)

Payload = dict[str, Any]
Mutator = Callable[[Payload, date], None]

UNKNOWN_KEY = "contracttk_unknown"
NOT_IN_ENUM = "contracttk_not_in_enum"


@dataclass(frozen=True)
class Violation:
    """One catalogue entry."""

    name: str
    """Unique name, ``<param path>:<rule>`` or ``request:<rule>``."""
    kind: str | None
    """The token kind it belongs to; None for request-level rules (they apply to every kind)."""
    rule: str
    path: str | None
    description: str
    expected: ExpectedError
    requires: str | None = None
    """``"live_key"`` / ``"live_secret_key"`` when the payload is only invalid under such a key."""
    mutate: Mutator = field(repr=False, compare=False, default=lambda p, t: None)

    def apply(self, payload: Mapping[str, Any], *, today: date | None = None) -> Payload:
        """A deep copy of the valid ``payload`` with this violation introduced."""
        out = copy.deepcopy(dict(payload))
        self.mutate(out, today or date.today())
        return out


# --- sample values: the smallest valid payloads, used to build ancestors and as bases ---------

_SAMPLE_STRINGS = {"email": "jenny.rosen@example.com", "ip": "127.0.0.1", "phone": "0000000000"}


def sample_leaf(param: Param) -> Any:
    """A valid value for a scalar/array parameter (used to complete required siblings)."""
    if param.enum:
        return param.enum[0]
    if param.type == "integer":
        return {"year": 1901, "date": 1700000000}.get(param.name, 1)
    if param.type == "number":
        return 50
    if param.type == "boolean":
        return True
    if param.type == "array":
        return [param.items.enum[0]] if param.items and param.items.enum else ["contracttk"]
    return _SAMPLE_STRINGS.get(param.name, "contracttk")


def minimal(param: Param) -> Any:
    """The smallest valid value for ``param``: required children only."""
    if param.is_map:
        return {"contracttk": "1"}
    if param.is_object:
        return {c.name: minimal(c) for c in param.children if c.required}
    return sample_leaf(param)


def sample_params(kind: str, *, today: date | None = None) -> Payload:
    """A small, deterministic, valid payload of ``kind`` (Stripe test values only)."""
    today = today or date.today()
    samples: dict[str, Payload] = {
        "card": {
            "number": "4242424242424242",
            "exp_month": "12",
            "exp_year": str(today.year + 5),
            "cvc": "123",
        },
        "bank_account": dict(_US_BANK),
        "pii": {"id_number": "000000000"},
        "account": {
            "business_type": "individual",
            "individual": {
                "first_name": "Jenny",
                "last_name": "Rosen",
                "dob": {"day": 1, "month": 1, "year": 1901},
            },
            "tos_shown_and_accepted": True,
        },
        "person": {
            "first_name": "Jenny",
            "last_name": "Rosen",
            "dob": {"day": 1, "month": 1, "year": 1901},
        },
        "cvc_update": {"cvc": "123"},
    }
    return {kind: samples[kind]}


_US_BANK = {
    "country": "US",
    "currency": "usd",
    "account_holder_name": "Jenny Rosen",
    "account_holder_type": "individual",
    "routing_number": TEST_ROUTING_NUMBER,
    "account_number": "000123456789",
}
_IBAN_BANK = {
    "country": "DE",
    "currency": "eur",
    "account_holder_name": "Jenny Rosen",
    "account_number": "DE89370400440532013000",
}


# --- tree surgery ------------------------------------------------------------------------------


def _node(payload: Payload, keys: tuple[str, ...]) -> dict[str, Any]:
    """The dict at ``keys`` inside ``payload``, creating minimal valid ancestors on the way."""
    cur: dict[str, Any] = payload
    root = param_tree(keys[0]) if keys[0] in KIND_NAMES else None
    param: Param | None = root
    for i, key in enumerate(keys):
        if i > 0 and param is not None:
            param = param.child(key)
        nxt = cur.get(key)
        if not isinstance(nxt, dict):
            nxt = minimal(param) if param is not None and param.is_object else {}
            cur[key] = nxt
        cur = nxt
    return cur


def _setter(keys: tuple[str, ...], value: Any) -> Mutator:
    def mutate(payload: Payload, today: date) -> None:
        parent = _node(payload, keys[:-1]) if len(keys) > 1 else payload
        parent[keys[-1]] = copy.deepcopy(value)

    return mutate


def _deleter(keys: tuple[str, ...]) -> Mutator:
    def mutate(payload: Payload, today: date) -> None:
        _node(payload, keys[:-1]).pop(keys[-1], None)

    return mutate


def _chain(*steps: Mutator) -> Mutator:
    def mutate(payload: Payload, today: date) -> None:
        for step in steps:
            step(payload, today)

    return mutate


def _replace_bank(base: Mapping[str, Any]) -> Mutator:
    def mutate(payload: Payload, today: date) -> None:
        bank = payload.get("bank_account")
        keep = (
            {k: v for k, v in bank.items() if k in ("account_holder_name", "account_holder_type")}
            if isinstance(bank, dict)
            else {}
        )
        payload["bank_account"] = {**dict(base), **keep}

    return mutate


# --- generic entries from the parameter trees -----------------------------------------------------


def _generic(param: Param, kind: str | None) -> list[Violation]:
    out: list[Violation] = []
    keys, path = param.keys, param.path
    # Routing-number rules are only meaningful on a US account (an IBAN needs none).
    prep: Mutator = (
        _replace_bank(_US_BANK) if keys[:2] == ("bank_account", "routing_number") else _chain()
    )

    def v(rule: str, desc: str, expected: ExpectedError, mutate: Mutator) -> None:
        out.append(
            Violation(
                f"{path}:{rule}", kind, rule, path, desc, expected, mutate=_chain(prep, mutate)
            )
        )

    parent = find_param(keys[:-1]) if len(keys) > 1 else None
    # A sole child cannot be left out without emptying its parent, and an empty hash is
    # sent as the empty string (`cvc_update=`): those bytes are `<parent>:empty`, not this.
    if param.required and parent is not None and len(parent.children) > 1:
        v("missing", f"required {path} left out", R.rule_missing(param), _deleter(keys))
    if param.is_object:
        if not param.empty_ok:
            v("empty", f"{path} sent as an empty string", R.rule_empty(param), _setter(keys, ""))
        v(
            "scalar_for_hash",
            f"a plain string where the hash {path} belongs",
            R.rule_scalar_for_hash(param),
            _setter(keys, "contracttk"),
        )
        if param.is_map:
            v(
                "too_many_keys",
                f"{path} with 51 keys",
                R.rule_metadata(param, "at most 50 keys"),
                _setter(keys, {f"k{i}": "v" for i in range(51)}),
            )
            v(
                "key_too_long",
                f"{path} key of 41 characters",
                R.rule_metadata(param, "keys are at most 40 characters"),
                _setter(keys, {"k" * 41: "v"}),
            )
            v(
                "value_too_long",
                f"{path} value of 501 characters",
                R.rule_metadata(param, "values are at most 500 characters"),
                _setter(keys, {"k": "v" * 501}),
            )
            v(
                "hash_for_scalar",
                f"a hash as a value of {path}",
                R.rule_hash_for_scalar(param),
                _setter(keys, {"k": {"a": "b"}}),
            )
        else:
            v(
                "unknown_param",
                f"an unknown key inside {path}",
                R.rule_unknown(keys, UNKNOWN_KEY),
                _setter((*keys, UNKNOWN_KEY), "x"),
            )
        return out
    if param.type == "array":
        if not param.empty_ok:
            v("empty", f"{path} sent as an empty string", R.rule_empty(param), _setter(keys, ""))
        v(
            "scalar_for_array",
            f"a plain string where the array {path} belongs",
            R.rule_array_wrong_type(param),
            _setter(keys, "contracttk"),
        )
        v(
            "wrong_type",
            f"a hash where the array {path} belongs",
            R.rule_array_wrong_type(param),
            _setter(keys, {"contracttk": "x"}),
        )
        if param.items and param.items.max_length is not None:
            v(
                "too_long",
                f"an item of {path} over {param.items.max_length} characters",
                R.rule_too_long(param, param.items.max_length),
                _setter(keys, ["x" * (param.items.max_length + 1)]),
            )
        if param.items and param.items.enum:
            v(
                "not_in_enum",
                f"an item of {path} outside its enum",
                R.rule_not_in_enum(param, param.items.enum),
                _setter(keys, [NOT_IN_ENUM]),
            )
        return out
    if not param.empty_ok:
        v("empty", f"{path} sent as an empty string", R.rule_empty(param), _setter(keys, ""))
    v(
        "hash_for_scalar",
        f"a hash where the {param.type} {path} belongs",
        R.rule_hash_for_scalar(param),
        _setter(keys, {"contracttk": "x"}),
    )
    if param.max_length is not None:
        v(
            "too_long",
            f"{path} over {param.max_length} characters",
            R.rule_too_long(param, param.max_length),
            _setter(keys, "9" * (param.max_length + 1)),
        )
    if param.enum:
        v(
            "not_in_enum",
            f"{path} outside its enum",
            R.rule_not_in_enum(param, param.enum),
            _setter(keys, NOT_IN_ENUM),
        )
    bad = {"integer": "abc", "number": "abc", "boolean": "maybe"}.get(param.type)
    if bad is not None:
        v(
            "wrong_type",
            f"{path} is not a valid {param.type}",
            R.rule_wrong_type(param, bad),
            _setter(keys, bad),
        )
    return out


# --- domain entries (§4, §10) ---------------------------------------------------------------------


def _card_number(fn: Callable[[str], str]) -> Mutator:
    def mutate(payload: Payload, today: date) -> None:
        card = _node(payload, ("card",))
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
        _node(payload, ("card",))["exp_year"] = str(today.year + years)

    return mutate


def _cvc_for_other_brand(payload: Payload, today: date) -> None:
    card = _node(payload, ("card",))
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
    return _setter(("person", "additional_tos_acceptances", "account"), present)


def _domain() -> list[Violation]:
    def e(
        name: str,
        kind: str | None,
        desc: str,
        expected: ExpectedError,
        mutate: Mutator,
        requires: str | None = None,
    ) -> Violation:
        path, _, rule = name.rpartition(":")
        return Violation(
            name, kind, rule, None if path == "request" else path, desc, expected, requires, mutate
        )

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
            "request:no_kind",
            None,
            "none of the six token hashes",
            R.rule_no_kind(),
            lambda p, t: p.clear(),
        ),
        e(
            "request:two_kinds",
            None,
            "two token hashes in one request",
            R.rule_two_kinds(),
            _two_kinds,
        ),
        e(
            "request:unknown_param",
            None,
            "an unknown top-level parameter",
            R.rule_unknown((), UNKNOWN_KEY),
            _setter((UNKNOWN_KEY,), "x"),
        ),
        # card
        e(
            "card[number]:luhn",
            "card",
            "card number fails the Luhn check",
            R.rule_card_luhn(),
            _card_number(_flip_check_digit),
        ),
        e(
            "card[number]:wrong_length",
            "card",
            "card number of 8 digits",
            R.rule_card_invalid_number(),
            _card_number(lambda n: (n if n.isdigit() else "4242424242424242")[:8]),
        ),
        e(
            "card[number]:not_digits",
            "card",
            "card number with letters",
            R.rule_card_invalid_number(),
            _card_number(lambda n: "4242abcd4242abcd"),
        ),
        e(
            "card[exp_month]:out_of_range",
            "card",
            "expiry month 13",
            R.rule_card_expiry_month(strong=True),
            _setter(("card", "exp_month"), "13"),
        ),
        e(
            "card[exp_month]:not_a_number",
            "card",
            "expiry month 'ab'",
            R.rule_card_expiry_month(strong=False),
            _setter(("card", "exp_month"), "ab"),
        ),
        e(
            "card[exp_year]:past",
            "card",
            "expiry year last year (in the past)",
            R.rule_card_expiry_year(strong=True),
            _exp_year_from_today(-1),
        ),
        e(
            "card[exp_year]:far_future",
            "card",
            "expiry year 100 years ahead (more than 60)",
            R.rule_card_expiry_year(strong=True),
            _exp_year_from_today(100),
        ),
        e(
            "card[exp_year]:not_a_number",
            "card",
            "expiry year 'yyyy'",
            R.rule_card_expiry_year(strong=False),
            _setter(("card", "exp_year"), "yyyy"),
        ),
        e(
            "card[exp_year]:bad_length",
            "card",
            "three-digit expiry year",
            R.rule_card_expiry_year(strong=False),
            _setter(("card", "exp_year"), "203"),
        ),
        e(
            "card[cvc]:bad_shape",
            "card",
            "two-digit CVC '99'",
            R.rule_card_cvc(strong=True),
            _setter(("card", "cvc"), "99"),
        ),
        e(
            "card[cvc]:brand_length",
            "card",
            "CVC length of another brand (4 digits on Visa, 3 on Amex)",
            R.rule_card_cvc(strong=False),
            _cvc_for_other_brand,
        ),
        e(
            "card:live_mode_test_card",
            "card",
            "a Stripe test card sent with a live-mode key",
            live_mode_test_card(),
            _chain(),
            requires="live_key",
        ),
        # bank_account
        e(
            "bank_account[routing_number]:wrong_length",
            "bank_account",
            "US routing number of 8 digits",
            R.rule_routing_length(),
            _chain(
                _replace_bank(_US_BANK), _setter(("bank_account", "routing_number"), "11000000")
            ),
        ),
        e(
            "bank_account[routing_number]:bad_checksum",
            "bank_account",
            "US routing number failing the ABA checksum",
            R.rule_routing_checksum(),
            _chain(
                _replace_bank(_US_BANK), _setter(("bank_account", "routing_number"), "110000001")
            ),
        ),
        e(
            "bank_account[routing_number]:missing_for_us",
            "bank_account",
            "US account without a routing number",
            R.rule_routing_missing_us(),
            _chain(_replace_bank(_US_BANK), _deleter(("bank_account", "routing_number"))),
        ),
        e(
            "bank_account[routing_number]:empty_with_iban",
            "bank_account",
            "IBAN account with an empty routing number",
            R.rule_empty_routing_with_iban(),
            _chain(_replace_bank(_IBAN_BANK), _setter(("bank_account", "routing_number"), "")),
        ),
        e(
            "bank_account[account_number]:invalid_us",
            "bank_account",
            "US account number with letters",
            R.rule_account_number_invalid("Invalid account number"),
            _chain(_replace_bank(_US_BANK), _setter(("bank_account", "account_number"), "12ab")),
        ),
        e(
            "bank_account[account_number]:bad_iban",
            "bank_account",
            "IBAN failing the mod-97 check",
            R.rule_account_number_invalid("Invalid IBAN"),
            _chain(
                _replace_bank(_IBAN_BANK),
                _setter(("bank_account", "account_number"), "DE89370400440532013001"),
            ),
        ),
        e(
            "bank_account[payment_method]:exclusive",
            "bank_account",
            "payment_method beside other bank keys",
            R.rule_payment_method_exclusive(),
            _setter(("bank_account", "payment_method"), "pm_contracttk"),
        ),
        # identity
        e(
            f"{email_a.path}:invalid",
            "account",
            "malformed e-mail address",
            R.rule_email_invalid(email_a),
            _setter(email_a.keys, "not-an-email"),
        ),
        e(
            f"{email_p.path}:invalid",
            "person",
            "malformed e-mail address",
            R.rule_email_invalid(email_p),
            _setter(email_p.keys, "not-an-email"),
        ),
        e(
            f"{date_p.path}:missing",
            "person",
            "ToS acceptance without its date",
            R.rule_tos_acceptance_missing(date_p),
            _tos_partial("date"),
        ),
        e(
            f"{ip_p.path}:missing",
            "person",
            "ToS acceptance without its IP",
            R.rule_tos_acceptance_missing(ip_p),
            _tos_partial("ip"),
        ),
        e(
            "account:live_secret_key",
            "account",
            "account token created with a live secret key",
            live_secret_key_forbidden("account"),
            _chain(),
            requires="live_secret_key",
        ),
        e(
            "person:live_secret_key",
            "person",
            "person token created with a live secret key",
            live_secret_key_forbidden("person"),
            _chain(),
            requires="live_secret_key",
        ),
        e(
            "cvc_update[cvc]:bad_shape",
            "cvc_update",
            "two-digit CVC",
            R.rule_cvc_update_cvc(),
            _setter(("cvc_update", "cvc"), "12"),
        ),
    ]


@cache
def catalogue() -> tuple[Violation, ...]:
    """Every violation, request-level first, then kind by kind."""
    entries = [v for v in _domain() if v.kind is None]
    for param in shared_params()["expand"].walk():
        entries.extend(_generic(param, None))
    for kind in KIND_NAMES:
        for param in param_tree(kind).walk():
            entries.extend(_generic(param, kind))
        entries.extend(v for v in _domain() if v.kind == kind)
    names = [v.name for v in entries]
    assert len(names) == len(set(names)), "violation names must be unique"
    return tuple(entries)


@cache
def _by_name() -> dict[str, Violation]:
    return {v.name: v for v in catalogue()}


def get_violation(name: str) -> Violation:
    """The violation called ``name``; KeyError with a hint otherwise."""
    try:
        return _by_name()[name]
    except KeyError:
        raise KeyError(
            f"unknown violation {name!r} (see `contracttk schema --violations`)"
        ) from None


@cache
def violations_for(kind: str, *, include_key_rules: bool = False) -> tuple[Violation, ...]:
    """The violations a payload of ``kind`` can carry: request-level ones plus the kind's own.

    Entries that need a live-mode key are left out unless ``include_key_rules``.
    """
    return tuple(
        v
        for v in catalogue()
        if (v.kind is None or v.kind == kind) and (include_key_rules or v.requires is None)
    )
