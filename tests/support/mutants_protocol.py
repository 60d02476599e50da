"""Mutants of the protocol: auth, retrieval, idempotency, and requests that crash or hang.
See ``support.mutants`` for what every mutant promises."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

from contracttk.contract import ApiKey, invalid_api_key, key_from_authorization, no_such_token
from contracttk.defaults import DEFAULT_SECRET_KEY
from contracttk.server import ApiError, Request, Response

from .mutant_base import Fault, Mutant

# --- auth ---------------------------------------------------------------------------------------


class FullKeyIn401(Mutant):
    """The 401 for an unknown key prints the whole key instead of ``sk_test_****1234``.
    Caught by ``no_secret_echo`` (the API key comes back in the 401's message)."""

    AREA = "auth"
    FAULT = Fault(
        "no_secret_echo", ("auth::bad_key",), signature="API key in the body", answer=(401, None)
    )

    def authenticate(self, request: Request) -> ApiKey:
        raw = key_from_authorization(request.headers.get("authorization"))
        if raw is not None and raw not in self.keys:
            raise ApiError(invalid_api_key(raw))
        return super().authenticate(request)


class AcceptsAnonymous(Mutant):
    """A request without any API key is served as if the default test secret key had been
    sent (a dev-mode fallback left on). Caught by ``auth_no_key`` (401, hard)."""

    AREA = "auth"
    FAULT = Fault(
        "auth_no_key",
        ("auth::no_key",),
        # Creates succeed (200); the keyless retrieve looks the id up and answers 404.
        signature="accepted|answer differs",
        message="expected 401|status: expected",
    )

    def authenticate(self, request: Request) -> ApiKey:
        if key_from_authorization(request.headers.get("authorization")) is None:
            return self.keys[DEFAULT_SECRET_KEY]
        return super().authenticate(request)


class AcceptsAnyTestKey(Mutant):
    """Any well-formed ``sk_test_``/``pk_test_`` key is accepted, known or not (only the
    shape is checked). Caught by ``auth_bad_key`` (401, hard)."""

    AREA = "auth"
    FAULT = Fault(
        "auth_bad_key",
        ("auth::bad_key",),
        signature="accepted|answer differs",
        message="expected 401|status: expected",
    )

    def authenticate(self, request: Request) -> ApiKey:
        from contracttk.contract import parse_key

        raw = key_from_authorization(request.headers.get("authorization"))
        parsed = parse_key(raw) if raw else None
        if parsed is not None and not parsed.livemode:
            return parsed
        return super().authenticate(request)


class PublishableKeyRetrieves(Mutant):
    """``GET /v1/tokens/{id}`` only checks that the key is known, not that it is a secret
    key: a publishable key (shipped in every web page) reads any token of its mode, card
    details included. Caught by ``auth_publishable_retrieve`` (401/403 expected, got 200),
    as a warning: the contract model infers that a retrieve is secret-key only ([INF])."""

    AREA = "auth"
    FAULT = Fault(
        "auth_publishable_retrieve",
        ("auth::publishable_retrieve",),
        signature="accepted",
        answer=(200, None),
        strength="warning",
    )

    async def retrieve(self, request: Request, token_id: str) -> Response:
        key = self.authenticate(request)
        text = self.load(token_id, key)
        if text is None:
            raise ApiError(no_such_token(token_id[:256]))
        return Response(200, text.encode("utf-8"))


# --- retrieval ----------------------------------------------------------------------------------


class RetrieveDropsEmbeddedObject(Mutant):
    """``GET /v1/tokens/{id}`` returns the token without its embedded ``card`` /
    ``bank_account`` (a list-view serializer reused for retrieve). Caught by
    ``retrieve_consistency``."""

    AREA = "retrieval"
    FAULT = Fault(
        "retrieve_consistency",
        ("retrieve::consistency",),
        signature="differs in (card|bank_account)",
        # A token without its embedded object no longer matches the token schema.
        also=("response_schema",),
    )

    def load(self, token_id: str, key: ApiKey) -> str | None:
        text = super().load(token_id, key)
        if text is None:
            return None
        token = json.loads(text)
        token.pop("card", None)
        token.pop("bank_account", None)
        return self.dump(token)


class UnknownIdReturnsStub(Mutant):
    """An unknown token id answers 200 with a stub ``{"id": ..., "object": "token"}``
    instead of 404 resource_missing. Caught by ``retrieve_unknown_id``."""

    AREA = "retrieval"
    FAULT = Fault(
        "retrieve_unknown_id",
        ("retrieve::unknown_id",),
        signature="accepted",
        answer=(200, None),
        # The stub lacks most of a token's fields.
        also=("response_schema",),
    )

    def load(self, token_id: str, key: ApiKey) -> str | None:
        text = super().load(token_id, key)
        if text is None:
            return self.dump({"id": token_id, "object": "token", "livemode": key.livemode})
        return text


class UnknownIdCrashes(Mutant):
    """An unknown token id raises ``KeyError`` (dictionary lookup without a default), so
    the server answers 500. Caught by ``not_a_server_error`` (the 500 is not the expected
    404 either, which ``retrieve_unknown_id`` reports as a consequence)."""

    AREA = "retrieval"
    FAULT = Fault(
        "not_a_server_error",
        ("retrieve::unknown_id",),
        signature=r"GET /v1/tokens/\{id\}",
        answer=(500, "api_error"),
        # The 500 is not the 404 resource_missing either.
        also=("retrieve_unknown_id",),
    )

    def load(self, token_id: str, key: ApiKey) -> str | None:
        text = super().load(token_id, key)
        if text is None:
            raise KeyError(token_id)
        return text


class DuplicateIds(Mutant):
    """Token ids come from the clock's seconds (``tok_`` + Unix time, zero padded), so two
    tokens made in one second share an id, and storage keeps the first (``INSERT OR
    IGNORE``). Caught by ``unique_ids`` (a consequence: the second token retrieves as the
    first, which ``retrieve_consistency`` reports)."""

    AREA = "retrieval"
    FAULT = Fault(
        "unique_ids",
        ("ids::unique",),
        signature=r"(\w+\.)?id reused",
        # The second token of a second retrieves as the first.
        also=("retrieve_consistency",),
    )

    def new_id(self, prefix: str) -> str:
        return prefix + f"{int(time.time()):024d}"

    def store(
        self, token_id: str, key: ApiKey, text: str, idempotency: tuple[str, bytes] | None
    ) -> None:
        if self.db.get_token(token_id, key.livemode) is not None:
            return
        super().store(token_id, key, text, idempotency)


# --- idempotency --------------------------------------------------------------------------------


class IdempotencyReplayCreatesNew(Mutant):
    """A retry with the same Idempotency-Key and parameters mints a new token instead of
    replaying the first answer (the key is recorded but never looked up for replays).
    Caught by ``idempotency_replay``."""

    AREA = "idempotency"
    FAULT = Fault(
        "idempotency_replay",
        ("idempotency::replay",),
        signature="new id",
        # A fresh answer is no replay, so it carries no replay header either.
        also=("idempotency_replayed_header",),
    )

    def idempotency_lookup(self, key: ApiKey, idem_key: str, digest: bytes) -> Response | None:
        record = self.db.get_idempotency(key.livemode, idem_key)
        if record is not None and record.params_hash == digest:
            return None
        return super().idempotency_lookup(key, idem_key, digest)

    def store(
        self, token_id: str, key: ApiKey, text: str, idempotency: tuple[str, bytes] | None
    ) -> None:
        # The first record stays; later tokens of the same key are stored without one.
        if idempotency is not None and self.db.get_idempotency(key.livemode, idempotency[0]):
            idempotency = None
        super().store(token_id, key, text, idempotency)


class IdempotencyMismatchIgnored(Mutant):
    """Reusing an Idempotency-Key with different parameters replays the first answer
    instead of 400 idempotency_error (the parameters are not compared). Caught by
    ``idempotency_mismatch``."""

    AREA = "idempotency"
    FAULT = Fault(
        "idempotency_mismatch",
        ("idempotency::mismatch",),
        signature="accepted",
        # The replayed first token comes back under the second request.
        also=("unique_ids",),
    )

    def idempotency_lookup(self, key: ApiKey, idem_key: str, digest: bytes) -> Response | None:
        record = self.db.get_idempotency(key.livemode, idem_key)
        if record is None:
            return None
        return Response(
            record.status,
            record.body.encode("utf-8"),
            [("idempotent-replayed", "true"), ("idempotency-key", idem_key)],
        )


class ReplayWithoutHeader(Mutant):
    """Replays are byte-identical but lack ``Idempotent-Replayed: true``. Caught by
    ``idempotency_replayed_header``."""

    AREA = "idempotency"
    FAULT = Fault(
        "idempotency_replayed_header", ("idempotency::replay",), signature="header missing"
    )

    def idempotency_lookup(self, key: ApiKey, idem_key: str, digest: bytes) -> Response | None:
        response = super().idempotency_lookup(key, idem_key, digest)
        if response is not None:
            response.headers = [h for h in response.headers if h[0] != "idempotent-replayed"]
        return response


# --- crashes ------------------------------------------------------------------------------------


class CrashOnNonAsciiName(Mutant):
    """Non-ASCII text in the cardholder's name or billing address (``José``, ``Jäggi``,
    ``斉藤``) crashes the server (it is encoded to ASCII for a legacy processor field), so
    it answers 500. Caught by ``not_a_server_error``."""

    AREA = "crash"
    FAULT = Fault(
        "not_a_server_error",
        ("card::valid",),
        signature="POST /v1/tokens",
        kind="card",
        answer=(500, "api_error"),
    )

    def render_token(self, kind: str, params: Mapping[str, Any], key: ApiKey) -> dict[str, Any]:
        card = params.get("card")
        if kind == "card" and isinstance(card, Mapping):
            for name, value in card.items():
                if name == "name" or name.startswith("address_"):
                    str(value).encode("ascii")
        return super().render_token(kind, params, key)


class CrashOnDob(Mutant):
    """A date of birth (``account[individual][dob]``, ``person[dob]``) is assumed to be an
    ISO string and split on ``-``; Stripe's ``dob[day]``/``dob[month]``/``dob[year]`` hash
    raises ``AttributeError`` and the server answers 500. Caught by ``not_a_server_error``."""

    AREA = "crash"
    FAULT = Fault(
        "not_a_server_error",
        ("person::valid",),
        signature="POST /v1/tokens",
        kind="person",
        answer=(500, "api_error"),
    )

    def render_token(self, kind: str, params: Mapping[str, Any], key: ApiKey) -> dict[str, Any]:
        root = params.get(kind)
        holder = root.get("individual") if kind == "account" and isinstance(root, Mapping) else root
        dob: Any = holder.get("dob") if isinstance(holder, Mapping) else None
        if dob is not None:
            dob.split("-")
        return super().render_token(kind, params, key)


class CreateNeverAnswers(Mutant):
    """A valid create waits for a storage connection that never comes (a pool sized 0 by a
    bad setting), so no token is ever answered; refusals still answer at once, so the target
    looks alive. Caught by ``responds`` (no complete answer within the run's timeout). An
    item that only reads back tokens it created (``auth::publishable_retrieve``) then has no
    answered case at all: it must end as an error, never as a pass."""

    AREA = "crash"
    FAULT = Fault(
        "responds",
        ("auth::publishable_retrieve",),
        signature=r"no answer \(timeout\)",
        answer=(None, None),
        # The server never answers: a short client timeout only decides how soon we stop
        # waiting, not whether the fault is found.
        settings=(("timeout", 0.2),),
    )

    async def execute_create(
        self, params: dict[str, Any], key: ApiKey, idempotency: tuple[str, bytes] | None
    ) -> Response:
        self.validate(params, key)
        await asyncio.Event().wait()  # nobody ever sets it
        raise AssertionError("unreachable")
