"""Redaction of secrets in everything contracttk writes or prints.

Reports, curl reproductions, JUnit messages and terminal lines all pass through here
before they leave the process. What counts as a secret comes from the contract model
(the sensitive parameter paths of every token kind) plus patterns that need no context:

* API keys (``sk_``/``pk_``/``rk_`` + ``test``/``live``) -> Stripe's own masking
  (prefix, stars, last four);
* card numbers: 13-19 digit runs that pass Luhn or are known test cards -> stars + last four;
* IBANs that pass mod-97 -> country code, stars, last four;
* values of sensitive parameters by name (``cvc``, ``number``, ``account_number``,
  ``id_number``, ``ssn_last_4``, ``tax_id``, ...), in form bodies (raw or percent-encoded
  brackets, also in array/hash form ``card[cvc][]=``), JSON text (also JSON inside a
  JSON string) and Python mappings (also lists and hashes under such a name) -> stars;
* mapping keys, which are redacted as text (a JSON body posted as a form decodes to a
  key holding the whole JSON document);
* ``Authorization: Basic`` credentials -> ``Basic ***``;
* credentials in URLs (``//user:password@``) -> ``//***@``.

``public`` values are shown in full: Stripe's published test values (test card numbers and
the CVCs sent with them, test bank and ID numbers) are public test data, and a
reproduction that masks them does not reproduce. API keys are never public.

Standard library plus the (stdlib-only) contract model; cheap to import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from .public import is_public_value

__all__ = [
    "MASK",
    "is_public_value",
    "mask_value",
    "redact",
    "redact_headers",
    "redact_params",
    "redact_text",
    "scrub",
    "scrub_all",
    "sensitive_names",
]

MASK = "*"

# Finds keys in free text; the shape is the one `contracttk.contract.parse_key` accepts
# (sk/pk/rk, test/live) and every hit is masked by the contract's own `mask_key`.
_KEY_RE = re.compile(r"\b(?:sk|pk|rk)_(?:test|live)_[A-Za-z0-9_]+")
# Digit runs that may be or hold a PAN, allowing the usual space/dash grouping inside them:
# whole runs (a card number may sit inside a longer grouped run, see _mask_inner_pans).
_DIGIT_RUN_RE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,}(?![0-9])")
_IBAN_RE = re.compile(r"\b[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}\b")
_BASIC_RE = re.compile(r"(?i)(\bbasic\s+)[A-Za-z0-9+/=]+")
_BEARER_RE = re.compile(r"(?i)(\bbearer\s+)(\S+)")
_ENV_REF_RE = re.compile(r"\$\{?[A-Z_][A-Z0-9_]*\}?[\"']?")
# Every pattern needs one of these: "=" (form pair), ":" (JSON member), "_" (API key), a
# digit (PAN, IBAN) or an auth scheme. Most strings of a report (keys, words) have none:
# one search instead of seven substitutions (a large report makes ~10^6 calls). A character
# class and two plain finds: an alternation with words is tried at every position (0.15 s
# on a 4 MiB answer that holds none of them, five times the cost of this).
_MAYBE_SECRET_CHAR_RE = re.compile(r"[=:_0-9]")


def _maybe_secret(text: str) -> bool:
    if _MAYBE_SECRET_CHAR_RE.search(text):
        return True
    low = text.lower()
    return "basic" in low or "bearer" in low


@cache
def sensitive_names() -> frozenset[str]:
    """Leaf names of every sensitive parameter in the model (``cvc``, ``number``, ...)."""
    from contracttk.contract import kinds

    return frozenset(path[-1] for kind in kinds().values() for path in kind.sensitive_paths)


@cache
def _sensitive_paths() -> frozenset[tuple[str, ...]]:
    from contracttk.contract import kinds

    return frozenset(path for kind in kinds().values() for path in kind.sensitive_paths)


def _mask_exact(value: str) -> str:
    """An exact secret's mask: a key the way Stripe masks keys, anything else by length."""
    if _KEY_RE.fullmatch(value):
        from contracttk.contract import mask_key

        return mask_key(value)
    return mask_value(value)


