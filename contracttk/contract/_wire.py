"""Values as they travel in a form body, shared by the oracle, the domain test and the rules.

A payload may be a nested dict built in Python (``{"exp_month": 12}``) or decoded from the
wire (``{"exp_month": "12"}``); every judgement compares values in their wire form so both
give the same verdict.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ._params import WIRE_PATTERNS
from .domain import MAX_EXPIRY_YEARS_AHEAD, MAX_EXPIRY_YEARS_BACK, _is_ascii_digits

__all__ = [
    "INT_RE",
    "NUM_RE",
    "as_map",
    "as_text",
    "digit_order",
    "is_container",
    "is_digits",
    "is_ip",
    "normalise_exp_year",
    "wire",
]

INT_RE = re.compile(WIRE_PATTERNS["integer"])
NUM_RE = re.compile(WIRE_PATTERNS["number"])


def wire(value: Any) -> str:
    """A scalar as it travels in a form body (``True`` -> ``"true"``, ``None`` -> ``""``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def as_text(value: Any) -> str:
    """``wire(value)``, except that an empty hash or list is ``""``.

    Why: ``encoding.encode`` sends ``{}`` and ``[]`` as the empty string, so the
    verdict on ``{"card": {"networks": {}}}`` must be the one for ``card[networks]=``.
    """
    if isinstance(value, (dict, list)) and not value:
        return ""
    return wire(value)


def is_container(value: Any) -> bool:
    """A non-empty hash or list (an empty one travels as ``""``, see :func:`as_text`)."""
    return isinstance(value, (dict, list)) and bool(value)


# ASCII digits only (``str.isdigit`` alone accepts ``"²"`` and full-width digits): the
# domain module's check, the bottom layer's, under the name the model's modules use.
is_digits = _is_ascii_digits


def is_ip(text: str) -> bool:
    """An IPv4 or IPv6 address."""
    import ipaddress  # lazily: the CLI imports this package on every start

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def digit_order(key: str) -> tuple[int, str]:
    """Sort key putting ASCII-digit strings in numeric order without ``int()``, which refuses
    more than 4300 digits (a form key like ``expand[999…]`` may carry any number of them)."""
    stripped = key.lstrip("0")
    return len(stripped), stripped


def as_map(value: Any) -> Any:
    """A decoder turns ``metadata[0]=x`` into a list; for a string map it is a hash again."""
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return value


def normalise_exp_year(raw: str, today: date) -> int | None:
    """The four-digit year Stripe reports for ``card[exp_year]``, or None if not a 2/4-digit year.

    A two-digit year is read in the window from :data:`~.domain.MAX_EXPIRY_YEARS_BACK` years
    back to :data:`~.domain.MAX_EXPIRY_YEARS_AHEAD` ahead, the later reading winning where
    both fit: in 2025, ``75`` is 2075 and ``95`` is 1995 (the docs' "up to 50 years back"
    example of an invalid year [DOC: Testing]).
    """
    if not is_digits(raw) or len(raw) not in (2, 4):
        return None
    if len(raw) == 4:
        return int(raw)
    year = today.year // 100 * 100 + int(raw)
    if year > today.year + MAX_EXPIRY_YEARS_AHEAD:
        year -= 100
    elif year < today.year - MAX_EXPIRY_YEARS_BACK:
        year += 100
    return year
