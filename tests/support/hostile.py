"""Loopback targets that misbehave on purpose: raw sockets, one thread per connection.

A :class:`RawServer` hands every accepted connection to a handler written in the test
(``handler(conn, server)``); the helpers here read one request and write answers byte by
byte, so a test can build exactly the hostile answer it needs (a 50 MB body, one byte every
two seconds, a stall after a good start, a close-delimited body). Waits inside handlers use
:attr:`RawServer.stopped`, so closing the server ends every handler at once.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RawServer", "Request", "json_answer", "read_request"]

PROBE_TOKEN = "tok_contracttkProbe"
"""The id contracttk's pre-flight asks for (``GET /v1/tokens/tok_contracttkProbe``)."""


@dataclass
class Request:
    """One request as a handler read it (header names lower-case)."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def is_probe(self) -> bool:
        """True for contracttk's pre-flight probes (an empty POST, GET of the probe id)."""
        return (self.method == "POST" and self.path == "/v1/tokens" and not self.body) or (
            self.method == "GET" and self.path.endswith("/" + PROBE_TOKEN)
        )


def read_request(conn: socket.socket, buf: bytearray, timeout: float = 30) -> Request | None:
    """The next request on ``conn`` (``buf`` keeps bytes between requests); None at EOF."""
    conn.settimeout(timeout)
    try:
        while b"\r\n\r\n" not in buf:
            data = conn.recv(65536)
            if not data:
                return None
            buf += data
        end = buf.index(b"\r\n\r\n")
        head = bytes(buf[:end]).decode("latin-1").split("\r\n")
        del buf[: end + 4]
        method, path, _ = [*head[0].split(" ", 2), "", ""][:3]
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        size = int(headers.get("content-length") or 0)
        while len(buf) < size:
            data = conn.recv(65536)
            if not data:
                return None
            buf += data
        body = bytes(buf[:size])
        del buf[:size]
    except OSError:
        return None
    return Request(method, path, headers, body)


def json_answer(
    status: int, obj: Any, headers: dict[str, str] | None = None, *, close: bool = False
) -> bytes:
    """A complete HTTP/1.1 answer with a JSON body."""
    body = json.dumps(obj).encode()
    lines = [f"HTTP/1.1 {status} X", "Content-Type: application/json"]
    lines += [f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


ERROR_400 = {"error": {"type": "invalid_request_error", "message": "nope"}}


class RawServer:
    """A loopback TCP server running ``handler(conn, server)`` per connection, in threads."""

    def __init__(self, handler: Callable[[socket.socket, RawServer], None]) -> None:
        self.handler = handler
        self.stopped = threading.Event()
        self.requests: list[Request] = []
        self.connections = 0
        self.lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._loop, daemon=True)

    @property
    def port(self) -> int:
        """The listening port."""
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def record(self, request: Request) -> None:
        """Keep a request a handler read (thread-safe)."""
        with self.lock:
            self.requests.append(request)

    def _loop(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self._conns.append(conn)
            t = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self.handler(conn, self)
        except OSError:
            pass  # the client went away: what hostile targets are for
        finally:
            conn.close()

    def __enter__(self) -> RawServer:
        self._accept.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self._sock.close()
        with self.lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._accept.join(5)
        for t in self._threads:
            t.join(5)
