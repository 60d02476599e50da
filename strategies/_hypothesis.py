"""Hypothesis strategies for valid and invalid ``POST /v1/tokens`` payloads of every kind.

Each factory returns a strategy at once and checks its arguments only when the strategy is
first drawn from (so a bad option in a module-level ``@given`` does not break collection),
raising :class:`hypothesis.errors.InvalidArgument`, as Hypothesis's own factories do. The
factories are ``@st.composite`` functions, so a strategy's repr is the call that made it:
``invalid_card_params(violation='card[number]:luhn')``.

Payloads come from the shared builders of :mod:`._build`, every choice a ``draw``
(:class:`~._draw.DrawPicker`): a failing example shrinks to a minimal payload (only the
required fields, the first test card, the nearest expiry). Invalid payloads draw their
catalogue entry first, valid card and bank account payloads their test card or account
(:func:`~._draw.draw_walk`), so 100 examples walk most of a kind's catalogue or test values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from contracttk.contract import KIND_NAMES, Violation

from ._build import build_invalid, build_valid
from ._draw import Draw, DrawPicker, draw_walk
from ._options import (
    Options,
    Spec,
    ViolationSpec,
    make_options,
    resolve,
    resolve_violations,
    resolve_weights,
)
from ._payload import InvalidPayload, Payload
from ._pools import DEFAULT_LOCALES, JA, warm_pools

__all__ = [
    "account_params",
    "any_invalid_params",
    "any_valid_params",
    "bank_account_params",
    "card_params",
    "cvc_update_params",
    "invalid_account_params",
    "invalid_bank_account_params",
    "invalid_card_params",
    "invalid_cvc_update_params",
    "invalid_params",
    "invalid_person_params",
    "invalid_pii_params",
    "params",
    "person_params",
    "pii_params",
]

Locale = str | Sequence[str] | None
F = TypeVar("F", bound=Callable[..., Any])
_KINDS = st.sampled_from(KIND_NAMES)
# Kinds whose payloads have Kana/Kanji fields (Japanese names whatever the locale).
_JAPANESE_KINDS = frozenset({"account", "person"})


def _warmed(japanese: bool | None, *, pools: bool = True) -> Callable[[F], F]:
    """Build the locale pools a factory's strategy draws from when the strategy is made.

    Strategies are made when a test module is imported, before Hypothesis times anything;
    building the pools during the first draws instead would trip its too_slow health check.
    ``japanese``: whether the kind has Kana/Kanji fields (None: the kind is the ``kind``
    argument); ``pools=False`` for kinds that draw nothing from them (pii, cvc_update: ~0.5 s
    of pools for nothing). The call is passed on unchanged, so the strategy's repr is still
    the call.
    """

    def wrap(factory: F) -> F:
        if not pools:
            return factory

        @functools.wraps(factory)
        def make(*args: Any, **kwargs: Any) -> Any:
            locales = _locales_of(kwargs.get("locale"))
            kind = kwargs.get("kind", args[0] if args else None)
            if japanese or (japanese is None and kind in _JAPANESE_KINDS):
                locales = (*locales, JA)
            warm_pools(locales)
            return factory(*args, **kwargs)

        return make  # type: ignore[return-value]

    return wrap


def _locales_of(locale: Any) -> tuple[str, ...]:
    if locale is None:
        return DEFAULT_LOCALES
    if isinstance(locale, str):
        return (locale,)
    try:
        return tuple(x for x in locale if isinstance(x, str))
    except TypeError:
        return ()  # a bad value: the strategy reports it when drawn


def _checked(fn: Any, *args: Any) -> Any:
    # Option errors surface as InvalidArgument, as from Hypothesis's own strategies.
    try:
        return fn(*args)
    except (ValueError, TypeError) as exc:
        raise InvalidArgument(str(exc)) from exc


def _valid(draw: Draw, kind: str, options: Options) -> Payload:
    spec: Spec = _checked(resolve, kind, options)
    # Walk the test cards / bank accounts (draw_walk); the builder then finds one left.
    if len(spec.cards) > 1:
        spec = replace(spec, cards=(draw_walk(draw, spec.cards),))
    elif len(spec.banks) > 1:
        spec = replace(spec, banks=(draw_walk(draw, spec.banks),))
    return build_valid(kind, DrawPicker(draw), spec)


def _invalid(draw: Draw, kind: str, options: Options, violation: ViolationSpec) -> InvalidPayload:
    spec: Spec = _checked(resolve, kind, options)
    entries: tuple[Violation, ...] = _checked(resolve_violations, kind, violation)
    entry = draw_walk(draw, entries, _checked(resolve_weights, violation))
    return build_invalid(kind, DrawPicker(draw), spec, (entry,))


def _opts(
    locale: Locale,
    include_optional: bool | None,
    today: date | None,
    brand: str | None = None,
    country: str | None = None,
) -> Options:
    return Options(brand, country, _locale(locale), include_optional, today)


# --- valid payloads ---------------------------------------------------------------------------


@_warmed(False)
@st.composite
def card_params(
    draw: st.DrawFn,
    *,
    brand: str | None = None,
    country: str | None = None,
    locale: Locale = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> Payload:
    """Valid ``{"card": {...}}`` requests built on Stripe's test card numbers.

    ``brand`` (a ``domain.BRANDS`` key, co-brands included) and ``country`` (issuing country)
    narrow the test cards. Expiries are strictly after ``today``'s year and at most ten years
    ahead, as two- or four-digit years; CVCs have the brand's length; names and addresses come
    from the Faker ``locale`` (one name or a list; default: several markets).
    ``include_optional``: None draws each optional field, True always sends them, False never.
    The test card is drawn first and the examples of a run take the cards each once before
    repeating any, so 100 examples reach every brand (see :func:`invalid_card_params`).
    """
    return _valid(draw, "card", _opts(locale, include_optional, today, brand, country))


@_warmed(False)
@st.composite
def bank_account_params(
    draw: st.DrawFn,
    *,
    country: str | None = None,
    locale: Locale = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> Payload:
    """Valid ``{"bank_account": {...}}`` requests on Stripe's test accounts and IBANs.

    US accounts carry the test routing number; IBAN countries an IBAN of that country.
    ``country`` (ISO code) restricts to that country's test accounts. The test account is
    drawn first, walking them as :func:`card_params` walks the test cards.
    """
    return _valid(draw, "bank_account", _opts(locale, include_optional, today, None, country))


@_warmed(False, pools=False)
@st.composite
def pii_params(
    draw: st.DrawFn,
    *,
    locale: Locale = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> Payload:
    """Valid ``{"pii": {"id_number": ...}}`` requests with Stripe's test id numbers."""
    return _valid(draw, "pii", _opts(locale, include_optional, today))


