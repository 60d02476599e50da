"""What a leaked secret looks like in text, for tests that scan outputs."""

from __future__ import annotations

import re


def _luhn(number: str) -> bool:
    # Written here on purpose (not imported from contracttk): a test's yardstick must not
    # be the code under test.
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_runs(text: str) -> list[str]:
    """13-19 digit runs that pass Luhn: what a leaked card number looks like."""
    return [m for m in re.findall(r"(?<![0-9])[0-9]{13,19}(?![0-9])", text) if _luhn(m)]
