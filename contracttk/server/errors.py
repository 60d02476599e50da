"""How the reference server shapes an error before answering it (no request value inside)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from ..contract import KIND_NAMES, SHORT_SECRET, ExpectedError, sensitive_values, shown_key

__all__ = ["shown_unknown", "without_secrets"]

_UNKNOWN_PARAM = "parameter_unknown"


def shown_unknown(expected: ExpectedError) -> ExpectedError:
    """A ``parameter_unknown`` error whose name looks like a value, named up to its last
    name-like segment (``card[…]``, ``param`` ``card``; nothing and a hint at the top level).
    Any other error is returned unchanged."""
    if expected.code != _UNKNOWN_PARAM or not expected.param:
        return expected
    raw = expected.param
    display, prefix = shown_key(raw)
    if display == raw:
        return expected
    message = (expected.message or "").replace(raw, display)
    if prefix is None:
        message += (
            " (a name that looks like a value is not shown; this API takes form-encoded "
            "parameters such as card[number]=..., not JSON)"
        )
    return dataclasses.replace(expected, param=prefix, message=message)


def without_secrets(expected: ExpectedError, params: Mapping[str, Any]) -> ExpectedError:
    """``expected`` with every secret field value of ``params`` starred in its message.

    Only values with three or more digits count (every real card, CVC, account and ID number
    has them; a fuzzer's CVC "bank_account" is a word of our own message, not an echo). A
    short one (under ``SHORT_SECRET`` characters) only where it stands alone, not inside a
    longer word or number ("500" in "5000"); a longer one wherever it stands.
    """
    message = expected.message or ""
    secrets = {
        value
        for kind in KIND_NAMES
        if kind in params
        for _, value in sensitive_values(kind, params)
        if sum(ch.isdigit() for ch in value) >= 3
    }
    masked = message
    for value in sorted(secrets, key=len, reverse=True):
        if len(value) >= SHORT_SECRET:
            masked = masked.replace(value, "*" * len(value))
        else:
            pattern = rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])"
            masked = re.sub(pattern, "*" * len(value), masked)
    if masked == message:
        return expected
    return dataclasses.replace(expected, message=masked)
