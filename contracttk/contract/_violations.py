"""The violation catalogue: every kind of bad input, how to make it, and Stripe's answer.

A :class:`Violation` turns a *valid* payload of its kind into an invalid one (``apply``)
and carries the :class:`ExpectedError` the oracle gives for it (the same ``_rules``
function builds both, and both take the name from :mod:`._names`). Generic entries are
derived here from the parameter trees (missing, unknown, empty, empty item, wrong type, too
long, out of enum, hash/scalar swaps, metadata limits); domain entries (Luhn, expiry, CVC,
routing, IBAN, identity...) are in :mod:`._violations_domain`.
"""

from __future__ import annotations

from functools import cache

from . import _rules as R
from ._catalogue_base import (
    IBAN_BANK,
    US_BANK,
    Mutator,
    Payload,
    Violation,
    chain,
    deleter,
    minimal,
    replace_bank,
    sample_leaf,
    sample_params,
    setter,
)
from ._errors import ExpectedError
from ._kinds import KIND_NAMES, get_kind
from ._names import Rule, violation_name
from ._params import (
    METADATA_MAX_KEY_LENGTH,
    METADATA_MAX_KEYS,
    METADATA_MAX_VALUE_LENGTH,
    Param,
    find_param,
    param_tree,
    shared_params,
)
from ._violations_domain import UNKNOWN_KEY, domain_violations

__all__ = [
    "IBAN_BANK",
    "NOT_IN_ENUM",
    "UNKNOWN_KEY",
    "US_BANK",
    "Payload",
    "Violation",
    "catalogue",
    "get_violation",
    "minimal",
    "sample_leaf",
    "sample_params",
    "violations_for",
]

NOT_IN_ENUM = "contracttk_not_in_enum"


