"""Builders of the ``account`` and ``person`` kinds: a walk over the contract's parameter tree.

Every field of the tree is reachable: objects recurse, address and date hashes get values
that belong together, maps get metadata-like pairs, and leaves come from :mod:`._leaves`.
"""

from __future__ import annotations

import calendar
from typing import Any

from contracttk.contract import Param, param_tree
from contracttk.contract import domain as D

from ._context import BuildContext, fit
from ._leaves import FILES, METADATA_KEYS, scalar
from ._payload import Payload

__all__ = ["account", "person"]

_ADDRESS_KEYS = frozenset({"city", "country", "line1", "line2", "postal_code", "state", "town"})
_DATE_KEYS = frozenset({"day", "month", "year"})

# Objects whose "anchor" keys are always sent when the object is: an empty hash travels as
# "" (Stripe's unset) and is then invalid, and these keys make a minimal payload look real.
_ANCHORS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("person",): ("first_name", "last_name"),
    ("account", "individual"): ("first_name", "last_name"),
    ("account", "company"): ("name",),
}


def account(ctx: BuildContext) -> Payload:
    """A valid ``account`` hash: a business type and (maybe) its entity hash."""
    tree = param_tree("account")
    business_type = tree.child("business_type")
    assert business_type is not None and business_type.enum
    bt = ctx.pick.choice(business_type.enum)
    out: Payload = {"business_type": bt}
    # The entity hash that goes with the business type (Stripe uses `individual` only there).
    entity = tree.child("individual" if bt == "individual" else "company")
    if entity is not None and ctx.optional():
        out[entity.name] = _object(ctx, entity)
    if ctx.optional():
        out["tos_shown_and_accepted"] = True
    return out


def person(ctx: BuildContext) -> Payload:
    """A valid ``person`` hash."""
    return _object(ctx, param_tree("person"))


def _value(ctx: BuildContext, param: Param) -> Any:
    if param.is_map:
        return _metadata(ctx, param)
    if param.is_object:
        names = {c.name for c in param.children}
        if names and names <= _ADDRESS_KEYS:
            return _address_hash(ctx, param)
        if names == _DATE_KEYS:
            return _date_hash(ctx, param)
        if {"date", "ip"} <= names:
            return _declaration(ctx, param)
        return _object(ctx, param)
    if param.type == "array":
        return _array(ctx, param)
    return scalar(ctx, param)


def _object(ctx: BuildContext, param: Param) -> Payload:
    anchors = _ANCHORS.get(param.keys, ())
    out: Payload = {}
    for child in param.children:
        if child.required or child.name in anchors or ctx.optional():
            out[child.name] = _value(ctx, child)
    if not out and param.children:
        first = param.children[0]
        out[first.name] = _value(ctx, first)
    return out


def _address_hash(ctx: BuildContext, param: Param) -> Payload:
    japanese = param.name.endswith(("_kana", "_kanji"))
    addr = ctx.pick.choice(ctx.ja.addresses if japanese else ctx.pool.addresses)
    line1 = addr.line1
    # Stripe's identity test values for line1 are accepted verbatim; offer them too.
    if not japanese and param.keys[0] in ("account", "person") and ctx.pick.gate():
        line1 = ctx.pick.choice(D.TEST_ADDRESS_LINE1)
    values = {
        "line1": line1,
        "line2": addr.line2,
        "city": addr.city,
        "state": addr.state,
        "postal_code": addr.postal_code,
        "country": addr.country,
        "town": addr.town,
    }
    always = ("line1", "city", "postal_code", "country")
    out: Payload = {}
    for child in param.children:
        value = values.get(child.name)
        if value and (child.name in always or ctx.optional()):
            out[child.name] = fit(child, value)
    return out


def _date_hash(ctx: BuildContext, param: Param) -> Payload:
    pick, today = ctx.pick, ctx.today
    if param.name == "dob":
        if pick.gate():
            y, m, d = pick.choice(D.TEST_DOBS)
            return {"day": d, "month": m, "year": y}
        # Adults only: a birth year 19-90 years back is 18+ whatever the month and day.
        year = today.year - pick.integer(19, 90)
    else:  # registration_date: a past date
        year = today.year - pick.integer(1, 100)
    month = pick.integer(1, 12)
    day = pick.integer(1, calendar.monthrange(year, month)[1])
    return {"day": day, "month": month, "year": year}


def _declaration(ctx: BuildContext, param: Param) -> Payload:
    # date and ip go together (person ToS acceptance requires both once either is sent).
    out: Payload = {}
    for child in param.children:
        if child.name in ("date", "ip") or ctx.optional():
            out[child.name] = scalar(ctx, child)
    return out


def _metadata(ctx: BuildContext, param: Param) -> Payload:
    pick = ctx.pick
    count = pick.integer(1, 3)
    out: Payload = {}
    for _ in range(count):
        # Keys are words, never "0", "1", ...: a decoder turns those into a list.
        key = pick.choice(METADATA_KEYS)
        out[key] = pick.choice(ctx.pool.words) + "-" + str(pick.integer(1, 99999))
    return out


def _array(ctx: BuildContext, param: Param) -> list[Any]:
    pick = ctx.pick
    items = param.items
    if items is not None and items.enum:
        first = pick.choice(items.enum)
        second = pick.choice(items.enum) if pick.gate() else first
        return list(dict.fromkeys((first, second)))
    if param.name == "files":
        source: tuple[str, ...] = FILES
    elif param.name == "full_name_aliases":
        source = ctx.pool.full_names
    else:
        source = ctx.pool.words
    count = pick.integer(1, 2)
    values = [pick.choice(source) for _ in range(count)]
    limit = items.max_length if items is not None else None
    return [v[:limit] if limit is not None else v for v in values]
