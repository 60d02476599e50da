"""The reference server over a real loopback socket (uvicorn), and the ``serve`` command.

Covers what the in-process tests cannot: the wire (form bodies as HTTP clients send them),
concurrency across connections, the SQLite file on disk, restarts and the CLI's exit codes.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracttk import strategies
from contracttk.contract import (
    KIND_NAMES,
    Strength,
    evaluate_create,
    get_violation,
    parse_key,
    sample_params,
    sensitive_values,
    token_rules,
    violations_for,
)
from contracttk.contract.domain import (
    TEST_BANK_ACCOUNTS,
    TEST_CARDS,
    TEST_ID_NUMBERS,
    cvc_lengths_for,
)
from contracttk.defaults import (
    DEFAULT_LIVE_PUBLISHABLE_KEY,
    DEFAULT_LIVE_SECRET_KEY,
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_SECRET_KEY,
)
from contracttk.encoding import encode
from contracttk.server import ApiError, TokenService, running_server

pytestmark = pytest.mark.loopback

TODAY = date(2026, 6, 15)
SK, PK, LSK, LPK = (
    DEFAULT_SECRET_KEY,
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_LIVE_SECRET_KEY,
    DEFAULT_LIVE_PUBLISHABLE_KEY,
)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running_server(today=TODAY) as url:
        yield url


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def post(
    http: requests.Session, base_url: str, params: Mapping[str, Any], key: str = SK, **extra: str
) -> requests.Response:
    headers = {**FORM, "Authorization": f"Bearer {key}", **extra}
    return http.post(f"{base_url}/v1/tokens", data=encode(params), headers=headers, timeout=10)


def hard(expected: Any, response: requests.Response) -> list[str]:
    return [
        text
        for _, strength, text in expected.mismatches(response.status_code, response.json())
        if strength is Strength.HARD
    ]


def string_leaves(obj: Any, key: str = "") -> list[tuple[str, str]]:
    if isinstance(obj, dict):
        return [leaf for k, v in obj.items() for leaf in string_leaves(v, k)]
    if isinstance(obj, list):
        return [leaf for v in obj for leaf in string_leaves(v, key)]
    return [(key, obj)] if isinstance(obj, str) else []


# Short secrets (a 3-digit CVC) occur by chance in `created`, in the card's own last4 and in
# random ids; they are looked for in every other string field. Long ones are looked for anywhere.
GENERATED_FIELDS = ("last4", "dynamic_last4", "id", "fingerprint")


def leaks(kind: str, params: Mapping[str, Any], response: requests.Response) -> list[str]:
    found = []
    for path, value in sensitive_values(kind, params):
        if not any(c.isdigit() for c in value):
            # The catalogue's filler text ("contracttk") also occurs in parameter names that
            # error messages quote; real secrets (PAN, CVC, account and id numbers) have digits.
            continue
        if len(value) >= 6:
            if value in response.text:
                found.append(path)
        elif any(
            value in leaf
            for field, leaf in string_leaves(response.json())
            if field not in GENERATED_FIELDS
        ):
            found.append(path)
    return found


def check_valid(
    http: requests.Session, base_url: str, kind: str, params: Mapping[str, Any], key: str = SK
) -> list[str]:
    response = post(http, base_url, params, key)
    if response.status_code != 200:
        return [f"{kind}: {response.status_code} {response.text[:200]}"]
    livemode = parse_key(key).livemode  # type: ignore[union-attr]
    body = response.json()
    problems = [
        f"{kind}: {failure}"
        for rule in token_rules(kind, params, livemode=livemode, today=TODAY)
        if (failure := rule.check(body))
    ]
    return problems + [f"{kind}: leaked {p}" for p in leaks(kind, params, response)]


# --- the contract over the wire ----------------------------------------------------------------


def _key_for(requires: str | None) -> str:
    return {None: SK, "live_key": LPK, "live_secret_key": LSK}[requires]


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_sample_and_every_violation_over_http(
    base_url: str, http: requests.Session, kind: str
) -> None:
    valid = sample_params(kind, today=TODAY)
    problems = check_valid(http, base_url, kind, valid)
    for v in violations_for(kind, include_key_rules=True):
        payload = v.apply(valid, today=TODAY)
        response = post(http, base_url, payload, _key_for(v.requires))
        if response.status_code != v.expected.status:
            problems.append(f"{v.name}: status {response.status_code} != {v.expected.status}")
        problems += [f"{v.name}: {m}" for m in hard(v.expected, response)]
        problems += [f"{v.name}: leaked {p}" for p in leaks(kind, payload, response)]
    assert problems == []


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.data(),
    kind=st.sampled_from(KIND_NAMES),
    basic=st.booleans(),
    raw_brackets=st.booleans(),
)
def test_property_payloads_get_the_oracles_answer(
    base_url: str, data: st.DataObject, kind: str, basic: bool, raw_brackets: bool
) -> None:
    """Valid payloads with 0-2 catalogue violations: the answer matches one of the findings."""
    names = data.draw(
        st.lists(st.sampled_from([v.name for v in violations_for(kind)]), max_size=2, unique=True)
    )
    payload: dict[str, Any] = sample_params(kind, today=TODAY)
    for name in names:
        payload = get_violation(name).apply(payload, today=TODAY)
    body = encode(payload)
    if raw_brackets:  # clients differ in whether they percent-encode brackets
        body = body.replace("%5B", "[").replace("%5D", "]")
    auth = "Basic " + base64.b64encode(f"{SK}:".encode()).decode() if basic else f"Bearer {SK}"
    response = requests.post(
        f"{base_url}/v1/tokens", data=body, headers={**FORM, "Authorization": auth}, timeout=10
    )
    evaluation = evaluate_create(payload, key=parse_key(SK), today=TODAY)
    if evaluation.accepted:
        # Two violations can cancel out (no kind + two kinds = one other kind).
        made = evaluation.kind
        assert made is not None
        assert response.status_code == 200, response.text
        body_json = response.json()
        failures = [
            f
            for r in token_rules(made, payload, livemode=False, today=TODAY)
            if (f := r.check(body_json))
        ]
        assert failures == []
    else:
        assert any(
            not [
                m
                for m in f.error.mismatches(response.status_code, response.json())
                if m[1] is Strength.HARD
            ]
            for f in evaluation.findings
        ), (names, response.status_code, response.text)
    for sent in {kind, *([evaluation.kind] if evaluation.kind else [])}:
        assert leaks(sent, payload, response) == []


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), kind=st.sampled_from(KIND_NAMES))
def test_property_generated_valid_payloads(base_url: str, kind: str, data: st.DataObject) -> None:
    payload = data.draw(strategies.params(kind, today=TODAY))
    with requests.Session() as session:
        assert check_valid(session, base_url, kind, payload) == []


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), kind=st.sampled_from(KIND_NAMES))
def test_property_generated_invalid_payloads(base_url: str, kind: str, data: st.DataObject) -> None:
    bad = data.draw(getattr(strategies, f"invalid_{kind}_params")(today=TODAY))
    with requests.Session() as session:
        response = post(session, base_url, bad.params)
    assert response.status_code == bad.expected.status, (bad.violation, response.text)
    assert hard(bad.expected, response) == [], bad.violation
    assert leaks(kind, bad.params, response) == []


# --- malformed input over the wire (a sample; the in-process test sends 10,000) ------------------


def _raw_http(base_url: str, request: bytes) -> bytes:
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_malformed_requests_over_loopback_get_no_5xx(base_url: str) -> None:
    import random

    rng = random.Random(7)
    auth = f"Authorization: Bearer {SK}\r\n".encode()
    statuses = []
    for i in range(300):
        choice = i % 6
        if choice == 0:
            body = rng.randbytes(rng.randint(0, 500))
        elif choice == 1:
            body = b"card[number]=%ZZ&card%5Bcvc%5D=%E2%82"
        elif choice == 2:
            body = ("a" + "[a]" * rng.randint(10, 300) + "=1").encode()
        elif choice == 3:
            body = b"card[name]=" + b"x" * rng.choice([1000, 64000, 70000])
        elif choice == 4:
            body = encode(sample_params(rng.choice(KIND_NAMES), today=TODAY)).encode()
        else:
            body = b"card=1&card[number]=2"
        method = rng.choice(
            [b"POST", b"POST", b"POST", b"GET", b"HEAD", b"PUT", b"DELETE", b"PATCH"]
        )
        path = rng.choice([b"/v1/tokens", b"/v1/tokens/tok_1", b"/nope", b"/v1/tokens/%FF"])
        header = auth if rng.random() < 0.8 else b"Authorization: Basic \xff\xfe\r\n"
        request = (
            method + b" " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + header
            + b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )  # fmt: skip
        raw = _raw_http(base_url, request)
        status = int(raw.split(b" ", 2)[1])
        statuses.append(status)
        assert status < 500, (request[:200], raw[:500])
        assert b"content-type: application/json" in raw.lower()
    assert {200, 400, 404, 413} <= set(statuses)


def test_early_answers_wait_for_the_body(base_url: str) -> None:
    # An answer decided before the body is read (413 on the declared length, 404 on a GET
    # with a body) was sent and the socket closed with the body unread: the kernel then
    # resets the connection and a client still sending, or slow to read, loses the answer
    # (seen now and then as "connection reset" in the malformed-request test). The server
    # now reads a body of up to 1 MiB before answering: no answer while half of it is sent.
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    body = b"card[name]=" + b"x" * 70000
    for head, status in ((b"POST /v1/tokens", b" 413 "), (b"GET /nope", b" 404 ")):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                head + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                + f"Authorization: Bearer {SK}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body[:1000]
            )  # fmt: skip
            sock.settimeout(0.3)
            with pytest.raises(TimeoutError):
                sock.recv(65536)
            sock.settimeout(10)
            sock.sendall(body[1000:])
            assert sock.recv(65536).startswith(b"HTTP/1.1" + status)


def test_a_refused_body_is_not_invited(base_url: str) -> None:
    # A client that asks leave to send (Expect: 100-continue) gets the early 413 at once,
    # not a 100 Continue inviting a body the server has already refused.
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/tokens HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            + f"Authorization: Bearer {SK}\r\nContent-Length: 200000\r\n".encode()
            + b"Expect: 100-continue\r\n\r\n"
        )  # fmt: skip
        assert sock.recv(65536).startswith(b"HTTP/1.1 413 ")


def test_chunked_request_bodies_are_read(base_url: str) -> None:
    def gen() -> Iterator[bytes]:
        body = encode(sample_params("card", today=TODAY)).encode()
        yield body[:10]
        yield body[10:]

    response = requests.post(
        f"{base_url}/v1/tokens",
        data=gen(),
        headers={**FORM, "Authorization": f"Bearer {SK}"},
        timeout=10,
    )
    assert response.status_code == 200


# --- concurrency ------------------------------------------------------------------------------


def test_fifty_parallel_creates_make_fifty_distinct_tokens(base_url: str) -> None:
    def create(_: int) -> str:
        with requests.Session() as s:
            response = post(s, base_url, sample_params("card", today=TODAY))
        assert response.status_code == 200
        return response.json()["id"]

    with ThreadPoolExecutor(max_workers=50) as pool:
        ids = list(pool.map(create, range(50)))
    assert len(set(ids)) == 50


def _parallel_same_key(base_url: str, n: int) -> list[requests.Response]:
    barrier = threading.Barrier(n)

    def create(_: int) -> requests.Response:
        with requests.Session() as s:
            barrier.wait()
            return post(s, base_url, sample_params("pii"), **{"Idempotency-Key": "one-key"})

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(create, range(n)))


def test_twenty_parallel_requests_with_one_idempotency_key_make_one_token(
    tmp_path: Path,
) -> None:
    db = tmp_path / "idem.sqlite"
    with running_server(db=str(db), today=TODAY) as url:
        answers = _parallel_same_key(url, 20)
    ids = {r.json()["id"] for r in answers if r.status_code == 200}
    assert len(ids) == 1
    assert all(r.status_code in (200, 409) for r in answers)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM tokens").fetchone()[0] == 1


PARALLEL = 20


class HoldFirst(TokenService):
    """Holds the first create until every other request with its key was refused in flight.

    Why not a sleep: how many requests overlap a sleeping one depends on the machine's load.
    Held this way, the other nineteen arrive while the first is certainly still running.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refused = 0
        self.others_refused = asyncio.Event()

    def idempotency_reserve(self, key: Any, idem_key: str) -> None:
        try:
            super().idempotency_reserve(key, idem_key)
        except ApiError:
            self.refused += 1
            if self.refused == PARALLEL - 1:
                self.others_refused.set()
            raise

    async def execute_create(self, params: Any, key: Any, idempotency: Any) -> Any:
        # The bound only keeps a broken server from hanging the test (it then answers 500).
        await asyncio.wait_for(self.others_refused.wait(), timeout=120)
        return await super().execute_create(params, key, idempotency)


