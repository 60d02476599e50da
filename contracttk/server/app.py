"""The reference ``/v1/tokens`` server as a plain ASGI application.

No web framework: the request path uses only the standard library and contracttk, which keeps
import cost and per-request overhead low, and makes the whole behaviour readable in one file.

Behaviour comes from the contract model, not from hand-copied rules: the oracle
(``evaluate_create``) decides acceptance and the error to answer, ``token_rules`` decides the
embedded objects (see :mod:`contracttk.server.render`), and the protocol errors (auth,
retrieval, idempotency, routing) come from the model's error factories.

:class:`TokenService` is one small overridable method per step (``authenticate``,
``parse_params``, ``validate``, ``render_token``, ``store``, ``load``, the ``idempotency_*``
steps, ``error_response``...), so the mutation suite can subclass it and break exactly one
thing. :class:`TokenApp` is the ASGI shell: it reads the request, enforces the body limit,
calls :meth:`TokenService.dispatch`, sends the answer and logs one line without secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..contract import (
    ApiKey,
    ExpectedError,
    body_too_large,
    evaluate_create,
    idempotency_in_use,
    idempotency_mismatch,
    invalid_api_key,
    key_from_authorization,
    malformed_body,
    mask_key,
    no_api_key,
    no_such_token,
    parse_key,
    publishable_key_forbidden,
    unrecognized_url,
)
from ..defaults import DEFAULT_KEYS
from ..encoding import EncodingError, decode
from . import render
from .storage import IdempotencyConflict, TokenStore

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "DEFAULT_STRIPE_VERSION",
    "ApiError",
    "Request",
    "Response",
    "TokenApp",
    "TokenService",
    "create_app",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DEFAULT_BODY_LIMIT = 65536
# The API version our answers follow (the version of the [DOC] examples in stripe-tokens.md);
# a well-formed Stripe-Version request header is echoed instead, as Stripe does.
DEFAULT_STRIPE_VERSION = "2025-04-30.basil"
_VERSION_RE = re.compile(r"\d{4}-\d{2}-\d{2}(\.[a-z_]+)?")
_IDEMPOTENCY_KEY_MAX = 255  # §8: keys are up to 255 characters
_TOKENS_PATH = "/v1/tokens"
_OPENAPI_PATH = "/openapi.json"

log = logging.getLogger("contracttk.server")


class ApiError(Exception):
    """Raised by a step to answer with the Stripe error ``expected``."""

    def __init__(self, expected: ExpectedError) -> None:
        super().__init__(expected.message or expected.type)
        self.expected = expected


@dataclass
class Request:
    """One HTTP request as the service sees it (header names lower-case)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    request_id: str = ""


@dataclass
class Response:
    """One answer: status, body bytes and extra headers (content type etc. are added later)."""

    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


