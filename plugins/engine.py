"""The conformance suite: which items exist, how their cases are generated, sent and judged.

One engine, two fronts: the pytest plugin turns every :data:`SUITE` entry into a pytest
item, and ``contracttk fuzz`` runs that plugin in-process. An item is a function
``run(runner)`` over a :class:`Runner`, which sends requests (over HTTP, or in-process
to an ASGI app), judges each exchange with :mod:`.checks`, and accumulates an
:class:`ItemResult` (de-duplicated failures, warnings, per-check counts, case counts).

Generation:

* ``<kind>::valid`` / ``<kind>::invalid`` draw from :mod:`contracttk.strategies`
  (payloads built from the contract model, so most valid cases mint a token) and send
  them form-encoded with :func:`contracttk.encoding.encode`;
* ``fuzz::<operation>`` draws schemathesis cases (positive and negative modes) from the
  bundled OpenAPI document, for what the strategies did not think of; the oracle judges
  them (never a 5xx, JSON envelope, ``must_reject``, no secret echo, and full semantics
  when the oracle accepts the payload);
* the protocol items (auth, retrieve, ids, idempotency, malformed bodies) send a few
  fixed requests each.

Hypothesis drives every generated item with an explicit seed (``seed ^ crc32(item)``), no
shrinking, and collects every failure instead of stopping at the first: a conformance
run should list all that is wrong, each with its smallest reproducing curl command.
"""

from __future__ import annotations

import secrets as _secrets
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from contracttk.contract import KIND_NAMES, Strength, evaluate_create, parse_key, sample_params
from contracttk.defaults import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY

from . import checks as C

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "SUITE",
    "ClientTarget",
    "ItemResult",
    "Runner",
    "SuiteItem",
    "Target",
    "TargetDownError",
    "item_names",
    "preflight",
    "register_schemathesis",
    "run_item",
    "stripe_form_bytes",
    "timeout_problem",
    "url_problem",
]

# Per generated item (fuzz items: twice this, half positive, half negative). Measured on a
# 2-core machine: the default `contracttk fuzz` run against the embedded reference server
# takes ~16 s (about 1900 requests); 100 took ~20 s. 60 leaves room for a loaded machine
# within the 60 s budget.
DEFAULT_MAX_EXAMPLES = 60
# Consecutive transport failures after which the target is declared down.
MAX_TRANSPORT_ERRORS = 3
PREFLIGHT_TIMEOUT = 5.0
MAX_FUZZ_URL = 4096  # longer generated URLs are not sent (see _fuzz)
MIN_TIMEOUT = 0.1  # seconds; below this every request of a real target would time out


class TargetDownError(Exception):
    """The target stopped answering (connection refused, reset, timeouts)."""


@dataclass
class Target:
    """Where the suite sends its requests, and with which keys."""

    base_url: str
    api_key: str = DEFAULT_SECRET_KEY
    publishable_key: str | None = DEFAULT_PUBLISHABLE_KEY
    live_key: str | None = None
    app: Any = None
    """An ASGI app: when set, requests go in-process (``base_url`` is then only a label)."""
    timeout: float = 10.0

    def session(self) -> Any:
        """A ``requests.Session`` reaching the target (an in-process one for an ASGI app)."""
        if self.app is not None:
            # schemathesis ships a requests-compatible in-process ASGI client; reusing it
            # keeps one transport path (requests) for HTTP and in-process runs alike.
            from schemathesis.python.asgi import ASGIClient

            return ASGIClient(self.app)
        from urllib.parse import urlsplit

        import requests

        session = requests.Session()
        if urlsplit(self.base_url).hostname in ("127.0.0.1", "localhost", "::1"):
            # requests scans the environment for proxy settings on every request (about a
            # millisecond each); a loopback target never goes through a proxy.
            session.trust_env = False
        return session

    @property
    def url(self) -> str:
        """The base URL requests are built on."""
        return "http://testserver" if self.app is not None else self.base_url.rstrip("/")


# --- results -------------------------------------------------------------------------------