def _generic(param: Param, kind: str | None) -> list[Violation]:
    out: list[Violation] = []
    keys, path = param.keys, param.path
    # Routing-number rules are only meaningful on a US account (an IBAN needs none).
    prep: Mutator = (
        replace_bank(US_BANK) if keys[:2] == ("bank_account", "routing_number") else chain()
    )

    def v(rule: str, desc: str, expected: ExpectedError, mutate: Mutator) -> None:
        name = violation_name(path, rule)
        out.append(Violation(name, kind, rule, path, desc, expected, mutate=chain(prep, mutate)))

    parent = find_param(keys[:-1]) if len(keys) > 1 else None
    # A sole child cannot be left out without emptying its parent, and an empty hash is
    # sent as the empty string (`cvc_update=`): those bytes are `<parent>:empty`, not this.
    if param.required and parent is not None and len(parent.children) > 1:
        v(Rule.MISSING, f"required {path} left out", R.rule_missing(param), deleter(keys))
    if param.is_object:
        if not param.empty_ok:
            v(Rule.EMPTY, f"{path} sent as an empty string", R.rule_empty(param), setter(keys, ""))
        v(
            Rule.SCALAR_FOR_HASH,
            f"a plain string where the hash {path} belongs",
            R.rule_scalar_for_hash(param),
            setter(keys, "contracttk"),
        )
        if param.is_map:
            keys_over = METADATA_MAX_KEYS + 1
            key_over = METADATA_MAX_KEY_LENGTH + 1
            value_over = METADATA_MAX_VALUE_LENGTH + 1
            v(
                Rule.TOO_MANY_KEYS,
                f"{path} with {keys_over} keys",
                R.rule_metadata(param, f"at most {METADATA_MAX_KEYS} keys"),
                setter(keys, {f"k{i}": "v" for i in range(keys_over)}),
            )
            v(
                Rule.KEY_TOO_LONG,
                f"{path} key of {key_over} characters",
                R.rule_metadata(param, f"keys are at most {METADATA_MAX_KEY_LENGTH} characters"),
                setter(keys, {"k" * key_over: "v"}),
            )
            v(
                Rule.VALUE_TOO_LONG,
                f"{path} value of {value_over} characters",
                R.rule_metadata(
                    param, f"values are at most {METADATA_MAX_VALUE_LENGTH} characters"
                ),
                setter(keys, {"k": "v" * value_over}),
            )
            v(
                Rule.HASH_FOR_SCALAR,
                f"a hash as a value of {path}",
                R.rule_hash_for_scalar(param),
                setter(keys, {"k": {"a": "b"}}),
            )
        else:
            v(
                Rule.UNKNOWN_PARAM,
                f"an unknown key inside {path}",
                R.rule_unknown(keys, UNKNOWN_KEY),
                setter((*keys, UNKNOWN_KEY), "x"),
            )
        return out
    if param.type == "array":
        if not param.empty_ok:
            v(Rule.EMPTY, f"{path} sent as an empty string", R.rule_empty(param), setter(keys, ""))
        v(
            Rule.SCALAR_FOR_ARRAY,
            f"a plain string where the array {path} belongs",
            R.rule_array_wrong_type(param),
            setter(keys, "contracttk"),
        )
        v(
            Rule.WRONG_TYPE,
            f"a hash where the array {path} belongs",
            R.rule_array_wrong_type(param),
            setter(keys, {"contracttk": "x"}),
        )
        if not (param.items and param.items.empty_ok):
            v(
                Rule.EMPTY_ITEM,
                f"an empty string as an item of {path}",
                R.rule_empty_item(param, "0"),
                setter(keys, [""]),
            )
        if param.items and param.items.max_length is not None:
            v(
                Rule.TOO_LONG,
                f"an item of {path} over {param.items.max_length} characters",
                R.rule_too_long(param, param.items.max_length),
                setter(keys, ["x" * (param.items.max_length + 1)]),
            )
        if param.items and param.items.enum:
            v(
                Rule.NOT_IN_ENUM,
                f"an item of {path} outside its enum",
                R.rule_not_in_enum(param, param.items.enum),
                setter(keys, [NOT_IN_ENUM]),
            )
        return out
    if not param.empty_ok:
        v(Rule.EMPTY, f"{path} sent as an empty string", R.rule_empty(param), setter(keys, ""))
    v(
        Rule.HASH_FOR_SCALAR,
        f"a hash where the {param.type} {path} belongs",
        R.rule_hash_for_scalar(param),
        setter(keys, {"contracttk": "x"}),
    )
    if param.max_length is not None:
        v(
            Rule.TOO_LONG,
            f"{path} over {param.max_length} characters",
            R.rule_too_long(param, param.max_length),
            setter(keys, "9" * (param.max_length + 1)),
        )
    if param.enum:
        v(
            Rule.NOT_IN_ENUM,
            f"{path} outside its enum",
            R.rule_not_in_enum(param, param.enum),
            setter(keys, NOT_IN_ENUM),
        )
    bad = {"integer": "abc", "number": "abc", "boolean": "maybe"}.get(param.type)
    if bad is not None:
        v(
            Rule.WRONG_TYPE,
            f"{path} is not a valid {param.type}",
            R.rule_wrong_type(param, bad),
            setter(keys, bad),
        )
    return out


@cache
def catalogue() -> tuple[Violation, ...]:
    """Every violation, request-level first, then kind by kind."""
    entries = [v for v in domain_violations() if v.kind is None]
    for param in shared_params()["expand"].walk():
        entries.extend(_generic(param, None))
    for kind in KIND_NAMES:
        for param in param_tree(kind).walk():
            entries.extend(_generic(param, kind))
        entries.extend(v for v in domain_violations() if v.kind == kind)
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

    Entries that need a live-mode key are left out unless ``include_key_rules``; an unknown
    ``kind`` raises :class:`UnknownKindError` (not the request-level entries alone).
    """
    get_kind(kind)
    return tuple(
        v
        for v in catalogue()
        if (v.kind is None or v.kind == kind) and (include_key_rules or v.requires is None)
    )
