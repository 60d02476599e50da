"""What a leak looks like in contracttk's outputs, judged from what a target received.

The rule (issue 12): API keys and URL passwords never appear (the documented placeholder of
the unknown-key items, which no target issued, excepted); card, account and ID numbers appear
only when they are Stripe's published test values (or a test card number with its last digit
changed: a Luhn failure made from public data), and a CVC only when every card number sent
with it was a published test card. The parsing here is written
by hand (``urllib.parse``, the contract model's list of sensitive parameter paths and its
tables of test values): the yardstick must not be the redaction code under test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from contracttk.contract import kinds
from contracttk.contract.domain import (
    LUHN_FAILING_TEST_NUMBER,
    TEST_BANK_ACCOUNTS,
    TEST_CARDS,
    TEST_ID_NUMBERS,
    TEST_PHONE,
    TEST_SSN_LAST_4,
    TEST_TAX_IDS,
)
from contracttk.defaults import UNKNOWN_TEST_KEY

from .secrets import luhn_ok, luhn_runs

__all__ = ["PUBLIC", "Sent", "files_text", "is_public", "leaks", "strings"]

PUBLIC_CARDS = frozenset(c.number for c in TEST_CARDS) | {LUHN_FAILING_TEST_NUMBER}
PUBLIC = (
    PUBLIC_CARDS
    | {b.account_number for b in TEST_BANK_ACCOUNTS}
    | {b.routing_number for b in TEST_BANK_ACCOUNTS if b.routing_number}
    | set(TEST_ID_NUMBERS)
    | set(TEST_TAX_IDS)
    | set(TEST_SSN_LAST_4)
    | {TEST_PHONE}
)
"""Published Stripe test values: these may appear in full."""


def is_public(value: str) -> bool:
    """A published test value, or a test card number with its last digit changed to fail Luhn."""
    if value in PUBLIC:
        return True
    return (
        13 <= len(value) <= 19
        and value.isdigit()
        and not luhn_ok(value)
        and any(value[:-1] + d in PUBLIC_CARDS for d in "0123456789")
    )


NAMES = sorted({p[-1] for k in kinds().values() for p in k.sensitive_paths}, key=len, reverse=True)
SHORT = 6
"""Values shorter than this are only judged where they stand as a sensitive parameter's value."""
# What a number someone holds looks like: digits (maybe grouped) or an IBAN. A fuzzer's
# "4242abcd4242abcd" in a number field is no one's number.
_NUMBER_RE = re.compile(r"[0-9][0-9 -]*[0-9]|[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}")
LONGEST = 34
"""The longest number a person holds (an IBAN); longer values are length tests, not secrets
(the same 5,000 nines also go out as a name, which is no secret)."""


def _leaf_pairs(value: Any, names: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaf_pairs(v, (*names, *re.findall(r"[^\[\]]+", str(k))))
    elif isinstance(value, list):
        for v in value:
            yield from _leaf_pairs(v, names)
    elif value is not None and not isinstance(value, bool):
        hit = [n for n in names if n in NAMES]
        if hit:
            yield hit[-1], str(value)


@dataclass
class Sent:
    """The secrets of the requests a target received, split into what may and may not show."""

    keys: set[str] = field(default_factory=set)
    private: set[str] = field(default_factory=set)
    public_short: set[str] = field(default_factory=set)

    def add(self, body: bytes, authorization: str | None = None) -> None:
        """One received request: its raw body and ``Authorization`` header."""
        if authorization:
            token = authorization.split(" ", 1)[-1].strip()
            if token.startswith(("sk_", "pk_", "rk_")) and token != UNKNOWN_TEST_KEY:
                self.keys.add(token)
        text = body.decode("utf-8", "replace")
        pairs: list[tuple[str, str]] = []
        try:
            pairs = list(_leaf_pairs(json.loads(text)))
        except ValueError:
            for key, value in parse_qsl(text, keep_blank_values=True):
                hit = [n for n in re.findall(r"[^\[\]]+", key) if n in NAMES]
                if hit and value:
                    pairs.append((hit[-1], value))
        # A number anywhere in the request (a malformed key carries one too).
        pans = set(luhn_runs(unquote_plus(text)))
        cards = {v for n, v in pairs if n == "number"} | pans
        all_public_cards = all(is_public(c) for c in cards)
        for name, value in pairs:
            if is_public(value):
                continue
            if name == "cvc":
                # A CVC of any shape (a bad_shape example replays with its "99") may show
                # when every card number beside it is public test data.
                (self.public_short if all_public_cards else self.private).add(value)
                continue
            if len(value) < SHORT:
                # Only a CVC or a last-4 is a short secret ("1" or two bad bytes are not).
                if re.fullmatch("[0-9]{3,4}", value):
                    (self.public_short if all_public_cards else self.private).add(value)
            elif len(value) <= LONGEST and _NUMBER_RE.fullmatch(value):
                self.private.add(value)
        self.private |= {p for p in pans if not is_public(p)}


def _context(names: Iterable[str]) -> re.Pattern[str]:
    """A sensitive name as a form key or JSON/repr key, then its (first) value."""
    alt = "|".join(re.escape(n) for n in names)
    form = rf"(?:\[|%5B)(?:{alt})(?:\]|%5D)(?:(?:\[|%5B)[^&=\s\]]*(?:\]|%5D))*=([^&\s'\"]*)"
    key = rf"""\\?["'](?:[^"'\s\\]*\[)?(?:{alt})(?:\][^"'\s\\]*)?\\?["']"""
    member = rf"""{key}\s*:\s*[\[{{\s]*\\?["']?([^"'\\,\]}}\s]*)"""
    return re.compile(f"{form}|{member}", re.IGNORECASE)


_CONTEXT = _context(NAMES)


def leaks(text: str, sent: Sent, extra: Iterable[str] = ()) -> list[str]:
    """Every leak in ``text``: a key, a private value, a non-public PAN, an unmasked value."""
    found: list[str] = []
    for secret in (*sent.keys, *extra):
        if secret not in text:
            continue
        # (digits inside a longer number are another number)
        if not secret.isdigit() or re.search(rf"(?<![0-9]){secret}(?![0-9])", text):
            found.append(f"secret {secret[:12]}...")
    for key in sent.keys:
        body = key[8:-4]
        if len(body) >= 6 and body in text:
            found.append(f"key body {key[:12]}...")
    for value in sent.private:
        if len(value) < SHORT or value not in text:
            continue
        # A digit value inside a longer number is another number (42424242 in a test card).
        if not value.isdigit() or re.search(rf"(?<![0-9]){value}(?![0-9])", text):
            found.append(f"private value {value!r}")
    found += [f"card number {r}" for r in luhn_runs(text) if not is_public(r)]
    for m in _CONTEXT.finditer(text):
        value = unquote_plus(m.group(1) or m.group(2) or "")
        if not value or "*" in value or is_public(value) or value in sent.public_short:
            continue
        if value in sent.private:
            found.append("unmasked " + text[max(0, m.start() - 20) : m.end() + 5])
    return found


def strings(value: Any) -> Iterator[str]:
    """Every string of a JSON document, keys included."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


def files_text(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` as text (by relative path), for scanning."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(folder))] = path.read_bytes().decode("utf-8", "replace")
    return out
