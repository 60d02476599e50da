"""In-process transport: calls an ASGI app directly, with the same bounds as over HTTP.

Used for tests and for targets given as an app (the reference server in-process): no
sockets, no server thread, the same deadline and size limit as :mod:`.transport`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from .exchange import ResponseInfo
from .transport import USER_AGENT, TransportError, check_header

__all__ = ["AsgiTransport"]


class AsgiTransport:
    """In-process: calls an ASGI app on a private event loop, with the same bounds."""

    def __init__(self, app: Any, *, timeout: float, max_response_bytes: int) -> None:
        self.app = app
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self._loop = asyncio.new_event_loop()

    def close(self) -> None:
        """Close the private event loop."""
        if not self._loop.is_closed():
            self._loop.close()

    def send(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None
    ) -> ResponseInfo:
        """Call the app once; an answer over the size limit is cut and marked ``truncated``."""
        parts = urlsplit(url)
        raw_headers = [(b"host", b"testserver"), (b"user-agent", USER_AGENT.encode())]
        for name, value in headers:
            check_header(name, value)
            raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
        if body is not None and not any(n == b"content-length" for n, _ in raw_headers):
            raw_headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method.upper(),
            "scheme": "http",
            "path": unquote(parts.path or "/"),
            "raw_path": (parts.path or "/").encode("latin-1", "replace"),
            "query_string": parts.query.encode("latin-1", "replace"),
            "root_path": "",
            "headers": raw_headers,
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 50000),
        }
        started = time.perf_counter()
        state: dict[str, Any] = {"status": None, "headers": [], "body": bytearray(), "cut": False}
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body or b"", "more_body": False}
            await asyncio.sleep(3600)  # the app asked twice: nothing more will come
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                room = self.max_response_bytes - len(state["body"])
                chunk = message.get("body", b"")
                if len(chunk) > room:
                    state["body"] += chunk[:room]
                    state["cut"] = True
                    raise _Cut
                state["body"] += chunk

        async def call() -> None:
            try:
                await self.app(scope, receive, send)
            except _Cut:
                pass
            except Exception as err:
                # What an ASGI server does with an app that raises: a plain 500 if nothing
                # was sent yet, else a dropped connection. The run goes on either way.
                if state["status"] is not None:
                    raise _Broken(type(err).__name__) from None
                state["status"] = 500
                state["headers"] = [(b"content-type", b"text/plain; charset=utf-8")]
                state["body"] = bytearray(b"Internal Server Error")

        try:
            self._loop.run_until_complete(asyncio.wait_for(call(), self.timeout))
        except (TimeoutError, asyncio.TimeoutError):
            raise TransportError(
                "timeout", f"no complete answer within {self.timeout:g} s"
            ) from None
        except _Broken as err:
            raise TransportError("protocol", f"the app failed mid-answer ({err})") from None
        if state["status"] is None:
            raise TransportError("protocol", "the app sent no answer")
        hmap: dict[str, str] = {}
        for name, value in state["headers"]:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            hmap[key] = f"{hmap[key]}, {text}" if key in hmap else text
        return ResponseInfo(
            status=state["status"],
            headers=hmap,
            body=bytes(state["body"]),
            elapsed=time.perf_counter() - started,
            truncated=state["cut"],
        )


class _Cut(Exception):
    """Raised into the app when its answer passes the size limit."""


class _Broken(Exception):
    """The app raised after it had started its answer."""
