"""Shared value pools and payload builders for both generator front-ends.

The Hypothesis strategies (:mod:`._hypothesis`) and the Faker provider (:mod:`._faker`) build
their payloads with the *same* functions here; they differ only in the :class:`Picker` that
makes each random choice (a Hypothesis ``draw`` or Faker's seeded ``random.Random``). So there
is one definition of what a realistic valid payload of each kind looks like, and invalid ones
come from the model's violation catalogue (``violations_for``), never from a second list.

Everything a payload holds is derived from the contract model: the fields, their types,
enums and maxLengths from ``param_tree``; every sensitive value (card number, CVC aside;
bank account number, IBAN, id number, tax id) from ``contract.domain``'s Stripe test values.
Names and addresses come from Faker locales, computed ONCE per locale into pools that both
front-ends pick from (calling Faker per draw would be slow and would not shrink).
"""

from __future__ import annotations

import calendar
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from contracttk.contract import (
    KIND_NAMES,
    ExpectedError,
    Param,
    Strength,
    Violation,
    normalise_exp_year,
    param_tree,
    violations_for,
)
from contracttk.contract import domain as D

if TYPE_CHECKING:
    from faker import Generator

__all__ = [
    "DEFAULT_LOCALES",
    "KIND_OPTIONS",
    "Address",
    "InvalidPayload",
    "LocalePool",
    "Options",
    "Picker",
    "RandomPicker",
    "Spec",
    "build_invalid",
    "build_valid",
    "locale_pool",
    "make_options",
    "resolve",
    "resolve_violations",
]

T = TypeVar("T")
Payload = dict[str, Any]


# --------------------------------------------------------------------------------------------
# The labelled invalid payload both front-ends return
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvalidPayload:
    """An invalid create-token request and the answer the contract expects for it.

    ``params`` is the nested request (``{"card": {...}}``), ``violation`` the catalogue name
    of the one rule it breaks, ``expected`` that entry's :class:`ExpectedError`.
    """

    params: Payload
    violation: str
    expected: ExpectedError

    @property
    def status(self) -> int:
        """Expected HTTP status."""
        return self.expected.status

    @property
    def type(self) -> str:
        """Expected ``error.type``."""
        return self.expected.type

    @property
    def code(self) -> str | None:
        """Expected ``error.code`` (None when Stripe sends none)."""
        return self.expected.code

    @property
    def param(self) -> str | None:
        """Expected ``error.param``."""
        return self.expected.param

    @property
    def strength(self) -> Strength:
        """How strongly the expectation is established (hard / warning / not asserted)."""
        return self.expected.strength


# --------------------------------------------------------------------------------------------
# Pickers: the one thing that differs between the front-ends
# --------------------------------------------------------------------------------------------


