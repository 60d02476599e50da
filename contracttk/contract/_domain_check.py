"""The domain test: does every value of a payload lie in the model's own understood domain?

The oracle (:mod:`._oracle`) says what Stripe rejects. A payload it does not reject is not
thereby one whose answer the model can predict: ``bank_account[country]=false`` passes every
documented rule, yet whether Stripe upper-cases it, rejects it or echoes it is not
established. The model therefore asserts a hard "must create, and must answer like this" only
for payloads whose every value lies in its *understood domain*:

* values our generators draw and Stripe's documented test values (test cards in test mode,
  test bank accounts with their country, currency and routing number, identity test numbers,
  ``ssn_last_4`` 0000, tax IDs, the test phone, the test document files);
* formats the model checks itself: ISO 3166-1 alpha-2 countries (upper case), ISO 4217
  currencies (lower case, as Stripe writes them), e-mail addresses, phone numbers (the test
  value or E.164), IP addresses, real calendar dates from 1900 to today, Unix timestamps from
  2000 to today, ``percent_ownership`` from 0 to 100, ``gender`` male/female [SDK docstring];
* free text that is printable (no control, format, surrogate, private or unassigned
  characters, no leading/trailing blanks) and within its maxLength (5000 where none is
  documented);
* ``expand`` items naming the token kind's own embedded object (``card`` for a card token,
  ``bank_account`` for a bank account token). Why only those: the token object's only
  object-valued fields are ``card`` and ``bank_account`` [SDK Token], always embedded in full,
  so expanding them cannot change the answer; the SDK's own example is ``expand[0]=card``
  [SDK _encode.py]. No document lists what else a token may expand, and Stripe may answer an
  unknown path with an error or ignore it, so any other item is outside the domain.

Outside the domain the checks may only say "a rejection would be unexplained": a well-formed
4xx ``invalid_request_error`` is a warning at most. Problems are reported as readable
``"<bracket path>: <reason>"`` strings; values of sensitive fields are never shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache
from typing import Any

from . import domain as D
from ._iso import ISO_COUNTRIES, ISO_CURRENCIES
from ._kinds import KIND_NAMES, get_kind
from ._params import Param, bracket_path, param_tree, shared_params
from ._wire import (
    INT_RE,
    NUM_RE,
    as_map,
    as_text,
    digit_order,
    is_container,
    is_digits,
    is_ip,
)

__all__ = ["DomainProblem", "check_domain", "domain_problems"]

EARLIEST_YEAR = 1900
"""Dates (birth, registration) before this are outside the domain; 1900-01-01 is itself a
documented test date of birth [DOC: Testing Stripe Connect]."""
EARLIEST_TIMESTAMP = 946684800
"""2000-01-01T00:00:00Z: declaration and ToS acceptance dates before it are outside [INF]."""
DEFAULT_MAX_TEXT = 5000
"""Text longer than this in a field without a documented maxLength is outside the domain
(5000 is the [HSPEC] maxLength of almost every string)."""

_COUNTRY_LEAVES = frozenset({"country", "address_country", "nationality"})
_EMAIL_PATTERN = (
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_GENDERS = frozenset({"male", "female"})
_DATE_KEYS = frozenset({"day", "month", "year"})
_JAPANESE_ACCOUNT_TYPES = frozenset({"futsu", "toza"})


@cache
def _email_re() -> re.Pattern[str]:
    # Compiled on first use: compiling it costs ~15 ms, paid by every CLI start otherwise.
    return re.compile(_EMAIL_PATTERN)


@dataclass(frozen=True)
class DomainProblem:
    """One value outside the understood domain: where, and why (never the secret itself)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def domain_problems(params: Any, *, today: date | None = None) -> list[str]:
    """One readable reason per value of ``params`` outside the model's understood domain.

    Each string is ``"<bracket path>: <reason>"`` (e.g. ``"bank_account[country]: 'false' is
    not an ISO 3166-1 alpha-2 country code"``); the value of a sensitive field (card, account
    and ID numbers, CVCs) is never included. Parameters the contract does not know and values
    of the wrong shape are the oracle's business and are not reported here. ``today`` pins the
    date the date windows use.
    """
    return [str(p) for p in check_domain(params, today=today)]


def check_domain(params: Any, *, today: date | None = None) -> list[DomainProblem]:
    """The problems of :func:`domain_problems` as :class:`DomainProblem` records."""
    if not isinstance(params, Mapping):
        return []
    ctx = _Ctx(today or date.today())
    present = [k for k in KIND_NAMES if k in params]
    for kind in present:
        ctx.walk(param_tree(kind), params[kind])
        if isinstance(params[kind], Mapping):
            ctx.kind_rules(kind, params[kind])
    if "expand" in params:
        ctx.expand(params["expand"], present[0] if len(present) == 1 else None)
    if "customer" in params:
        ctx.add("customer", "needs Connect (an OAuth token or Stripe-Account) and a saved source")
    return ctx.problems


