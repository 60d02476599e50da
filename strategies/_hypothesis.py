"""Hypothesis strategies for valid and invalid ``POST /v1/tokens`` payloads of every kind.

Each factory returns a strategy at once and checks its arguments only when the strategy is
first drawn from (so a bad option in a module-level ``@given`` does not break collection),
raising :class:`hypothesis.errors.InvalidArgument`, as Hypothesis's own factories do.

The payloads are built by the shared builders of :mod:`._build` with every choice made by a
``draw``: pool values through ``st.sampled_from``, optional fields through ``st.booleans()``
gates. Hypothesis shrinks both towards their first/False choice, so a failing example shrinks
to a minimal payload (only the required fields, the first test card, the nearest expiry).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from contracttk.contract import KIND_NAMES, Violation

from ._build import build_invalid, build_valid
from ._options import Options, Spec, make_options, resolve, resolve_violations
from ._payload import InvalidPayload

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

T = TypeVar("T")
Payload = dict[str, Any]
ViolationSpec = str | Sequence[str] | None

_BOOLEANS = st.booleans()
# sampled_from strategies per pool, keyed by the pool's id and holding the pool itself, so an
# id is never reused while its entry lives. Pools are long-lived tuples; the bound is for the
# few ad-hoc tuples builders make.
_SAMPLED: dict[int, tuple[Sequence[Any], SearchStrategy[Any]]] = {}
_SAMPLED_MAX = 4096


def _sampled(seq: Sequence[T]) -> SearchStrategy[T]:
    hit = _SAMPLED.get(id(seq))
    if hit is not None and hit[0] is seq:
        return hit[1]
    if len(_SAMPLED) >= _SAMPLED_MAX:
        _SAMPLED.clear()
    strategy = st.sampled_from(seq)
    _SAMPLED[id(seq)] = (seq, strategy)
    return strategy


class _DrawPicker:
    """The builders' :class:`~._pickers.Picker` over a Hypothesis ``draw``."""

    __slots__ = ("_draw",)

    def __init__(self, draw: Callable[[SearchStrategy[Any]], Any]) -> None:
        self._draw = draw

    def choice(self, seq: Sequence[T]) -> T:
        return seq[0] if len(seq) == 1 else self._draw(_sampled(seq))

    def integer(self, lo: int, hi: int) -> int:
        return lo if lo == hi else self._draw(st.integers(lo, hi))

    def gate(self) -> bool:
        return self._draw(_BOOLEANS)


def _spec(kind: str, options: Options) -> Spec:
    try:
        return resolve(kind, options)
    except (ValueError, TypeError) as exc:
        raise InvalidArgument(str(exc)) from exc


def _violations(kind: str, violation: ViolationSpec) -> tuple[Violation, ...]:
    try:
        return resolve_violations(kind, violation)
    except (ValueError, TypeError) as exc:
        raise InvalidArgument(str(exc)) from exc


@st.composite
def _valid(draw: st.DrawFn, kind: str, options: Options) -> Payload:
    return build_valid(kind, _DrawPicker(draw), _spec(kind, options))


@st.composite
def _invalid(
    draw: st.DrawFn, kind: str, options: Options, violation: ViolationSpec
) -> InvalidPayload:
    spec = _spec(kind, options)
    return build_invalid(kind, _DrawPicker(draw), spec, _violations(kind, violation))


def _options(kind: str, options: dict[str, Any]) -> Options:
    try:
        return make_options(kind, options)
    except (ValueError, TypeError) as exc:
        raise InvalidArgument(str(exc)) from exc


@st.composite
def _valid_any_options(draw: st.DrawFn, kind: str, options: dict[str, Any]) -> Payload:
    return draw(_valid(kind, _options(kind, options)))


@st.composite
def _invalid_any_options(
    draw: st.DrawFn, kind: str, violation: ViolationSpec, options: dict[str, Any]
) -> InvalidPayload:
    return draw(_invalid(kind, _options(kind, options), violation))


# --- valid payloads ---------------------------------------------------------------------------