@dataclass
class ItemResult:
    """What one item found: failures (hard), warnings, per-check verdict counts, case counts."""

    name: str
    failures: dict[tuple[Any, ...], C.Failure] = field(default_factory=dict)
    occurrences: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    checks: dict[str, Counter[str]] = field(default_factory=dict)
    cases: int = 0
    positive: int = 0
    positive_created: int = 0
    skipped: str | None = None
    seed: int | None = None
    down: str | None = None
    """Set when the target stopped answering during this item (the run should stop)."""

    def add(self, failures: list[C.Failure], verdicts: Mapping[str, str]) -> None:
        """Record one exchange's failures and check verdicts."""
        for name, verdict in verdicts.items():
            self.checks.setdefault(name, Counter())[verdict] += 1
        for f in failures:
            key = f.key
            self.occurrences[key] += 1
            old = self.failures.get(key)
            # Keep the smallest reproduction of each distinct failure (measured on the raw
            # request: building a redacted curl line per occurrence cost seconds).
            if old is None or _request_size(f) < _request_size(old):
                self.failures[key] = f

    @property
    def hard(self) -> list[C.Failure]:
        """Distinct hard failures."""
        return [f for f in self.failures.values() if not f.is_warning]

    @property
    def warnings(self) -> list[C.Failure]:
        """Distinct warnings."""
        return [f for f in self.failures.values() if f.is_warning]

    def to_json(self) -> dict[str, Any]:
        """A JSON-able summary (redacted), carried on pytest reports (also across xdist)."""

        def rec(f: C.Failure) -> dict[str, Any]:
            d = f.to_json()
            d["item"] = self.name
            d["occurrences"] = self.occurrences[f.key]
            return d

        return {
            "name": self.name,
            "cases": self.cases,
            "positive": self.positive,
            "positive_created": self.positive_created,
            "checks": {k: dict(v) for k, v in sorted(self.checks.items())},
            "failures": [rec(f) for f in self.hard],
            "warnings": [rec(f) for f in self.warnings],
            "skipped": self.skipped,
            "target_down": self.down,
            "seed": self.seed,
        }


def _request_size(f: C.Failure) -> int:
    req = f.request
    if req is None:
        return 0
    return len(req.url) + len(req.body or b"") + sum(len(str(v)) for v in req.headers.values())


# --- sending and judging ---------------------------------------------------------------------


def stripe_form_bytes(body: Any) -> bytes | None:
    """Stripe-style form bytes of any generated body (also the schemathesis serializer).

    Mappings go through :func:`contracttk.encoding.encode`; what it refuses (keys with
    brackets, odd leaf types from negative generation) is flattened permissively so the
    fuzzer's oddities still reach the server.
    """
    from urllib.parse import urlencode

    from contracttk.encoding import EncodingError, encode

    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    if isinstance(body, Mapping):
        try:
            return encode(body).encode("utf-8")
        except EncodingError:
            pairs: list[tuple[str, str]] = []
            _flatten_loose(body, "", pairs)
            return urlencode(pairs).encode("utf-8", "surrogatepass")
    if isinstance(body, list):
        pairs = []
        _flatten_loose({str(i): v for i, v in enumerate(body)}, "", pairs)
        return urlencode(pairs).encode("utf-8", "surrogatepass")
    if isinstance(body, bool):
        return b"true" if body else b"false"
    return str(body).encode("utf-8", "surrogatepass")


