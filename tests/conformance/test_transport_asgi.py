"""The in-process (ASGI) transport: the same bounds as over HTTP, and a server's manners.

An app that answers too much is cut at the limit, one that never answers ends at the
deadline, and one that raises gets what an ASGI server would give a client: a plain 500
before the answer started, a dropped connection after.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from contracttk.conformance.transport import Target, TransportError, open_transport
from contracttk.conformance.transport_asgi import AsgiTransport

MiB = 1024 * 1024


async def _json_app(scope: Any, receive: Any, send: Any) -> None:
    body = b'{"path": "' + scope["path"].encode() + b'"}'
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def _big_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for _ in range(50):
        await send({"type": "http.response.body", "body": b"x" * MiB, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _slow_app(scope: Any, receive: Any, send: Any) -> None:
    await asyncio.sleep(3600)


async def _raising_app(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("bug in the app")


async def _raising_late_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise RuntimeError("bug in the app")


def test_asgi_answers_and_limits() -> None:
    t = open_transport(Target("app", app=_json_app), timeout=5, max_response_bytes=MiB)
    assert isinstance(t, AsgiTransport)
    assert t.send("GET", "http://testserver/v1/tokens/tok_1", [], None).json == {
        "path": "/v1/tokens/tok_1"
    }
    t.close()
    big = AsgiTransport(_big_app, timeout=5, max_response_bytes=MiB)
    resp = big.send("GET", "http://testserver/", [], None)
    big.close()
    assert resp.truncated and len(resp.body) == MiB


def test_asgi_deadline() -> None:
    t = AsgiTransport(_slow_app, timeout=0.5, max_response_bytes=MiB)
    with pytest.raises(TransportError) as info:
        t.send("GET", "http://testserver/", [], None)
    t.close()
    assert info.value.kind == "timeout"


def test_an_asgi_app_that_raises_answers_500_like_a_server_would() -> None:
    t = AsgiTransport(_raising_app, timeout=5, max_response_bytes=MiB)
    resp = t.send("POST", "http://testserver/v1/tokens", [], b"a=1")
    assert resp.status == 500 and b"bug" not in resp.body
    late = AsgiTransport(_raising_late_app, timeout=5, max_response_bytes=MiB)
    with pytest.raises(TransportError) as info:
        late.send("GET", "http://testserver/", [], None)
    t.close()
    late.close()
    assert info.value.kind == "protocol"
