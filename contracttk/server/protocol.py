"""uvicorn's h11 protocol with a deadline for receiving each request (slow-loris guard).

uvicorn (0.54) times out only idle keep-alive connections: a connection that never sends
anything, or sends its headers one byte at a time, is held open for as long as the client
likes, each one costing a socket and a protocol object. Here every request must arrive
whole (request line, headers and body) within ``request_timeout`` seconds of the
connection opening or of the previous answer. When the deadline passes, a client that had
started a request gets a JSON 408 and the connection is closed; an idle one is just closed.

Imported only when a socket is actually served (it imports uvicorn and h11).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["DEFAULT_REQUEST_TIMEOUT", "deadline_protocol"]

# Generous for any real client on a test network (requests are at most 64 KB), short
# enough that 400 stalled connections are gone long before a typical 60 s proxy timeout.
DEFAULT_REQUEST_TIMEOUT = 10.0


def _timeout_answer(seconds: float) -> bytes:
    body = json.dumps(
        {
            "error": {
                "type": "invalid_request_error",
                "message": f"Request timeout: the request was not received within {seconds:g} s.",
            }
        }
    ).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode()
    return head + body


class _DeadlineProtocol(H11Protocol):
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._request_started = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if data:
            self._request_started = True
        super().data_received(data)
        self._disarm_if_received()

    def on_response_complete(self) -> None:
        # The next request on a kept-alive connection gets a fresh deadline.
        if not self.transport.is_closing():
            self._arm()
        super().on_response_complete()
        self._disarm_if_received()

    def shutdown(self) -> None:
        """Server stopping: a request still arriving is dropped at once.

        uvicorn would wait for its body until the graceful-shutdown timeout and then cancel
        the app with a logged traceback; a request we have not received has nothing to
        finish, and closing the connection hands the app a plain ``http.disconnect``.
        """
        receiving = self.conn.their_state in (h11.IDLE, h11.SEND_BODY)
        if self.cycle is not None and not self.cycle.response_started and receiving:
            self._disarm()
            self.transport.close()
            return
        super().shutdown()

    def _arm(self) -> None:
        self._disarm()
        self._request_started = False
        self._deadline = self.loop.call_later(self.request_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _disarm_if_received(self) -> None:
        # DONE: the whole request (with its body) is in; the app's time is not ours to bound.
        if self.conn.their_state in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR):
            self._disarm()

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        answering = self.cycle is not None and self.cycle.response_started
        if self._request_started and not answering and self.conn.their_state is not h11.DONE:
            self.transport.write(_timeout_answer(self.request_timeout))
        self.transport.close()


def deadline_protocol(request_timeout: float) -> type[H11Protocol]:
    """An h11 protocol class for ``uvicorn.Config(http=...)`` with that request deadline."""
    return type(
        "DeadlineH11Protocol", (_DeadlineProtocol,), {"request_timeout": float(request_timeout)}
    )
