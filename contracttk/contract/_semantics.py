"""What a successful create must answer: the token object's fields, checked for meaning.

``token_rules`` lists one :class:`FieldRule` per fact about the token object and its embedded
card / bank_account (units and windows of timestamps, id formats, nullability by kind,
values derived from the input), each with its strength and basis (tags:
:mod:`._sources`). Facts Stripe's sources only let us infer are warnings. Rules derived from
the request's values (echoes, last4, brand of a test card...) are hard only for a payload
the model understands (see :attr:`Evaluation.understood`): for any other they are warnings.

The checks evaluate the rules on real responses; the reference server builds its embedded
objects from the rules' exact values, so the two cannot drift apart.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from ._errors import Strength
from ._kinds import get_kind
from ._params import bracket_path
from ._protocol import is_object_id, is_token_id
from ._wire import is_ip

__all__ = ["SHORT_SECRET", "FieldRule", "sensitive_values", "token_rules"]

_MISSING = object()
H, W = Strength.HARD, Strength.WARNING
SHORT_SECRET = 8
"""Secrets shorter than this (a CVC, ``ssn_last_4``) are echoed only as a whole value or word:
as a substring they stand in timestamps, addresses and ids by chance."""
CLOCK_SLACK = 86400
"""``created`` may be this many seconds off our clock: the server's clock is not ours."""


@dataclass(frozen=True)
class FieldRule:
    """One fact about the response: at ``path`` the value is / is one of / starts with ...

    ``optional`` lets the field be absent; ``from_input`` marks facts derived from the
    request's values (hard only when the payload is understood). ``predicate`` is a test
    the value must pass, described by ``expectation``.
    """

    path: tuple[str, ...]
    strength: Strength
    basis: str
    equals: Any = _MISSING
    one_of: tuple[Any, ...] | None = None
    prefix: tuple[str, ...] | None = None
    type_: type | tuple[type, ...] | None = None
    absent: bool = False
    between: tuple[float, float] | None = None
    predicate: Callable[[Any], bool] | None = None
    expectation: str = ""
    optional: bool = False
    from_input: bool = False

    @property
    def has_value(self) -> bool:
        """True when the rule pins one exact value (the server copies those)."""
        return self.equals is not _MISSING

    def check(self, body: Any) -> str | None:
        """None when ``body`` satisfies the rule, else a one-line description of the failure."""
        cur: Any = body
        where = ".".join(self.path)
        for key in self.path:
            if not isinstance(cur, Mapping) or key not in cur:
                return None if self.absent or self.optional else f"{where} is missing"
            cur = cur[key]
        if self.absent:
            return f"{where} must be absent, got {cur!r}"[:300]
        if self.type_ is not None and (
            not isinstance(cur, self.type_)
            or (isinstance(cur, bool) and bool not in _as_tuple(self.type_))
        ):
            return f"{where} must be {_type_names(self.type_)}, got {cur!r}"[:300]
        if self.has_value and cur != self.equals:
            return f"{where}: expected {self.equals!r}, got {cur!r}"[:300]
        if self.one_of is not None and cur not in self.one_of:
            return f"{where}: expected one of {list(self.one_of)!r}, got {cur!r}"[:300]
        if self.prefix is not None and not (isinstance(cur, str) and cur.startswith(self.prefix)):
            return (
                f"{where}: expected a value starting with {' or '.join(self.prefix)}, got {cur!r}"[
                    :300
                ]
            )
        if self.between is not None:
            lo, hi = self.between
            number = isinstance(cur, (int, float)) and not isinstance(cur, bool)
            if not number or not lo <= cur <= hi:
                return f"{where}: expected a number from {lo:.0f} to {hi:.0f}, got {cur!r}"[:300]
        if self.predicate is not None and not self.predicate(cur):
            return f"{where}: expected {self.expectation}, got {cur!r}"[:300]
        return None


def _as_tuple(t: type | tuple[type, ...]) -> tuple[type, ...]:
    return t if isinstance(t, tuple) else (t,)


def _type_names(t: type | tuple[type, ...]) -> str:
    return " or ".join("null" if x is type(None) else x.__name__ for x in _as_tuple(t))


def is_ip_or_null(value: Any) -> bool:
    """``None`` or a string that is an IPv4/IPv6 address."""
    if value is None:
        return True
    return isinstance(value, str) and is_ip(value)


