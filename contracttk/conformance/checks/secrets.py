"""``no_secret_echo``: no PAN, CVC, account number, ID number or API key that was sent comes back.

What counts as sent: every value at a sensitive path of the model in the decoded form
body, anything under a sensitive name in a JSON body or a malformed form body, every
PAN-like digit run anywhere in the request (body, URL, query: a malformed key such as
``card[4242424242424242=1`` carries one), and the API key. Where it is looked for: the
body (JSON leaves, error messages, raw text) and every header the server chose to send.

Matching is bounded and linear in the answer's size (C-level searches, no index of the
whole answer). Long secrets match as substrings (digit-only ones as whole digit runs, bare
or in groups of four, Amex 4-6-5, separated by spaces or dashes); short ones
(under :data:`SHORT_SECRET` characters: a CVC, ``ssn_last_4``) only as a whole field value
or a whole word of a message, never inside an IP address, a timestamp, an id or a longer
number (a CVC of ``127`` is not echoed by ``client_ip: 127.0.0.1``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_plus, urlsplit

from contracttk.contract import SHORT_SECRET, no_such_token

from ..exchange import INVALID_JSON, UNDECODABLE, RequestInfo, ResponseInfo
from ..failures import Failure, fail
from ..redact import sensitive_names
from ..registry import check

__all__ = ["SHORT_SECRET", "no_secret_echo", "sent_secrets"]


_PAN_RUN_RE = re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])")
# A word of a message: a run without spaces, quotes or brackets; the punctuation that ends
# a sentence or a list item is stripped, the dots and colons inside it are kept (an IP
# address, a time or a decimal stays one word).
_WORD_DELIMS = frozenset("\"'`()[]{}<>,;=&")  # and whitespace
_WORD_TRIM = ".:!?"
# Headers whose value the server sets whatever the request held (dates, versions, sizes):
# a fuzzed value equal to one of them is a coincidence, not an echo.
_SERVER_HEADERS = frozenset(
    {
        "content-length",
        "content-type",
        "date",
        "server",
        "stripe-version",
        "cache-control",
        "connection",
        "keep-alive",
        "vary",
        "expires",
        "last-modified",
        "age",
        "etag",
        "strict-transport-security",
        "x-content-type-options",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-max-age",
        "access-control-expose-headers",
    }
)


def _leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _leaves(v, (*path, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, str(i)))
    else:
        yield path, value


def _under_sensitive_name(path: tuple[str, ...]) -> str | None:
    names = sensitive_names()
    for part in path:
        for piece in re.findall(r"[^\[\]]+", part):
            if piece in names:
                return piece
    return None


def _luhn(number: str) -> bool:
    from contracttk.contract.domain import luhn_valid

    return luhn_valid(number)


_PCT_DIGIT_RE = re.compile(r"%3[0-9]")


def _digits_readable(text: str) -> str:
    """``text`` with percent-encoded digits decoded (a fuzzer may send ``%34%32`` for 42).

    Encoders leave digits alone, so most bodies need no decoding at all: only the ones
    with an escaped digit are unquoted (the whole body, to keep runs intact).
    """
    return unquote_plus(text) if _PCT_DIGIT_RE.search(text) else text


def sent_secrets(request: RequestInfo) -> list[tuple[str, str]]:
    """``(where, value)`` of every secret ``request`` carried, however it was sent."""
    cached = request.__dict__.get("_sent_secrets")
    if cached is not None:
        return list(cached)
    found = _sent_secrets(request)
    request.__dict__["_sent_secrets"] = tuple(found)
    return found


def _sent_secrets(request: RequestInfo) -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    for where, value in request.secrets():
        out.setdefault(value, where)
    body = request.body or b""
    text = body.decode("utf-8", "replace")
    structured: Any = None
    origin = ""
    if text.lstrip().startswith(("{", "[")):
        try:
            structured, origin = json.loads(text), "JSON"
        except ValueError:
            structured = None
    if structured is None and request.params is UNDECODABLE:
        # A malformed form body: the pairs as a lenient parser reads them.
        structured, origin = dict(parse_qsl(text, keep_blank_values=True)), "malformed"
    if structured is not None:
        for path, leaf in _leaves(structured):
            name = _under_sensitive_name(path)
            if name is not None and leaf is not None and not isinstance(leaf, bool):
                out.setdefault(str(leaf), f"{name} (sent in a {origin} body)")
    query = urlsplit(request.url).query
    for place, raw in (("body", _digits_readable(text)), ("URL", _digits_readable(request.url))):
        for m in _PAN_RUN_RE.finditer(raw):
            if _luhn(m.group(0)):
                out.setdefault(m.group(0), f"card number (in the request {place})")
    if query:
        for key, value in parse_qsl(query, keep_blank_values=True):
            name = _under_sensitive_name((key,))
            if name is not None and value:
                out.setdefault(value, f"{name} (in the query)")
    return [(where, value) for value, where in out.items()]


def _plain_values(request: RequestInfo, secrets: set[str]) -> set[str]:
    """Values the request sent in non-secret fields (an echo of those is not a leak)."""
    from contracttk.encoding import encode_pairs

    params = request.params
    if not isinstance(params, Mapping):
        return set()
    try:
        pairs = encode_pairs(params)
    except ValueError:
        return set()
    return {v for _, v in pairs if v not in secrets}


def _in_a_name(request: RequestInfo, value: str) -> bool:
    """True when ``value`` stands inside a parameter *name* of the body, as a server splits it.

    A JSON document posted as a form is one name, and so is a malformed key: a secret inside
    a name that an "unknown parameter" message quotes back is echoed all the same, even
    though the model's expected message quotes the name too. Found by searching the raw
    body for the value and looking at the pair it falls in (secrets here carry digits,
    which form encoders leave as they are): no per-pair decoding of large bodies.
    """
    text = (request.body or b"").decode("utf-8", "replace")
    for at in _occurrences(text, value):
        start = text.rfind("&", 0, at) + 1
        eq = text.find("=", start)
        if eq < 0 or at < eq:
            return True
    return False


def _model_texts(request: RequestInfo) -> list[str]:
    """The messages and params of the errors the model expects for this request.

    A fuzzer's "secret" that happens to be a word of the expected answer is not a leak:
    the text would be there whatever was sent.
    """
    if request.is_retrieve:
        # "No such token: '<id>'" quotes the id, whatever it holds: Stripe's own answer
        # (no_such_token), not a leak of a digit run a fuzzer put in the path.
        return [no_such_token(unquote(request.token_id or "")).message or ""]
    ev = request.evaluation if request.is_create else None
    if ev is None:
        return []
    return [
        t
        for f in ev.findings
        for t in (f.error.message, f.error.param, f.error.type, f.error.code)
        if t
    ]


def _expected_values(request: RequestInfo, response: ResponseInfo) -> dict[tuple[str, ...], Any]:
    """Response paths whose exact value the model pins (e.g. ``card.last4``)."""
    ev = request.evaluation if request.is_create else None
    if not (response.ok and ev is not None and ev.accepted and ev.kind):
        return {}
    return {r.path: r.equals for r in request.token_rules if r.has_value}


def _occurrences(text: str, value: str) -> Iterator[int]:
    """Where ``value`` starts in ``text`` (each found by one C-level search)."""
    i = text.find(value)
    while i >= 0:
        yield i
        i = text.find(value, i + 1)


def _delim(ch: str) -> bool:
    return ch.isspace() or ch in _WORD_DELIMS


def _has_word(text: str, value: str) -> bool:
    """``value`` is a whole word of ``text`` (see the module docstring).

    Judged at each occurrence (the character before ends a word; after it come only
    sentence punctuation, then a word end), never by splitting the whole text: an answer
    of 4 MiB with the value nowhere costs one search.
    """
    n = len(value)
    for i in _occurrences(text, value):
        if i and not _delim(text[i - 1]):
            continue
        j = i + n
        while j < len(text) and text[j] in _WORD_TRIM:
            j += 1
        if j == len(text) or _delim(text[j]):
            return True
    return False


def _digit_forms(value: str) -> tuple[str, ...]:
    """A digit secret as it may be printed: bare, or in groups of four (Amex: 4-6-5)."""
    forms = {value}
    for sep in " -":
        forms.add(sep.join(value[k : k + 4] for k in range(0, len(value), 4)))
        if len(value) == 15:
            forms.add(sep.join((value[:4], value[4:10], value[10:])))
    return tuple(forms)


def _has_digit_run(text: str, forms: tuple[str, ...]) -> bool:
    """One of ``forms`` stands in ``text`` with no digit right before or after it."""
    for form in forms:
        n = len(form)
        for i in _occurrences(text, form):
            before = text[i - 1] if i else ""
            after = text[i + n] if i + n < len(text) else ""
            if not before.isdigit() and not after.isdigit():
                return True
    return False


class _Secret:
    """One sent secret and how it is matched (linear in the text searched: C-level finds)."""

    __slots__ = ("forms", "short", "value", "where")

    def __init__(self, where: str, value: str) -> None:
        self.where, self.value = where, value
        self.short = len(value) < SHORT_SECRET
        digits = value.isascii() and value.isdigit()
        self.forms = _digit_forms(value) if digits and not self.short else ()

    def hit(self, text: str) -> bool:
        """The secret stands in ``text`` (as a whole value, word or digit run where needed)."""
        if self.forms:
            return _has_digit_run(text, self.forms)
        if self.short:
            return text.strip() == self.value or _has_word(text, self.value)
        return self.value in text


_DIGITS3_RE = re.compile(r"[0-9]{3}")


def _maybe_grouped(text: str, digits: str) -> bool:
    """The digits could stand in ``text`` grouped by spaces or dashes (``4242 4242 ...``)."""
    return len(digits) >= 8 and digits[:4] in text and digits[-4:] in text


def _found_by_scan(where: str) -> bool:
    """A card-number-shaped run found by scanning the raw request, not at a secret path."""
    return "(in the request" in where


@check(group="secrets")
def no_secret_echo(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """No submitted PAN, CVC, account number, ID number or API key comes back anywhere."""
    # Real PANs, CVCs, account, ID and tax numbers all carry digits; a fuzzer's word in a
    # secret field ("bank_account", "token") is no secret and would match the answer's own
    # vocabulary.
    haystack = (
        response.text
        + "\n"
        + "\n".join(v for k, v in response.headers.items() if k not in _SERVER_HEADERS)
    )
    if _DIGITS3_RE.search(haystack) is None and not (
        request.api_key and request.api_key in haystack
    ):
        # Every secret but the key holds three digits or more in a row; an answer without
        # such a run cannot echo one (most error answers): skip the request's own scan.
        return []
    secrets = [
        (w, v)
        for w, v in sent_secrets(request)
        if len(v) >= 3 and (w == "API key" or sum(ch.isdigit() for ch in v) >= 3)
    ]
    # Every way a secret can come back contains its characters in a row (grouped digits
    # aside): a secret absent from the answer's text and headers needs no further work, and
    # that is nearly every exchange (excusing an echo costs a re-encoding of the request).
    secrets = [
        (w, v) for w, v in secrets if v in haystack or (v.isdigit() and _maybe_grouped(haystack, v))
    ]
    if not secrets:
        return []
    plain = _plain_values(request, {v for _, v in secrets})
    model_texts = _model_texts(request)
    expected = _expected_values(request, response)
    wanted = [
        _Secret(where, value)
        for where, value in secrets
        if where == "API key"
        or not (
            value in plain
            or (any(value in t for t in model_texts) and not _in_a_name(request, value))
            or (_found_by_scan(where) and any(value in p for p in plain))
        )
    ]
    if not wanted:
        return []
    found: dict[str, list[str]] = {s.value: [] for s in wanted}
    body = response.json
    text = response.text
    if body is not INVALID_JSON:
        for path, leaf in _leaves(body):
            if isinstance(leaf, bool) or leaf is None:
                continue
            if expected.get(path, object()) == leaf:
                continue
            leaf_text = str(leaf)
            for secret in wanted:
                if secret.hit(leaf_text):
                    found[secret.value].append("body at " + (".".join(path) or "(root)"))
        # JSON escapes can hide a value from the leaf scan (and keys are not leaves).
        for secret in wanted:
            if not found[secret.value] and not secret.short and secret.hit(text):
                found[secret.value].append("body")
    else:
        for secret in wanted:
            if secret.hit(text):
                found[secret.value].append("body")
    for name, header in response.headers.items():
        if name in _SERVER_HEADERS:
            continue
        for secret in wanted:
            if secret.hit(header):
                found[secret.value].append(f"header {name}")
    out: list[Failure] = []
    for secret in wanted:
        places = found[secret.value]
        if places:
            out.append(
                fail(
                    "no_secret_echo",
                    f"the submitted {secret.where} comes back in the {', '.join(places)}",
                    request,
                    response,
                    signature=f"{secret.where.split(' (')[0]} in the {places[0].split(' at ')[0]}",
                )
            )
    return out
