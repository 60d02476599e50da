"""Protocol items: auth, retrieve, id uniqueness, idempotency and malformed requests.

Each sends a few fixed requests, built from the kinds under test (``--kind``), and judges
them with the generic checks plus the protocol check it is about.
"""

from __future__ import annotations

import base64
import secrets as _secrets
from typing import Any

from contracttk.contract import (
    IDEMPOTENCY_KEY_HEADER,
    TOKENS_PATH,
    evaluate_create,
    kinds,
    parse_key,
    sample_params,
)
from contracttk.defaults import UNKNOWN_TEST_KEY

from .checks import GENERIC_CHECKS
from .checks.protocol import idempotency_replay, retrieve_consistency
from .failures import verdict
from .runner import Runner, SuiteItem

__all__ = ["ITEMS", "UNKNOWN_KEY"]

UNKNOWN_KEY = UNKNOWN_TEST_KEY


def _kinds(r: Runner, preferred: tuple[str, ...], n: int) -> list[str]:
    """Up to ``n`` kinds under test, ``preferred`` ones first."""
    chosen = [k for k in preferred if k in r.settings.kinds]
    chosen += [k for k in r.settings.kinds if k not in chosen]
    return chosen[:n]


def _token_id(resp: Any) -> str | None:
    if resp is None or not resp.ok or not isinstance(resp.json, dict):
        return None
    value = resp.json.get("id")
    return value if isinstance(value, str) and value else None


def _unissued_id(prefix: str | None = None) -> str:
    """A well-formed id no target issued (the contract's id format, a marked random part);
    a token id unless ``prefix`` says otherwise."""
    from contracttk.contract import make_id, make_token_id

    random_part = "contracttkMissing" + _secrets.token_hex(4)
    return make_token_id("card", random_part) if prefix is None else make_id(prefix, random_part)


def run_auth_no_key(r: Runner) -> None:
    """No ``Authorization`` on create and retrieve: 401."""
    for kind in _kinds(r, ("card", "pii"), 2):
        req, resp = r.send("POST", TOKENS_PATH, key=None, body=sample_params(kind), kind=kind)
        req.authorized = False
        r.judge(req, resp, GENERIC_CHECKS, extra=("auth_no_key",))
    req, resp = r.send("GET", r.retrieve_path(_unissued_id()), key=None)
    req.authorized = False
    r.judge(req, resp, GENERIC_CHECKS, extra=("auth_no_key",))


def run_auth_bad_key(r: Runner) -> None:
    """An unknown key (Bearer and Basic): 401, and the key is never echoed in full."""
    for kind in _kinds(r, ("card", "bank_account"), 2):
        req, resp = r.send("POST", TOKENS_PATH, key=UNKNOWN_KEY, body=sample_params(kind))
        req.authorized = False
        r.judge(req, resp, GENERIC_CHECKS, extra=("auth_bad_key",))
    basic = base64.b64encode(f"{UNKNOWN_KEY}:".encode()).decode()
    kind = _kinds(r, ("card",), 1)[0]
    req, resp = r.send(
        "POST",
        TOKENS_PATH,
        key=None,
        headers={"Authorization": f"Basic {basic}"},
        body=sample_params(kind),
    )
    req.authorized = False
    r.judge(req, resp, GENERIC_CHECKS, extra=("auth_bad_key",))
    req, resp = r.send("GET", r.retrieve_path(_unissued_id()), key=UNKNOWN_KEY)
    req.authorized = False
    r.judge(req, resp, GENERIC_CHECKS, extra=("auth_bad_key",))


def run_auth_publishable_retrieve(r: Runner) -> None:
    """A token created with the secret key cannot be read with the publishable key."""
    for kind in _kinds(r, ("card", "pii"), 2):
        _, resp = r.create(sample_params(kind), kind=kind)
        token = _token_id(resp)
        if token is None:
            continue
        req, resp = r.send("GET", r.retrieve_path(token), key=r.settings.publishable_key)
        req.authorized = False
        r.judge(req, resp, GENERIC_CHECKS, extra=("auth_publishable_retrieve",))


def run_auth_live_secret_key(r: Runner) -> None:
    """Live-mode rules: a live secret key cannot create account/person tokens; test cards fail.

    Only payloads the contract says must be refused under the live key are sent, so a
    conforming live target creates nothing.
    """
    from contracttk.contract import violations_for

    live = parse_key(r.settings.live_key or "")
    sent = 0
    for kind in r.settings.kinds:
        base = sample_params(kind)
        for v in violations_for(kind, include_key_rules=True):
            if v.requires is None:
                continue
            params = v.apply(base)
            if evaluate_create(params, key=live).accepted:
                continue
            r.create(params, key=r.settings.live_key, kind=kind, violation=v.name)
            sent += 1
    if not sent:
        r.result.skipped = "no live-mode rule applies to the kinds under test"


