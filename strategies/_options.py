"""Generator options: what the caller asked for (:class:`Options`) and what a builder needs.

Options are checked when a payload is first built, not when a strategy is made, so a bad
option in a module-level ``@given`` does not break collection. :func:`resolve` turns them
into a :class:`Spec` (the test cards, bank accounts and locales to draw from);
:func:`resolve_violations` the ``violation=`` argument into catalogue entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from contracttk.contract import KIND_NAMES, Violation, violations_for
from contracttk.contract import domain as D

from ._pools import DEFAULT_LOCALES

__all__ = [
    "KIND_OPTIONS",
    "Options",
    "Spec",
    "ViolationSpec",
    "make_options",
    "resolve",
    "resolve_violations",
    "resolve_weights",
]

ViolationSpec = str | Sequence[str] | Mapping[str, int] | None
"""A catalogue name, a list of names, ``{name: weight}``, or None for every entry of the kind."""

_COMMON_OPTIONS = frozenset({"locale", "include_optional", "today"})
# Only cards pick a brand, and only cards and bank accounts a country; the kind list itself
# comes from the contract model.
_EXTRA_OPTIONS = {"card": frozenset({"brand", "country"}), "bank_account": frozenset({"country"})}
KIND_OPTIONS: dict[str, frozenset[str]] = {
    kind: _COMMON_OPTIONS | _EXTRA_OPTIONS.get(kind, frozenset()) for kind in KIND_NAMES
}
"""The keyword options each kind's generators accept."""


@dataclass(frozen=True)
class Options:
    """Generator options as the caller gave them (hashable, unvalidated)."""

    brand: str | None = None
    country: str | None = None
    locale: str | tuple[str, ...] | None = None
    include_optional: bool | None = None
    today: date | None = None


@dataclass(frozen=True)
class Spec:
    """Validated options of one kind: what a builder needs."""

    kind: str
    cards: tuple[D.TestCard, ...]
    banks: tuple[D.TestBankAccount, ...]
    locales: tuple[str, ...]
    include_optional: bool | None
    today: date | None
    locale_given: bool = False

    def today_or_now(self) -> date:
        """``today`` if pinned, else the current local date."""
        return self.today or date.today()


def make_options(kind: str, opts: dict[str, Any]) -> Options:
    """Options from keyword arguments; unknown names for ``kind`` raise ValueError."""
    allowed = KIND_OPTIONS.get(kind)
    if allowed is None:
        raise ValueError(f"unknown token kind {kind!r}; expected one of {list(KIND_NAMES)}")
    extra = sorted(set(opts) - allowed)
    if extra:
        raise ValueError(f"{kind} generators take no option {extra}; allowed: {sorted(allowed)}")
    locale = opts.get("locale")
    if locale is not None and not isinstance(locale, str) and isinstance(locale, Iterable):
        locale = tuple(locale)  # hashable, so resolve() can cache
    return Options(**{**opts, "locale": locale})


@lru_cache(maxsize=256)
def resolve(kind: str, options: Options) -> Spec:
    """Validate ``options`` for ``kind``; ValueError with the allowed values otherwise."""
    if kind not in KIND_OPTIONS:
        raise ValueError(f"unknown token kind {kind!r}; expected one of {list(KIND_NAMES)}")
    o = options
    if o.include_optional is not None and not isinstance(o.include_optional, bool):
        raise ValueError(
            f"include_optional must be True, False or None, not {o.include_optional!r}"
        )
    if o.today is not None and (not isinstance(o.today, date) or isinstance(o.today, datetime)):
        raise ValueError(f"today must be a datetime.date, not {o.today!r}")
    locales = _resolve_locales(o.locale)
    cards: tuple[D.TestCard, ...] = ()
    banks: tuple[D.TestBankAccount, ...] = ()
    if kind == "card":
        cards = D.test_cards(brand=o.brand, country=o.country)  # raises on an unknown brand
        if not cards:
            known = sorted({c.country for c in D.test_cards(brand=o.brand) if c.country})
            raise ValueError(
                f"no Stripe test card with brand={o.brand!r} country={o.country!r}; "
                f"countries with test cards: {known}"
            )
    elif kind == "bank_account":
        banks = D.bank_accounts(country=o.country)
        if not banks:
            known = sorted({a.country for a in D.TEST_BANK_ACCOUNTS})
            raise ValueError(
                f"no Stripe test bank account for country {o.country!r}; known: {known}"
            )
    country = (o.country or "").upper()
    if o.locale is None and country:
        # Names and addresses from the country's own locale when we have one.
        matching = tuple(loc for loc in locales if loc.endswith("_" + country))
        locales = matching or locales
    return Spec(kind, cards, banks, locales, o.include_optional, o.today, o.locale is not None)