def _shown(param: Param, text: str) -> str:
    """The value for a message: sensitive values are never shown."""
    if param.sensitive:
        return "the value"
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _cut(number: str) -> str:
    """A number for a message, cut like every other shown value (a fuzzer sends 400 digits)."""
    return number if len(number) <= 40 else number[:37] + "..."


def _free_text_problem(text: str, limit: int | None) -> str | None:
    if text != text.strip():
        return "has leading or trailing whitespace"
    if limit is None and len(text) > DEFAULT_MAX_TEXT:
        return f"is longer than {DEFAULT_MAX_TEXT} characters (no documented maxLength)"
    # Fast path (C speed, this runs on every value of every request, fuzzers send 5000-char
    # strings): a printable string holds no character of a refused category.
    if text.isprintable():
        return None
    import unicodedata  # lazily: the CLI imports this package on every start

    for ch in dict.fromkeys(text):  # each distinct character once, in order
        if unicodedata.category(ch) in _BAD_CATEGORIES:
            return f"holds a control, format or unassigned character (U+{ord(ch):04X})"
    return None


@cache
def _is_date_hash(param: Param) -> bool:
    """``dob`` / ``registration_date``: a hash of exactly day, month and year."""
    return {c.name for c in param.children} == _DATE_KEYS


def _items(value: Any) -> Iterator[tuple[str, Any]]:
    """``(index, item)`` of an array value (a decoder may give ``{"8": x}`` for ``a[8]=x``)."""
    if isinstance(value, dict) and value and all(is_digits(k) for k in value):
        yield from ((k, value[k]) for k in sorted(value, key=digit_order))
    elif isinstance(value, list):
        yield from ((str(i), v) for i, v in enumerate(value))