def _flatten_loose(value: Any, prefix: str, out: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        if not value and prefix:
            out.append((prefix, ""))
        for k, v in value.items():
            _flatten_loose(v, f"{prefix}[{k}]" if prefix else str(k), out)
    elif isinstance(value, (list, tuple)):
        if not value and prefix:
            out.append((prefix, ""))
        for i, v in enumerate(value):
            _flatten_loose(v, f"{prefix}[{i}]", out)
    elif isinstance(value, bool):
        out.append((prefix, "true" if value else "false"))
    elif value is None:
        out.append((prefix, ""))
    else:
        out.append((prefix, str(value)))


_KEEP = object()


class Runner:
    """Sends one item's requests, judges each exchange, accumulates the item's result."""

    def __init__(self, target: Target, result: ItemResult, *, max_examples: int, seed: int):
        self.target = target
        self.result = result
        self.max_examples = max_examples
        self.seed = seed
        self.session = target.session()
        self.unique = C.UniqueIds()
        self._transport_errors = 0

    # -- low level --------------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        key: Any = _KEEP,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | None = None,
        kind: str | None = None,
        violation: str | None = None,
        authorized: bool = True,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> tuple[C.RequestInfo, C.ResponseInfo | None]:
        """Send one request; the response is None on a transport error (already recorded).

        ``key`` defaults to the target's secret key; None sends no ``Authorization``.
        ``body`` may be a mapping (Stripe form-encoded), bytes or str.
        """
        import requests

        api_key = self.target.api_key if key is _KEEP else key
        hdrs: dict[str, str] = {}
        if api_key is not None:
            hdrs["Authorization"] = f"Bearer {api_key}"
        data = stripe_form_bytes(body) if body is not None else None
        if data is not None:
            hdrs["Content-Type"] = content_type
        hdrs.update(headers or {})
        url = self.target.url + path
        if query:
            url += "?" + (stripe_form_bytes(dict(query)) or b"").decode("utf-8", "replace")
        try:
            prepared = requests.Request(method, url, headers=hdrs, data=data).prepare()
        except (ValueError, UnicodeError) as err:
            # The client library refuses the request (bad header bytes): nothing to judge.
            raise _Unsendable(str(err)) from None
        req = C.RequestInfo(
            method=method,
            url=prepared.url or url,
            headers=dict(prepared.headers),
            body=_as_bytes(prepared.body),
            kind=kind,
            violation=violation,
            authorized=authorized,
        )
        try:
            raw = self.session.send(
                prepared, timeout=(PREFLIGHT_TIMEOUT, self.target.timeout), allow_redirects=False
            )
        except requests.RequestException as err:
            self._transport_error(req, err)
            return req, None
        self._transport_errors = 0
        resp = C.ResponseInfo(
            status=raw.status_code,
            headers=dict(raw.headers),
            body=raw.content or b"",
            elapsed=raw.elapsed.total_seconds() if raw.elapsed else 0.0,
        )
        self.result.cases += 1
        return req, resp

    def _transport_error(self, req: C.RequestInfo, err: Exception) -> None:
        self._transport_errors += 1
        what = type(err).__name__
        self.result.add(
            [
                C.Failure(
                    "responds",
                    f"no HTTP answer: {what}: {str(err)[:200]}",
                    Strength.HARD,
                    req.kind,
                    req.violation,
                    req,
                    None,
                    signature=what,
                )
            ],
            {"responds": "failed"},
        )
        if self._transport_errors >= MAX_TRANSPORT_ERRORS:
            raise TargetDownError(
                f"the target stopped answering ({what} on {MAX_TRANSPORT_ERRORS} requests in a row)"
            )

    def judge(
        self,
        req: C.RequestInfo,
        resp: C.ResponseInfo | None,
        names: tuple[str, ...] | None = None,
        extra: Callable[[C.RequestInfo, C.ResponseInfo], list[C.Failure]] | None = None,
        extra_name: str | None = None,
    ) -> None:
        """Judge one exchange with the generic (+ create) checks and an optional extra one."""
        if resp is None:
            return
        failures, verdicts = C.judge(req, resp, names)
        if extra is not None:
            found = extra(req, resp)
            failures += found
            verdicts[extra_name or getattr(extra, "__name__", "extra")] = C.verdict(found)
        if req.is_create and resp.ok:
            found = self.unique.observe(req, resp)
            failures += found
            verdicts["unique_ids"] = C.verdict(found)
        ev = req.evaluation if req.is_create and req.authorized else None
        if ev is not None and ev.accepted:
            self.result.positive += 1
            if resp.ok:
                self.result.positive_created += 1
        self.result.add(failures, verdicts)

    def exchange(self, method: str, path: str, **kw: Any) -> tuple[C.RequestInfo, Any]:
        """Send and judge with the default checks; returns the exchange."""
        req, resp = self.send(method, path, **kw)
        self.judge(req, resp)
        return req, resp

    def create(self, params: Any, **kw: Any) -> tuple[C.RequestInfo, Any]:
        """``POST /v1/tokens`` with ``params``, judged by the generic and create checks."""
        return self.exchange("POST", "/v1/tokens", body=params, **kw)

    def retrieve_path(self, token_id: str) -> str:
        """The path of ``GET /v1/tokens/{token_id}``."""
        return "/v1/tokens/" + quote(token_id, safe="")

    # -- Hypothesis -------------------------------------------------------------------------

    def run_examples(
        self, strategy: Any, fn: Callable[[Any], None], *, max_examples: int | None = None
    ) -> None:
        """Run ``fn`` on ``max_examples`` values of ``strategy``, seeded, without shrinking."""
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import seed as hseed

        item_seed = (self.seed ^ zlib.crc32(self.result.name.encode())) & 0xFFFFFFFF

        @hseed(item_seed)
        @settings(
            max_examples=max_examples or self.max_examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            # No shrinking: failures are collected (not raised), each kept with its
            # smallest reproduction; only a dead target stops the loop.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            report_multiple_bugs=False,
            print_blob=False,
        )
        @given(strategy)
        def loop(value: Any) -> None:
            try:
                fn(value)
            except _Unsendable:
                return

        loop()


class _Unsendable(Exception):
    """A generated request the HTTP client cannot even build (not the server's fault)."""


def _as_bytes(body: Any) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    return bytes(body)


# --- the suite -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuiteItem:
    """One pytest item: its name, what it needs from the target, and its body."""

    name: str
    run: Callable[[Runner], None]
    needs: str | None = None
    """``publishable`` / ``live``: skipped when the target has no such key."""
    description: str = ""


def _keys_for_create(target: Target) -> list[str]:
    keys = [target.api_key]
    if target.publishable_key:
        keys.append(target.publishable_key)
    return keys


def documented_payloads(kind: str) -> list[dict[str, Any]]:
    """Valid payloads for every documented test value of ``kind`` (cards, bank accounts).

    Sent before the generated ones, so every documented brand and country is covered
    whatever the seed (the facts pinned for test values are the hard ones).
    """
    from contracttk.contract.domain import bank_accounts, cvc_lengths_for, test_cards

    out: list[dict[str, Any]] = []
    if kind == "card":
        for card in test_cards():
            params = sample_params("card")
            params["card"]["number"] = card.number
            params["card"]["cvc"] = "1234"[: (cvc_lengths_for(card.number) or (3,))[0]]
            out.append(params)
        # Non-ASCII holder data, whatever the seed: a classic crash (legacy ASCII fields).
        unicode_card = sample_params("card")
        unicode_card["card"].update(
            name="José Jäggi-斉藤",
            address_line1="Straße 1",
            address_city="Zürich",
            address_country="CH",
        )
        out.append(unicode_card)
    elif kind == "bank_account":
        for bank in bank_accounts():
            fields = {
                "country": bank.country,
                "currency": bank.currency,
                "account_number": bank.account_number,
                "routing_number": bank.routing_number,
            }
            params = {"bank_account": {k: v for k, v in fields.items() if v is not None}}
            if evaluate_create(params).accepted:
                out.append(params)
    return out


def _valid(kind: str) -> Callable[[Runner], None]:
    def run(r: Runner) -> None:
        from hypothesis import strategies as st

        from contracttk import strategies as S

        for params in documented_payloads(kind):
            r.create(params, kind=kind)
        strategy = st.tuples(S.params(kind), st.sampled_from(_keys_for_create(r.target)))

        def one(value: tuple[Any, str]) -> None:
            payload, key = value
            r.create(payload, key=key, kind=kind)

        r.run_examples(strategy, one)

    return run


def _invalid(kind: str) -> Callable[[Runner], None]:
    def run(r: Runner) -> None:
        from hypothesis import strategies as st

        from contracttk import strategies as S
        from contracttk.contract import violations_for

        # Every catalogue entry once, on the kind's sample payload: deterministic coverage
        # of the whole catalogue; then Hypothesis varies the base payloads and entries.
        base = sample_params(kind)
        for v in violations_for(kind):
            r.create(v.apply(base), kind=kind, violation=v.name)

        strategy = st.tuples(S.invalid_params(kind), st.sampled_from(_keys_for_create(r.target)))

        def one(value: tuple[Any, str]) -> None:
            bad, key = value
            r.create(bad.params, key=key, kind=kind, violation=bad.violation)

        r.run_examples(strategy, one)

    return run


def _created(r: Runner, kind: str, params: Any | None = None) -> tuple[Any, Any]:
    req, resp = r.create(params if params is not None else sample_params(kind), kind=kind)
    return req, resp


def _token_id(resp: Any) -> str | None:
    if resp is None or not resp.ok or not isinstance(resp.json, dict):
        return None
    value = resp.json.get("id")
    return value if isinstance(value, str) and value else None


def run_auth_no_key(r: Runner) -> None:
    """No ``Authorization`` on create and retrieve: 401."""
    for kind in ("card", "pii"):
        req, resp = r.send("POST", "/v1/tokens", key=None, body=sample_params(kind), kind=kind)
        req.authorized = False
        r.judge(req, resp, C.GENERIC_CHECKS, C.auth_no_key, "auth_no_key")
    req, resp = r.send("GET", r.retrieve_path("tok_" + "0" * 24), key=None)
    req.authorized = False
    r.judge(req, resp, C.GENERIC_CHECKS, C.auth_no_key, "auth_no_key")


def _bad_key(live: bool = False) -> str:
    return ("sk_live_" if live else "sk_test_") + "contracttkBad" + _secrets.token_hex(8)


def run_auth_bad_key(r: Runner) -> None:
    """An unknown key (Bearer and Basic): 401, and the key is never echoed in full."""
    import base64

    for kind in ("card", "bank_account"):
        req, resp = r.send("POST", "/v1/tokens", key=_bad_key(), body=sample_params(kind))
        req.authorized = False
        r.judge(req, resp, C.GENERIC_CHECKS, C.auth_bad_key, "auth_bad_key")
    bad = _bad_key()
    basic = base64.b64encode(f"{bad}:".encode()).decode()
    req, resp = r.send(
        "POST",
        "/v1/tokens",
        key=None,
        headers={"Authorization": f"Basic {basic}"},
        body=sample_params("card"),
    )
    req.authorized = False
    r.judge(req, resp, C.GENERIC_CHECKS, C.auth_bad_key, "auth_bad_key")
    req, resp = r.send("GET", r.retrieve_path("tok_" + "0" * 24), key=_bad_key())
    req.authorized = False
    r.judge(req, resp, C.GENERIC_CHECKS, C.auth_bad_key, "auth_bad_key")


def run_auth_publishable_retrieve(r: Runner) -> None:
    """A token created with the secret key cannot be read with the publishable key."""
    for kind in ("card", "pii"):
        _, resp = _created(r, kind)
        token = _token_id(resp)
        if token is None:
            continue
        req, resp = r.send("GET", r.retrieve_path(token), key=r.target.publishable_key)
        req.authorized = False
        r.judge(
            req, resp, C.GENERIC_CHECKS, C.auth_publishable_retrieve, "auth_publishable_retrieve"
        )


def run_auth_live_secret_key(r: Runner) -> None:
    """Live-mode rules: a live secret key cannot create account/person tokens; test cards fail.

    Only payloads the contract says must be refused under the live key are sent, so a
    conforming live target creates nothing.
    """
    from contracttk.contract import violations_for

    live = parse_key(r.target.live_key or "")
    for kind in KIND_NAMES:
        base = sample_params(kind)
        for v in violations_for(kind, include_key_rules=True):
            if v.requires is None:
                continue
            params = v.apply(base)
            if evaluate_create(params, key=live).accepted:
                continue
            r.create(params, key=r.target.live_key, kind=kind, violation=v.name)


def run_retrieve_consistency(r: Runner) -> None:
    """Every kind: ``GET`` returns exactly what ``POST`` returned (bar ``used``)."""
    from hypothesis import strategies as st

    from contracttk import strategies as S

    def one(kind: str, params: Any | None) -> None:
        creq, cresp = _created(r, kind, params)
        token = _token_id(cresp)
        if token is None:
            return
        req, resp = r.send("GET", r.retrieve_path(token))
        r.judge(
            req,
            resp,
            C.GENERIC_CHECKS,
            lambda q, s: C.retrieve_consistency((creq, cresp), (q, s)),
            "retrieve_consistency",
        )

    for kind in KIND_NAMES:
        one(kind, None)
    kinds = st.sampled_from(KIND_NAMES)
    r.run_examples(
        kinds.flatmap(lambda k: st.tuples(st.just(k), S.params(k))),
        lambda v: one(v[0], v[1]),
        max_examples=max(6, r.max_examples // 3),
    )


def run_retrieve_unknown_id(r: Runner) -> None:
    """Ids never issued (every prefix, and a non-token shape): 404 resource_missing."""
    from contracttk.contract import kinds

    prefixes = sorted({p for k in kinds().values() for p in k.id_prefixes})
    for prefix in [*prefixes, "nope_"]:
        token = prefix + "contracttkMissing" + _secrets.token_hex(4)
        req, resp = r.send("GET", r.retrieve_path(token))
        r.judge(req, resp, C.GENERIC_CHECKS, C.retrieve_unknown_id, "retrieve_unknown_id")


def run_ids_unique(r: Runner) -> None:
    """Three tokens of every kind from the same payload: every id distinct."""
    for kind in KIND_NAMES:
        for _ in range(3):
            _created(r, kind)


def _idem_key(kind: str) -> str:
    return f"contracttk-{kind}-{_secrets.token_hex(12)}"


def run_idempotency_replay(r: Runner) -> None:
    """Same key, same params: same status, body and id, with ``Idempotent-Replayed: true``."""
    for kind in ("card", "bank_account", "pii"):
        key = _idem_key(kind)
        first = r.create(sample_params(kind), kind=kind, headers={"Idempotency-Key": key})
        if first[1] is None:
            continue
        req, resp = r.send(
            "POST",
            "/v1/tokens",
            body=sample_params(kind),
            kind=kind,
            headers={"Idempotency-Key": key},
        )
        # The replayed id repeats on purpose: judge without the unique-id bookkeeping.
        if resp is None:
            continue
        failures, verdicts = C.judge(req, resp, C.GENERIC_CHECKS)
        found = C.idempotency_replay(first, (req, resp))
        failures += found
        for name in ("idempotency_replay", "idempotency_replayed_header"):
            verdicts[name] = C.verdict([f for f in found if f.check == name])
        r.result.add(failures, verdicts)


def run_idempotency_mismatch(r: Runner) -> None:
    """Same key, other params: 400 idempotency_error; a key whose first use failed validation is free."""
    key = _idem_key("mismatch")
    _, resp = r.create(sample_params("card"), kind="card", headers={"Idempotency-Key": key})
    if resp is not None and resp.ok:
        other = sample_params("card")
        other["card"]["number"] = "5555555555554444"
        req, resp = r.send(
            "POST", "/v1/tokens", body=other, kind="card", headers={"Idempotency-Key": key}
        )
        req.authorized = False  # not a create to judge on its own: the key decides
        r.judge(req, resp, C.GENERIC_CHECKS, C.idempotency_mismatch_check, "idempotency_mismatch")
    # [DOC] parameter validation failures are not stored: the key may be retried.
    key = _idem_key("retry")
    bad = sample_params("card")
    del bad["card"]["number"]
    r.create(bad, kind="card", headers={"Idempotency-Key": key})
    r.create(sample_params("card"), kind="card", headers={"Idempotency-Key": key})


def run_protocol_malformed(r: Runner) -> None:
    """Bodies and routes a client should never send: never a 5xx, always the JSON envelope."""
    r.exchange("POST", "/v1/tokens")  # no body at all: no token kind
    for raw in (
        b"card[number=4242424242424242",
        b"card%5Bnumber%5D=%FF%FE",
        b"card[number]=4242424242424242&card[number][x]=1",
        b'{"card": {"number": "4242424242424242"}}',
        b"&&&=&card",
    ):
        r.exchange("POST", "/v1/tokens", body=raw)
    # What a server makes of a JSON body or a 1 MiB body is its own policy: judged only
    # by the generic checks (no 5xx, JSON envelope, no secret echo).
    for body, ctype in (
        (b'{"card": {"number": "4242424242424242"}}', "application/json"),
        (b"card[name]=" + b"x" * (1100 * 1024), "application/x-www-form-urlencoded"),
    ):
        req, resp = r.send("POST", "/v1/tokens", body=body, content_type=ctype)
        r.judge(req, resp, C.GENERIC_CHECKS)
    r.exchange("GET", "/v1/contracttk-unknown-route")
    r.exchange("DELETE", r.retrieve_path("tok_contracttk"))
    r.exchange("PUT", "/v1/tokens", body=sample_params("card"))


def _fuzz_schema(r: Runner) -> Any:
    import schemathesis

    from contracttk.schemas import openapi_document

    register_schemathesis()
    schema = schemathesis.openapi.from_dict(openapi_document())
    schema.config.update(base_url=r.target.url)
    return schema


def _send_case(r: Runner, case: Any, path: str) -> None:
    """Send one schemathesis-generated case (any method) and judge it with the generic checks."""
    method = case.method.upper()
    body = case.body if isinstance(case.body, (dict, list, str, bytes, int, float)) else None
    if isinstance(body, (int, float)) and not isinstance(body, bool):
        body = str(body)
    query = case.query if isinstance(case.query, dict) and case.query else None
    # schemathesis percent-encodes path parameters itself.
    target_path = case.formatted_path if case.path_parameters else path
    query_len = len(stripe_form_bytes(dict(query)) or b"") if query else 0
    if len(target_path) + query_len > MAX_FUZZ_URL:
        # Multi-kilobyte URLs meet the HTTP layer's limits (414/431 or a plain-text
        # 400 from the server library), not the API contract: not judged.
        return
    r.exchange(
        method,
        target_path,
        body=body if method == "POST" else None,
        query=query if method != "POST" else None,
    )


def _fuzz(method: str, path: str) -> Callable[[Runner], None]:
    def run(r: Runner) -> None:
        from hypothesis import strategies as st
        from schemathesis import GenerationMode

        op = _fuzz_schema(r)[path][method]
        strategy = st.one_of(
            op.as_strategy(generation_mode=GenerationMode.POSITIVE),
            op.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )
        # Positive and negative cases share the budget, twice the per-item examples.
        r.run_examples(
            strategy, lambda case: _send_case(r, case, path), max_examples=2 * r.max_examples
        )

    return run


COVERAGE_CASES_MAX = 3000
"""Cap on schemathesis coverage-phase cases per operation (POST /v1/tokens yields ~2,350)."""


def _coverage(method: str, path: str) -> Callable[[Runner], None]:
    """schemathesis's coverage phase: boundary values, missing/extra keys, other methods.

    The cases are deterministic (derived from the bundled schema, not from the seed); every
    one is judged by the oracle (expected error or acceptance), the envelope and secret
    checks, so schema corners we did not write rules for are still exercised.
    """

    def run(r: Runner) -> None:
        import itertools

        from schemathesis import GenerationMode

        schema = _fuzz_schema(r)
        op = schema[path][method]
        cases = schema.iter_coverage_cases(
            op,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=schema.config.generation_for(operation=op),
        )
        for case in itertools.islice(cases, COVERAGE_CASES_MAX):
            _send_case(r, case, path)

    return run


SUITE: tuple[SuiteItem, ...] = (
    *(
        item
        for kind in KIND_NAMES
        for item in (
            SuiteItem(f"{kind}::valid", _valid(kind), description=f"valid {kind} payloads"),
            SuiteItem(f"{kind}::invalid", _invalid(kind), description=f"invalid {kind} payloads"),
        )
    ),
    SuiteItem("auth::no_key", run_auth_no_key),
    SuiteItem("auth::bad_key", run_auth_bad_key),
    SuiteItem("auth::publishable_retrieve", run_auth_publishable_retrieve, needs="publishable"),
    SuiteItem("auth::live_secret_key", run_auth_live_secret_key, needs="live"),
    SuiteItem("retrieve::consistency", run_retrieve_consistency),
    SuiteItem("retrieve::unknown_id", run_retrieve_unknown_id),
    SuiteItem("ids::unique", run_ids_unique),
    SuiteItem("idempotency::replay", run_idempotency_replay),
    SuiteItem("idempotency::mismatch", run_idempotency_mismatch),
    SuiteItem("protocol::malformed", run_protocol_malformed),
    SuiteItem("fuzz::POST /v1/tokens", _fuzz("POST", "/v1/tokens")),
    SuiteItem("fuzz::GET /v1/tokens/{token}", _fuzz("GET", "/v1/tokens/{token}")),
    SuiteItem("coverage::POST /v1/tokens", _coverage("POST", "/v1/tokens")),
    SuiteItem("coverage::GET /v1/tokens/{token}", _coverage("GET", "/v1/tokens/{token}")),
)


def item_names() -> list[str]:
    """Every item name, in suite order (identical on every xdist worker)."""
    return [item.name for item in SUITE]


def run_item(name: str, target: Target, *, max_examples: int, seed: int) -> ItemResult:
    """Run the suite item ``name`` against ``target`` and return what it found.

    When the target stops answering mid-item, the result's ``down`` says so (and its
    ``responds`` failures show the requests that got no answer).
    """
    item = next(i for i in SUITE if i.name == name)
    result = ItemResult(name, seed=seed)
    if item.needs == "publishable" and not target.publishable_key:
        result.skipped = "no publishable key given (--contracttk-publishable-key)"
        return result
    if item.needs == "live" and not target.live_key:
        result.skipped = "no live secret key given (--contracttk-live-key)"
        return result
    runner = Runner(target, result, max_examples=max_examples, seed=seed)
    try:
        item.run(runner)
    except TargetDownError as err:
        result.down = str(err)
    except Exception as err:
        # Hypothesis may wrap it (e.g. in a flaky-failure group when the target died
        # mid-example); anything else is a bug of ours and propagates.
        down = _find_down(err)
        if down is None:
            raise
        result.down = str(down)
    finally:
        runner.session.close()
    return result


def _find_down(err: BaseException, depth: int = 0) -> TargetDownError | None:
    if isinstance(err, TargetDownError):
        return err
    if depth > 5:
        return None
    for sub in (*getattr(err, "exceptions", ()), err.__cause__, err.__context__):
        if isinstance(sub, BaseException):
            found = _find_down(sub, depth + 1)
            if found is not None:
                return found
    return None


# --- schemathesis wiring ---------------------------------------------------------------------

_SERIALIZER_REGISTERED = False


def register_schemathesis() -> None:
    """Register the Stripe form serializer (and our checks) with schemathesis; idempotent.

    After this, ``case.call()`` and ``case.as_curl_command()`` of any schemathesis run in
    the process send bodies exactly as Stripe's clients do (``expand[0]=...``,
    ``card[number]=...``, ``true``/``false``), via :func:`contracttk.encoding.encode`.
    """
    global _SERIALIZER_REGISTERED
    if _SERIALIZER_REGISTERED:
        return
    import schemathesis

    @schemathesis.serializer("application/x-www-form-urlencoded")
    def stripe_form(ctx: Any, value: Any) -> bytes | None:
        # `value` was already flattened per the OpenAPI `encoding`; the case body was not.
        return stripe_form_bytes(ctx.case.body)

    C.register_schemathesis_checks()
    _SERIALIZER_REGISTERED = True


# --- pre-flight -----------------------------------------------------------------------------


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a target's base URL (one line), or None for an http(s) URL.

    The one check both fronts use before anything is sent (``contracttk fuzz URL`` and
    ``pytest --contracttk-url URL``): a typo is a usage error, not an untestable target.
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as err:
        return f"URL {url!r} is not a valid URL ({err})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"URL {url!r} is not an http(s) URL"
    return None


def timeout_problem(seconds: float) -> str | None:
    """Why ``seconds`` cannot be the per-request timeout (one line), or None when usable."""
    import math

    if not math.isfinite(seconds) or seconds < MIN_TIMEOUT:
        return f"the timeout must be a finite number of seconds >= {MIN_TIMEOUT:g}, got {seconds:g}"
    return None


def preflight(base_url: str, api_key: str | None, *, timeout: float | None = None) -> str | None:
    """Can ``base_url`` be tested at all? None if so, else one line saying why not.

    Sends ``POST /v1/tokens`` with no body (and, if that answers something other than
    JSON, ``GET /v1/tokens/tok_contracttk_probe``): unreachable, not HTTP, hanging, or
    non-JSON answers to both make the target untestable, and so does a 401 to both when
    ``api_key`` is given (a wrong key would fail every item). Bounded: at most about
    ``3 * timeout`` seconds whatever the target does (even trickling bytes forever).
    """
    import threading

    timeout = PREFLIGHT_TIMEOUT if timeout is None else timeout
    outcome: list[str | None] = []
    # A daemon thread, so a target that trickles bytes forever cannot hold us (or the
    # interpreter's exit) beyond the deadline.
    probe = threading.Thread(
        target=lambda: outcome.append(_probe(base_url, api_key, timeout)),
        name="contracttk-preflight",
        daemon=True,
    )
    probe.start()
    probe.join(3 * timeout)
    if not outcome:
        return f"{base_url} did not finish answering within {3 * timeout:g} s"
    # One line whatever the target sent back (a banner may carry CR/LF).
    return " ".join(outcome[0].split()) if outcome[0] is not None else None


def _probe(base_url: str, api_key: str | None, timeout: float) -> str | None:
    import requests

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    base = base_url.rstrip("/")
    probes = (("POST", base + "/v1/tokens"), ("GET", base + "/v1/tokens/tok_contracttk_probe"))
    last = ""
    refused = 0
    with requests.Session() as session:
        for method, url in probes:
            try:
                resp = session.request(
                    method, url, headers=headers, timeout=(timeout, timeout), allow_redirects=False
                )
            except requests.exceptions.ConnectTimeout:
                return f"{base_url} did not accept a connection within {timeout:g} s"
            except requests.exceptions.ReadTimeout:
                return f"{base_url} accepted the connection but sent no answer within {timeout:g} s"
            except requests.exceptions.InvalidURL as err:
                return f"{base_url} is not a usable URL ({err})"
            except requests.exceptions.ConnectionError as err:
                reason = _root_cause(err)
                return f"{base_url} is unreachable or does not speak HTTP ({reason})"
            except requests.RequestException as err:
                return f"{base_url} could not be probed ({type(err).__name__})"
            ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
            try:
                resp.json()
                is_json = True
            except ValueError:
                is_json = False
            json_answer = is_json and (ctype == "application/json" or ctype.endswith("+json"))
            if json_answer and api_key and resp.status_code == 401:
                # One 401 could be a route's own rule: ask the other probe before deciding.
                refused += 1
                continue
            if json_answer:
                return None
            shown = ctype or "without a content type"
            last = f"{method} {url.removeprefix(base)} answered {resp.status_code} {shown}"
    if api_key and refused == len(probes):
        from contracttk.contract import mask_key

        return f"the target refuses the API key {mask_key(api_key)} (401 on every request)"
    if refused:
        return None  # one probe refused the key, the other answered JSON: testable
    return f"{base_url} does not answer JSON ({last}); is it a Stripe-like /v1/tokens API?"


def _root_cause(err: BaseException) -> str:
    seen: set[int] = set()
    cur: BaseException | None = err
    last = err
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        last = cur
        cur = (
            cur.__cause__
            or cur.__context__
            or (cur.args[0] if cur.args and isinstance(cur.args[0], BaseException) else None)
        )
    text = str(last)
    if "Errno" in text:
        text = text[text.index("[Errno") :] if "[Errno" in text else text
    return (type(last).__name__ + ": " + text)[:160]


@dataclass
class ClientTarget:
    """What the ``contracttk_target`` fixture gives test authors."""

    base_url: str
    api_key: str
    publishable_key: str | None
    live_key: str | None
    seed: int
    session: Any
    """A ``requests.Session`` that sends ``Authorization: Bearer <api_key>``."""
    timeout: float = 10.0

    def url(self, path: str) -> str:
        """``base_url`` + ``path``."""
        return self.base_url.rstrip("/") + path