def test_concurrent_duplicates_of_a_request_in_flight_get_409(tmp_path: Path) -> None:
    db = tmp_path / "held.sqlite"
    with running_server(db=str(db), service_cls=HoldFirst, today=TODAY) as url:
        answers = _parallel_same_key(url, PARALLEL)
        replay = post(
            requests.Session(), url, sample_params("pii"), **{"Idempotency-Key": "one-key"}
        )
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(200) == 1 and statuses.count(409) == PARALLEL - 1, statuses
    winner = next(r for r in answers if r.status_code == 200)
    conflict = next(r for r in answers if r.status_code == 409)
    assert conflict.json()["error"]["code"] == "idempotency_key_in_use"
    assert replay.text == winner.text
    assert replay.headers["Idempotent-Replayed"] == "true"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM tokens").fetchone()[0] == 1


# --- storage on disk ------------------------------------------------------------------------------

PINNED_CREATED = 1_765_432_198


class PinnedClock(TokenService):
    """A fixed ``created``, so a short secret cannot turn up by chance inside a timestamp."""

    def now(self) -> int:
        return PINNED_CREATED


def _secret_payloads() -> list[tuple[str, dict[str, Any], list[str]]]:
    """(kind, params, secrets) for every test card, bank account and identity number."""
    out: list[tuple[str, dict[str, Any], list[str]]] = []
    # Distinctive CVCs: 4 digits where the brand takes 4 (Amex), else 3.
    pool = ["7391", "8462", "6284", "5195", "7306", "8417", "9528", "3719"]
    for i, card in enumerate(TEST_CARDS):
        cvc = pool[i % len(pool)]
        cvc = cvc if 4 in cvc_lengths_for(card.number) else cvc[:3]
        params = {
            "card": {"number": card.number, "exp_month": "12", "exp_year": "2031", "cvc": cvc}
        }
        out.append(("card", params, [card.number, cvc]))
    for account in TEST_BANK_ACCOUNTS:
        bank: dict[str, Any] = {
            "country": account.country,
            "currency": account.currency,
            "account_number": account.account_number,
        }
        if account.routing_number:
            bank["routing_number"] = account.routing_number
        out.append(("bank_account", {"bank_account": bank}, [account.account_number]))
    for number in TEST_ID_NUMBERS:
        out.append(("pii", {"pii": {"id_number": number}}, [number]))
        person = {**sample_params("person")["person"], "id_number": number, "ssn_last_4": "8642"}
        out.append(("person", {"person": person}, [number, "8642"]))
        account_params = sample_params("account")
        account_params["account"]["individual"]["id_number"] = number
        out.append(("account", account_params, [number]))
    out.append(("cvc_update", {"cvc_update": {"cvc": "7391"}}, ["7391"]))
    return out