def mask_value(value: str) -> str:
    """Stars for a secret value; keep the last four only when the value is long (a PAN)."""
    if len(value) >= 12:
        return MASK * (len(value) - 4) + value[-4:]
    return MASK * max(len(value), 3)


def _mask_key_match(m: re.Match[str]) -> str:
    from contracttk.contract import mask_key
    from contracttk.defaults import UNKNOWN_TEST_KEY

    if m.group(0) == UNKNOWN_TEST_KEY:
        return m.group(0)  # a documented placeholder no target issued: public
    return mask_key(m.group(0))


def _mask_pan_match(m: re.Match[str], public: frozenset[str] = frozenset()) -> str:
    from contracttk.contract.domain import is_test_card, luhn_valid

    text = m.group(0)
    digits = re.sub(r"[ -]", "", text)
    if len(digits) <= 19:
        if digits in public or is_public_value(digits):
            return text
        if luhn_valid(digits) or is_test_card(digits):
            return MASK * (len(digits) - 4) + digits[-4:]
    return _mask_inner_pans(text, public)


def _mask_inner_pans(text: str, public: frozenset[str]) -> str:
    """Mask card numbers that are only part of a grouped digit run.

    ``cvc 123 4539148803436467`` is one 19-digit run to the pattern, and that run fails
    Luhn: the card number inside it must still be found. Every span of whole groups of
    13-19 digits is tried (at most 19 groups, so a few hundred spans at worst).
    """
    from contracttk.contract.domain import is_test_card, luhn_valid

    parts = re.split(r"([ -])", text)
    groups = parts[0::2]
    hide = [False] * len(groups)
    for i in range(len(groups)):
        size = 0
        for j in range(i, len(groups)):
            size += len(groups[j])
            if size > 19:
                break
            if size < 13:
                continue
            cand = "".join(groups[i : j + 1])
            if cand in public or is_public_value(cand):
                continue
            if luhn_valid(cand) or is_test_card(cand):
                hide[i : j + 1] = [True] * (j + 1 - i)
    if not any(hide):
        return text
    # Stars for hidden digits, except the last four of each hidden stretch (Stripe's last4).
    left = 0  # digits still to show, walking back from the end of a hidden stretch
    for k in range(len(groups) - 1, -1, -1):
        if not hide[k]:
            left = 0
            continue
        if k == len(groups) - 1 or not hide[k + 1]:
            left = 4
        shown = min(left, len(groups[k]))
        groups[k] = MASK * (len(groups[k]) - shown) + groups[k][len(groups[k]) - shown :]
        left -= shown
    parts[0::2] = groups
    return "".join(parts)


def _mask_iban_match(m: re.Match[str], public: frozenset[str] = frozenset()) -> str:
    from contracttk.contract.domain import iban_valid

    text = m.group(0)
    if text in public or is_public_value(text):
        return text
    try:
        ok = iban_valid(text)
    except Exception:  # a checksum helper must never break redaction
        ok = False
    return text[:2] + MASK * (len(text) - 6) + text[-4:] if ok else text


_URL_CREDENTIALS_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")


# A quote, optionally backslash-escaped (JSON text inside a JSON string: an echoed body).
_Q = r"""\\?["']"""
# One scalar literal: escaped-quoted, quoted, or a number.
_SCALAR = r"""\\"[^"\\]*\\"|"[^"]*"|'[^']*'|-?[0-9]+(?:\.[0-9]+)?"""
_SCALAR_RE = re.compile(_SCALAR)


