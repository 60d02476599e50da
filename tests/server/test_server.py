"""The reference server in-process (ASGI, no socket): behaviour, protocol rules, robustness.

A tiny ASGI client (below) drives the app directly, which makes the 10,000-request
malformed-input sweep take a couple of seconds. Tests that need the wire (concurrency,
restarts, the CLI, the SDK) live in test_server_http.py and test_server_stripe_sdk.py.

Expected answers come from the contract model (catalogue entries, error factories,
token_rules) or are written out literally, never from the server's own code.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
from collections.abc import Mapping
from datetime import date
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracttk import schemas
from contracttk.contract import (
    KIND_NAMES,
    Strength,
    get_kind,
    sample_params,
    sensitive_values,
    token_rules,
    violations_for,
)
from contracttk.contract.domain import is_test_card, luhn_check_digit
from contracttk.defaults import (
    DEFAULT_LIVE_PUBLISHABLE_KEY,
    DEFAULT_LIVE_SECRET_KEY,
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_SECRET_KEY,
)
from contracttk.encoding import encode
from contracttk.server import TokenService, create_app

TODAY = date(2026, 6, 15)
SK, PK, LSK, LPK = (
    DEFAULT_SECRET_KEY,
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_LIVE_SECRET_KEY,
    DEFAULT_LIVE_PUBLISHABLE_KEY,
)


# --- a tiny ASGI test client ---------------------------------------------------------------


class Answer:
    """One response: status, lower-case headers, raw body, parsed JSON (or None)."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json: Any = json.loads(body) if body else None
        except ValueError:
            self.json = None