def run_retrieve_consistency(r: Runner) -> None:
    """Every kind: ``GET`` returns exactly what ``POST`` returned (bar ``used``)."""
    from hypothesis import strategies as st

    from contracttk import strategies as S

    def one(kind: str, params: Any | None) -> None:
        creq, cresp = r.create(params if params is not None else sample_params(kind), kind=kind)
        token = _token_id(cresp)
        if token is None:
            return
        req, resp = r.send("GET", r.retrieve_path(token))
        if resp is None:
            return
        r.judge(req, resp, GENERIC_CHECKS)
        found = retrieve_consistency((creq, cresp), (req, resp))
        r.record(found, {"retrieve_consistency": verdict(found)})

    for kind in r.settings.kinds:
        one(kind, None)
    chosen = st.sampled_from(r.settings.kinds)
    r.run_examples(
        chosen.flatmap(lambda k: st.tuples(st.just(k), S.params(k))),
        lambda v: one(v[0], v[1]),
        max_examples=max(6, r.max_examples // 3),
    )


def run_retrieve_unknown_id(r: Runner) -> None:
    """Ids never issued (every prefix, and a non-token shape): 404 resource_missing."""
    prefixes = sorted({p for k in kinds().values() for p in k.id_prefixes})
    for prefix in [*prefixes, "nope_"]:
        req, resp = r.send("GET", r.retrieve_path(_unissued_id(prefix)))
        r.judge(req, resp, GENERIC_CHECKS, extra=("retrieve_unknown_id",))


def run_ids_unique(r: Runner) -> None:
    """Three tokens of every kind from the same payload: every id distinct."""
    for kind in r.settings.kinds:
        for _ in range(3):
            r.create(sample_params(kind), kind=kind)


def _idem_key(label: str) -> str:
    return f"contracttk-{label}-{_secrets.token_hex(12)}"


def run_idempotency_replay(r: Runner) -> None:
    """Same key, same params: same status, body and id, with ``Idempotent-Replayed: true``."""
    for kind in _kinds(r, ("card", "bank_account", "pii"), 3):
        key = _idem_key(kind)
        first = r.create(sample_params(kind), kind=kind, headers={IDEMPOTENCY_KEY_HEADER: key})
        if first[1] is None:
            continue
        req, resp = r.send(
            "POST",
            TOKENS_PATH,
            body=sample_params(kind),
            kind=kind,
            headers={IDEMPOTENCY_KEY_HEADER: key},
        )
        if resp is None:
            continue
        # The replayed id repeats on purpose: judged without the unique-id bookkeeping.
        r.judge(req, resp, GENERIC_CHECKS, unique=False)
        found = idempotency_replay(first, (req, resp))
        r.record(
            found,
            {
                name: verdict([f for f in found if f.check == name])
                for name in ("idempotency_replay", "idempotency_replayed_header")
            },
        )


def run_idempotency_mismatch(r: Runner) -> None:
    """Same key, other params: 400 idempotency_error; a key whose first use failed validation is free."""
    kind = _kinds(r, ("card", "pii"), 1)[0]
    key = _idem_key("mismatch")
    _, resp = r.create(sample_params(kind), kind=kind, headers={IDEMPOTENCY_KEY_HEADER: key})
    if resp is not None and resp.ok:
        other = sample_params(kind)
        _change_one_value(other[kind])
        req, resp = r.send(
            "POST", TOKENS_PATH, body=other, kind=kind, headers={IDEMPOTENCY_KEY_HEADER: key}
        )
        req.authorized = False  # not a create to judge on its own: the key decides
        r.judge(req, resp, GENERIC_CHECKS, extra=("idempotency_mismatch",))
    # Parameter validation failures are not stored: the key may be retried.
    key = _idem_key("retry")
    bad = sample_params(kind)
    missing = next(iter(bad[kind]))
    del bad[kind][missing]
    if not evaluate_create(bad).accepted:
        r.create(bad, kind=kind, headers={IDEMPOTENCY_KEY_HEADER: key})
        r.create(sample_params(kind), kind=kind, headers={IDEMPOTENCY_KEY_HEADER: key})


def _change_one_value(node: dict[str, Any]) -> None:
    """Another valid payload of the same kind: one leaf swapped for another valid value."""
    if "number" in node:
        node["number"] = (
            "5555555555554444" if node["number"] != "5555555555554444" else "4242424242424242"
        )
        return
    for key, value in node.items():
        if isinstance(value, str) and value and key not in ("country", "currency"):
            node[key] = value + "0" if value.isdigit() else value + " x"
            return


def run_protocol_malformed(r: Runner) -> None:
    """Bodies and routes a client should never send: never a 5xx, always the JSON envelope."""
    r.exchange("POST", TOKENS_PATH)  # no body at all: no token kind
    for raw in (
        b"card[number=4242424242424242",
        b"card%5Bnumber%5D=%FF%FE",
        b"card[number]=4242424242424242&card[number][x]=1",
        b'{"card": {"number": "4242424242424242"}}',
        b"&&&=&card",
    ):
        r.exchange("POST", TOKENS_PATH, body=raw)
    # What a server makes of a JSON body or a 1 MiB body is its own policy: judged only
    # by the generic checks (no 5xx, JSON envelope, no secret echo).
    for body, ctype in (
        (b'{"card": {"number": "4242424242424242", "cvc": "123"}}', "application/json"),
        (b"card[name]=" + b"x" * (1100 * 1024), "application/x-www-form-urlencoded"),
    ):
        req, resp = r.send("POST", TOKENS_PATH, body=body, content_type=ctype)
        r.judge(req, resp, GENERIC_CHECKS)
    r.exchange("GET", "/v1/contracttk-unknown-route")
    r.exchange("DELETE", r.retrieve_path(_unissued_id()))
    kind = _kinds(r, ("card",), 1)[0]
    r.exchange("PUT", TOKENS_PATH, body=sample_params(kind))


ITEMS: tuple[SuiteItem, ...] = (
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
)