def _without(blob: bytes, generated: set[str]) -> bytes:
    for text in generated:
        blob = blob.replace(text.encode(), b"")
    return blob


def test_database_file_holds_no_secrets(tmp_path: Path) -> None:
    db = tmp_path / "tokens.sqlite"
    secrets: set[str] = set()
    generated: set[str] = set()  # random ids and fingerprints: removed before grepping
    legit = []
    with running_server(db=str(db), service_cls=PinnedClock, today=TODAY) as url:
        session = requests.Session()
        for i, (kind, params, values) in enumerate(_secret_payloads()):
            for key in (SK, PK):
                response = post(session, url, params, key, **{"Idempotency-Key": f"key-{key}-x{i}"})
                assert response.status_code == 200, (kind, response.text)
                assert leaks(kind, params, response) == []
                generated.update(
                    v for f, v in string_leaves(response.json()) if f in ("id", "fingerprint")
                )
                legit.append(response.text)
            secrets.update(values)
        blob = b"".join(p.read_bytes() for p in tmp_path.iterdir())
        assert b'"livemode"' in blob  # the tokens really are in these bytes
    # Self-check of the test data: no secret occurs inside what is legitimately stored
    # (last4s, expiry, the pinned `created`) once the random strings are taken out.
    answers = _without("".join(legit).encode(), generated)
    assert [s for s in secrets if _stored(s, answers)] == []
    files = sorted(p.name for p in tmp_path.iterdir())
    assert "tokens.sqlite" in files
    blob += b"".join(p.read_bytes() for p in tmp_path.iterdir())  # after close, WAL merged
    blob = _without(blob, generated)
    assert sorted(s for s in secrets if _stored(s, blob)) == []


