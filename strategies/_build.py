"""Payload builders: the entry points both front-ends (and the fixture dump) call.

:func:`build_valid` makes a valid ``{kind: {...}}`` request, :func:`build_invalid` one with
a catalogue violation applied, labelled as an :class:`InvalidPayload`. Every random choice
goes through the :class:`~._pickers.Picker` passed in, so the same builders serve Hypothesis
(choices shrink) and Faker (choices replay from a seed). Everything a payload holds derives
from the contract model: fields, types, enums and maxLengths from ``param_tree``; every
sensitive value from ``contract.domain``'s Stripe test values.

Same seed, same payload: the Faker path's order of choices (payload first, then the
violation) is what the committed fixture files were made with; keep it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from itertools import accumulate
from typing import TYPE_CHECKING, TypeVar

from contracttk.contract import KIND_NAMES, Param, Violation, normalise_exp_year, param_tree
from contracttk.contract import domain as D

from ._context import BuildContext, digits, fit
from ._entities import account, person
from ._leaves import CURRENCIES, ID_NUMBERS
from ._payload import InvalidPayload, Payload

if TYPE_CHECKING:
    from faker import Generator

    from ._options import Spec
    from ._pickers import Picker

__all__ = [
    "EXPIRY_YEARS_AHEAD",
    "build_invalid",
    "build_valid",
    "pick_violation",
    "weighted_index",
]

V = TypeVar("V")

# Expiry years: strictly after the current year (current-year/past-month is not established)
# and at most this far ahead (well inside the ≈50-year cut-off).
EXPIRY_YEARS_AHEAD = 10


def build_valid(
    kind: str,
    pick: Picker,
    spec: Spec,
    *,
    source: Generator | None = None,
    source_locale: str | None = None,
) -> Payload:
    """A fresh valid ``{kind: {...}}`` payload (the oracle accepts it).

    ``spec`` comes from :func:`~._options.resolve`. Names and addresses come from one locale
    of ``spec.locales`` (picked per payload), or from ``source_locale`` when the caller named
    no locale and gives its own Faker ``source`` generator (the Faker provider does).
    """
    if source_locale is not None and not spec.locale_given:
        locale = source_locale
    elif len(spec.locales) == 1:
        locale = spec.locales[0]
    else:
        locale = pick.choice(spec.locales)
    ctx = BuildContext(pick, spec, locale, source, source_locale)
    return {kind: _KIND_BUILDERS[kind](ctx)}


def build_invalid(
    kind: str,
    pick: Picker,
    spec: Spec,
    violations: Sequence[Violation],
    *,
    weights: Sequence[int] | None = None,
    source: Generator | None = None,
    source_locale: str | None = None,
) -> InvalidPayload:
    """A valid payload with one of ``violations`` applied, labelled with its expectation.

    The payload is built first, then the violation picked (with ``weights``, if given, one
    integer per entry): the order the Faker provider and the fixture files rely on. A
    caller that picked the violation itself passes just that one.
    """
    payload = build_valid(kind, pick, spec, source=source, source_locale=source_locale)
    v = pick_violation(pick, violations, weights)
    # Why mutate, not apply: apply() deep-copies its input to protect the caller's payload;
    # this one was built just now and nobody else holds it, so the copy would be pure cost.
    v.mutate(payload, spec.today_or_now())
    return InvalidPayload(payload, v.name, v.expected)


def pick_violation(
    pick: Picker, violations: Sequence[V], weights: Sequence[int] | None = None
) -> V:
    """One of ``violations``: uniformly, or in proportion to ``weights``; the first is simplest."""
    if len(violations) == 1:
        return violations[0]
    if weights is None:
        return pick.choice(violations)
    return violations[weighted_index(weights, pick.integer(0, sum(weights) - 1))]


def weighted_index(weights: Sequence[int], r: int) -> int:
    """The index whose share of ``[0, sum(weights))`` holds ``r`` (0 maps to index 0)."""
    return bisect_right(_bounds(tuple(weights)), r)


@cache
def _bounds(weights: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(accumulate(weights))


# --- card -------------------------------------------------------------------------------------


@cache
def _card_param(name: str) -> Param:
    p = param_tree("card").child(name)
    assert p is not None
    return p


def _card(ctx: BuildContext) -> Payload:
    pick, today = ctx.pick, ctx.today
    card = pick.choice(ctx.spec.cards)
    month = pick.integer(1, 12)
    year = today.year + pick.integer(1, EXPIRY_YEARS_AHEAD)
    out: Payload = {
        "number": card.number,
        "exp_month": str(month) if pick.gate() else f"{month:02d}",
        "exp_year": _exp_year(pick, year, today),
    }
    if ctx.optional():
        out["cvc"] = digits(pick, pick.choice(D.cvc_lengths_for(card.number)))
    if ctx.optional():
        out["name"] = fit(_card_param("name"), pick.choice(ctx.pool.full_names))
    if ctx.optional():
        addr = pick.choice(ctx.pool.addresses)
        out["address_line1"] = fit(_card_param("address_line1"), addr.line1)
        if addr.line2 and ctx.optional():
            out["address_line2"] = fit(_card_param("address_line2"), addr.line2)
        out["address_city"] = fit(_card_param("address_city"), addr.city)
        if addr.state and ctx.optional():
            out["address_state"] = fit(_card_param("address_state"), addr.state)
        out["address_zip"] = fit(_card_param("address_zip"), addr.postal_code)
        out["address_country"] = addr.country
    if ctx.optional():
        out["currency"] = pick.choice(CURRENCIES)
    preferred = _preferred_networks(card)
    if preferred and ctx.optional():
        out["networks"] = {"preferred": pick.choice(preferred)}
    return out


def _exp_year(pick: Picker, year: int, today: date) -> str:
    two = f"{year % 100:02d}"
    # A two-digit year is only sent where Stripe's expansion gives back the same year.
    if normalise_exp_year(two, today) == year and pick.gate():
        return two
    return str(year)


@cache
def _preferred_networks(card: D.TestCard) -> tuple[str, ...]:
    # networks[preferred] only means something on a co-branded card: offer its own networks.
    networks = param_tree("card").child("networks")
    preferred = networks.child("preferred") if networks else None
    if card.co_brand is None or preferred is None or not preferred.enum:
        return ()
    return tuple(n for n in preferred.enum if n in (card.co_brand, card.brand))


# --- bank_account -----------------------------------------------------------------------------


def _bank_account(ctx: BuildContext) -> Payload:
    pick = ctx.pick
    acct = pick.choice(ctx.spec.banks)
    tree = param_tree("bank_account")
    out: Payload = {"country": acct.country}
    if ctx.optional():
        out["currency"] = acct.currency
    holder_type = tree.child("account_holder_type")
    holder = pick.choice(holder_type.enum) if holder_type and holder_type.enum else "individual"
    if ctx.optional():
        names = ctx.pool.companies if holder == "company" else ctx.pool.full_names
        out["account_holder_name"] = fit(tree.child("account_holder_name"), pick.choice(names))
    if ctx.optional():
        out["account_holder_type"] = holder
    account_type = tree.child("account_type")
    if acct.routing_number is not None:
        out["routing_number"] = acct.routing_number
        # futsu/toza are Japanese account types; a US test account is checking or savings.
        enum = account_type.enum if account_type is not None else None
        us_types = tuple(t for t in (enum or ()) if t in ("checking", "savings"))
        if us_types and ctx.optional():
            out["account_type"] = pick.choice(us_types)
    out["account_number"] = acct.account_number
    return out


# --- pii / cvc_update -------------------------------------------------------------------------


def _pii(ctx: BuildContext) -> Payload:
    # id_number is optional in the tree, but an empty pii hash travels as "" and is invalid.
    return {"id_number": ctx.pick.choice(ID_NUMBERS)}


def _cvc_update(ctx: BuildContext) -> Payload:
    return {"cvc": digits(ctx.pick, ctx.pick.choice((3, 4)))}


_KIND_BUILDERS: dict[str, Callable[[BuildContext], Payload]] = {
    "card": _card,
    "bank_account": _bank_account,
    "pii": _pii,
    "account": account,
    "person": person,
    "cvc_update": _cvc_update,
}
assert set(_KIND_BUILDERS) == set(KIND_NAMES), "one builder per token kind"
