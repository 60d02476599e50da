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
from urllib.parse import SplitResult, urlsplit, urlunsplit

from contracttk.contract import mask_key

__all__ = [
    "KEY_RE",
    "URL_CREDENTIALS_ADVICE",
    "KeyPolicyError",
    "check_key",
    "check_url",
    "strip_credentials",
]

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
    """A refused key as it may be printed: masked when key-shaped, else only what is wrong.

    A value that is not key-shaped may still be a real key with one stray character (a
    zero-width space, a Cyrillic lookalike): it is never echoed, only the offending
    character's code point and position, which tell the user what to fix.
    """
    text = raw.strip()
    if KEY_RE.fullmatch(text):
        return mask_key(text)
    for pos, ch in enumerate(text):
        if not (ch.isascii() and (ch.isalnum() or ch == "_")):
            return f"the value (character {pos + 1} is U+{ord(ch):04X})"
    return f"the value ({len(text)} characters)"


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
            "((sk|pk|rk)_(test|live)_ followed by ASCII letters, digits and _)"
        )
    prefix, mode = m.group(1), m.group(2)
    if prefix not in _ROLES[role]:
        raise KeyPolicyError(f"{mask_key(key)} is not {_ROLE_WORDS[role]}")
    if role == "live" and mode != "live":
        raise KeyPolicyError(f"{mask_key(key)} is not a live-mode key")
    if mode == "live" and not allow_live:
        raise KeyPolicyError(
            f"{mask_key(key)} is a live-mode key, refused unless live keys are allowed "
            "explicitly (--allow-live-keys; pytest: --contracttk-allow-live-keys)"
        )
    return key


URL_CREDENTIALS_ADVICE = (
    "give the URL without them and pass the API key with --api-key "
    "(pytest: --contracttk-api-key, or $CONTRACTTK_API_KEY)"
)
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _has_credentials(url: str) -> bool:
    """True when anything before the host ends in ``@`` (also in malformed URLs).

    Checked on the raw text, not on a parse: ``http:/user:pw@host`` or ``user:pw@host``
    parse without a user name, yet a message that quoted them would print the password.
    """
    m = _SCHEME_RE.match(url)
    rest = url[m.end() :] if m else url
    authority = re.split(r"[/?#]", rest.lstrip("/"), maxsplit=1)[0]
    return "@" in authority


def check_url(raw: str) -> str:
    """The base URL to test: http(s), a host, no credentials, no query; trailing '/' dropped.

    Messages never quote the URL as given (it may hold a password or a key in its query):
    only its cleaned base, or what is wrong with it.
    """
    url = raw.strip()
    if not url:
        raise KeyPolicyError("is empty")
    if _has_credentials(url):
        raise KeyPolicyError(
            f"{strip_credentials(url)} carries credentials (user:password@), which are "
            f"refused: {URL_CREDENTIALS_ADVICE}"
        )
    if any(not ch.isprintable() or ch.isspace() for ch in url):
        raise KeyPolicyError("contains spaces or control characters")
    if not url.isascii():
        raise KeyPolicyError("contains non-ASCII characters (write the host in its xn-- form)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        # The parser's message quotes the URL's network part: never shown.
        raise KeyPolicyError("is not a valid URL (is the port a number from 1 to 65535?)") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise KeyPolicyError("must start with http:// or https://")
    if not parts.hostname:
        raise KeyPolicyError("has no host (expected http://host:port)")
    if port == 0:
        raise KeyPolicyError("has port 0 (expected a port from 1 to 65535)")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise KeyPolicyError(
            f"{_base(parts)} has a query or fragment; give the API's base URL only"
        )
    return url.rstrip("/")


def _base(parts: SplitResult) -> str:
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def strip_credentials(url: str) -> str:
    """``url`` without ``user:password@``, query or fragment (for messages).

    Whatever does not parse cleanly is not quoted at all.
    """
    m = _SCHEME_RE.match(url)
    if m is None or not url[m.end() :].startswith("//"):
        return "the URL"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return "the URL"
    host = parts.netloc.rpartition("@")[2]
    if not host or any(not ch.isprintable() or ch.isspace() for ch in host + parts.path):
        return "the URL"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
