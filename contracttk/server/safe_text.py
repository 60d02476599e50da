"""What the reference server may say about a request: names yes, values never.

Three rules, applied wherever request text reaches an answer or a log line:

* **Parameter names** are echoed (Stripe does: "Received unknown parameter: card[foo]") only
  while they look like names (the contract's rule, ``contract/_shown.py``). Anything else
  is a value that ended up in a key (a JSON document posted as a form, a missing ``]`` or
  ``=`` before a card number) and is replaced by ``…`` from the first such segment on
  (:func:`shown_key`).
* **Free text we must echo** (a token id in "No such token", a path in "Unrecognized
  request URL", an idempotency key) keeps its shape but loses number-like runs: nine or more
  digits, optionally split by single spaces or dashes (ID numbers, account numbers, PANs),
  and API keys are masked (:func:`mask_numbers`).
* **Log lines** additionally escape every non-printable character (``\\n``, ``\\x00``,
  ``\\u2028``...) and the backslash itself, so a path cannot forge a log line or write a
  NUL (:func:`log_text`).
"""

from __future__ import annotations

import ast
import re

# Which parameter names may be shown is the contract model's rule: the oracle asserts a
# shown name where this server shows one (contracttk/contract/_shown.py).
from ..contract import HIDDEN, mask_key, shown_key

__all__ = [
    "HIDDEN",
    "escape_controls",
    "log_text",
    "mask_numbers",
    "safe_decode_detail",
    "shown_key",
]

_API_KEY_RE = re.compile(r"(?:sk|pk|rk)_(?:test|live)_[A-Za-z0-9_]+")
# Nine or more digits, single spaces/dashes allowed between them ("4242 4242 ...", "000-00-0000").
_NUMBER_RE = re.compile(r"\d(?:[ -]?\d){8,}")
_QUOTED_RE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_SYNTAX_TOKENS = frozenset({"[", "]", "[]"})


def mask_numbers(text: str) -> str:
    """``text`` with number-like runs starred and API keys masked (shape kept, value gone)."""
    text = _API_KEY_RE.sub(lambda m: mask_key(m.group(0)), text)
    return _NUMBER_RE.sub(lambda m: re.sub(r"\d", "*", m.group(0)), text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_controls(text: str) -> str:
    """``text`` on one line: the backslash and every non-printable character escaped."""
    return "".join("\\\\" if ch == "\\" else ch if ch.isprintable() else _escape(ch) for ch in text)


def log_text(text: str, limit: int = 200) -> str:
    """``text`` fit for one log line: cut to ``limit``, numbers masked, controls escaped."""
    cut = len(text) > limit
    return escape_controls(mask_numbers(text[:limit])) + ("..." if cut else "")


def safe_decode_detail(message: str, param: str | None) -> str:
    """A decoder error message (``EncodingError``) with the offending key shown safely.

    The decoder quotes the key (and, for shape conflicts, a bracket prefix of it) with
    ``repr``; each such quoted key is replaced by its :func:`shown_key` display.
    """
    if not param:
        return message
    display, _ = shown_key(param)
    if display == param:
        return message

    def replace(match: re.Match[str]) -> str:
        try:
            value = ast.literal_eval(match.group(0))
        except (ValueError, SyntaxError):
            return match.group(0)
        if not isinstance(value, str) or value in _SYNTAX_TOKENS or not param.startswith(value):
            return match.group(0)
        return repr(shown_key(value)[0])

    detail = _QUOTED_RE.sub(replace, message)
    if param in detail:
        # A message shape this function does not know: say what happened, name nothing.
        return "malformed parameter name"
    return detail