@cache
def _name_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    names = "|".join(sorted((re.escape(n) for n in sensitive_names()), key=len, reverse=True))
    # form pair: a bracketed sensitive name (raw or %5B/%5D), then any bracket suffixes
    # (array/hash form: card[cvc][]=, card%5Bcvc%5D%5B0%5D=), then the value up to a delimiter
    form = re.compile(
        rf"((?:\[|%5B)(?:{names})(?:\]|%5D)(?:(?:\[|%5B)[^&=\s\[\]]*?(?:\]|%5D))*=)"
        rf"([^&\s'\"]*)",
        re.IGNORECASE,
    )
    # JSON member or Python repr, the name alone or as a bracket key ("card[cvc][]"):
    # "cvc": "123" / 'cvc': '123' / "cvc": 123 / "cvc": ["123"] / "cvc": {"x": "123"}
    json_ = re.compile(
        rf"""({_Q}(?:[^"'\s\\\[\]]*\[)?(?:{names})(?:\][^"'\s\\]*)?{_Q}\s*:\s*)"""
        rf"""({_SCALAR}|\[[^\[\]{{}}]*\]|\{{[^{{}}]*\}})"""
    )
    return form, json_


def _mask_form(m: re.Match[str], public: frozenset[str] = frozenset()) -> str:
    value = m.group(2)
    if not value or _unquoted(value) in public:
        return m.group(0)
    return m.group(1) + mask_value(value)


def _unquoted(value: str) -> str:
    from urllib.parse import unquote_plus

    return unquote_plus(value) if "%" in value or "+" in value else value


def _mask_literal(raw: str, quote: str, public: frozenset[str] = frozenset()) -> str:
    """Mask one scalar literal, keeping its quoting (numbers become ``quote``-quoted)."""
    for q in ('\\"', '"', "'"):
        if raw.startswith(q) and raw.endswith(q) and len(raw) >= 2 * len(q):
            inner = raw[len(q) : -len(q)]
            if inner in public:
                return raw
            return q + (mask_value(inner) if inner else "") + q
    if raw in public:
        return raw
    return quote + mask_value(raw) + quote


def _mask_json(m: re.Match[str], public: frozenset[str] = frozenset()) -> str:
    raw = m.group(2)
    quote = '\\"' if m.group(1).startswith("\\") else '"'
    if raw[:1] in "[{":
        # a list or hash under a sensitive name: every scalar inside is the secret
        return m.group(1) + _SCALAR_RE.sub(lambda s: _mask_literal(s.group(0), quote, public), raw)
    return m.group(1) + _mask_literal(raw, quote, public)


def _mask_exacts(text: str, secrets: Iterable[str], public: frozenset[str]) -> str:
    for secret in sorted({s for s in secrets if s and len(s) >= 3} - public, key=len, reverse=True):
        text = text.replace(secret, _mask_exact(secret))
    if "@" in text:
        text = _URL_CREDENTIALS_RE.sub(lambda m: m.group(1) + "***@", text)
    return text


def _mask_bearer(m: re.Match[str]) -> str:
    from contracttk.defaults import UNKNOWN_TEST_KEY

    token = m.group(2)
    # Already masked, a shell reference to the key's variable (a curl line), or the
    # documented placeholder key no target issued: kept.
    if "*" in token or _ENV_REF_RE.fullmatch(token) or token.strip("'\"") == UNKNOWN_TEST_KEY:
        return m.group(0)
    return m.group(1) + mask_value(token)


def _context_free(text: str, public: frozenset[str]) -> str:
    """The patterns that need no context: credentials, keys, card numbers, IBANs."""
    text = _BASIC_RE.sub(lambda m: m.group(1) + "***", text)
    text = _KEY_RE.sub(_mask_key_match, text)
    text = _BEARER_RE.sub(_mask_bearer, text)
    text = _DIGIT_RUN_RE.sub(lambda m: _mask_pan_match(m, public), text)
    return _IBAN_RE.sub(lambda m: _mask_iban_match(m, public), text)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """The last pass at an output boundary over text already redacted where it was made.

    Masks what must never leave whatever the context: the given ``secrets`` (the run's
    keys), anything key-shaped, Basic/Bearer credentials, URL credentials, and card numbers
    or IBANs that are not published test values. Values under sensitive names were judged
    (public or not) when the record was made, so they are left alone here.
    """
    if not text:
        return text
    text = _mask_exacts(text, secrets, frozenset())
    return _context_free(text, frozenset()) if _maybe_secret(text) else text


