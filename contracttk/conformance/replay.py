"""Replay: re-send a report's stored examples and re-judge them, finding by finding.

A finding is fixed when none of its examples shows the same cause again. Examples whose
request carried a masked value (not a published test value) cannot be re-sent exactly and
are reported as such; a finding with no replayable example is not called fixed. Run-level
findings (a kind refused as a whole, a refused key) are replayed through their example: the
valid payload must now create a token, the key must now be accepted.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .exchange import RequestInfo, ResponseInfo
from .findings import cause_of, finding_id
from .registry import CHECKS, judge
from .repro import example_record
from .settings import Settings
from .transport import Target, TransportError, Unsendable, open_transport

__all__ = ["ReplayResult", "replay_findings"]


@dataclass
class ReplayResult:
    """What replaying one finding showed."""

    id: str
    title: str
    status: str
    """``fixed``, ``still failing``, ``not replayable`` or ``no answer``."""
    notes: list[str] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)


def _request(ex: Mapping[str, Any], settings: Settings) -> tuple[RequestInfo, bytes | None] | None:
    req = ex.get("request")
    if not req or not req.get("replayable"):
        return None
    from contracttk.defaults import UNKNOWN_TEST_KEY

    headers = dict(req.get("headers") or {})
    role = req.get("key")
    key = UNKNOWN_TEST_KEY if role == "other" else settings.key_for(str(role))
    if role not in (None, "none"):
        if key is None:
            return None
        if req.get("auth_scheme") == "basic":
            headers["Authorization"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        else:
            headers["Authorization"] = f"Bearer {key}"
    body: bytes | None = None
    if req.get("body_base64"):
        body = base64.b64decode(req["body_base64"])
    elif req.get("body") is not None:
        body = req["body"].encode("utf-8")
    url = settings.url.rstrip("/") + req["path"]
    info = RequestInfo(
        method=req["method"],
        url=url,
        headers=headers,
        body=body,
        kind=ex.get("kind"),
        violation=ex.get("violation"),
        authorized=role not in ("none", "other") and ex.get("check") not in _UNAUTHORIZED,
        base=settings.url,
    )
    return info, body


# Checks whose requests are built to test authentication or key history: the create oracle
# does not judge them (as in the suite items that send them).
_UNAUTHORIZED = frozenset(
    {"auth_no_key", "auth_bad_key", "auth_publishable_retrieve", "idempotency_mismatch"}
)


def _still_failing(finding: Mapping[str, Any], req: RequestInfo, resp: ResponseInfo) -> bool:
    check = finding["check"]
    if check == "kind_support":
        return not resp.ok
    if check == "key_refused":
        return resp.status == 401
    chk = CHECKS.get(check)
    if chk is None or chk.fn is None:
        return True  # a two-exchange check: a single request cannot show it fixed
    failures, _ = judge(req, resp, (check,))
    for f in failures:
        rec = {
            "check": f.check,
            "family": f.family,
            "signature": f.signature,
            "answer": dict(zip(("status", "type", "code"), f.answer, strict=True)),
        }
        if finding_id(cause_of(rec)) == finding["id"]:
            return True
    return False


def replay_findings(
    doc: Mapping[str, Any],
    settings: Settings,
    *,
    only: Iterable[str] = (),
    app: Any = None,
) -> list[ReplayResult]:
    """Replay the findings of report ``doc`` (all, or the ids in ``only``) against ``settings.url``.

    Raises :class:`TransportError` when the target gives no answer at all.
    """
    wanted = set(only)
    findings = [f for f in doc.get("findings", []) if not wanted or f["id"] in wanted]
    transport = open_transport(
        Target(settings.url, app=app),
        timeout=settings.timeout,
        max_response_bytes=settings.max_response_bytes,
    )
    out: list[ReplayResult] = []
    try:
        for finding in findings:
            result = ReplayResult(finding["id"], finding["title"], "not replayable")
            tried = failing = 0
            for ex in finding.get("examples", []):
                built = _request(ex, settings)
                if built is None:
                    result.notes.append("an example carried a masked value and cannot be re-sent")
                    continue
                req, body = built
                try:
                    resp = transport.send(req.method, req.url, list(req.headers.items()), body)
                except Unsendable as err:
                    result.notes.append(f"an example cannot be sent: {err}")
                    continue
                except TransportError as err:
                    result.status = "no answer"
                    result.notes.append(str(err))
                    tried = 0
                    break
                tried += 1
                if _still_failing(finding, req, resp):
                    failing += 1
                    from .failures import Failure

                    shown = example_record(
                        Failure(finding["check"], "still failing", request=req, response=resp),
                        settings,
                    )
                    result.examples.append(shown)
            if tried:
                result.status = "still failing" if failing else "fixed"
            out.append(result)
    finally:
        transport.close()
    return out
