"""What a successful create must answer: the token object's fields derived from the input.

``token_rules`` lists one :class:`FieldRule` per fact (stripe-tokens.md §3, §7, §9),
each with its strength. The checks evaluate them on real responses; the reference server
builds its embedded card / bank_account objects from the rules' exact values, so the two
cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ._errors import Strength
from ._kinds import get_kind
from ._params import bracket_path
from ._wire import normalise_exp_year, wire
from .domain import TEST_BANK_NAME, TEST_ROUTING_NUMBER, brand_display, find_test_card

_MISSING = object()
CHECK_VALUES = ("pass", "fail", "unavailable", "unchecked")
CARD_ECHO = (
    "name",
    "address_line1",
    "address_line2",
    "address_city",
    "address_state",
    "address_zip",
    "address_country",
)


@dataclass(frozen=True)
class FieldRule:
    """One fact about the response: at ``path`` the value is / is one of / starts with ..."""

    path: tuple[str, ...]
    strength: Strength
    basis: str
    equals: Any = _MISSING
    one_of: tuple[Any, ...] | None = None
    prefix: tuple[str, ...] | None = None
    type_: type | tuple[type, ...] | None = None
    absent: bool = False

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
                return None if self.absent else f"{where} is missing"
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
        return None


def _as_tuple(t: type | tuple[type, ...]) -> tuple[type, ...]:
    return t if isinstance(t, tuple) else (t,)


def _type_names(t: type | tuple[type, ...]) -> str:
    return " or ".join(x.__name__ for x in _as_tuple(t))


H, W = Strength.HARD, Strength.WARNING


def token_rules(
    kind: str, params: Mapping[str, Any], *, livemode: bool, today: date | None = None
) -> list[FieldRule]:
    """The rules a 200 answer to a valid ``kind`` payload must satisfy."""
    today = today or date.today()
    k = get_kind(kind)
    rules = [
        FieldRule(("object",), H, "[SDK] [FIX]", equals="token"),
        FieldRule(("type",), H, "[SDK] [DOC]", equals=kind),
        FieldRule(("id",), H, "[FIX] [DOC] §7", prefix=k.id_prefixes),
        FieldRule(("created",), H, "[SDK] Unix seconds", type_=int),
        FieldRule(("livemode",), H, "[DOC: API keys] follows the key's mode", equals=livemode),
        FieldRule(("used",), H, "[SDK] false on creation", equals=False),
    ]
    for other in ("card", "bank_account"):
        if other != k.embedded_object:
            rules.append(
                FieldRule((other,), H, "[FIX] [DOC] only the kind's own object", absent=True)
            )
    body = params.get(kind)
    body = body if isinstance(body, Mapping) else {}
    if kind == "card":
        rules += _card_rules(body, today)
    elif kind == "bank_account":
        rules += _bank_rules(body)
    return rules


def _card_rules(card: Mapping[str, Any], today: date) -> list[FieldRule]:
    number = wire(card.get("number"))
    rules = [
        FieldRule(("card", "object"), H, "[SDK]", equals="card"),
        FieldRule(
            ("card", "id"), H, "[FIX] §7", prefix=(get_kind("card").embedded_id_prefix or "",)
        ),
        FieldRule(
            ("card", "last4"), H, "[SDK] last four digits of card[number]", equals=number[-4:]
        ),
        FieldRule(
            ("card", "exp_month"), H, "[SDK] integer", equals=int(wire(card.get("exp_month")) or 0)
        ),
        FieldRule(
            ("card", "exp_year"),
            H,
            "[SDK] four digits",
            equals=normalise_exp_year(wire(card.get("exp_year")), today),
        ),
    ]
    test_card = find_test_card(number)
    if test_card is not None and test_card.display_brand is not None:
        rules.append(
            FieldRule(
                ("card", "brand"),
                H,
                "[DOC: Testing] test card brand",
                equals=test_card.display_brand,
            )
        )
    elif test_card is None:
        rules.append(
            FieldRule(("card", "brand"), W, "[INF] brand by BIN", equals=brand_display(number))
        )
    if test_card is not None and test_card.funding is not None:
        rules.append(FieldRule(("card", "funding"), H, test_card.basis, equals=test_card.funding))
    for name in CARD_ECHO:
        value = wire(card[name]) if name in card else None
        rules.append(
            FieldRule(
                ("card", name),
                H,
                "[SDK] echo of the input (null when not sent)",
                equals=value or None,
            )
        )
    if "cvc" in card:
        rules.append(
            FieldRule(
                ("card", "cvc_check"), H, "[FIX] [DOC] a CVC was checked", one_of=CHECK_VALUES
            )
        )
    else:
        rules.append(
            FieldRule(("card", "cvc_check"), W, "[INF] null when no CVC was sent", equals=None)
        )
    return rules


def _bank_rules(bank: Mapping[str, Any]) -> list[FieldRule]:
    account = wire(bank.get("account_number"))
    rules = [
        FieldRule(("bank_account", "object"), H, "[SDK]", equals="bank_account"),
        FieldRule(
            ("bank_account", "id"),
            H,
            "[FIX] §7",
            prefix=(get_kind("bank_account").embedded_id_prefix or "",),
        ),
        FieldRule(
            ("bank_account", "last4"),
            H,
            "[SDK] last four of the account number",
            equals=account[-4:],
        ),
        FieldRule(("bank_account", "country"), H, "[SDK] echo", equals=wire(bank.get("country"))),
        FieldRule(("bank_account", "status"), H, "[DOC] a fresh token shows new", equals="new"),
    ]
    if "currency" in bank:
        rules.append(
            FieldRule(
                ("bank_account", "currency"),
                H,
                "[SDK] lower-case echo",
                equals=wire(bank["currency"]).lower(),
            )
        )
    for name in ("account_holder_name", "account_holder_type", "routing_number"):
        if name in bank:
            rules.append(
                FieldRule(("bank_account", name), H, "[FIX] echo", equals=wire(bank[name]))
            )
    if wire(bank.get("routing_number")) == TEST_ROUTING_NUMBER:
        rules.append(
            FieldRule(
                ("bank_account", "bank_name"),
                H,
                "[FIX] [DOC] test routing number",
                equals=TEST_BANK_NAME,
            )
        )
    return rules


def sensitive_values(kind: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(path, value)`` of every secret in a payload that must never come back (§9)."""
    out: list[tuple[str, str]] = []
    for keys in get_kind(kind).sensitive_paths:
        cur: Any = params
        for key in keys:
            cur = cur.get(key) if isinstance(cur, Mapping) else None
        text = wire(cur) if not isinstance(cur, (dict, list)) else ""
        if text:
            out.append((bracket_path(keys), text))
    return out
