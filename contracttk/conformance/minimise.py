"""Minimising examples: drop what a failing request does not need, while it still fails alike.

For a failed ``POST /v1/tokens`` with a decodable body, optional parameters (whole
sub-hashes first, then single leaves and list items) are removed one at a time; a removal
is kept when the smaller request fails with the same cause (check, rule family, what went
wrong, same status/type/code). Bounded: a few attempts per example and per item, so a
target with hundreds of failures costs a fixed handful of extra requests; requests with an
``Idempotency-Key`` (their meaning is the key's history) are left as they are.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Mapping
from typing import Any

from contracttk.encoding import encode_loose

from .exchange import RequestInfo
from .failures import Failure
from .registry import CHECKS
from .results import ItemResult, slim
from .settings import Settings
from .transport import Target, TransportError, Unsendable, open_transport

__all__ = ["ATTEMPTS_PER_EXAMPLE", "ATTEMPTS_PER_ITEM", "PER_CAUSE", "minimise_examples"]

ATTEMPTS_PER_EXAMPLE = 6
ATTEMPTS_PER_ITEM = 60
PER_CAUSE = 2


def _paths(params: Mapping[str, Any], keep: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Removable paths, biggest first: top-level keys, then each hash's keys, list items last."""
    frontier: list[tuple[tuple[str, ...], Any]] = [((), params)]
    while frontier:
        nxt: list[tuple[tuple[str, ...], Any]] = []
        for path, node in frontier:
            items = (
                node.items()
                if isinstance(node, Mapping)
                else enumerate(node)
                if isinstance(node, list)
                else ()
            )
            for key, child in items:
                sub = (*path, str(key))
                if sub == keep[: len(sub)]:
                    nxt.append((sub, child))  # on the way to the broken parameter: go inside
                    continue
                if not path and key in (
                    "card",
                    "bank_account",
                    "pii",
                    "account",
                    "person",
                    "cvc_update",
                ):
                    nxt.append((sub, child))  # a kind's hash stays; its children may go
                    continue
                if not _required(sub):
                    yield sub
                if isinstance(child, (Mapping, list)):
                    nxt.append((sub, child))
        frontier = nxt


def _required(path: tuple[str, ...]) -> bool:
    """True for a parameter the model marks required (an example keeps it: only optional
    parameters and list items are dropped)."""
    from contracttk.contract import KIND_NAMES, param_tree

    if len(path) < 2 or path[0] not in KIND_NAMES:
        return False
    node = param_tree(path[0])
    for key in path[1:]:
        node = node.child(key) if node is not None and not key.isdigit() else None
        if node is None:
            return False
    return bool(node.required)


def _without(params: Any, path: tuple[str, ...]) -> Any:
    out = copy.deepcopy(params)
    node = out
    for key in path[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = path[-1]
    if isinstance(node, list):
        del node[int(last)]
    else:
        del node[last]
    return out


def _keep_path(violation: str | None) -> tuple[str, ...]:
    """The key path of a violation's parameter (``card[number]`` -> ``("card", "number")``)."""
    if not violation or ":" not in violation:
        return ()
    param = violation.rpartition(":")[0]
    return tuple(p for p in param.replace("]", "").split("[") if p)


def minimise_examples(
    result: ItemResult, settings: Settings, target: Target, *, deadline: float | None = None
) -> None:
    """Shrink the stored example of the item's hard failures in place (bounded by the
    attempt budget and by ``deadline``, the run's ``--max-time`` end on the monotonic clock)."""
    if result.down is not None:
        return  # the target stopped answering: every attempt would wait for the deadline
    todo = [f for f in result.hard if _eligible(f)]
    if not todo:
        return
    todo.sort(key=lambda f: -result.occurrences[f.key])
    per_cause: dict[tuple[Any, ...], int] = {}
    budget = ATTEMPTS_PER_ITEM
    transport = open_transport(
        target, timeout=settings.timeout, max_response_bytes=settings.max_response_bytes
    )
    try:
        for f in todo:
            if budget <= 0 or (deadline is not None and time.monotonic() > deadline):
                break
            if per_cause.get(f.cause_key, 0) >= PER_CAUSE:
                continue
            per_cause[f.cause_key] = per_cause.get(f.cause_key, 0) + 1
            try:
                budget -= _shrink(f, transport, min(ATTEMPTS_PER_EXAMPLE, budget))
            except TransportError:
                break  # no answer now: the examples so far are kept as they are
    finally:
        transport.close()


def _eligible(f: Failure) -> bool:
    req = f.request
    return (
        req is not None
        and f.response is not None
        and req.is_create
        and req.header("idempotency-key") is None
        and isinstance(req.params, Mapping)
        and bool(req.params)
        and f.check in CHECKS
        and CHECKS[f.check].fn is not None
    )


def _shrink(f: Failure, transport: Any, attempts: int) -> int:
    """Try up to ``attempts`` removals; returns how many requests were sent.

    Raises :class:`TransportError` when the target gives no answer (minimising stops).
    """
    req = f.request
    assert req is not None
    params = req.params
    keep = _keep_path(f.violation)
    used = 0
    tried: set[tuple[str, ...]] = set()
    progress = True
    while progress and used < attempts:
        progress = False
        for path in _paths(params, keep):
            if used >= attempts:
                break
            if path in tried:
                continue
            tried.add(path)
            candidate = _without(params, path)
            body = encode_loose(candidate)
            new_req = RequestInfo(
                method=req.method,
                url=req.url,
                headers={k: v for k, v in req.headers.items() if k.lower() != "content-length"},
                body=body,
                kind=req.kind,
                violation=req.violation,
                authorized=req.authorized,
                today=req.today,
                base=req.base,
            )
            used += 1
            try:
                resp = transport.send(
                    new_req.method, new_req.url, list(new_req.headers.items()), body
                )
            except Unsendable:
                return used
            same = [g for g in CHECKS[f.check](new_req, resp) if g.cause_key == f.cause_key]
            if same:
                params = candidate
                f.request, f.response = new_req, resp
                slim(f)  # kept for the report only, like every kept example
                progress = True
                break  # the tree changed: paths are recomputed
    return used