class Picker(Protocol):
    """Makes the random choices of a payload builder."""

    def choice(self, seq: Sequence[T]) -> T:
        """One element of the non-empty ``seq``; the first one is the "simplest"."""
        ...

    def integer(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]``; ``lo`` is the "simplest"."""
        ...

    def gate(self) -> bool:
        """Whether to include an optional field; ``False`` is the "simplest"."""
        ...


class RandomPicker:
    """A :class:`Picker` over a ``random.Random`` (Faker's ``self.generator.random``)."""

    __slots__ = ("_random",)

    def __init__(self, rnd: Any) -> None:
        self._random = rnd

    def choice(self, seq: Sequence[T]) -> T:
        """``seq[i]`` for a uniform ``i`` (one C call to ``random()``: cheaper than ``choice``)."""
        return seq[int(self._random.random() * len(seq))]

    def integer(self, lo: int, hi: int) -> int:
        """Uniform in ``[lo, hi]``."""
        return lo + int(self._random.random() * (hi - lo + 1))

    def gate(self) -> bool:
        """A fair coin."""
        return self._random.random() < 0.5


# --------------------------------------------------------------------------------------------
# Locale pools (names, addresses, companies, ...), built once per locale
# --------------------------------------------------------------------------------------------

DEFAULT_LOCALES: tuple[str, ...] = (
    "en_US",
    "en_GB",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "nl_NL",
    "de_AT",
    "de_CH",
    "ja_JP",
    "pt_BR",
    "en_AU",
    "en_CA",
)
"""Locales used when a caller does not pick one: Stripe markets with a Faker address provider."""

POOL_SIZE = 64
# Kana/Kanji fields are Japanese whatever the payload's locale.
_JA = "ja_JP"


@dataclass(frozen=True, slots=True)
class Address:
    """One postal address as Stripe's address hashes split it."""

    line1: str
    line2: str | None
    city: str
    state: str | None
    postal_code: str
    country: str
    town: str | None = None


@dataclass(frozen=True)
class LocalePool:
    """Realistic personal data of one Faker locale, precomputed (see :func:`locale_pool`)."""

    locale: str
    country: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    full_names: tuple[str, ...]
    emails: tuple[str, ...]
    addresses: tuple[Address, ...]
    companies: tuple[str, ...]
    jobs: tuple[str, ...]
    words: tuple[str, ...]
    user_agents: tuple[str, ...]
    kana_first_names: tuple[str, ...] = ()
    kana_last_names: tuple[str, ...] = ()


_pools: dict[str, LocalePool] = {}
_pools_lock = threading.Lock()


def locale_pool(locale: str, source: Generator | None = None) -> LocalePool:
    """The pool of ``locale``, built on first use and cached for the process.

    ``source`` is the Faker generator to build from (the Faker provider passes its own, so
    names come from the generator it is attached to); by default a private ``Faker(locale)``.
    Either way the generator's random is reseeded from the locale name for the build and
    restored afterwards: the pool is a pure function of the locale, so the *picks*, made
    with the caller's seeded random, alone decide the payloads (re-seeding a Faker replays
    the same payloads whether or not its pool was already built).
    """
    pool = _pools.get(locale)
    if pool is not None:
        return pool
    with _pools_lock:
        pool = _pools.get(locale)
        if pool is None:
            pool = _pools[locale] = _build_pool(locale, source)
    return pool


def _build_pool(locale: str, source: Generator | None) -> LocalePool:
    if source is None:
        from faker import Faker

        source = Faker(locale)  # type: ignore[assignment]
    assert source is not None
    rnd = source.random
    state = rnd.getstate()
    rnd.seed(f"contracttk:{locale}")
    try:
        return _fill_pool(locale, source)
    finally:
        rnd.setstate(state)


def _has(gen: Any, name: str) -> bool:
    try:
        return callable(getattr(gen, name))
    except AttributeError:
        return False


def _one_line(text: str) -> str:
    # Some locales' street_address() holds a newline (en_GB "Studio 0\nArnold Oval").
    return ", ".join(part.strip() for part in text.splitlines() if part.strip())


def _country_of(gen: Any, locale: str) -> str:
    code = gen.current_country_code() if _has(gen, "current_country_code") else ""
    if len(code) == 2 and code.isalpha():
        return code.upper()
    tail = locale.rpartition("_")[2]
    return tail.upper() if len(tail) == 2 else "US"


def _address(gen: Any, country: str) -> Address:
    if _has(gen, "chome"):  # ja_JP: no Western street_address, build the Japanese form
        town = gen.town()
        return Address(
            line1=f"{town}{gen.chome()}{gen.ban()}{gen.gou()}",
            line2=f"{gen.building_name()}{gen.random_int(101, 1209)}",
            city=gen.city(),
            state=gen.prefecture(),
            postal_code=gen.zipcode(),
            country=country,
            town=town,
        )
    if _has(gen, "state_abbr"):
        state: str | None = gen.state_abbr()
    elif _has(gen, "administrative_unit"):
        state = gen.administrative_unit()
    else:
        state = None
    return Address(
        line1=_one_line(gen.street_address()),
        line2=gen.secondary_address() if _has(gen, "secondary_address") else None,
        city=gen.city(),
        state=state,
        postal_code=gen.postcode(),
        country=country,
    )


def _fill_pool(locale: str, gen: Any) -> LocalePool:
    n = POOL_SIZE
    country = _country_of(gen, locale)
    kana = _has(gen, "first_kana_name")
    return LocalePool(
        locale=locale,
        country=country,
        first_names=_uniq(gen.first_name() for _ in range(n)),
        last_names=_uniq(gen.last_name() for _ in range(n)),
        full_names=_uniq(gen.name() for _ in range(n)),
        emails=_uniq(gen.ascii_safe_email() for _ in range(n)),
        addresses=tuple(_address(gen, country) for _ in range(n)),
        companies=_uniq(gen.company() for _ in range(n // 2)),
        jobs=_uniq(gen.job() for _ in range(n // 2)),
        words=_uniq(gen.word() for _ in range(n // 2)),
        user_agents=_uniq(gen.user_agent() for _ in range(16)),
        kana_first_names=_uniq(gen.first_kana_name() for _ in range(n)) if kana else (),
        kana_last_names=_uniq(gen.last_kana_name() for _ in range(n)) if kana else (),
    )


def _uniq(values: Iterable[str]) -> tuple[str, ...]:
    # dict keeps first-seen order, so the pool (and what shrinks first) is deterministic.
    return tuple(dict.fromkeys(v for v in values if v))


# --------------------------------------------------------------------------------------------
# Fixed pools derived from the domain (Stripe test values) and safe-by-construction values
# --------------------------------------------------------------------------------------------

# Documentation address ranges (RFC 5737 / RFC 3849): never a real host.
_IPS: tuple[str, ...] = (
    *(f"192.0.2.{i}" for i in (1, 10, 42, 77, 200)),
    *(f"198.51.100.{i}" for i in (3, 23, 99)),
    *(f"203.0.113.{i}" for i in (5, 50, 195)),
    "2001:db8::1",
    "2001:db8:85a3::8a2e:370:7334",
)
# Stripe's phone test value first, then the NANP 555-01xx range reserved for fiction.
_PHONES: tuple[str, ...] = (D.TEST_PHONE, *(f"+1555555{i:04d}" for i in range(100, 200, 7)))
_CURRENCIES: tuple[str, ...] = tuple(dict.fromkeys(a.currency for a in D.TEST_BANK_ACCOUNTS))
_ID_NUMBERS: tuple[str, ...] = D.TEST_ID_NUMBERS
_TAX_IDS: tuple[str, ...] = D.TEST_TAX_IDS
_FILES: tuple[str, ...] = D.TEST_IDENTITY_FILES
_GENDERS: tuple[str, ...] = ("female", "male")
_SELF_GENDERS: tuple[str, ...] = ("woman", "man", "non-binary", "prefer not to say")
_PERCENTS: tuple[Any, ...] = (25, 50, 100, 10, 12.5, 33.3, 75)
_METADATA_KEYS: tuple[str, ...] = (
    "order_id",
    "customer_ref",
    "campaign",
    "source",
    "internal_id",
    "onboarding_step",
)
_REGISTRARS: tuple[str, ...] = (
    "Amtsgericht Berlin (Charlottenburg)",
    "Amtsgericht München",
    "Amtsgericht Hamburg",
)
_ADDRESS_KEYS = frozenset({"city", "country", "line1", "line2", "postal_code", "state", "town"})
_DATE_KEYS = frozenset({"day", "month", "year"})
_ASCII_DIGITS = "0123456789"
# Timestamps (ToS acceptance, declarations) fall within this many days before ``today``.
_TIMESTAMP_WINDOW_DAYS = 3 * 365
# Expiry years: strictly after the current year (current-year/past-month is not established,
# §12) and at most this far ahead (well inside the ≈50-year cut-off).
EXPIRY_YEARS_AHEAD = 10

# Objects whose "anchor" keys are always sent when the object is: an empty hash travels as
# "" (Stripe's unset) and is then invalid, and these keys make a minimal payload look real.
_ANCHORS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("person",): ("first_name", "last_name"),
    ("account", "individual"): ("first_name", "last_name"),
    ("account", "company"): ("name",),
}


# --------------------------------------------------------------------------------------------
# Options: validated when a payload is first built, not when a strategy is made
# --------------------------------------------------------------------------------------------

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


def resolve_violations(kind: str, violation: str | Sequence[str] | None) -> tuple[Violation, ...]:
    """Cached :func:`_resolve_violations` (lists of names are keyed as tuples)."""
    if violation is None or isinstance(violation, str):
        return _resolve_violations(kind, violation)
    try:
        key = tuple(violation)
    except TypeError:
        raise ValueError(
            f"violation must be a catalogue name or a list of them, not {violation!r}"
        ) from None
    return _resolve_violations(kind, key)


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


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


class _Ctx:
    """What one payload build needs: the picker, the options, the chosen locale's pool."""

    __slots__ = ("_ja", "locale", "pick", "pool", "source", "source_locale", "spec", "today")

    def __init__(
        self,
        pick: Picker,
        spec: Spec,
        locale: str,
        source: Generator | None,
        source_locale: str | None,
    ) -> None:
        self.pick = pick
        self.spec = spec
        self.source = source
        self.source_locale = source_locale
        self.today = spec.today_or_now()
        self.locale = locale
        self.pool = self._pool(locale)
        self._ja: LocalePool | None = None

    def _pool(self, locale: str) -> LocalePool:
        # A Faker provider's own generator builds its own locale's pool; others a private one.
        return locale_pool(locale, self.source if locale == self.source_locale else None)

    @property
    def ja(self) -> LocalePool:
        """The Japanese pool (Kana/Kanji fields)."""
        if self._ja is None:
            self._ja = self.pool if self.locale == _JA else self._pool(_JA)
        return self._ja

    def optional(self) -> bool:
        """Whether to send an optional field (``include_optional`` overrides the picker)."""
        inc = self.spec.include_optional
        return self.pick.gate() if inc is None else inc


def build_valid(
    kind: str,
    pick: Picker,
    spec: Spec,
    *,
    source: Generator | None = None,
    source_locale: str | None = None,
) -> Payload:
    """A fresh valid ``{kind: {...}}`` payload (the oracle accepts it).

    Names and addresses come from one locale of ``spec.locales`` (picked per payload), or
    from ``source_locale`` when the caller named no locale and gives its own Faker
    ``source`` generator (the Faker provider does).
    """
    if source_locale is not None and not spec.locale_given:
        locale = source_locale
    elif len(spec.locales) == 1:
        locale = spec.locales[0]
    else:
        locale = pick.choice(spec.locales)
    ctx = _Ctx(pick, spec, locale, source, source_locale)
    return {kind: _KIND_BUILDERS[kind](ctx)}


def build_invalid(
    kind: str,
    pick: Picker,
    spec: Spec,
    violations: tuple[Violation, ...],
    *,
    source: Generator | None = None,
    source_locale: str | None = None,
) -> InvalidPayload:
    """A valid payload with one of ``violations`` applied, labelled with its expectation."""
    payload = build_valid(kind, pick, spec, source=source, source_locale=source_locale)
    v = violations[0] if len(violations) == 1 else pick.choice(violations)
    # Why mutate, not apply: apply() deep-copies its input to protect the caller's payload;
    # this one was built just now and nobody else holds it, so the copy would be pure cost.
    v.mutate(payload, spec.today_or_now())
    return InvalidPayload(payload, v.name, v.expected)


def _digits(pick: Picker, length: int) -> str:
    return "".join([_ASCII_DIGITS[pick.integer(0, 9)] for _ in range(length)])


def _fit(param: Param | None, value: str) -> str:
    # Pools are far below every maxLength; this guards a future locale with long names.
    if param is not None and param.max_length is not None and len(value) > param.max_length:
        return value[: param.max_length]
    return value


# --- card -------------------------------------------------------------------------------------


@cache
def _card_param(name: str) -> Param:
    p = param_tree("card").child(name)
    assert p is not None
    return p


def _card(ctx: _Ctx) -> Payload:
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
        out["cvc"] = _digits(pick, pick.choice(D.cvc_lengths_for(card.number)))
    if ctx.optional():
        out["name"] = _fit(_card_param("name"), pick.choice(ctx.pool.full_names))
    if ctx.optional():
        addr = pick.choice(ctx.pool.addresses)
        out["address_line1"] = _fit(_card_param("address_line1"), addr.line1)
        if addr.line2 and ctx.optional():
            out["address_line2"] = _fit(_card_param("address_line2"), addr.line2)
        out["address_city"] = _fit(_card_param("address_city"), addr.city)
        if addr.state and ctx.optional():
            out["address_state"] = _fit(_card_param("address_state"), addr.state)
        out["address_zip"] = _fit(_card_param("address_zip"), addr.postal_code)
        out["address_country"] = addr.country
    if ctx.optional():
        out["currency"] = pick.choice(_CURRENCIES)
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


def _bank_account(ctx: _Ctx) -> Payload:
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
        out["account_holder_name"] = _fit(tree.child("account_holder_name"), pick.choice(names))
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


def _pii(ctx: _Ctx) -> Payload:
    # id_number is optional in the tree, but an empty pii hash travels as "" and is invalid.
    return {"id_number": ctx.pick.choice(_ID_NUMBERS)}


def _cvc_update(ctx: _Ctx) -> Payload:
    return {"cvc": _digits(ctx.pick, ctx.pick.choice((3, 4)))}


# --- account / person: walk the parameter tree ------------------------------------------------


def _account(ctx: _Ctx) -> Payload:
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


def _person(ctx: _Ctx) -> Payload:
    return _object(ctx, param_tree("person"))


def _value(ctx: _Ctx, param: Param) -> Any:
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
    return _scalar(ctx, param)


def _object(ctx: _Ctx, param: Param) -> Payload:
    anchors = _ANCHORS.get(param.keys, ())
    out: Payload = {}
    for child in param.children:
        if child.required or child.name in anchors or ctx.optional():
            out[child.name] = _value(ctx, child)
    if not out and param.children:
        first = param.children[0]
        out[first.name] = _value(ctx, first)
    return out


def _address_hash(ctx: _Ctx, param: Param) -> Payload:
    japanese = param.name.endswith(("_kana", "_kanji"))
    addr = ctx.pick.choice(ctx.ja.addresses if japanese else ctx.pool.addresses)
    line1 = addr.line1
    # Stripe's identity test values for line1 (§10.4) are accepted verbatim; offer them too.
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
            out[child.name] = _fit(child, value)
    return out


def _date_hash(ctx: _Ctx, param: Param) -> Payload:
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


def _declaration(ctx: _Ctx, param: Param) -> Payload:
    # date and ip go together (person ToS acceptance requires both once either is sent).
    out: Payload = {}
    for child in param.children:
        if child.name in ("date", "ip") or ctx.optional():
            out[child.name] = _scalar(ctx, child)
    return out


def _metadata(ctx: _Ctx, param: Param) -> Payload:
    pick = ctx.pick
    count = pick.integer(1, 3)
    out: Payload = {}
    for _ in range(count):
        # Keys are words, never "0", "1", ...: a decoder turns those into a list.
        key = pick.choice(_METADATA_KEYS)
        out[key] = pick.choice(ctx.pool.words) + "-" + str(pick.integer(1, 99999))
    return out


def _array(ctx: _Ctx, param: Param) -> list[Any]:
    pick = ctx.pick
    items = param.items
    if items is not None and items.enum:
        first = pick.choice(items.enum)
        second = pick.choice(items.enum) if pick.gate() else first
        return list(dict.fromkeys((first, second)))
    if param.name == "files":
        source: tuple[str, ...] = _FILES
    elif param.name == "full_name_aliases":
        source = ctx.pool.full_names
    else:
        source = ctx.pool.words
    count = pick.integer(1, 2)
    values = [pick.choice(source) for _ in range(count)]
    limit = items.max_length if items is not None else None
    return [v[:limit] if limit is not None else v for v in values]


def _timestamp(ctx: _Ctx) -> int:
    midnight = datetime(ctx.today.year, ctx.today.month, ctx.today.day, tzinfo=timezone.utc)
    return int(midnight.timestamp()) - ctx.pick.integer(0, _TIMESTAMP_WINDOW_DAYS * 86400)


def _kana_or_kanji(ctx: _Ctx, base: str, suffix: str) -> str:
    ja = ctx.ja
    if suffix == "kana":
        names = ja.kana_first_names if base == "first_name" else ja.kana_last_names
    else:
        names = ja.first_names if base == "first_name" else ja.last_names
    return ctx.pick.choice(names or ja.full_names)


def _company_name(ctx: _Ctx, param: Param) -> str:
    if param.name == "name_kanji":
        return ctx.pick.choice(ctx.ja.companies)
    if param.name == "name_kana":  # Faker has no Kana company names: surname + "shōji" (trading)
        return ctx.pick.choice(ctx.ja.kana_last_names or ctx.ja.companies) + "ショウジ"
    return ctx.pick.choice(ctx.pool.companies)


_NamedLeaf = Callable[[_Ctx, Param], Any]

# Realistic values for leaves by name. Every sensitive leaf is here, mapped to Stripe test
# values only (checked by _scalar).
_LEAVES: dict[str, _NamedLeaf] = {
    "first_name": lambda c, p: c.pick.choice(c.pool.first_names),
    "last_name": lambda c, p: c.pick.choice(c.pool.last_names),
    "maiden_name": lambda c, p: c.pick.choice(c.pool.last_names),
    "first_name_kana": lambda c, p: _kana_or_kanji(c, "first_name", "kana"),
    "last_name_kana": lambda c, p: _kana_or_kanji(c, "last_name", "kana"),
    "first_name_kanji": lambda c, p: _kana_or_kanji(c, "first_name", "kanji"),
    "last_name_kanji": lambda c, p: _kana_or_kanji(c, "last_name", "kanji"),
    "name": _company_name,
    "name_kana": _company_name,
    "name_kanji": _company_name,
    "email": lambda c, p: c.pick.choice(c.pool.emails),
    "phone": lambda c, p: c.pick.choice(_PHONES),
    "id_number": lambda c, p: c.pick.choice(_ID_NUMBERS),
    "id_number_secondary": lambda c, p: c.pick.choice(_ID_NUMBERS),
    "ssn_last_4": lambda c, p: c.pick.choice(D.TEST_SSN_LAST_4),
    "tax_id": lambda c, p: c.pick.choice(_TAX_IDS),
    # No VAT test value is documented; vat_id is sensitive, so only tax-id test values go.
    "vat_id": lambda c, p: c.pick.choice(_TAX_IDS),
    "gender": lambda c, p: c.pick.choice(_GENDERS),
    "self_identified_gender": lambda c, p: c.pick.choice(_SELF_GENDERS),
    "nationality": lambda c, p: c.pick.choice(_nationalities()),
    "title": lambda c, p: c.pick.choice(c.pool.jobs),
    "front": lambda c, p: c.pick.choice(_FILES),
    "back": lambda c, p: c.pick.choice(_FILES),
    "date": lambda c, p: _timestamp(c),
    "ip": lambda c, p: c.pick.choice(_IPS),
    "user_agent": lambda c, p: c.pick.choice(c.pool.user_agents),
    "percent_ownership": lambda c, p: c.pick.choice(_PERCENTS),
    "tos_shown_and_accepted": lambda c, p: True,
    "registration_number": lambda c, p: f"HRB {c.pick.integer(10000, 999999)}",
    "tax_id_registrar": lambda c, p: c.pick.choice(_REGISTRARS),
    "export_license_id": lambda c, p: f"EL{c.pick.integer(1000000, 9999999)}",
    "export_purpose_code": lambda c, p: f"P{c.pick.integer(101, 1399):04d}",
    "ethnicity_other": lambda c, p: c.pick.choice(c.pool.words),
    "race_other": lambda c, p: c.pick.choice(c.pool.words),
}

_SENSITIVE_SAFE = frozenset({"id_number", "id_number_secondary", "ssn_last_4", "tax_id", "vat_id"})


@cache
def _nationalities() -> tuple[str, ...]:
    return tuple(dict.fromkeys(loc.rpartition("_")[2] for loc in DEFAULT_LOCALES))


def _scalar(ctx: _Ctx, param: Param) -> Any:
    if param.enum:
        return ctx.pick.choice(param.enum)
    named = _LEAVES.get(param.name)
    if param.sensitive and param.name not in _SENSITIVE_SAFE:
        # A new sensitive field in the model must get a test-value pool before we send it.
        raise AssertionError(f"no Stripe test value pool for sensitive field {param.path}")
    if named is not None:
        value = named(ctx, param)
    elif param.type == "boolean":
        value = ctx.pick.choice((True, False))
    elif param.type == "integer":
        value = ctx.pick.integer(1, 100)
    elif param.type == "number":
        value = ctx.pick.choice(_PERCENTS)
    else:
        value = ctx.pick.choice(ctx.pool.words)
    return _fit(param, value) if isinstance(value, str) else value


_KIND_BUILDERS: dict[str, Callable[[_Ctx], Payload]] = {
    "card": _card,
    "bank_account": _bank_account,
    "pii": _pii,
    "account": _account,
    "person": _person,
    "cvc_update": _cvc_update,
}
assert set(_KIND_BUILDERS) == set(KIND_NAMES), "one builder per token kind"