_ALNUM_RE = re.compile(r"[A-Za-z0-9]+")


def is_alnum_or_null(value: Any) -> bool:
    """``None`` or a non-empty ASCII alphanumeric string (fingerprints)."""
    return value is None or (isinstance(value, str) and _ALNUM_RE.fullmatch(value) is not None)


def token_rules(
    kind: str,
    params: Mapping[str, Any],
    *,
    livemode: bool,
    today: date | None = None,
    now: float | None = None,
    understood: bool = True,
) -> list[FieldRule]:
    """The rules a 200 answer to an accepted ``kind`` payload must satisfy.

    ``now`` (Unix seconds, default: the current time) anchors the ``created`` window;
    ``understood=False`` demotes every rule derived from the request's values to a warning.
    """
    from ._semantics_embedded import bank_account_rules, card_rules

    today = today or date.today()
    now = time.time() if now is None else now
    k = get_kind(kind)
    rules = [
        FieldRule(("object",), H, "[SDK] [FIX]", equals="token"),
        FieldRule(("type",), H, "[SDK] [DOC] the kind created", equals=kind),
        FieldRule(("id",), H, "[FIX] [DOC] the kind's id prefix", prefix=k.id_prefixes),
        FieldRule(
            ("id",),
            W,
            "[FIX] [INF] prefix + alphanumeric random part",
            predicate=lambda v: is_token_id(v, kind),
            expectation=f"{k.id_prefixes[0]} followed by letters and digits",
        ),
        FieldRule(("created",), H, "[SDK] Unix seconds", type_=int),
        FieldRule(
            ("created",),
            H,
            "[SDK] seconds since the Unix epoch (milliseconds would lie far in the future)",
            between=(1, now + CLOCK_SLACK),
        ),
        FieldRule(
            ("created",),
            W,
            "[INF] a token is created now (within a day of our clock)",
            between=(now - CLOCK_SLACK, now + CLOCK_SLACK),
        ),
        FieldRule(("livemode",), H, "[DOC: API keys] follows the key's mode", equals=livemode),
        FieldRule(("used",), H, "[SDK] false on creation", equals=False),
        FieldRule(("client_ip",), H, "[SDK] a string or null", type_=(str, type(None))),
        FieldRule(
            ("client_ip",),
            W,
            "[INF] the address the request came from",
            predicate=is_ip_or_null,
            expectation="an IP address or null",
        ),
    ]
    for other in ("card", "bank_account"):
        if other != k.embedded_object:
            rules.append(
                FieldRule((other,), H, "[FIX] [DOC] only the kind's own object", absent=True)
            )
    body = params.get(kind)
    body = body if isinstance(body, Mapping) else {}
    if kind == "card":
        rules += card_rules(body, today)
    elif kind == "bank_account":
        rules += bank_account_rules(body)
    if not understood:
        rules = [replace(r, strength=W) if r.from_input and r.strength is H else r for r in rules]
    return rules


def embedded_id_rules(obj: str, prefix: str) -> list[FieldRule]:
    """``<obj>.object`` and the format of ``<obj>.id`` (prefix hard, alphanumeric part [INF])."""
    return [
        FieldRule((obj, "object"), H, "[SDK] [FIX]", equals=obj),
        FieldRule((obj, "id"), H, "[FIX] [DOC] the object's id prefix", prefix=(prefix,)),
        FieldRule(
            (obj, "id"),
            W,
            "[FIX] [INF] prefix + alphanumeric random part",
            predicate=lambda v: is_object_id(v, prefix),
            expectation=f"{prefix} followed by letters and digits",
        ),
        FieldRule(
            (obj, "fingerprint"),
            W,
            "[FIX] [INF] an alphanumeric fingerprint, never the number",
            predicate=is_alnum_or_null,
            expectation="letters and digits or null",
            optional=True,
        ),
    ]


def sensitive_values(kind: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(path, value)`` of every secret in a payload that must never come back [SDK] [FIX]."""
    from ._wire import wire

    out: list[tuple[str, str]] = []
    for keys in get_kind(kind).sensitive_paths:
        cur: Any = params
        for key in keys:
            cur = cur.get(key) if isinstance(cur, Mapping) else None
        text = wire(cur) if not isinstance(cur, (dict, list)) else ""
        if text:
            out.append((bracket_path(keys), text))
    return out
