"""Values for the leaves of a payload: fixed pools and realistic values by field name.

Every sensitive leaf maps to Stripe's test values only (from ``contract.domain``); other
leaves come from safe-by-construction pools (documentation IP ranges, fictional phone
numbers) or the locale pools.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from functools import cache
from typing import Any

from contracttk.contract import Param
from contracttk.contract import domain as D

from ._context import BuildContext, fit
from ._pools import DEFAULT_LOCALES

__all__ = ["CURRENCIES", "FILES", "ID_NUMBERS", "METADATA_KEYS", "scalar"]

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
CURRENCIES: tuple[str, ...] = tuple(dict.fromkeys(a.currency for a in D.TEST_BANK_ACCOUNTS))
ID_NUMBERS: tuple[str, ...] = D.TEST_ID_NUMBERS
_TAX_IDS: tuple[str, ...] = D.TEST_TAX_IDS
FILES: tuple[str, ...] = D.TEST_IDENTITY_FILES
_GENDERS: tuple[str, ...] = ("female", "male")
_SELF_GENDERS: tuple[str, ...] = ("woman", "man", "non-binary", "prefer not to say")
_PERCENTS: tuple[Any, ...] = (25, 50, 100, 10, 12.5, 33.3, 75)
METADATA_KEYS: tuple[str, ...] = (
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
# Timestamps (ToS acceptance, declarations) fall within this many days before ``today``.
_TIMESTAMP_WINDOW_DAYS = 3 * 365


def _timestamp(ctx: BuildContext) -> int:
    midnight = datetime(ctx.today.year, ctx.today.month, ctx.today.day, tzinfo=timezone.utc)
    return int(midnight.timestamp()) - ctx.pick.integer(0, _TIMESTAMP_WINDOW_DAYS * 86400)


def _kana_or_kanji(ctx: BuildContext, base: str, suffix: str) -> str:
    ja = ctx.ja
    if suffix == "kana":
        names = ja.kana_first_names if base == "first_name" else ja.kana_last_names
    else:
        names = ja.first_names if base == "first_name" else ja.last_names
    return ctx.pick.choice(names or ja.full_names)


def _company_name(ctx: BuildContext, param: Param) -> str:
    if param.name == "name_kanji":
        return ctx.pick.choice(ctx.ja.companies)
    if param.name == "name_kana":  # Faker has no Kana company names: surname + "shōji" (trading)
        return ctx.pick.choice(ctx.ja.kana_last_names or ctx.ja.companies) + "ショウジ"
    return ctx.pick.choice(ctx.pool.companies)


_NamedLeaf = Callable[[BuildContext, Param], Any]

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
    "id_number": lambda c, p: c.pick.choice(ID_NUMBERS),
    "id_number_secondary": lambda c, p: c.pick.choice(ID_NUMBERS),
    "ssn_last_4": lambda c, p: c.pick.choice(D.TEST_SSN_LAST_4),
    "tax_id": lambda c, p: c.pick.choice(_TAX_IDS),
    # No VAT test value is documented; vat_id is sensitive, so only tax-id test values go.
    "vat_id": lambda c, p: c.pick.choice(_TAX_IDS),
    "gender": lambda c, p: c.pick.choice(_GENDERS),
    "self_identified_gender": lambda c, p: c.pick.choice(_SELF_GENDERS),
    "nationality": lambda c, p: c.pick.choice(_nationalities()),
    "title": lambda c, p: c.pick.choice(c.pool.jobs),
    "front": lambda c, p: c.pick.choice(FILES),
    "back": lambda c, p: c.pick.choice(FILES),
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


def scalar(ctx: BuildContext, param: Param) -> Any:
    """A realistic value for the leaf ``param`` (by name, else by type)."""
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
    return fit(param, value) if isinstance(value, str) else value
