"""The key policy: every API key, from every source, is cleaned and checked the same way.

A key is stripped of surrounding whitespace, then must be shaped like a Stripe key
(``sk|pk|rk`` + ``test|live`` + letters, digits and underscores) and have the role its
setting asks for; live-mode keys are refused unless the user opted in. Credentials in a
URL are refused outright: they would be sent as Basic auth, replace the Bearer key on
every request, and end up printed wherever the URL is. Messages never show a key or a
password unmasked.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from contracttk.contract import mask_key

__all__ = ["KEY_RE", "KeyPolicyError", "check_key", "check_url"]

KEY_RE = re.compile(r"(sk|pk|rk)_(test|live)_[A-Za-z0-9_]+", re.ASCII)
_ROLES = {"secret": ("sk", "rk"), "publishable": ("pk",), "live": ("sk", "rk")}
_ROLE_WORDS = {
    "secret": "a secret key (sk_test_...)",
    "publishable": "a publishable key (pk_test_...)",
    "live": "a live secret key (sk_live_...)",
}


class KeyPolicyError(ValueError):
    """A key or URL the policy refuses; ``str()`` is one line without the secret."""


def _shown(raw: str) -> str:
    """A refused value as it may be printed: key-shaped parts masked, never more than a hint."""
    text = raw.strip()
    if KEY_RE.fullmatch(text):
        return mask_key(text)
    return f"({len(raw)} characters)"


def check_key(raw: str | None, role: str, *, allow_live: bool) -> str | None:
    """The cleaned key for ``role`` (``secret``, ``publishable`` or ``live``), or None if unset.

    Raises :class:`KeyPolicyError` for an empty or malformed key, a key of another role,
    or a live key without ``allow_live`` (the ``live`` role always needs it).
    """
    if raw is None:
        return None
    key = raw.strip()
    if not key:
        raise KeyPolicyError("is empty")
    m = KEY_RE.fullmatch(key)
    if m is None:
        raise KeyPolicyError(
            f"{_shown(raw)} is not a Stripe-shaped key "
            "((sk|pk|rk)_(test|live)_ followed by letters and digits)"
        )
    prefix, mode = m.group(1), m.group(2)
    if prefix not in _ROLES[role]:
        raise KeyPolicyError(f"{mask_key(key)} is not {_ROLE_WORDS[role]}")
    if role == "live" and mode != "live":
        raise KeyPolicyError(f"{mask_key(key)} is not a live-mode key")
    if mode == "live" and not allow_live:
        raise KeyPolicyError(
            f"{mask_key(key)} is a live-mode key; refused unless live keys are allowed explicitly"
        )
    return key


def check_url(raw: str) -> str:
    """The base URL to test: http(s), a host, no credentials, no query; trailing '/' dropped."""
    url = raw.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as err:
        raise KeyPolicyError(f"is not a valid URL ({_scrub(str(err))})") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise KeyPolicyError(
            f"{strip_credentials(url)} carries credentials (user:password@); they are refused: "
            "pass keys as API keys instead"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise KeyPolicyError(f"{url!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise KeyPolicyError(f"{url!r} has a query or fragment; give the API's base URL only")
    return url.rstrip("/")


def strip_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` removed (for messages)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unparsable URL)"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _scrub(text: str) -> str:
    return re.sub(r"//[^/@\s]*@", "//", text)