def scrub_all(value: Any, secrets: Iterable[str] = ()) -> Any:
    """:func:`scrub` over every string (keys included) of a JSON-like value."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, Mapping):
        return {scrub(str(k), secrets): scrub_all(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_all(v, secrets) for v in value]
    return value


def redact_text(text: str, secrets: Iterable[str] = (), public: Iterable[str] = ()) -> str:
    """Mask every secret found in ``text``; ``secrets`` are extra exact strings to hide.

    ``public`` values (published test values) stay as they are. Safe to apply twice
    (masked output contains nothing that matches again).
    """
    if not text:
        return text
    pub = frozenset(public)
    text = _mask_exacts(text, secrets, pub)
    if not _maybe_secret(text):
        return text
    form, json_ = _name_patterns()
    text = form.sub(lambda m: _mask_form(m, pub), text)
    text = json_.sub(lambda m: _mask_json(m, pub), text)
    return _context_free(text, pub)


def _is_sensitive_key(key: str) -> bool:
    """True for a sensitive name, alone or as a part of a bracket key (``card[cvc][]``)."""
    names = sensitive_names()
    return key in names or ("[" in key and any(p in names for p in re.findall(r"[^\[\]]+", key)))


def _mask_all(value: Any, public: frozenset[str] = frozenset()) -> Any:
    """Every scalar under a sensitive name masked (a secret sent as a list or hash)."""
    if isinstance(value, Mapping):
        # keys too: `card[cvc][123]=` decodes to {"cvc": {"123": ""}}
        return {_mask_all(str(k), public): _mask_all(v, public) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_all(v, public) for v in value]
    if value is None or isinstance(value, bool):
        return value
    text = str(value)
    return mask_value(text) if text and text not in public else text


def redact_params(params: Any, _keys: tuple[str, ...] = (), public: Iterable[str] = ()) -> Any:
    """A copy of a nested parameter mapping with sensitive leaves (by model path) masked.

    Anything under a sensitive name is masked too, so a fuzzer's odd nesting
    (``card[card][number]``, ``card[cvc][]``, ``card[cvc][x]``) cannot smuggle a PAN past the
    report; keys are redacted as text (a JSON body sent as a form makes one a key).
    ``public`` values (published test values) are kept.
    """
    pub = public if isinstance(public, frozenset) else frozenset(public)
    if _keys and (_keys in _sensitive_paths() or _is_sensitive_key(_keys[-1])):
        return _mask_all(params, pub)
    if isinstance(params, Mapping):
        return {
            redact_text(str(k), (), pub): redact_params(v, (*_keys, str(k)), pub)
            for k, v in params.items()
        }
    if isinstance(params, list):
        return [redact_params(v, _keys, pub) for v in params]
    if isinstance(params, str):
        return redact_text(params, (), pub)
    return params


def redact_headers(
    headers: Mapping[str, Any], secrets: Iterable[str] = (), public: Iterable[str] = ()
) -> dict[str, Any]:
    """Headers with credentials and secrets masked (values may be str or lists of str)."""
    secrets, pub = tuple(secrets), frozenset(public)
    out: dict[str, Any] = {}
    for name, value in headers.items():
        if isinstance(value, (list, tuple)):
            out[name] = [redact_text(str(v), secrets, pub) for v in value]
        else:
            out[name] = redact_text(str(value), secrets, pub)
    return out


def redact(value: Any, secrets: Iterable[str] = (), public: Iterable[str] = ()) -> Any:
    """Redact any JSON-like value, keys included; all under a sensitive name is masked.

    Strings and keys go through :func:`redact_text`; under a sensitive name (``cvc``,
    ``card[cvc][]``, ...) every scalar is masked, whether sent alone, as a list or a hash.
    ``public`` values (published test values) are kept.
    """
    secrets = tuple(secrets)
    pub = public if isinstance(public, frozenset) else frozenset(public)
    if isinstance(value, str):
        return redact_text(value, secrets, pub)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            name = redact_text(str(k), secrets, pub)
            out[name] = _mask_all(v, pub) if _is_sensitive_key(str(k)) else redact(v, secrets, pub)
        return out
    if isinstance(value, (list, tuple)):
        return [redact(v, secrets, pub) for v in value]
    return value
