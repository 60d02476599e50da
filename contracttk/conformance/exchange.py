"""Exchange records: one request as sent and one answer as received.

Every check judges these plain records, so the checks run the same whatever sent the
request (our transport, a schemathesis case, a replayed report example). Records hold the
raw bytes: redaction happens once, where something leaves the process (``redact.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any
from urllib.parse import unquote, urlsplit

from contracttk.contract import (
    KIND_NAMES,
    TOKENS_PATH,
    ApiKey,
    Evaluation,
    FieldRule,
    evaluate_create,
    key_from_authorization,
    parse_key,
    sensitive_values,
    token_rules,
)

__all__ = [
    "INVALID_JSON",
    "TOKENS_PATH",
    "UNDECODABLE",
    "RequestInfo",
    "ResponseInfo",
    "header_map",
]


def header_map(headers: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Headers as ``{lower-case name: value}`` (list values joined with ``", "``)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        out[str(name).lower()] = str(value)
    return out


class _Undecodable:
    def __repr__(self) -> str:
        return "<undecodable form body>"


UNDECODABLE: Any = _Undecodable()
"""``RequestInfo.params`` of a body the model's form decoder refuses."""


class _InvalidJson:
    def __repr__(self) -> str:
        return "<not JSON>"


INVALID_JSON: Any = _InvalidJson()
"""``ResponseInfo.json`` of a body that is not JSON."""


@dataclass
class RequestInfo:
    """One request as sent, plus what the suite knows about it.

    ``headers`` keep their original names (curl reproduction); lookups are case-blind via
    :meth:`header`. ``kind``/``violation`` are the generator's labels (reporting only: the
    verdict always comes from the oracle). ``authorized`` is False for requests built to
    test authentication, so the create oracle does not judge them.
    """

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    kind: str | None = None
    violation: str | None = None
    authorized: bool = True
    today: date | None = None
    base: str | None = None
    """The target's base URL: routes are read relative to its path (``http://h/api``)."""
    source: Any = field(default=None, repr=False, compare=False)
    """The Python tree the body was encoded from, when known: :attr:`params` is then read
    from it (``encoding.wire_tree``) instead of parsing the bytes back."""

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), or None."""
        name = name.lower()
        for key, value in self.headers.items():
            if key.lower() == name:
                return value
        return None

    @cached_property
    def path(self) -> str:
        """The URL path below the target's base path, percent-decoded as a server routes it."""
        path = unquote(urlsplit(self.url).path)
        if self.base:
            prefix = unquote(urlsplit(self.base).path).rstrip("/")
            if prefix and path.startswith(prefix + "/"):
                path = path[len(prefix) :]
        return path

    @property
    def is_create(self) -> bool:
        """True for ``POST /v1/tokens``."""
        return self.method.upper() == "POST" and self.path.rstrip("/") == TOKENS_PATH

    @property
    def is_retrieve(self) -> bool:
        """True for ``GET /v1/tokens/{id}``."""
        return self.method.upper() == "GET" and self.path.startswith(TOKENS_PATH + "/")

    @property
    def token_id(self) -> str | None:
        """The id in a retrieve path."""
        return self.path[len(TOKENS_PATH) + 1 :] if self.is_retrieve else None

    @cached_property
    def api_key(self) -> str | None:
        """The raw API key carried by ``Authorization`` (Bearer or Basic)."""
        return key_from_authorization(self.header("authorization"))

    @cached_property
    def parsed_key(self) -> ApiKey | None:
        """The API key parsed (role, mode), when it is Stripe-shaped."""
        return parse_key(self.api_key) if self.api_key else None

    @cached_property
    def params(self) -> Any:
        """The body decoded as the server should decode it; ``UNDECODABLE`` if malformed."""
        from contracttk.encoding import EncodingError, decode, wire_tree

        if not self.body:
            return {}
        if self.source is not None:
            tree = wire_tree(self.source)
            if tree is not None:
                return tree
        try:
            return decode(self.body)
        except EncodingError:
            return UNDECODABLE

    @cached_property
    def evaluation(self) -> Evaluation | None:
        """The oracle's verdict on a create request (None when the body cannot be decoded)."""
        if self.params is UNDECODABLE:
            return None
        return evaluate_create(self.params, key=self.parsed_key, today=self.today)

    @cached_property
    def token_rules(self) -> tuple[FieldRule, ...]:
        """What the token answering this accepted create must hold (``token_rules``), built
        once for every check that asks; empty unless the oracle accepts the payload."""
        ev = self.evaluation if self.is_create else None
        if ev is None or not ev.accepted or ev.kind is None:
            return ()
        livemode = bool(self.parsed_key and self.parsed_key.livemode)
        return tuple(
            token_rules(
                ev.kind, self.params, livemode=livemode, today=self.today, understood=ev.understood
            )
        )

    def kinds_present(self) -> list[str]:
        """The token kinds whose hash is present in the body."""
        params = self.params
        if not isinstance(params, Mapping):
            return []
        return [k for k in KIND_NAMES if k in params]

    def secrets(self) -> list[tuple[str, str]]:
        """``(where, value)`` of every secret this request carries (model paths + the key)."""
        return list(self._secrets)

    @cached_property
    def _secrets(self) -> tuple[tuple[str, str], ...]:
        out: list[tuple[str, str]] = []
        params = self.params
        if isinstance(params, Mapping):
            for kind in self.kinds_present():
                out.extend(sensitive_values(kind, params))
        if self.api_key:
            out.append(("API key", self.api_key))
        return tuple(out)


@dataclass
class ResponseInfo:
    """One HTTP answer: status, lower-case header names, raw body.

    ``truncated`` is set when the transport stopped reading a body over its size limit:
    ``body`` then holds only the first bytes.
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0
    truncated: bool = False

    def __post_init__(self) -> None:
        self.headers = header_map(self.headers)

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        """The body as text (undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_json_type(self) -> bool:
        """True for ``application/json`` and ``+json`` media types."""
        ct = self.content_type
        return ct == "application/json" or ct.endswith("+json")

    @cached_property
    def json(self) -> Any:
        """The parsed JSON body, or ``INVALID_JSON`` (also for a truncated body)."""
        if self.truncated:
            return INVALID_JSON
        try:
            return json.loads(self.body)
        except ValueError:
            return INVALID_JSON

    @property
    def error(self) -> dict[str, Any] | None:
        """The ``error`` object of a Stripe error envelope, when there is one."""
        body = self.json
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return body["error"]
        return None

    @property
    def answer(self) -> tuple[int, str | None, str | None]:
        """``(status, error type, error code)``: what a finding groups answers by."""
        err = self.error or {}
        etype = err.get("type") if isinstance(err.get("type"), str) else None
        code = err.get("code") if isinstance(err.get("code"), str) else None
        return self.status, etype, code
