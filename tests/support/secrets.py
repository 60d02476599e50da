"""What a leaked secret looks like in text, for tests that scan outputs."""

from __future__ import annotations

import re


def luhn_ok(number: str) -> bool:
    """Luhn as textbooks state it: double every second digit from the right."""
    # Written here on purpose (not imported from contracttk): a test's yardstick must not
    # be the code under test.
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def luhn_digit(partial: str) -> str:
    """The check digit that makes ``partial + digit`` pass :func:`luhn_ok`."""
    return next(d for d in "0123456789" if luhn_ok(partial + d))


def luhn_runs(text: str) -> list[str]:
    """13-19 digit runs that pass Luhn: what a leaked card number looks like."""
    return [m for m in re.findall(r"(?<![0-9])[0-9]{13,19}(?![0-9])", text) if luhn_ok(m)]
