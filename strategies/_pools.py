"""Locale pools: realistic names, addresses and companies of one Faker locale, built once.

Calling Faker for every draw would be slow and would not shrink, so each locale's values
are computed once per process into a :class:`LocalePool` that both front-ends pick from.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faker import Generator

__all__ = [
    "DEFAULT_LOCALES",
    "JA",
    "POOL_SIZE",
    "Address",
    "LocalePool",
    "generator_locale",
    "locale_pool",
    "warm_pools",
]

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
JA = "ja_JP"


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


def warm_pools(locales: Iterable[str]) -> None:
    """Build the pools of ``locales`` now, once per process; names Faker lacks are skipped.

    Building a pool takes about a tenth of a second; the Hypothesis strategies call this when
    they are made, so the first examples of a test do not pay for it (Hypothesis fails a
    test whose first inputs take over a second to generate).
    """
    from faker.config import AVAILABLE_LOCALES

    for locale in locales:
        if locale not in _pools and locale in AVAILABLE_LOCALES:
            locale_pool(locale)


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


def generator_locale(generator: Any) -> str:
    """The locale a Faker ``generator`` builds addresses in (``en_US`` when it names none)."""
    address = generator.provider("faker.providers.address")
    return getattr(address, "__lang__", None) or "en_US"
