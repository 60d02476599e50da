"""How the reference server shapes an error before answering it (no request value inside).

``idempotency_key_invalid`` is an error factory that belongs with the others in
:mod:`contracttk.contract` (one source of truth); it lives here until the model has it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from ..contract import IDEMPOTENCY_KEY_MAX_LENGTH, KIND_NAMES, ExpectedError, sensitive_values
from .safe_text import shown_key

__all__ = ["idempotency_key_invalid", "shown_unknown", "without_secrets"]

_UNKNOWN_PARAM = "parameter_unknown"


def idempotency_key_invalid(length: int) -> ExpectedError:
    """An ``Idempotency-Key`` outside 1-255 characters: 400 invalid_request_error.

    The limit is [DOC: Idempotent requests] (``IDEMPOTENCY_KEY_MAX_LENGTH``). The message
    is Stripe's as quoted in [ISSUE: cartalyst/stripe#65] ("Idempotent key length is 0,
    which is outside accepted lengths. Idempotent Keys must be 1-255 characters long.
    ..."); the type is [INF] (the thread quotes only the message); no code is established.
    """
    return ExpectedError(
        400,
        "invalid_request_error",
        None,
        None,
        f"Idempotent key length is {length}, which is outside accepted lengths. Idempotent "
        f"Keys must be 1-{IDEMPOTENCY_KEY_MAX_LENGTH} characters long. If you're looking for a "
        "decent generator, try using a UUID defined by IETF RFC 4122.",
        basis="[DOC: Idempotent requests] [ISSUE: cartalyst/stripe#65] [INF: type]",
    ).with_strength(hard="status", warn="type")


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
    has them; a fuzzer's CVC "bank_account" is a word of our own message, not an echo), and
    only where they stand alone, not inside a longer word or number ("500" in "5000").
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
        pattern = rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])"
        masked = re.sub(pattern, "*" * len(value), masked)
    if masked == message:
        return expected
    return dataclasses.replace(expected, message=masked)
