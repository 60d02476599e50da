"""The reference ``/v1/tokens`` service: what the server answers, one overridable step each.

No web framework: the request path uses only the standard library and contracttk, which keeps
import cost and per-request overhead low. The ASGI shell around it is in
:mod:`contracttk.server.asgi`.

Behaviour comes from the contract model, not from hand-copied rules: the oracle
(``evaluate_create``) decides acceptance and the error to answer, ``token_rules`` decides the
embedded objects (see :mod:`contracttk.server.render`), and the protocol errors (auth,
retrieval, idempotency, routing) come from the model's error factories.

:class:`TokenService` is one small overridable method per step (``authenticate``,
``parse_params``, ``validate``, ``render_token``, ``store``, ``load``, the ``idempotency_*``
steps, ``error_response``...), so the mutation suite can subclass it and break exactly one
thing.

Nothing a client sent comes back except as a name: unknown or malformed parameter names
are shown only while they look like names, echoed ids and paths lose number-like runs
(:mod:`contracttk.server.safe_text`), and no error message carries a secret field's value.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..contract import (
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    REPLAY_HEADER,
    TOKENS_PATH,
    ApiKey,
    ExpectedError,
    body_too_large,
    evaluate_create,
    idempotency_in_use,
    idempotency_key_invalid,
    idempotency_mismatch,
    invalid_api_key,
    key_from_authorization,
    make_id,
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
from .errors import shown_unknown, without_secrets
from .safe_text import mask_numbers, safe_decode_detail
from .storage import IdempotencyConflict, TokenStore

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "ApiError",
    "Request",
    "Response",
    "TokenService",
]

DEFAULT_BODY_LIMIT = 65536
_IDEMPOTENCY = IDEMPOTENCY_KEY_HEADER.lower()  # header names arrive lower-cased
_REPLAYED = REPLAY_HEADER.lower()
_OPENAPI_PATH = "/openapi.json"


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
        keys = tuple(keys)
        self.default_keys = keys == DEFAULT_KEYS
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
        return make_id(prefix)

    # --- routing --------------------------------------------------------------------------

    async def dispatch(self, request: Request) -> Response:
        """Route a request and turn :class:`ApiError` into its JSON error answer."""
        try:
            method, path = request.method, request.path
            if path == TOKENS_PATH and method == "POST":
                return await self.create(request)
            if path.startswith(TOKENS_PATH + "/") and method == "GET":
                token_id = path[len(TOKENS_PATH) + 1 :]
                if token_id and "/" not in token_id:
                    return await self.retrieve(request, token_id)
            if path == _OPENAPI_PATH and method == "GET":
                return self.openapi(request)
            raise ApiError(unrecognized_url(method, mask_numbers(path[:200])))
        except ApiError as err:
            return self.error_response(err.expected)

    # --- create ---------------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        """``POST /v1/tokens``: auth, decode, idempotency, then :meth:`execute_create`."""
        key = self.authenticate(request)
        idem_key = request.headers.get(_IDEMPOTENCY)
        if idem_key is not None and not 0 < len(idem_key) <= IDEMPOTENCY_KEY_MAX_LENGTH:
            raise ApiError(idempotency_key_invalid(len(idem_key)))
        params = self.parse_params(request)
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
        response.headers.append((_IDEMPOTENCY, idem_key))
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
            raise ApiError(self.key_hint(invalid_api_key(mask_key(shown)), raw))
        return key

    def key_hint(self, expected: ExpectedError, raw: str | None) -> ExpectedError:
        """A 401 for one of contracttk's placeholder keys, on a server started with other
        keys, says why (the user forgot ``--api-key`` on the client side). Any other 401
        keeps Stripe's exact message and never hints at the configured keys."""
        if self.default_keys or raw not in DEFAULT_KEYS:
            return expected
        hint = (
            "This contracttk server was started with its own --api-key, so contracttk's "
            "placeholder keys are refused: pass the server's key (e.g. contracttk fuzz "
            "--api-key KEY)."
        )
        return dataclasses.replace(expected, message=f"{expected.message}. {hint}")

    def parse_params(self, request: Request) -> dict[str, Any]:
        """Decode the form body; malformed bodies answer 400 naming the key only if name-like."""
        try:
            return decode(request.body)
        except EncodingError as err:
            detail = safe_decode_detail(str(err), err.param)
            raise ApiError(malformed_body(detail[:300])) from None

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        """Ask the oracle; answer its first error when the payload is not accepted.

        The few messages that quote a value ("Invalid integer: abc", as Stripe does) never
        quote a secret field's value: such a value is starred.
        """
        evaluation = evaluate_create(params, key=key, today=self.today())
        first = evaluation.first
        if first is not None:
            raise ApiError(without_secrets(shown_unknown(first.error), params))
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
            raise ApiError(idempotency_mismatch(mask_numbers(idem_key)))
        return Response(
            record.status,
            record.body.encode("utf-8"),
            [(_REPLAYED, "true"), (_IDEMPOTENCY, idem_key)],
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
            raise ApiError(no_such_token(mask_numbers(token_id[:256])))
        return Response(200, text.encode("utf-8"))

    def load(self, token_id: str, key: ApiKey) -> str | None:
        """The stored JSON of ``token_id`` in the key's mode (other mode: not found)."""
        return self.db.get_token(token_id, key.livemode)

    # --- other routes and answers -----------------------------------------------------------

    def openapi(self, request: Request) -> Response:
        """``GET /openapi.json``: the bundled OpenAPI document."""
        if self._openapi is None:
            from ..schemas import openapi_document

            self._openapi = json.dumps(openapi_document()).encode("utf-8")
        return Response(200, self._openapi)

    def error_response(self, expected: ExpectedError) -> Response:
        """The Stripe JSON error envelope for ``expected``, with its status.

        An unknown parameter whose name looks like a value (a JSON document posted as a
        form, ``card[4242424242424242]``) is named up to its last name-like segment only:
        ``Received unknown parameter: card[…]``, ``param`` ``card`` (None at the top level).
        """
        expected = shown_unknown(expected)
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
