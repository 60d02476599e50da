"""Transport: one request out, one bounded answer back, over HTTP/1.1 or in-process ASGI.

Every request has a total deadline (connect, send and every byte of the answer: a target
that trickles one byte every two seconds ends at the deadline, not never) and a maximum
answer size (a larger body is cut there, marked ``truncated``, and the connection is
dropped rather than drained). The HTTP client is our own, on plain sockets: it is the only
way to bound the whole exchange (a per-read timeout, as in requests/urllib3, never fires on
a trickle) and it costs a fraction of a requests round trip, which matters at thousands of
cases per run. It speaks what a Stripe-like API needs: HTTP/1.1 keep-alive, Content-Length
and chunked bodies, TLS; no redirects (never followed), no proxies (the target is named).
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from .exchange import ResponseInfo

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "HttpTransport",
    "Target",
    "Transport",
    "TransportError",
    "Unsendable",
    "check_header",
    "check_request",
    "open_transport",
]

DEFAULT_TIMEOUT = 10.0
"""Seconds for one whole exchange (connect + send + the complete answer)."""
DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
"""Answers above this are a finding ("response too large") and are not read further."""
_MAX_HEAD_BYTES = 64 * 1024
_MAX_INTERIM = 16
_MAX_TRAILERS = 100
_STATUS_RE = re.compile(r"[1-9][0-9][0-9]", re.ASCII)
_CHUNK = 65536
USER_AGENT = "contracttk"
"""The User-Agent of every request (targets may log it)."""


class TransportError(Exception):
    """No (complete) HTTP answer: ``kind`` is ``connect``, ``timeout`` or ``protocol``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Unsendable(ValueError):
    """A request that cannot be put on the wire (a header value with CR/LF, non-latin-1)."""


@dataclass(frozen=True)
class Target:
    """Where requests go: a base URL (never with credentials), or an in-process ASGI app."""

    base_url: str
    app: Any = None
    """An ASGI app: when set, requests go in-process and ``base_url`` is only a label."""

    @property
    def url(self) -> str:
        """The base URL requests are built on (``http://testserver`` in-process)."""
        return "http://testserver" if self.app is not None else self.base_url.rstrip("/")


class Transport(Protocol):
    """Sends one request; raises :class:`TransportError` when no complete answer comes."""

    def send(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None
    ) -> ResponseInfo: ...

    def close(self) -> None: ...


def open_transport(
    target: Target,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
) -> Transport:
    """The transport for ``target`` (in-process when it carries an app)."""
    if target.app is not None:
        from .transport_asgi import AsgiTransport

        return AsgiTransport(target.app, timeout=timeout, max_response_bytes=max_response_bytes)
    return HttpTransport(timeout=timeout, max_response_bytes=max_response_bytes)


def check_request(method: str, url: str, headers: dict[str, str]) -> None:
    """Raise :class:`Unsendable` now for a request no transport could put on the wire.

    (A request sent from a background thread would otherwise fail there, later.)
    """
    for name, value in headers.items():
        check_header(name, value)
    if any(c.isspace() or ord(c) < 32 for c in method + url) or not url.isascii():
        raise Unsendable("the request line has characters a URL cannot carry")


def check_header(name: str, value: str) -> bytes:
    """One header line as bytes; :class:`Unsendable` for a name or value HTTP cannot carry."""
    line = f"{name}: {value}\r\n"
    if any(c in name for c in ":\r\n\0 ") or any(c in value for c in "\r\n\0"):
        raise Unsendable(f"header {name!r} cannot be sent (control characters)")
    try:
        return line.encode("latin-1")
    except UnicodeEncodeError:
        raise Unsendable(f"header {name!r} is not latin-1") from None


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TransportError("timeout", f"no complete answer within {self.seconds:g} s")
        return left