def _resolve_locales(locale: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if locale is None:
        return DEFAULT_LOCALES
    wanted = (locale,) if isinstance(locale, str) else locale
    if not isinstance(wanted, tuple) or not wanted or not all(isinstance(x, str) for x in wanted):
        raise ValueError(f"locale must be a Faker locale name or a list of them, not {locale!r}")
    from faker.config import AVAILABLE_LOCALES

    unknown = [loc for loc in wanted if loc not in AVAILABLE_LOCALES]
    if unknown:
        raise ValueError(f"unknown Faker locale(s) {unknown}; see faker.config.AVAILABLE_LOCALES")
    return wanted


def resolve_violations(kind: str, violation: ViolationSpec) -> tuple[Violation, ...]:
    """Cached :func:`_resolve_violations` (lists of names are keyed as tuples).

    A mapping restricts to its keys, in its order (its values are weights: see
    :func:`resolve_weights`).
    """
    if violation is None or isinstance(violation, str):
        return _resolve_violations(kind, violation)
    try:
        key = tuple(violation)
    except TypeError:
        raise ValueError(
            f"violation must be a catalogue name or a list of them, not {violation!r}"
        ) from None
    return _resolve_violations(kind, key)


def resolve_weights(violation: ViolationSpec) -> tuple[int, ...] | None:
    """The weights of a ``{name: weight}`` mapping, in its order; None for other forms.

    Weights are integers >= 1 (ValueError otherwise): an entry drawn with weight 3 comes
    three times as often as one with weight 1. To leave an entry out, leave out its name.
    """
    if not isinstance(violation, Mapping):
        return None
    weights = tuple(violation.values())
    for name, weight in violation.items():
        if type(weight) is not int or weight < 1:
            raise ValueError(
                f"weight of violation {name!r} must be an integer >= 1, not {weight!r}"
            )
    return weights


@lru_cache(maxsize=512)
def _resolve_violations(
    kind: str, violation: str | tuple[str, ...] | None
) -> tuple[Violation, ...]:
    """The catalogue entries an invalid ``kind`` payload may carry, restricted by ``violation``.

    ``violation`` is None (all of ``violations_for(kind)``), a name, or a list of names.
    Names that are unknown, of another kind, or that need a live-mode key (a payload alone
    cannot carry those) raise ValueError.
    """
    pool = violations_for(kind)
    if violation is None:
        return pool
    names = (violation,) if isinstance(violation, str) else tuple(violation)
    if not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"violation must be a catalogue name or a list of them, not {violation!r}")
    by_name = {v.name: v for v in pool}
    out: list[Violation] = []
    for name in names:
        v = by_name.get(name)
        if v is None:
            with_keys = {x.name for x in violations_for(kind, include_key_rules=True)}
            why = (
                "it needs a live-mode key, which a payload cannot carry"
                if name in with_keys
                else f"it is not a {kind} entry of the catalogue (see violations_for({kind!r}))"
            )
            raise ValueError(f"cannot generate violation {name!r} for {kind}: {why}")
        out.append(v)
    return tuple(dict.fromkeys(out))