class _Ctx:
    def __init__(self, today: date) -> None:
        self.today = today
        midnight = datetime(today.year, today.month, today.day, tzinfo=timezone.utc)
        # Two days of slack: the caller's "today" and the server's clock may differ.
        self.latest_timestamp = int(midnight.timestamp()) + 2 * 86400
        self.problems: list[DomainProblem] = []

    def add(self, path: str, reason: str) -> None:
        self.problems.append(DomainProblem(path, reason))

    # --- the tree walk ----------------------------------------------------------------------

    def walk(self, param: Param, value: Any) -> None:
        if param.is_map:
            value = as_map(value)
            if isinstance(value, dict):
                for key, item in value.items():
                    text = as_text(item)
                    if not is_container(item) and text:
                        self.text(bracket_path((*param.keys, str(key))), text, None)
            return
        if param.is_object:
            if isinstance(value, dict):
                for child in param.children:
                    if child.name in value:
                        self.walk(child, value[child.name])
                if _is_date_hash(param):
                    self.calendar_date(param, value)
            return
        if param.type == "array":
            for index, item in _items(value):
                if is_container(item):
                    continue
                self.leaf(param, bracket_path((*param.keys, index)), as_text(item), item=True)
            return
        if not is_container(value):
            text = as_text(value)
            if text:  # "" is the oracle's business (unset where allowed, an error elsewhere)
                self.leaf(param, param.path, text)

    def leaf(self, param: Param, path: str, text: str, *, item: bool = False) -> None:
        name = param.name
        if item and text == "":
            self.add(path, "an empty array item")
            return
        items = param.items if item else None
        enum = items.enum if items else param.enum
        if enum:
            return  # membership is the oracle's rule; every member is in the domain
        if param.type == "boolean":
            return
        if param.type in ("integer", "number"):
            self.number(param, path, text)
            return
        problem: str | None
        if name in _COUNTRY_LEAVES:
            problem = None if text in ISO_COUNTRIES else "is not an ISO 3166-1 alpha-2 country code"
        elif name == "currency":
            problem = (
                None if text in ISO_CURRENCIES else "is not a lower-case ISO 4217 currency code"
            )
        elif name == "email":
            problem = None if _email_re().fullmatch(text) else "is not a plain e-mail address"
        elif name == "phone":
            ok = text == D.TEST_PHONE or _E164_RE.fullmatch(text)
            problem = None if ok else "is neither the test phone 0000000000 nor an E.164 number"
        elif name == "ip":
            problem = None if is_ip(text) else "is not an IPv4 or IPv6 address"
        elif name == "gender":
            problem = None if text in _GENDERS else "is neither 'male' nor 'female' [SDK docstring]"
        elif name in ("id_number", "id_number_secondary"):
            problem = None if text in D.TEST_ID_NUMBERS else "is not an identity test number"
        elif name == "ssn_last_4":
            problem = None if text in D.TEST_SSN_LAST_4 else "is not the test value 0000"
        elif name in ("tax_id", "vat_id"):
            problem = None if text in D.TEST_TAX_IDS else "is not a tax ID test value"
        elif name in ("front", "back", "files"):
            problem = None if text in D.TEST_IDENTITY_FILES else "is not a test document file"
        elif param.keys == ("card", "number"):
            problem = None if D.is_test_card(text) else "is not one of Stripe's test card numbers"
        elif param.keys == ("bank_account", "payment_method"):
            problem = "names a PaymentMethod whose details the model cannot know"
        elif param.keys[0] in ("card", "cvc_update") and name in ("exp_month", "exp_year", "cvc"):
            return  # shape, range and brand length are the oracle's card rules
        elif param.keys == ("bank_account", "account_number"):
            return  # checked with its country and routing number in bank_rules
        elif param.keys == ("bank_account", "routing_number"):
            return
        else:
            limit = items.max_length if items else param.max_length
            problem = _free_text_problem(text, limit)
        if problem is not None:
            self.add(path, f"{_shown(param, text)} {problem}")

    def number(self, param: Param, path: str, text: str) -> None:
        if param.type == "integer" and not INT_RE.fullmatch(text):
            return  # the oracle's wrong_type
        if param.type == "number" and not NUM_RE.fullmatch(text):
            return
        value = float(text)
        if param.name == "percent_ownership":
            if not 0 <= value <= 100:
                self.add(path, f"{_cut(text)} is not a percentage from 0 to 100")
        elif param.name == "date":
            if not EARLIEST_TIMESTAMP <= value <= self.latest_timestamp:
                self.add(path, f"{_cut(text)} is not a Unix timestamp between 2000 and today")
        elif param.name in _DATE_KEYS:
            return  # judged with its siblings in calendar_date
        elif value < 0:
            self.add(path, f"{_cut(text)} is negative")

    def text(self, path: str, text: str, limit: int | None) -> None:
        problem = _free_text_problem(text, limit)
        if problem is not None:
            self.add(path, f"{text[:40]!r} {problem}")

    def calendar_date(self, param: Param, value: Mapping[str, Any]) -> None:
        import calendar

        raw = {k: as_text(value.get(k)) for k in _DATE_KEYS}
        if not all(INT_RE.fullmatch(v) for v in raw.values()):
            return  # missing or malformed parts are the oracle's findings
        shown = f"{raw['year'][:12]}-{raw['month'][:12]}-{raw['day'][:12]}"
        if any(len(v) > 9 for v in raw.values()):
            # int() refuses more than 4300 digits, and no such number is a date part anyway.
            self.add(param.path, f"{shown} is not a calendar date")
            return
        y, m, d = (int(raw[k]) for k in ("year", "month", "day"))
        if not 1 <= m <= 12 or not 1 <= d <= calendar.monthrange(max(y, 1), m)[1]:
            self.add(param.path, f"{shown} is not a calendar date")
        # Short-circuits before date(): a year beyond 9999 is no `date` at all.
        elif y < EARLIEST_YEAR or y > self.today.year or date(y, m, d) > self.today:
            self.add(param.path, f"{shown} is not a date from {EARLIEST_YEAR} to today")

    # --- rules across fields ------------------------------------------------------------------

    def kind_rules(self, kind: str, root: Mapping[str, Any]) -> None:
        if kind == "bank_account":
            self.bank(root)
        elif kind == "account":
            business_type = as_text(root.get("business_type"))
            if business_type == "individual" and is_container(root.get("company")):
                self.add("account[company]", "company details for an individual business type")
            if business_type not in ("", "individual") and is_container(root.get("individual")):
                self.add("account[individual]", f"individual details for a {business_type}")

    def bank(self, bank: Mapping[str, Any]) -> None:
        if "payment_method" in bank or "account_number" not in bank:
            return
        number = as_text(bank["account_number"])
        known = [a for a in D.TEST_BANK_ACCOUNTS if a.account_number == number]
        if not known:
            self.add("bank_account[account_number]", "the value is not a test bank account number")
            return
        account = known[0]
        country = as_text(bank.get("country"))
        if country != account.country:
            self.add(
                "bank_account[country]",
                f"{country[:40]!r} is not the test account's country {account.country}",
            )
        if "currency" in bank and as_text(bank["currency"]) != account.currency:
            self.add(
                "bank_account[currency]",
                f"{as_text(bank['currency'])[:40]!r} is not the test account's currency "
                f"{account.currency}",
            )
        if "routing_number" in bank:
            routing = as_text(bank["routing_number"])
            if account.routing_number is None:
                self.add("bank_account[routing_number]", "an IBAN account takes no routing number")
            elif routing != account.routing_number:
                self.add(
                    "bank_account[routing_number]",
                    f"{routing[:40]!r} is not the test routing number {account.routing_number}",
                )
        account_type = as_text(bank.get("account_type"))
        if account_type in _JAPANESE_ACCOUNT_TYPES and country != "JP":
            self.add("bank_account[account_type]", f"{account_type!r} is a Japanese account type")

    def expand(self, value: Any, kind: str | None) -> None:
        understood = get_kind(kind).embedded_object if kind else None
        item_spec = shared_params()["expand"]
        for index, item in _items(value):
            path = bracket_path(("expand", index))
            text = as_text(item)
            if is_container(item) or text == "":
                continue  # the oracle's wrong_type / empty_item
            if text != understood:
                self.add(path, f"{_shown(item_spec, text)} is not a path the model can expand")