def _stored(secret: str, blob: bytes) -> bool:
    """``secret`` in ``blob``: anywhere for a long one; a CVC or ``ssn_last_4`` only as a
    stored value would hold it (JSON string, form value): three digits turn up by chance in
    the database's binary pages (keyed hashes, page headers) now and then."""
    raw = secret.encode()
    if len(raw) >= 8:
        return raw in blob
    return b'"' + raw + b'"' in blob or b"=" + raw + b"&" in blob or blob.endswith(b"=" + raw)


def test_tokens_survive_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "keep.sqlite")
    with running_server(db=db, today=TODAY) as url:
        created = post(requests.Session(), url, sample_params("card", today=TODAY)).json()
        idem = post(requests.Session(), url, sample_params("pii"), **{"Idempotency-Key": "r"})
    with running_server(db=db, today=TODAY) as url:
        again = requests.get(
            f"{url}/v1/tokens/{created['id']}",
            headers={"Authorization": f"Bearer {SK}"},
            timeout=10,
        )
        replay = post(requests.Session(), url, sample_params("pii"), **{"Idempotency-Key": "r"})
    assert again.status_code == 200 and again.json() == created
    assert replay.text == idem.text and replay.headers["Idempotent-Replayed"] == "true"
    with running_server(db=db, today=TODAY) as url:
        # fingerprints stay stable across restarts (the salt lives in the database)
        later = post(requests.Session(), url, sample_params("card", today=TODAY)).json()
    assert later["card"]["fingerprint"] == created["card"]["fingerprint"]


# --- schemathesis loads the app in-process ------------------------------------------------------


def test_schemathesis_loads_the_app_in_process() -> None:
    import schemathesis
    from hypothesis import given as hgiven

    from contracttk.server import create_app

    app = create_app(today=TODAY)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.update(headers={"Authorization": f"Bearer {SK}"})
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        @hgiven(operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call()
            statuses.append(response.status_code)
            assert response.status_code < 500, response.text

        run()
    assert statuses
    app.db.close()