class TokenService:
    """The reference implementation of ``POST /v1/tokens`` and ``GET /v1/tokens/{id}``.

    Each step is a small method so a test can subclass and change exactly one of them.
    """

    def __init__(
        self,
        db: TokenStore,
        *,
        keys: Iterable[str] = DEFAULT_KEYS,
        body_limit: int = DEFAULT_BODY_LIMIT,
        today: date | None = None,
    ) -> None:
        self.db = db
        self.keys: dict[str, ApiKey] = {}
        for raw in keys:
            parsed = parse_key(raw)
            if parsed is None:
                raise ValueError(
                    f"not a Stripe-shaped API key: {mask_key(raw)!r} "
                    "(expected sk_/pk_/rk_ then test_/live_ then letters, digits, _)"
                )
            self.keys[raw] = parsed
        self.body_limit = body_limit
        self._today = today
        self._in_flight: set[tuple[bool, str]] = set()
        self._openapi: bytes | None = None

    # --- clock and ids --------------------------------------------------------------------

    def today(self) -> date:
        """The date the expiry rules use (fixed when the app was made with ``today=``)."""
        return self._today or date.today()

    def now(self) -> int:
        """``created`` of a new token: Unix seconds."""
        return int(time.time())

    def new_id(self, prefix: str) -> str:
        """A fresh id: ``prefix`` + 24 random alphanumerics."""
        return prefix + render.random_suffix()

    # --- routing --------------------------------------------------------------------------

    async def dispatch(self, request: Request) -> Response:
        """Route a request and turn :class:`ApiError` into its JSON error answer."""
        try:
            method, path = request.method, request.path
            if path == _TOKENS_PATH and method == "POST":
                return await self.create(request)
            if path.startswith(_TOKENS_PATH + "/") and method == "GET":
                token_id = path[len(_TOKENS_PATH) + 1 :]
                if token_id and "/" not in token_id:
                    return await self.retrieve(request, token_id)
            if path == _OPENAPI_PATH and method == "GET":
                return self.openapi(request)
            raise ApiError(unrecognized_url(method, path))
        except ApiError as err:
            return self.error_response(err.expected)

    # --- create ---------------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        """``POST /v1/tokens``: auth, decode, idempotency, then :meth:`execute_create`."""
        key = self.authenticate(request)
        params = self.parse_params(request)
        idem_key = request.headers.get("idempotency-key") or None
        if idem_key is None:
            return await self.execute_create(params, key, None)
        digest = self.params_hash(request, params)
        replay = self.idempotency_lookup(key, idem_key, digest)
        if replay is not None:
            return replay
        self.idempotency_reserve(key, idem_key)
        try:
            response = await self.execute_create(params, key, (idem_key, digest))
        finally:
            self.idempotency_release(key, idem_key)
        response.headers.append(("idempotency-key", idem_key))
        return response

    async def execute_create(
        self, params: dict[str, Any], key: ApiKey, idempotency: tuple[str, bytes] | None
    ) -> Response:
        """Validate, render and store one token (async so a subclass can make it slow)."""
        kind = self.validate(params, key)
        token = self.render_token(kind, params, key)
        text = self.dump(token)
        self.store(token["id"], key, text, idempotency)
        return Response(200, text.encode("utf-8"))

    def authenticate(self, request: Request) -> ApiKey:
        """The configured key named by ``Authorization`` (Bearer or Basic), else 401."""
        raw = key_from_authorization(request.headers.get("authorization"))
        if raw is None:
            raise ApiError(no_api_key())
        key = self.keys.get(raw)
        if key is None:
            # A multi-kilobyte "key" would make a multi-kilobyte message of stars.
            shown = raw if len(raw) <= 64 else raw[:60] + raw[-4:]
            raise ApiError(invalid_api_key(mask_key(shown)))
        return key

    def parse_params(self, request: Request) -> dict[str, Any]:
        """Decode the form body; malformed bodies answer 400 (the detail names keys, not values)."""
        try:
            return decode(request.body)
        except EncodingError as err:
            raise ApiError(malformed_body(str(err)[:300])) from None

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        """Ask the oracle; answer its first error when the payload is not accepted."""
        evaluation = evaluate_create(params, key=key, today=self.today())
        first = evaluation.first
        if first is not None:
            raise ApiError(first.error)
        assert evaluation.kind is not None  # accepted payloads always name one kind
        return evaluation.kind

    def render_token(self, kind: str, params: Mapping[str, Any], key: ApiKey) -> dict[str, Any]:
        """The token object for an accepted payload (see :mod:`contracttk.server.render`)."""
        return render.render_token(
            kind,
            params,
            livemode=key.livemode,
            created=self.now(),
            today=self.today(),
            salt=self.db.salt,
            new_id=self.new_id,
        )

    def dump(self, obj: Any) -> str:
        """JSON text of an answer (stored as is, so a replay is byte-identical)."""
        return json.dumps(obj)

    def store(
        self, token_id: str, key: ApiKey, text: str, idempotency: tuple[str, bytes] | None
    ) -> None:
        """Persist the rendered token (and its idempotency record in the same transaction)."""
        record = (idempotency[0], idempotency[1], 200) if idempotency else None
        try:
            self.db.put_token(token_id, key.livemode, text, record)
        except IdempotencyConflict:
            # Another process on the same --db stored this idempotency key first.
            raise ApiError(idempotency_in_use()) from None

    # --- idempotency ----------------------------------------------------------------------

    def params_hash(self, request: Request, params: Mapping[str, Any]) -> bytes:
        """Keyed hash of the decoded parameters and the path (the record never holds params).

        HMAC with the database's own salt, not a plain hash: a 9-digit ID number or a
        test card behind a bare SHA-256 could be recovered from the file by brute force.
        """
        canonical = json.dumps([request.path, params], sort_keys=True, separators=(",", ":"))
        return hmac.new(self.db.salt, canonical.encode("utf-8"), hashlib.sha256).digest()

    def idempotency_lookup(self, key: ApiKey, idem_key: str, digest: bytes) -> Response | None:
        """Replay a stored answer, refuse other params (400), or None for a new key."""
        record = self.db.get_idempotency(key.livemode, idem_key)
        if record is None:
            return None
        if record.params_hash != digest:
            raise ApiError(idempotency_mismatch(idem_key[:_IDEMPOTENCY_KEY_MAX]))
        return Response(
            record.status,
            record.body.encode("utf-8"),
            [("idempotent-replayed", "true"), ("idempotency-key", idem_key)],
        )

    def idempotency_reserve(self, key: ApiKey, idem_key: str) -> None:
        """Mark the key in flight; a second request meanwhile gets 409 (scoped per mode)."""
        slot = (key.livemode, idem_key)
        if slot in self._in_flight:
            raise ApiError(idempotency_in_use())
        self._in_flight.add(slot)

    def idempotency_release(self, key: ApiKey, idem_key: str) -> None:
        """Forget the in-flight mark (validation failures are not stored, so may be retried)."""
        self._in_flight.discard((key.livemode, idem_key))

    # --- retrieve -------------------------------------------------------------------------

    async def retrieve(self, request: Request, token_id: str) -> Response:
        """``GET /v1/tokens/{id}``: secret key of the token's mode, else 401/404."""
        key = self.authenticate(request)
        if key.role == "publishable":
            raise ApiError(publishable_key_forbidden())
        text = self.load(token_id, key)
        if text is None:
            raise ApiError(no_such_token(token_id[:256]))
        return Response(200, text.encode("utf-8"))

    def load(self, token_id: str, key: ApiKey) -> str | None:
        """The stored JSON of ``token_id`` in the key's mode (other mode: not found)."""
        return self.db.get_token(token_id, key.livemode)

    # --- other routes and answers -----------------------------------------------------------

    def openapi(self, request: Request) -> Response:
        """``GET /openapi.json``: the bundled OpenAPI document (404 while it does not exist)."""
        if self._openapi is None:
            try:
                from ..schemas import openapi_document
            except ModuleNotFoundError as err:
                if not (err.name or "").startswith("contracttk.schemas"):
                    raise
                raise ApiError(unrecognized_url(request.method, request.path)) from None
            self._openapi = json.dumps(openapi_document()).encode("utf-8")
        return Response(200, self._openapi)

    def error_response(self, expected: ExpectedError) -> Response:
        """The Stripe JSON error envelope for ``expected``, with its status."""
        return Response(expected.status, self.dump(expected.body()).encode("utf-8"))

    def internal_error(self) -> Response:
        """The answer to an unexpected exception: a JSON 500 ``api_error`` (never HTML)."""
        body = {
            "error": {
                "type": "api_error",
                "message": "An unexpected error occurred in the contracttk reference server.",
            }
        }
        return Response(500, self.dump(body).encode("utf-8"), [("stripe-should-retry", "false")])

    def too_large(self) -> Response:
        """413 for a body over ``body_limit``."""
        return self.error_response(body_too_large(self.body_limit))


def _header_dict(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    # latin-1 never fails and round-trips every byte; later duplicates win.
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}


def _safe_header_value(value: str) -> bool:
    return value.isascii() and value.isprintable() and len(value) <= _IDEMPOTENCY_KEY_MAX


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
        request_id = "req_" + render.random_suffix(14)
        headers = _header_dict(scope.get("headers") or ())
        try:
            response = await self._respond(method, path, headers, receive, request_id)
        except Exception:
            # Logged without the request (its body or headers may hold secrets).
            log.exception("internal error on %s %s (%s)", method, path[:200], request_id)
            response = service.internal_error()
        if response is None:  # client went away mid-body
            return
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
                method,
                path[:200],
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
