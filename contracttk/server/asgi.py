"""The ASGI shell around :class:`~contracttk.server.app.TokenService`.

:class:`TokenApp` reads the request, enforces the body limit, calls
:meth:`TokenService.dispatch`, sends the answer and logs one line per request: method, path,
status, milliseconds, request id. The path is logged through
:func:`~contracttk.server.safe_text.log_text` (control characters escaped, number-like runs
and API keys masked); bodies and headers are never logged.
"""

from __future__ import annotations

import logging
import os
import re
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from datetime import date
from typing import Any

from ..contract import IDEMPOTENCY_KEY_MAX_LENGTH, make_id
from ..defaults import DEFAULT_KEYS
from .app import DEFAULT_BODY_LIMIT, Request, Response, TokenService
from .safe_text import log_text
from .storage import TokenStore

__all__ = ["DEFAULT_STRIPE_VERSION", "TokenApp", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# The API version our answers follow (the version of the [DOC] examples in stripe-tokens.md,
# tests/data); a well-formed Stripe-Version request header is echoed instead, as Stripe does.
DEFAULT_STRIPE_VERSION = "2025-04-30.basil"
_VERSION_RE = re.compile(r"\d{4}-\d{2}-\d{2}(\.[a-z_]+)?")

log = logging.getLogger("contracttk.server")

# A request body the app did not read (an early 413, a GET with a body) is read and dropped
# before answering, up to this many bytes: closing a socket with unread input makes the
# kernel send a reset, and the client then loses the answer (seen as "connection reset"
# instead of the 413). Past this, the sender is cut off as it would be anyway.
DRAIN_LIMIT = 1 << 20
REQUEST_ID_LENGTH = 14
"""A ``Request-Id`` is ``req_`` and this many random letters and digits."""


class _BodyReader:
    """``receive`` that remembers whether the request body has been read to its end."""

    def __init__(self, receive: Receive, headers: dict[str, str]) -> None:
        self._receive = receive
        self._headers = headers
        self.done = False

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.done = True
        return message

    async def drain(self) -> None:
        """Read and drop the rest of the body when it is small enough to be worth it."""
        declared = self._headers.get("content-length", "")
        if self.done or (declared.isdigit() and int(declared) > DRAIN_LIMIT):
            return
        if not declared.isdigit() and "transfer-encoding" not in self._headers:
            return  # no body announced: nothing to wait for
        if self._headers.get("expect", "").lower() == "100-continue":
            # The client waits for leave to send: reading now would give it that leave
            # (uvicorn answers 100 Continue) for a body already refused. Unsent, it cannot
            # be cut off.
            return
        size = 0
        while not self.done and size <= DRAIN_LIMIT:
            size += len((await self()).get("body", b""))


def _header_dict(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    # latin-1 never fails and round-trips every byte; later duplicates win.
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}


def _safe_header_value(value: str) -> bool:
    return value.isascii() and value.isprintable() and len(value) <= IDEMPOTENCY_KEY_MAX_LENGTH


class TokenApp:
    """The ASGI callable around a :class:`TokenService`."""

    def __init__(self, service: TokenService) -> None:
        self.service = service

    @property
    def db(self) -> TokenStore:
        """The service's storage (tests inspect and close it)."""
        return self.service.db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        service = self.service
        method: str = scope["method"]
        path: str = scope["path"]
        request_id = make_id("req_", length=REQUEST_ID_LENGTH)
        headers = _header_dict(scope.get("headers") or ())
        reader = _BodyReader(receive, headers)
        try:
            response = await self._respond(method, path, headers, reader, request_id)
        except Exception as exc:
            # Logged without the request (its body or headers may hold secrets) and without
            # the exception's message (it may quote a value): its type and frames only.
            log.error(
                "internal error on %s %s (%s): %s\n%s",
                log_text(method, 20),
                log_text(path),
                request_id,
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
            )
            response = service.internal_error()
        if response is None:  # client went away mid-body
            return
        await reader.drain()
        version = headers.get("stripe-version", "")
        out = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(response.body)).encode()),
            (b"request-id", request_id.encode()),
            (
                b"stripe-version",
                (version if _VERSION_RE.fullmatch(version) else DEFAULT_STRIPE_VERSION).encode(),
            ),
            (b"cache-control", b"no-cache, no-store"),
        ]
        for name, value in response.headers:
            if _safe_header_value(value):
                out.append((name.encode(), value.encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": out})
        # HEAD: headers only (the declared length is what a GET would send).
        body = b"" if method == "HEAD" else response.body
        await send({"type": "http.response.body", "body": body})
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s %s %d %.1fms %s",
                log_text(method, 20),
                log_text(path),
                response.status,
                (time.perf_counter() - started) * 1000,
                request_id,
            )

    async def _respond(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        receive: Receive,
        request_id: str,
    ) -> Response | None:
        service = self.service
        body = b""
        if method == "POST":
            limit = service.body_limit
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                return service.too_large()
            chunks: list[bytes] = []
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    return service.too_large()
                chunks.append(chunk)
                more = message.get("more_body", False)
            body = b"".join(chunks)
        request = Request(method, path, headers, body, request_id)
        return await service.dispatch(request)


def create_app(
    *,
    db: str | os.PathLike[str] | TokenStore = ":memory:",
    keys: Iterable[str] = DEFAULT_KEYS,
    body_limit: int = DEFAULT_BODY_LIMIT,
    service_cls: type[TokenService] = TokenService,
    today: date | None = None,
) -> TokenApp:
    """The reference server as an ASGI app.

    ``db`` is a SQLite path (``":memory:"`` by default) or an open :class:`TokenStore`;
    ``keys`` the API keys it knows (any other key is refused with 401); ``service_cls`` a
    :class:`TokenService` subclass (the mutation suite breaks one step this way); ``today``
    pins the date used by the expiry rules. Raises :class:`StorageError` for an unusable
    database and ValueError for a key that is not Stripe-shaped.
    """
    store = db if isinstance(db, TokenStore) else TokenStore(os.fspath(db))
    service = service_cls(store, keys=keys, body_limit=body_limit, today=today)
    return TokenApp(service)
