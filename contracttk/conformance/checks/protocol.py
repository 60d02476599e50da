"""Protocol checks: auth, retrieve, id uniqueness and idempotency.

Each has a fixed expectation from the contract model (``no_api_key()``, ``no_such_token()``,
...) or compares two exchanges. They are run by the suite items built for them (an
``auth::...`` item sends the keyless request), never on every exchange.
"""

from __future__ import annotations

from functools import cache

from contracttk.contract import (
    MUTABLE_ON_RETRIEVE,
    REPLAY_HEADER,
    idempotency_mismatch,
    invalid_api_key,
    kinds,
    mask_key,
    no_api_key,
    no_such_token,
    publishable_key_forbidden,
)

from ..exchange import INVALID_JSON, RequestInfo, ResponseInfo
from ..failures import Failure, fail
from ..registry import check, register
from .create import expect

__all__ = [
    "UniqueIds",
    "auth_bad_key",
    "auth_no_key",
    "auth_publishable_retrieve",
    "idempotency_mismatch_check",
    "idempotency_replay",
    "retrieve_consistency",
    "retrieve_unknown_id",
]

_MISSING = object()


@check(group="protocol", basis="[ISSUE: gadelkareem/skeleton#20, stripe/stripe-node#1694]")
def auth_no_key(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """No API key: 401 invalid_request_error."""
    return expect("auth_no_key", no_api_key(), request, response)


@check(
    group="protocol", basis="[ISSUE: stripe/stripe-node#361, flutter-stripe/flutter_stripe#2171]"
)
def auth_bad_key(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """Unknown API key: 401 invalid_request_error (the key masked: see ``no_secret_echo``)."""
    masked = mask_key(request.api_key or "")
    return expect("auth_bad_key", invalid_api_key(masked), request, response)


@check(group="protocol", basis="[ISSUE: getlago/lago-api#3650] [SDK] secret_key_required")
def auth_publishable_retrieve(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """A publishable key cannot retrieve a token: 401 or 403."""
    return expect("auth_publishable_retrieve", publishable_key_forbidden(), request, response)


@check(group="protocol", basis="[ISSUE: drastik/com.drastikbydesign.stripe#76] [DOC: Errors]")
def retrieve_unknown_id(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """An id that was never issued: 404 resource_missing."""
    return expect("retrieve_unknown_id", no_such_token(request.token_id or ""), request, response)


@check(
    group="protocol",
    basis="[DOC: Idempotent requests] [ISSUE: stripe/stripe-ruby#503]",
    name="idempotency_mismatch",
)
def idempotency_mismatch_check(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """The same Idempotency-Key with other parameters: 400 idempotency_error."""
    key = request.header("idempotency-key") or ""
    return expect("idempotency_mismatch", idempotency_mismatch(key), request, response)


register("idempotency_replay", group="protocol")
register("idempotency_replayed_header", group="protocol")
register("retrieve_consistency", group="protocol")
register("unique_ids", group="protocol")
register("responds", group="generic")
register(
    "kind_support",
    group="create",
    basis="[DOC: Testing] the documented test values of a kind tokenize (a run-level verdict)",
)
register(
    "key_refused",
    group="protocol",
    basis="[DOC: Authentication] a key issued by the target authenticates (a run-level verdict)",
)


def idempotency_replay(
    first: tuple[RequestInfo, ResponseInfo], second: tuple[RequestInfo, ResponseInfo]
) -> list[Failure]:
    """A replay with the same key and params: same status, body and id, ``Idempotent-Replayed: true``."""
    (_, r1), (req2, r2) = first, second
    out = []
    if r1.status != r2.status:
        out.append(
            fail(
                "idempotency_replay",
                f"replay status {r2.status} differs from the first answer's {r1.status}",
                req2,
                r2,
                signature="status differs",
            )
        )
    b1, b2 = r1.json, r2.json
    if b1 is INVALID_JSON or b2 is INVALID_JSON or b1 != b2:
        id1 = b1.get("id") if isinstance(b1, dict) else None
        id2 = b2.get("id") if isinstance(b2, dict) else None
        what = f"a new token id ({id2!r} instead of {id1!r})" if id1 != id2 else "a different body"
        out.append(
            fail(
                "idempotency_replay",
                f"replay returned {what}",
                req2,
                r2,
                signature="new id" if id1 != id2 else "body differs",
            )
        )
    if r1.ok and r2.headers.get(REPLAY_HEADER.lower(), "").strip().lower() != "true":
        out.append(
            fail(
                "idempotency_replayed_header",
                f"replay lacks the header {REPLAY_HEADER}: true",
                req2,
                r2,
                signature="header missing",
            )
        )
    return out


def retrieve_consistency(
    created: tuple[RequestInfo, ResponseInfo], retrieved: tuple[RequestInfo, ResponseInfo]
) -> list[Failure]:
    """``GET /v1/tokens/{id}`` returns the token ``POST`` returned."""
    (_, r1), (req2, r2) = created, retrieved
    if not r2.ok:
        return [
            fail(
                "retrieve_consistency",
                f"retrieving a token just created answered {r2.status}",
                req2,
                r2,
                signature="not found again",
            )
        ]
    b1, b2 = r1.json, r2.json
    if not isinstance(b1, dict) or not isinstance(b2, dict):
        return [fail("retrieve_consistency", "retrieve body is not a JSON object", req2, r2)]
    diffs = [
        k
        for k in sorted(set(b1) | set(b2))
        if k not in MUTABLE_ON_RETRIEVE and b1.get(k, _MISSING) != b2.get(k, _MISSING)
    ]
    if not diffs:
        return []
    return [
        fail(
            "retrieve_consistency",
            "retrieve differs from create in: " + ", ".join(diffs[:10]),
            req2,
            r2,
            signature="differs in " + ",".join(diffs[:10]),
        )
    ]


@cache
def _embedded_objects() -> tuple[str, ...]:
    """The objects a token may embed (``card``, ``bank_account``), from the model."""
    return tuple(sorted({k.embedded_object for k in kinds().values() if k.embedded_object}))


class UniqueIds:
    """Run-level check: no two created tokens (or embedded objects) share an id."""

    name = "unique_ids"

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def observe(self, request: RequestInfo, response: ResponseInfo) -> list[Failure]:
        """Record the ids of a 2xx create answer; fail on one seen before."""
        if not (request.is_create and response.ok and isinstance(response.json, dict)):
            return []
        body = response.json
        ids = [("id", body.get("id"))]
        for obj in _embedded_objects():
            if isinstance(body.get(obj), dict):
                ids.append((f"{obj}.id", body[obj].get("id")))
        out = []
        for where, value in ids:
            if not isinstance(value, str):
                continue
            if value in self.seen:
                out.append(
                    fail(
                        "unique_ids",
                        f"{where} {value!r} was already issued (as {self.seen[value]})",
                        request,
                        response,
                        signature=f"{where} reused",
                    )
                )
            else:
                self.seen[value] = where
        return out