@_warmed(True)
@st.composite
def account_params(
    draw: st.DrawFn,
    *,
    locale: Locale = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> Payload:
    """Valid ``{"account": {...}}`` requests: a business type and its entity hash.

    Every field of ``account[individual]`` / ``account[company]`` is reachable (derived from
    the parameter tree); identity values (id numbers, tax ids, dates of birth, files) are
    Stripe's test values.
    """
    return _valid(draw, "account", _opts(locale, include_optional, today))


@_warmed(True)
@st.composite
def person_params(
    draw: st.DrawFn,
    *,
    locale: Locale = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> Payload:
    """Valid ``{"person": {...}}`` requests; every field of the tree is reachable."""
    return _valid(draw, "person", _opts(locale, include_optional, today))


@_warmed(False, pools=False)
@st.composite
def cvc_update_params(
    draw: st.DrawFn,
    *,
    locale: Locale = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> Payload:
    """Valid ``{"cvc_update": {"cvc": ...}}`` requests (3 or 4 digits)."""
    return _valid(draw, "cvc_update", _opts(locale, include_optional, today))


@_warmed(None)
@st.composite
def params(draw: st.DrawFn, kind: str, **options: Any) -> Payload:
    """Valid requests of ``kind``; ``options`` as for ``<kind>_params``, checked when drawn."""
    return _valid(draw, kind, _checked(make_options, kind, options))


@_warmed(True)
@st.composite
def any_valid_params(draw: st.DrawFn, **options: Any) -> Payload:
    """Valid requests of any of the six kinds (options common to all kinds only)."""
    kind = draw(_KINDS)
    return _valid(draw, kind, _checked(make_options, kind, options))


# --- invalid payloads -------------------------------------------------------------------------


@_warmed(False)
@st.composite
def invalid_card_params(
    draw: st.DrawFn,
    violation: ViolationSpec = None,
    *,
    brand: str | None = None,
    country: str | None = None,
    locale: Locale = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> InvalidPayload:
    """A valid card request with one catalogue violation applied, as an :class:`InvalidPayload`.

    ``violation`` restricts the entries drawn from ``violations_for("card")``: a name, a list
    of names, or ``{name: weight}`` with integer weights (unknown names raise when drawn).
    The entry is drawn first: the examples of a run take the entries in a random order,
    each once, before repeating any (a quarter of the examples pick at random, weighted if
    asked), so 100 examples reach well over 80% of the card catalogue and ``find`` reaches
    any single entry. The walk needs this strategy drawn before any other random value of
    the example (the first ``@given`` argument); drawn after one, entries come at random.
    Other options as for :func:`card_params`.
    """
    options = _opts(locale, include_optional, today, brand, country)
    return _invalid(draw, "card", options, violation)


@_warmed(False)
@st.composite
def invalid_bank_account_params(
    draw: st.DrawFn,
    violation: ViolationSpec = None,
    *,
    country: str | None = None,
    locale: Locale = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> InvalidPayload:
    """Invalid bank_account requests (see :func:`invalid_card_params`)."""
    options = _opts(locale, include_optional, today, None, country)
    return _invalid(draw, "bank_account", options, violation)


@_warmed(False, pools=False)
@st.composite
def invalid_pii_params(
    draw: st.DrawFn,
    violation: ViolationSpec = None,
    *,
    locale: Locale = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> InvalidPayload:
    """Invalid pii requests (see :func:`invalid_card_params`)."""
    return _invalid(draw, "pii", _opts(locale, include_optional, today), violation)


@_warmed(True)
@st.composite
def invalid_account_params(
    draw: st.DrawFn,
    violation: ViolationSpec = None,
    *,
    locale: Locale = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> InvalidPayload:
    """Invalid account requests (see :func:`invalid_card_params`)."""
    return _invalid(draw, "account", _opts(locale, include_optional, today), violation)


@_warmed(True)
@st.composite
def invalid_person_params(
    draw: st.DrawFn,
    violation: ViolationSpec = None,
    *,
    locale: Locale = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> InvalidPayload:
    """Invalid person requests (see :func:`invalid_card_params`)."""
    return _invalid(draw, "person", _opts(locale, include_optional, today), violation)


@_warmed(False, pools=False)
@st.composite
def invalid_cvc_update_params(
    draw: st.DrawFn,
    violation: ViolationSpec = None,
    *,
    locale: Locale = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> InvalidPayload:
    """Invalid cvc_update requests (see :func:`invalid_card_params`)."""
    return _invalid(draw, "cvc_update", _opts(locale, include_optional, today), violation)


@_warmed(None)
@st.composite
def invalid_params(
    draw: st.DrawFn, kind: str, violation: ViolationSpec = None, **options: Any
) -> InvalidPayload:
    """Invalid requests of ``kind``; ``violation`` and ``options`` checked when drawn."""
    return _invalid(draw, kind, _checked(make_options, kind, options), violation)


@_warmed(True)
@st.composite
def any_invalid_params(draw: st.DrawFn, **options: Any) -> InvalidPayload:
    """Invalid requests of any kind, any catalogue entry (options common to all kinds)."""
    kind = draw(_KINDS)
    return _invalid(draw, kind, _checked(make_options, kind, options), None)


def _locale(locale: Locale) -> str | tuple[str, ...] | None:
    # Lists become tuples so Options stays hashable; the value itself is checked when drawn.
    if locale is None or isinstance(locale, str):
        return locale
    try:
        return tuple(locale)
    except TypeError:
        return locale  # type: ignore[return-value]  # rejected by resolve() when drawn