def card_params(
    *,
    brand: str | None = None,
    country: str | None = None,
    locale: str | Sequence[str] | None = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> SearchStrategy[Payload]:
    """Valid ``{"card": {...}}`` requests built on Stripe's test card numbers.

    ``brand`` (a ``domain.BRANDS`` key, co-brands included) and ``country`` (issuing country)
    narrow the test cards. Expiries are strictly after ``today``'s year and at most ten years
    ahead, as two- or four-digit years; CVCs have the brand's length; names and addresses come
    from the Faker ``locale`` (one name or a list; default: several markets).
    ``include_optional``: None draws each optional field, True always sends them, False never.
    """
    return _valid("card", Options(brand, country, _locale(locale), include_optional, today))


def bank_account_params(
    *,
    country: str | None = None,
    locale: str | Sequence[str] | None = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> SearchStrategy[Payload]:
    """Valid ``{"bank_account": {...}}`` requests on Stripe's test accounts and IBANs.

    US accounts carry the test routing number; IBAN countries an IBAN of that country.
    ``country`` (ISO code) restricts to that country's test accounts.
    """
    return _valid("bank_account", Options(None, country, _locale(locale), include_optional, today))


def pii_params(
    *,
    locale: str | Sequence[str] | None = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> SearchStrategy[Payload]:
    """Valid ``{"pii": {"id_number": ...}}`` requests with Stripe's test id numbers."""
    return _valid("pii", Options(None, None, _locale(locale), include_optional, today))


def account_params(
    *,
    locale: str | Sequence[str] | None = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> SearchStrategy[Payload]:
    """Valid ``{"account": {...}}`` requests: a business type and its entity hash.

    Every field of ``account[individual]`` / ``account[company]`` is reachable (derived from
    the parameter tree); identity values (id numbers, tax ids, dates of birth, files) are
    Stripe's test values.
    """
    return _valid("account", Options(None, None, _locale(locale), include_optional, today))


def person_params(
    *,
    locale: str | Sequence[str] | None = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> SearchStrategy[Payload]:
    """Valid ``{"person": {...}}`` requests; every field of the tree is reachable."""
    return _valid("person", Options(None, None, _locale(locale), include_optional, today))


def cvc_update_params(
    *,
    locale: str | Sequence[str] | None = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> SearchStrategy[Payload]:
    """Valid ``{"cvc_update": {"cvc": ...}}`` requests (3 or 4 digits)."""
    return _valid("cvc_update", Options(None, None, _locale(locale), include_optional, today))


def params(kind: str, **options: Any) -> SearchStrategy[Payload]:
    """Valid requests of ``kind``; ``options`` as for ``<kind>_params``, checked when drawn."""
    return _valid_any_options(kind, options)


def any_valid_params(**options: Any) -> SearchStrategy[Payload]:
    """Valid requests of any of the six kinds (options common to all kinds only)."""
    return st.one_of([params(kind, **options) for kind in KIND_NAMES])


# --- invalid payloads -------------------------------------------------------------------------


def invalid_card_params(
    violation: ViolationSpec = None,
    *,
    brand: str | None = None,
    country: str | None = None,
    locale: str | Sequence[str] | None = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> SearchStrategy[InvalidPayload]:
    """A valid card request with one catalogue violation applied, as an :class:`InvalidPayload`.

    ``violation`` restricts the entries drawn from ``violations_for("card")``: a name or a
    list of names (unknown names raise when drawn). Other options as for :func:`card_params`.
    """
    return _invalid(
        "card", Options(brand, country, _locale(locale), include_optional, today), violation
    )


def invalid_bank_account_params(
    violation: ViolationSpec = None,
    *,
    country: str | None = None,
    locale: str | Sequence[str] | None = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> SearchStrategy[InvalidPayload]:
    """Invalid bank_account requests (see :func:`invalid_card_params`)."""
    return _invalid(
        "bank_account",
        Options(None, country, _locale(locale), include_optional, today),
        violation,
    )


def invalid_pii_params(
    violation: ViolationSpec = None,
    *,
    locale: str | Sequence[str] | None = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> SearchStrategy[InvalidPayload]:
    """Invalid pii requests (see :func:`invalid_card_params`)."""
    return _invalid("pii", Options(None, None, _locale(locale), include_optional, today), violation)


def invalid_account_params(
    violation: ViolationSpec = None,
    *,
    locale: str | Sequence[str] | None = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> SearchStrategy[InvalidPayload]:
    """Invalid account requests (see :func:`invalid_card_params`)."""
    return _invalid(
        "account", Options(None, None, _locale(locale), include_optional, today), violation
    )


def invalid_person_params(
    violation: ViolationSpec = None,
    *,
    locale: str | Sequence[str] | None = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> SearchStrategy[InvalidPayload]:
    """Invalid person requests (see :func:`invalid_card_params`)."""
    return _invalid(
        "person", Options(None, None, _locale(locale), include_optional, today), violation
    )


def invalid_cvc_update_params(
    violation: ViolationSpec = None,
    *,
    locale: str | Sequence[str] | None = None,
    include_optional: bool | None = None,
    today: date | None = None,
) -> SearchStrategy[InvalidPayload]:
    """Invalid cvc_update requests (see :func:`invalid_card_params`)."""
    return _invalid(
        "cvc_update", Options(None, None, _locale(locale), include_optional, today), violation
    )


def invalid_params(
    kind: str, violation: ViolationSpec = None, **options: Any
) -> SearchStrategy[InvalidPayload]:
    """Invalid requests of ``kind``; ``violation`` and ``options`` checked when drawn."""
    return _invalid_any_options(kind, violation, options)


def any_invalid_params(**options: Any) -> SearchStrategy[InvalidPayload]:
    """Invalid requests of any kind, any catalogue entry (options common to all kinds)."""
    return st.one_of([invalid_params(kind, None, **options) for kind in KIND_NAMES])


def _locale(locale: str | Sequence[str] | None) -> str | tuple[str, ...] | None:
    # Lists become tuples so Options stays hashable; the value itself is checked when drawn.
    if locale is None or isinstance(locale, str):
        return locale
    try:
        return tuple(locale)
    except TypeError:
        return locale  # type: ignore[return-value]  # rejected by resolve() when drawn