class AsgiClient:
    """Drive an ASGI app in-process: one event loop, one request at a time (or gathered)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()

    def close(self) -> None:
        self.loop.close()

    async def call(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: Mapping[str, str] | list[tuple[bytes, bytes]] | None = None,
        *,
        chunks: int = 1,
    ) -> Answer:
        if isinstance(headers, list):
            raw_headers = headers
        else:
            raw_headers = [
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in (headers or {}).items()
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode("utf-8", "surrogateescape"),
            "query_string": b"",
            "root_path": "",
            "headers": raw_headers,
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 12111),
        }
        size = max(1, -(-len(body) // chunks)) if body else 1
        parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
        incoming = [
            {"type": "http.request", "body": p, "more_body": i < len(parts) - 1}
            for i, p in enumerate(parts)
        ]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if incoming:
                return incoming.pop(0)
            await asyncio.sleep(3600)  # a real server would wait for the client
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        start = sent[0]
        assert start["type"] == "http.response.start"
        hdrs = {k.decode(): v.decode() for k, v in start["headers"]}
        body_out = b"".join(m.get("body", b"") for m in sent[1:])
        assert not sent[-1].get("more_body", False)
        return Answer(start["status"], hdrs, body_out)

    def request(self, method: str, path: str, body: bytes | str = b"", **kw: Any) -> Answer:
        data = body.encode() if isinstance(body, str) else body
        return self.loop.run_until_complete(self.call(method, path, data, **kw))

    def create(self, params: Mapping[str, Any], key: str = SK, **headers: str) -> Answer:
        hdrs = {"Authorization": f"Bearer {key}", **headers}
        return self.request("POST", "/v1/tokens", encode(params), headers=hdrs)

    def retrieve(self, token_id: str, key: str = SK) -> Answer:
        return self.request("GET", f"/v1/tokens/{token_id}", headers=bearer(key))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def client() -> Any:
    app = create_app(today=TODAY)
    c = AsgiClient(app)
    yield c
    c.close()
    app.db.close()


def hard_mismatches(expected: Any, answer: Answer) -> list[str]:
    return [
        text
        for _, strength, text in expected.mismatches(answer.status, answer.json)
        if strength is Strength.HARD
    ]


def string_leaves(obj: Any, key: str = "") -> list[tuple[str, str]]:
    if isinstance(obj, dict):
        return [leaf for k, v in obj.items() for leaf in string_leaves(v, k)]
    if isinstance(obj, list):
        return [leaf for v in obj for leaf in string_leaves(v, key)]
    return [(key, obj)] if isinstance(obj, str) else []


def assert_no_secrets(kind: str, params: Mapping[str, Any], answer: Answer) -> None:
    text = answer.body.decode()
    for path, value in sensitive_values(kind, params):
        if len(value) >= 6:
            assert value not in text, f"{path} echoed"
        else:
            # Short values (CVC, SSN last 4) can occur by chance inside `created` or inside a
            # card's own last4; check the other string fields for them.
            for field, leaf in string_leaves(answer.json):
                if field not in ("last4", "dynamic_last4"):
                    assert value not in leaf, f"{path} echoed in {field}"


def a_live_card_number() -> str:
    number = "411111111111111" + luhn_check_digit("411111111111111")
    assert not is_test_card(number)
    return number


# --- creating and retrieving -------------------------------------------------------------


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_sample_payload_makes_a_token_that_obeys_every_rule(client: AsgiClient, kind: str) -> None:
    params = sample_params(kind, today=TODAY)
    answer = client.create(params)
    assert answer.status == 200, answer.body
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["request-id"].startswith("req_")
    assert answer.headers["stripe-version"]
    token = answer.json
    failures = [
        f for r in token_rules(kind, params, livemode=False, today=TODAY) if (f := r.check(token))
    ]
    assert failures == []
    assert token["id"].startswith(get_kind(kind).id_prefixes[0])
    assert len(token["id"]) == len(get_kind(kind).id_prefixes[0]) + 24
    assert token["id"][len(get_kind(kind).id_prefixes[0]) :].isalnum()
    assert token["client_ip"] is None
    assert_no_secrets(kind, params, answer)
    again = client.retrieve(token["id"])
    assert again.status == 200
    assert again.json == token


def test_card_object_is_derived_from_the_input(client: AsgiClient) -> None:
    params = {
        "card": {
            "number": "5555555555554444",
            "exp_month": "3",
            "exp_year": "31",
            "cvc": "737",
            "name": "Jenny Rosen",
            "address_zip": "94107",
            "networks": {"preferred": "mastercard"},
        }
    }
    card = client.create(params).json["card"]
    assert card["id"].startswith("card_")
    assert card["last4"] == "4444"
    assert card["brand"] == "MasterCard"
    assert (card["exp_month"], card["exp_year"]) == (3, 2031)
    assert card["name"] == "Jenny Rosen"
    assert card["address_zip"] == "94107"
    assert card["address_line1"] is None
    assert card["cvc_check"] == "pass"
    assert card["address_zip_check"] == "unchecked"
    assert card["metadata"] == {}
    assert card["networks"] == {"preferred": "mastercard"}
    assert "number" not in card and "cvc" not in card
    assert "bank_account" not in client.create(params).json


def test_card_without_cvc_has_null_cvc_check_and_unknown_bin_has_unknown_funding(
    client: AsgiClient,
) -> None:
    number = a_live_card_number()
    card = client.create({"card": {"number": number, "exp_month": "1", "exp_year": "2030"}}).json[
        "card"
    ]
    assert card["cvc_check"] is None
    assert card["funding"] == "unknown"
    assert card["brand"] == "Visa"


def test_fingerprint_is_stable_per_number_and_not_the_number(client: AsgiClient) -> None:
    def fp(number: str) -> str:
        card = {"number": number, "exp_month": "1", "exp_year": "2030"}
        return client.create({"card": card}).json["card"]["fingerprint"]

    first = fp("4242424242424242")
    assert first == fp("4242424242424242")
    assert first != fp("5555555555554444")
    assert "4242" not in first


def test_bank_account_object(client: AsgiClient) -> None:
    params = sample_params("bank_account", today=TODAY)
    answer = client.create(params)
    bank = answer.json["bank_account"]
    assert answer.json["id"].startswith("btok_")
    assert bank["id"].startswith("ba_")
    assert bank["status"] == "new"
    assert bank["bank_name"] == "STRIPE TEST BANK"
    assert bank["last4"] == params["bank_account"]["account_number"][-4:]
    assert "account_number" not in bank
    iban = {"country": "DE", "account_number": "DE89370400440532013000"}
    bank = client.create({"bank_account": iban}).json["bank_account"]
    assert (bank["currency"], bank["last4"], bank["routing_number"]) == ("eur", "3000", None)


def test_livemode_follows_the_key(client: AsgiClient) -> None:
    live = {"card": {"number": a_live_card_number(), "exp_month": "1", "exp_year": "2030"}}
    assert client.create(live, LPK).json["livemode"] is True
    assert client.create(live, LSK).json["livemode"] is True
    assert client.create(sample_params("pii"), PK).json["livemode"] is False


# --- the catalogue, in-process (the loopback test repeats it over HTTP) ---------------------


def _key_for(requires: str | None) -> str:
    return {None: SK, "live_key": LPK, "live_secret_key": LSK}[requires]


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_every_catalogue_violation_gets_its_expected_error(client: AsgiClient, kind: str) -> None:
    valid = sample_params(kind, today=TODAY)
    problems = []
    for v in violations_for(kind, include_key_rules=True):
        payload = v.apply(valid, today=TODAY)
        answer = client.create(payload, _key_for(v.requires))
        if answer.status != v.expected.status and answer.status not in v.expected.alt_statuses:
            problems.append(f"{v.name}: status {answer.status} != {v.expected.status}")
        problems += [f"{v.name}: {m}" for m in hard_mismatches(v.expected, answer)]
        if answer.status >= 400:
            assert_no_secrets(kind, payload, answer)
    assert problems == []


# --- authentication -----------------------------------------------------------------------


def test_no_key_and_unknown_key_are_401_with_the_key_masked(client: AsgiClient) -> None:
    body = encode(sample_params("pii"))
    answer = client.request("POST", "/v1/tokens", body)
    assert answer.status == 401
    assert answer.json["error"]["type"] == "invalid_request_error"
    assert "did not provide an API key" in answer.json["error"]["message"]
    unknown = "sk_test_totallyUnknownKey9876"
    answer = client.request("POST", "/v1/tokens", body, headers=bearer(unknown))
    assert answer.status == 401
    assert unknown not in answer.body.decode()
    assert answer.json["error"]["message"].endswith("sk_test_" + "*" * 17 + "9876")


def test_basic_auth_is_accepted(client: AsgiClient) -> None:
    basic = "Basic " + base64.b64encode(f"{SK}:".encode()).decode()
    answer = client.request(
        "POST", "/v1/tokens", encode(sample_params("pii")), headers={"Authorization": basic}
    )
    assert answer.status == 200


def test_only_configured_keys_are_accepted() -> None:
    mine = "sk_test_onlyThisOne"
    app = create_app(keys=[mine], today=TODAY)
    c = AsgiClient(app)
    try:
        assert c.create(sample_params("pii"), mine).status == 200
        placeholder = c.create(sample_params("pii"), SK)
        other = c.create(sample_params("pii"), "sk_test_someoneElse1234")
    finally:
        c.close()
        app.db.close()
    # A placeholder key on a server with its own keys: the 401 says to pass --api-key ...
    assert placeholder.status == 401
    message = placeholder.json["error"]["message"]
    assert message.startswith("Invalid API Key provided: sk_test_*************cret. ")
    assert "--api-key" in message
    # ... any other key gets Stripe's exact message, and no answer names the server's key.
    assert other.status == 401
    assert other.json["error"]["message"] == "Invalid API Key provided: sk_test_***********1234"
    for answer in (placeholder, other):
        assert mine not in answer.body.decode() and "sOne" not in answer.body.decode()
    with pytest.raises(ValueError, match="not a Stripe-shaped"):
        create_app(keys=["hunter2"])


def test_publishable_key_may_create_but_not_retrieve(client: AsgiClient) -> None:
    token = client.create(sample_params("card", today=TODAY), PK).json
    answer = client.retrieve(token["id"], PK)
    assert answer.status == 401
    assert answer.json["error"]["code"] == "secret_key_required"


def test_live_secret_key_cannot_create_account_or_person(client: AsgiClient) -> None:
    for kind in ("account", "person"):
        assert client.create(sample_params(kind), LSK).status == 400
        answer = client.create(sample_params(kind), LPK)
        assert answer.status == 200 and answer.json["livemode"] is True


def test_retrieve_unknown_or_other_mode_token_is_404(client: AsgiClient) -> None:
    answer = client.retrieve("tok_doesnotexist")
    assert answer.status == 404
    assert answer.json["error"]["code"] == "resource_missing"
    assert answer.json["error"]["message"] == "No such token: 'tok_doesnotexist'"
    test_token = client.create(sample_params("pii")).json["id"]
    assert client.retrieve(test_token, LSK).status == 404
    live_token = client.create(sample_params("pii"), LPK).json["id"]
    assert client.retrieve(live_token, SK).status == 404
    assert client.retrieve(live_token, LSK).status == 200


# --- idempotency ----------------------------------------------------------------------------


def test_idempotent_replay_returns_the_same_answer(client: AsgiClient) -> None:
    params = sample_params("card", today=TODAY)
    first = client.create(params, **{"Idempotency-Key": "k1"})
    again = client.create(params, **{"Idempotency-Key": "k1"})
    assert first.status == again.status == 200
    assert again.body == first.body
    assert again.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in first.headers
    other = client.create(params, **{"Idempotency-Key": "k2"})
    assert other.json["id"] != first.json["id"]


def test_same_key_other_params_is_an_idempotency_error(client: AsgiClient) -> None:
    client.create(sample_params("pii"), **{"Idempotency-Key": "k"})
    answer = client.create(sample_params("cvc_update"), **{"Idempotency-Key": "k"})
    assert answer.status == 400
    assert answer.json["error"]["type"] == "idempotency_error"


def test_validation_failures_are_not_stored(client: AsgiClient) -> None:
    bad = client.create({"card": {"number": "4242"}}, **{"Idempotency-Key": "retry"})
    assert 400 <= bad.status < 500
    good = client.create(sample_params("pii"), **{"Idempotency-Key": "retry"})
    assert good.status == 200
    assert "idempotent-replayed" not in good.headers


def test_idempotency_keys_are_scoped_per_mode(client: AsgiClient) -> None:
    test_answer = client.create(sample_params("pii"), SK, **{"Idempotency-Key": "shared"})
    live_answer = client.create(sample_params("pii"), LSK, **{"Idempotency-Key": "shared"})
    assert live_answer.status == 200
    assert live_answer.json["id"] != test_answer.json["id"]
    assert live_answer.json["livemode"] is True


def test_a_key_in_flight_answers_409() -> None:
    gate = asyncio.Event()

    class Slow(TokenService):
        async def execute_create(self, params: Any, key: Any, idempotency: Any) -> Any:
            await gate.wait()
            return await super().execute_create(params, key, idempotency)

    app = create_app(service_cls=Slow, today=TODAY)
    c = AsgiClient(app)
    body = encode(sample_params("pii"))
    headers = {"Authorization": f"Bearer {SK}", "Idempotency-Key": "busy"}

    async def scenario() -> list[Answer]:
        first = asyncio.ensure_future(c.call("POST", "/v1/tokens", body.encode(), headers))
        await asyncio.sleep(0)
        second = await c.call("POST", "/v1/tokens", body.encode(), headers)
        gate.set()
        return [await first, second]

    try:
        first, second = c.loop.run_until_complete(scenario())
        assert first.status == 200
        assert second.status == 409
        assert second.json["error"]["code"] == "idempotency_key_in_use"
        replay = c.request("POST", "/v1/tokens", body, headers=headers)
        assert replay.body == first.body
        assert app.db.count_tokens() == 1
    finally:
        c.close()
        app.db.close()


def test_storage_keeps_a_hash_of_the_params_not_the_params(client: AsgiClient) -> None:
    client.create(sample_params("pii"), **{"Idempotency-Key": "h"})
    conn = client.app.db._conn
    rows = conn.execute("SELECT * FROM idempotency").fetchall()
    assert len(rows) == 1
    assert not any(isinstance(v, str) and "000000000" in v for v in rows[0])
    assert isinstance(rows[0][2], bytes) and len(rows[0][2]) == 32
    # A bare SHA-256 of the canonical params would let anyone holding the file brute-force
    # a 9-digit ID number: the stored digest must be keyed (not the plain hash).
    import hashlib
    import json

    canonical = json.dumps(
        ["/v1/tokens", {"pii": {"id_number": "000000000"}}], sort_keys=True, separators=(",", ":")
    )
    assert rows[0][2] != hashlib.sha256(canonical.encode("utf-8")).digest()


# --- routing, limits, failures ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/tokens"),
        ("DELETE", "/v1/tokens/tok_x"),
        ("POST", "/v1/tokens/tok_x"),
        ("PUT", "/v1/tokens"),
        ("GET", "/v1/tokens/"),
        ("GET", "/v1/tokens/a/b"),
        ("GET", "/"),
        ("POST", "/v1/charges"),
    ],
)
def test_unknown_routes_are_json_404(client: AsgiClient, method: str, path: str) -> None:
    answer = client.request(method, path, headers=bearer(SK))
    assert answer.status == 404
    assert answer.headers["content-type"] == "application/json"
    assert "Unrecognized request URL" in answer.json["error"]["message"]


def test_head_sends_no_body(client: AsgiClient) -> None:
    answer = client.request("HEAD", "/v1/tokens/tok_x", headers=bearer(SK))
    assert answer.status == 404 and answer.body == b""


def test_body_over_the_limit_is_413() -> None:
    app = create_app(body_limit=1000, today=TODAY)
    c = AsgiClient(app)
    big = ("card[name]=" + "x" * 2000).encode()
    try:
        for kw in ({}, {"chunks": 7}):
            answer = c.request("POST", "/v1/tokens", big, headers=bearer(SK), **kw)
            assert answer.status == 413
            assert answer.json["error"]["type"] == "invalid_request_error"
        lying = {"Authorization": f"Bearer {SK}", "Content-Length": "999999"}
        assert c.request("POST", "/v1/tokens", b"", headers=lying).status == 413
        fits = encode(sample_params("pii")).encode()
        assert c.request("POST", "/v1/tokens", fits, headers=bearer(SK), chunks=3).status == 200
    finally:
        c.close()
        app.db.close()


def test_an_unexpected_exception_is_a_json_500(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(TokenService):
        def render_token(self, kind: str, params: Any, key: Any) -> dict[str, Any]:
            raise RuntimeError("boom")

    app = create_app(service_cls=Broken, today=TODAY)
    c = AsgiClient(app)
    try:
        with caplog.at_level(logging.ERROR, logger="contracttk.server"):
            answer = c.create(sample_params("card", today=TODAY))
        assert answer.status == 500
        assert answer.json["error"]["type"] == "api_error"
        assert "4242424242424242" not in caplog.text
    finally:
        c.close()
        app.db.close()


def test_request_log_has_no_secrets(client: AsgiClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="contracttk.server"):
        answer = client.create(sample_params("card", today=TODAY))
    lines = [r.getMessage() for r in caplog.records if r.name == "contracttk.server"]
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("POST /v1/tokens 200 ")
    assert answer.headers["request-id"] in line
    assert SK not in line and "4242424242424242" not in line


def test_stripe_version_header_is_echoed_when_well_formed(client: AsgiClient) -> None:
    headers = {**bearer(SK), "Stripe-Version": "2024-06-20"}
    assert client.request("GET", "/v1/tokens/x", headers=headers).headers["stripe-version"] == (
        "2024-06-20"
    )
    headers["Stripe-Version"] = "<script>"
    assert client.request("GET", "/v1/tokens/x", headers=headers).headers["stripe-version"] != (
        "<script>"
    )


def test_openapi_route(client: AsgiClient) -> None:
    answer = client.request("GET", "/openapi.json")
    assert answer.status == 200
    assert "openapi" in answer.json and "/v1/tokens" in answer.json["paths"]


def test_lifespan_is_acknowledged() -> None:
    app = create_app()
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    app.db.close()


# --- robustness: 10,000 malformed requests, zero 5xx -----------------------------------------

_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "CONNECT", "FOO"]
_PATHS = [
    "/v1/tokens",
    "/v1/tokens/",
    "/v1/tokens/tok_x",
    "/v1/tokens/tok_x/y",
    "/v1/tokens//",
    "/",
    "",
    "/v1",
    "/openapi.json",
    "/v1/tokens/\u00e9\u2603",
    "/v1/tokens/" + "a" * 5000,
    "/v1/tokens/%00",
    "/v1/tokens/tok_x?expand[]=card",
]


def _random_key(rng: random.Random) -> str:
    return "".join(rng.choice("abcdef[]%01 =&") for _ in range(rng.randint(0, 12)))


def _malformed_body(rng: random.Random) -> bytes:
    valid = encode(sample_params(rng.choice(KIND_NAMES), today=TODAY))
    choice = rng.randrange(12)
    if choice == 0:
        return rng.randbytes(rng.randint(0, 300))
    if choice == 1:  # bad percent-encodings
        return rng.choice(
            [b"card[number]=%", b"card%5Bnumber%5D=%GG", b"%E2%82=1", b"a=%FF%FE", b"%=%", b"%5"]
        ) + rng.choice([b"", b"&card[cvc]=1"])
    if choice == 2:  # deep nesting
        depth = rng.randint(1, 200)
        return (rng.choice(["a", "card", "account"]) + "[a]" * depth + "=1").encode()
    if choice == 3:  # huge fields (some over the limit)
        size = rng.choice([1000, 30000, 65000, 70000])
        return (
            rng.choice(["card[name]=", "x" * size + "=", "card[number]="]) + "9" * size
        ).encode()
    if choice == 4:  # truncated valid body
        return valid[: rng.randint(0, len(valid))].encode()
    if choice == 5:  # shape conflicts and odd array syntax
        return rng.choice(
            [
                b"card=1&card[number]=2",
                b"card[]=x&card[number]=1",
                b"card[number]=1&card[number]=2",
                b"card[0][number]=4242424242424242",
                b"expand[0]=a&expand[x]=b",
                b"metadata[0]=a&metadata[1]=b",
                b"card[number][]=4242",
                b"card]=1",
                b"[card]=1",
                b"card[[number]]=1",
                b"=&&==&",
                b"card[networks][preferred][]=1",
            ]
        )
    if choice == 6:  # random keys and values
        pairs = [f"{_random_key(rng)}={_random_key(rng)}" for _ in range(rng.randint(1, 8))]
        return "&".join(pairs).encode()
    if choice == 7:  # a valid body with random bytes spliced in
        at = rng.randint(0, len(valid))
        return valid[:at].encode() + rng.randbytes(rng.randint(1, 8)) + valid[at:].encode()
    if choice == 8:  # many pairs
        return "&".join(f"k{i}=v" for i in range(rng.choice([10, 5001, 6000]))).encode()
    if choice == 9:  # JSON where a form is expected
        return json.dumps(sample_params("card", today=TODAY)).encode()
    if choice == 10:  # a valid payload with a field dropped into a list of hashes
        return (valid + "&expand[0][x]=1&card[metadata][k][k]=v").encode()
    return valid.encode()


def _malformed_headers(rng: random.Random) -> list[tuple[bytes, bytes]]:
    choice = rng.randrange(10)
    if choice == 0:
        auth = b""
    elif choice == 1:
        auth = b"Basic " + rng.randbytes(rng.randint(0, 40))
    elif choice == 2:
        auth = b"Basic " + base64.b64encode(rng.randbytes(rng.randint(0, 40)))
    elif choice == 3:
        auth = b"Bearer" + b" " * rng.randint(0, 3)
    elif choice == 4:
        auth = b"Bearer sk_test_" + bytes(rng.choice(b"x\xff\x00[") for _ in range(4000))
    elif choice == 5:
        auth = rng.randbytes(20)
    elif choice == 6:
        auth = b"Bearer " + PK.encode()
    else:
        auth = b"Bearer " + rng.choice([SK, LSK, LPK]).encode()
    headers = [(b"authorization", auth)] if auth else []
    if rng.random() < 0.3:
        headers.append((b"idempotency-key", rng.randbytes(rng.randint(0, 300))))
    if rng.random() < 0.1:
        headers.append((b"content-length", rng.choice([b"-1", b"abc", b"99999999", b"0"])))
    if rng.random() < 0.1:
        headers.append((b"stripe-version", rng.randbytes(10)))
    return headers


def _assert_well_formed(answer: Answer, what: str) -> None:
    assert answer.status < 500, f"{answer.status} for {what}: {answer.body[:300]!r}"
    assert answer.headers["content-type"] == "application/json"
    if answer.status >= 400 and answer.body:
        assert isinstance(answer.json, dict), what
        assert isinstance(answer.json["error"]["type"], str), what


def test_ten_thousand_malformed_requests_never_get_a_5xx() -> None:
    rng = random.Random(20260615)
    app = create_app(today=TODAY)
    c = AsgiClient(app)
    statuses: dict[int, int] = {}
    try:
        for i in range(10_000):
            if i % 4 == 0:
                method, path = rng.choice(_METHODS), rng.choice(_PATHS)
            else:
                method, path = "POST", "/v1/tokens"
            body = _malformed_body(rng)
            answer = c.request(
                method, path, body, headers=_malformed_headers(rng), chunks=rng.choice([1, 1, 3])
            )
            _assert_well_formed(answer, f"#{i} {method} {path[:40]} {body[:80]!r}")
            statuses[answer.status] = statuses.get(answer.status, 0) + 1
    finally:
        c.close()
        app.db.close()
    # The sweep must reach the interesting answers, not bounce off auth alone.
    assert {200, 400, 401, 404, 413} <= set(statuses), statuses


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=400)
    | st.text(alphabet="card[]number%5BD=&01exp_month", max_size=200).map(str.encode),
    auth=st.binary(max_size=60),
    method=st.sampled_from(["POST", "GET", "DELETE"]),
)
def test_property_arbitrary_bytes_never_get_a_5xx(body: bytes, auth: bytes, method: str) -> None:
    app = create_app(today=TODAY)
    c = AsgiClient(app)
    try:
        for headers in ([(b"authorization", auth)], [(b"authorization", b"Bearer " + SK.encode())]):
            answer = c.request(method, "/v1/tokens", body, headers=headers)
            _assert_well_formed(answer, repr(body[:80]))
    finally:
        c.close()
        app.db.close()


def test_answers_match_the_bundled_response_schemas(client: AsgiClient) -> None:
    token_schema = schemas.response_json_schema("token")
    error_schema = schemas.response_json_schema("error")
    for kind in KIND_NAMES:
        jsonschema.validate(client.create(sample_params(kind, today=TODAY)).json, token_schema)
    for answer in (
        client.create({"card": {"number": "1"}}),
        client.retrieve("tok_nope"),
        client.request("POST", "/v1/tokens", "a=1"),
        client.request("DELETE", "/v1/tokens"),
    ):
        jsonschema.validate(answer.json, error_schema)