class HttpTransport:
    """HTTP/1.1 over one kept-alive socket per (scheme, host, port)."""

    def __init__(self, *, timeout: float, max_response_bytes: int) -> None:
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self._sock: socket.socket | None = None
        self._where: tuple[str, str, int] | None = None
        # Received bytes not yet parsed. A bytearray consumed from the front: appending to
        # an immutable bytes buffer copies it every time (quadratic in the body size when
        # a slow network hands over small segments).
        self._buf = bytearray()

    def close(self) -> None:
        """Drop the kept-alive connection."""
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None
                self._buf = bytearray()

    def send(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None
    ) -> ResponseInfo:
        """Send one request, return the (possibly truncated) answer within the deadline."""
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        hostport = f"[{host}]" if ":" in host else host
        if parts.port:
            hostport += f":{parts.port}"
        head = [f"{method} {target} HTTP/1.1\r\n".encode("latin-1", "replace")]
        names = {n.lower() for n, _ in headers}
        defaults = [("Host", hostport), ("User-Agent", USER_AGENT), ("Accept", "*/*")]
        head += [check_header(n, v) for n, v in defaults if n.lower() not in names]
        head += [check_header(n, v) for n, v in headers]
        if body is not None and "content-length" not in names:
            head.append(check_header("Content-Length", str(len(body))))
        wire = b"".join(head) + b"\r\n" + (body or b"")
        deadline = _Deadline(self.timeout)
        started = time.perf_counter()
        where = (scheme, host, port)
        reused = self._sock is not None and self._where == where
        try:
            return self._exchange(wire, method, where, deadline, started)
        except _StaleConnection:
            if not reused:
                raise TransportError("protocol", "the connection closed before an answer") from None
        # A kept-alive connection the server closed while idle: nothing of the answer came,
        # so the request is sent once more on a new connection (and only once).
        self.close()
        try:
            return self._exchange(wire, method, where, deadline, started)
        except _StaleConnection:
            raise TransportError("protocol", "the connection closed before an answer") from None

    # -- internals ------------------------------------------------------------------------

    def _connect(self, where: tuple[str, str, int], deadline: _Deadline) -> socket.socket:
        if self._sock is not None and self._where == where:
            return self._sock
        self.close()
        scheme, host, port = where
        try:
            sock = socket.create_connection((host, port), timeout=deadline.left())
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                # The whole handshake is one call bounded by this timeout.
                sock.settimeout(deadline.left())
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        except TransportError:
            raise
        except TimeoutError:
            raise TransportError(
                "timeout", f"no connection within {deadline.seconds:g} s"
            ) from None
        except ssl.SSLError as err:
            raise TransportError(
                "connect", f"TLS failed: {err.reason or err.__class__.__name__}"
            ) from None
        except OSError as err:
            raise TransportError("connect", f"cannot connect: {err.strerror or err}") from None
        self._sock, self._where, self._buf = sock, where, bytearray()
        return sock

    def _recv(self, sock: socket.socket, deadline: _Deadline, *, fresh: bool = False) -> bytes:
        """Some bytes of the answer ('' at EOF). ``fresh``: nothing of the answer came yet."""
        sock.settimeout(deadline.left())
        try:
            return sock.recv(_CHUNK)
        except TimeoutError:
            raise TransportError(
                "timeout", f"no complete answer within {deadline.seconds:g} s"
            ) from None
        except OSError as err:
            if fresh:
                raise _StaleConnection(str(err)) from None
            raise TransportError("protocol", f"connection lost: {err.strerror or err}") from None

    def _exchange(
        self,
        wire: bytes,
        method: str,
        where: tuple[str, str, int],
        deadline: _Deadline,
        started: float,
    ) -> ResponseInfo:
        sock = self._connect(where, deadline)
        try:
            sock.settimeout(deadline.left())
            sock.sendall(wire)
        except TransportError:
            self.close()
            raise
        except TimeoutError:
            self.close()
            raise TransportError(
                "timeout", f"could not send within {deadline.seconds:g} s"
            ) from None
        except OSError:
            self.close()
            raise _StaleConnection("send failed") from None
        try:
            resp = self._read_response(sock, method, deadline, started)
        except BaseException:
            self.close()
            raise
        return resp

    def _read_head(self, sock: socket.socket, deadline: _Deadline, *, first: bool) -> bytes:
        got_any = bool(self._buf) or not first
        scanned = 0
        while True:
            end = self._buf.find(b"\r\n\r\n", max(0, scanned - 3))
            if end >= 0:
                break
            scanned = len(self._buf)
            if scanned > _MAX_HEAD_BYTES:
                raise TransportError("protocol", "answer headers larger than 64 KiB")
            data = self._recv(sock, deadline, fresh=not got_any)
            if not data:
                if not got_any:
                    raise _StaleConnection("closed before an answer")
                raise TransportError("protocol", "the connection closed inside the headers")
            got_any = True
            self._buf += data
        if end > _MAX_HEAD_BYTES:
            raise TransportError("protocol", "answer headers larger than 64 KiB")
        head = bytes(self._buf[:end])
        del self._buf[: end + 4]
        return head

    def _read_response(
        self, sock: socket.socket, method: str, deadline: _Deadline, started: float
    ) -> ResponseInfo:
        for interim in range(_MAX_INTERIM + 1):
            head = self._read_head(sock, deadline, first=interim == 0)
            lines = head.decode("latin-1").split("\r\n")
            status_line = lines[0].split(" ", 2)
            if len(status_line) < 2 or not status_line[0].startswith("HTTP/"):
                raise TransportError("protocol", "the answer is not HTTP")
            if not _STATUS_RE.fullmatch(status_line[1]):
                raise TransportError("protocol", "the answer has no valid status code")
            status = int(status_line[1])
            if not (100 <= status < 200 and status != 101):
                break  # 100 Continue and friends: the real answer follows
        else:
            raise TransportError("protocol", f"more than {_MAX_INTERIM} interim (1xx) answers")
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers.append((name.strip().lower(), value.strip()))
        hmap: dict[str, str] = {}
        for name, value in headers:
            hmap[name] = f"{hmap[name]}, {value}" if name in hmap else value
        keep = status_line[0] != "HTTP/1.0" and "close" not in hmap.get("connection", "").lower()
        if method.upper() == "HEAD" or status in (204, 304):
            body, truncated = b"", False
        elif "chunked" in hmap.get("transfer-encoding", "").lower():
            body, truncated = self._read_chunked(sock, deadline)
        elif "content-length" in hmap:
            values = {v.strip() for v in hmap["content-length"].split(",")}
            if len(values) != 1 or not next(iter(values)).isdigit():
                raise TransportError("protocol", "bad Content-Length")
            body, truncated = self._read_exact(sock, deadline, int(values.pop()))
        else:
            body, truncated = self._read_until_close(sock, deadline)
            keep = False
        if truncated or not keep:
            self.close()
        return ResponseInfo(
            status=status,
            headers=hmap,
            body=body,
            elapsed=time.perf_counter() - started,
            truncated=truncated,
        )

    def _take(self, n: int) -> bytes:
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def _fill(self, sock: socket.socket, deadline: _Deadline) -> None:
        data = self._recv(sock, deadline)
        if not data:
            raise TransportError("protocol", "the connection closed inside the body")
        self._buf += data

    def _read_exact(
        self, sock: socket.socket, deadline: _Deadline, length: int
    ) -> tuple[bytes, bool]:
        limit = self.max_response_bytes
        want = min(length, limit + 1)
        while len(self._buf) < want:
            self._fill(sock, deadline)
        body = self._take(want)
        return (body[:limit], True) if length > limit else (body, False)

    def _read_until_close(self, sock: socket.socket, deadline: _Deadline) -> tuple[bytes, bool]:
        limit = self.max_response_bytes
        while len(self._buf) <= limit:
            data = self._recv(sock, deadline)
            if not data:
                break
            self._buf += data
        body = self._take(len(self._buf))
        return (body[:limit], True) if len(body) > limit else (body, False)

    def _line(self, sock: socket.socket, deadline: _Deadline, what: str) -> bytes:
        """One CRLF-terminated line of the chunked framing (at most 64 KiB)."""
        scanned = 0
        while (end := self._buf.find(b"\r\n", max(0, scanned - 1))) < 0:
            scanned = len(self._buf)
            if scanned > _MAX_HEAD_BYTES:
                raise TransportError("protocol", f"bad {what} (no line end)")
            self._fill(sock, deadline)
        if end > _MAX_HEAD_BYTES:
            raise TransportError("protocol", f"bad {what} (no line end)")
        line = bytes(self._buf[:end])
        del self._buf[: end + 2]
        return line

    def _read_chunked(self, sock: socket.socket, deadline: _Deadline) -> tuple[bytes, bool]:
        limit = self.max_response_bytes
        out = bytearray()
        while True:
            line = self._line(sock, deadline, "chunk header")
            text = line.split(b";")[0].strip()
            if not text or not all(c in b"0123456789abcdefABCDEF" for c in text):
                raise TransportError("protocol", "bad chunk size")
            size = int(text, 16)
            if size == 0:
                trailers = 0
                while self._line(sock, deadline, "trailer"):
                    trailers += 1
                    if trailers > _MAX_TRAILERS:
                        raise TransportError("protocol", "too many trailer lines")
                return bytes(out), False
            if len(out) + size > limit:
                want = limit - len(out)
                while len(self._buf) < want:
                    self._fill(sock, deadline)
                out += self._take(want)
                return bytes(out), True
            while len(self._buf) < size + 2:
                self._fill(sock, deadline)
            out += self._buf[:size]
            if self._buf[size : size + 2] != b"\r\n":
                raise TransportError("protocol", "bad chunk (no line end after the data)")
            del self._buf[: size + 2]


class _StaleConnection(Exception):
    """The connection died before any byte of the answer (a kept-alive one may be retried)."""
