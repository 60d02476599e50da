"""The transport against real loopback servers that misbehave on purpose.

Every request has a total deadline and a size limit; keep-alive connections are reused and
retried once only when nothing of the answer came. The servers are raw sockets written
here (``support.hostile``), so each test controls every byte the transport sees.
"""

from __future__ import annotations

import socket
import tracemalloc
from typing import Any

import pytest
from support import free_port
from support.hostile import RawServer, read_request

from contracttk.conformance.transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    HttpTransport,
    TransportError,
    Unsendable,
)

pytestmark = pytest.mark.loopback

MiB = 1024 * 1024


def _serve(answers: list[bytes], *, close_after: bool = False) -> Any:
    """A handler answering the n-th request on a connection with ``answers[n]``."""

    def handler(conn: socket.socket, srv: RawServer) -> None:
        buf = bytearray()
        for answer in answers:
            req = read_request(conn, buf)
            if req is None:
                return
            srv.record(req)
            conn.sendall(answer)
        if close_after:
            return
        while read_request(conn, buf) is not None:  # hold the connection open
            pass

    return handler


def _ok(body: bytes = b'{"ok": true}', extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


def _transport(timeout: float = 10.0, limit: int = DEFAULT_MAX_RESPONSE_BYTES) -> HttpTransport:
    return HttpTransport(timeout=timeout, max_response_bytes=limit)


def _get(t: HttpTransport, srv: RawServer, path: str = "/v1/tokens/tok_x") -> Any:
    return t.send("GET", srv.url + path, [("Authorization", "Bearer sk_test_x")], None)


# --- framing ----------------------------------------------------------------------------------


def test_content_length_bodies_on_one_kept_alive_connection() -> None:
    with RawServer(_serve([_ok(b'{"n": 1}'), _ok(b'{"n": 2}'), _ok(b'{"n": 3}')])) as srv:
        t = _transport()
        bodies = [_get(t, srv).body for _ in range(3)]
        t.close()
    assert bodies == [b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
    assert srv.connections == 1
    assert [r.path for r in srv.requests] == ["/v1/tokens/tok_x"] * 3
    assert srv.requests[0].headers["authorization"] == "Bearer sk_test_x"


def test_chunked_bodies_with_extensions_and_trailers() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
        b'4;name=value\r\n{"a"\r\n'
        b'A\r\n: "0123456\r\n'
        b'2\r\n"}\r\n'
        b"0\r\nX-Trailer: yes\r\nX-Other: 2\r\n\r\n"
    )
    with RawServer(_serve([chunked, _ok(b"{}")])) as srv:
        t = _transport()
        first, second = _get(t, srv), _get(t, srv)
        t.close()
    assert first.body == b'{"a": "0123456"}' and not first.truncated
    assert second.body == b"{}"
    assert srv.connections == 1  # the framing ended exactly where the next answer began


def test_many_tiny_chunks_are_reassembled() -> None:
    n = 50_000
    data = b"".join(b"1\r\n" + bytes([48 + i % 10]) + b"\r\n" for i in range(n))
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + data + b"0\r\n\r\n"
    with RawServer(_serve([answer])) as srv:
        t = _transport()
        resp = _get(t, srv)
        t.close()
    assert resp.body == bytes(48 + i % 10 for i in range(n))


def test_http_1_0_close_delimited_body_and_no_reuse() -> None:
    answer = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + b'{"old": "style"}'
    with RawServer(_serve([answer], close_after=True)) as srv:
        t = _transport()
        first = _get(t, srv)
        second = _get(t, srv)  # a new connection, not the closed one
        t.close()
    assert first.body == second.body == b'{"old": "style"}'
    assert srv.connections == 2


def test_connection_close_header_is_honoured() -> None:
    with RawServer(_serve([_ok(extra="Connection: close\r\n")], close_after=True)) as srv:
        t = _transport()
        assert _get(t, srv).status == _get(t, srv).status == 200
        t.close()
    assert srv.connections == 2


def test_interim_answers_are_skipped_but_not_forever() -> None:
    cont = b"HTTP/1.1 100 Continue\r\n\r\n"
    with RawServer(_serve([cont * 2 + _ok(b"{}"), cont * 500])) as srv:
        t = _transport()
        assert _get(t, srv).body == b"{}"
        with pytest.raises(TransportError) as info:
            _get(t, srv)
        t.close()
    assert info.value.kind == "protocol" and "interim" in str(info.value)


@pytest.mark.parametrize("method_status", [("HEAD", 200), ("GET", 204), ("GET", 304)])
def test_answers_without_a_body(method_status: tuple[str, int]) -> None:
    method, status = method_status
    head = f"HTTP/1.1 {status} X\r\nContent-Length: 1000\r\n\r\n".encode()
    with RawServer(_serve([head, _ok(b"{}")])) as srv:
        t = _transport()
        resp = t.send(method, srv.url + "/v1/tokens/tok_x", [], None)
        assert resp.status == status and resp.body == b""
        assert _get(t, srv).body == b"{}"  # the connection is still in step
        t.close()


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (b"hello there\r\n\r\n", "not HTTP"),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", "status"),
        (b"HTTP/1.1 -20 OK\r\n\r\n", "status"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nabc", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd", "Content-Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nabc\r\n0\r\n\r\n", "chunk"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n", "chunk"),
        (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", "64 KiB"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "closed inside the body"),
    ],
)
def test_malformed_answers_are_protocol_errors(answer: bytes, words: str) -> None:
    with RawServer(_serve([answer], close_after=True)) as srv:
        t = _transport(timeout=10)
        with pytest.raises(TransportError) as info:
            _get(t, srv)
        t.close()
    assert info.value.kind == "protocol" and words in str(info.value)


def test_header_values_that_would_split_the_request_are_not_sent() -> None:
    t = _transport()
    for name, value in (
        ("X-A", "a\r\nInjected: 1"),
        ("X-B", "a\nb"),
        ("X C", "v"),
        ("X-D", "\u20ac"),
    ):
        with pytest.raises(Unsendable):
            t.send("GET", "http://127.0.0.1:9/", [(name, value)], None)


# --- size -----------------------------------------------------------------------------------------


def _huge(kind: str) -> Any:
    """A handler answering every request with 50 MB (declared, chunked or close-delimited)."""
    size = 50 * MiB
    block = b"x" * 65536
    head, piece = {
        "length": (f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode(), block),
        "chunked": (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"10000\r\n" + block + b"\r\n",
        ),
        "close": (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", block),
    }[kind]

    def handler(conn: socket.socket, srv: RawServer) -> None:
        buf = bytearray()
        while (req := read_request(conn, buf)) is not None:
            srv.record(req)
            conn.sendall(head)
            for _ in range(size // len(block)):
                if srv.stopped.is_set():
                    return
                conn.sendall(piece)

    return handler


@pytest.mark.parametrize("kind", ["length", "chunked", "close"])
def test_a_50_mb_answer_is_cut_at_the_limit_with_bounded_memory(kind: str) -> None:
    with RawServer(_huge(kind)) as srv:
        t = _transport(timeout=30)
        tracemalloc.start()
        try:
            resp = _get(t, srv)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        second = _get(t, srv)
        t.close()
    assert resp.truncated and len(resp.body) == DEFAULT_MAX_RESPONSE_BYTES
    assert second.truncated
    # Read no further than the limit: a few copies of 4 MiB at most, never 50 MB.
    assert peak < 4 * DEFAULT_MAX_RESPONSE_BYTES
    assert srv.connections == 2  # a cut answer leaves the connection unusable: dropped


def test_the_limit_is_the_configured_one() -> None:
    with RawServer(_serve([_ok(b"z" * 4096), _ok(b"y" * 5000)])) as srv:
        t = _transport(limit=4096)
        exact, big = _get(t, srv), _get(t, srv)
        t.close()
    assert big.truncated and big.body == b"y" * 4096
    assert not exact.truncated and exact.body == b"z" * 4096


# --- time -----------------------------------------------------------------------------------------


def _trickle(prefix: bytes, gap: float = 2.0) -> Any:
    """A handler sending ``prefix`` at once, then a valid answer's rest one byte per ``gap``."""
    rest = b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

    def handler(conn: socket.socket, srv: RawServer) -> None:
        buf = bytearray()
        if read_request(conn, buf) is None:
            return
        conn.sendall(prefix)
        for i in range(len(rest)):
            if srv.stopped.wait(gap):
                return
            conn.sendall(rest[i : i + 1])

    return handler


@pytest.mark.parametrize(
    "prefix", [b"", b"HTTP/1.1 200 OK\r\n"], ids=["slow-status-line", "slow-headers"]
)
def test_a_trickling_target_ends_at_the_deadline(prefix: bytes) -> None:
    # Each byte comes well within a per-read timeout; only a total deadline ends this.
    with RawServer(_trickle(prefix)) as srv:
        t = _transport(timeout=2.5)
        with pytest.raises(TransportError) as info:
            _get(t, srv)
        t.close()
    assert info.value.kind == "timeout"


def test_a_body_that_stalls_after_a_good_start_ends_at_the_deadline() -> None:
    def handler(conn: socket.socket, srv: RawServer) -> None:
        buf = bytearray()
        if read_request(conn, buf) is not None:
            conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial": ')
            srv.stopped.wait(120)

    with RawServer(handler) as srv:
        t = _transport(timeout=1.0)
        with pytest.raises(TransportError) as info:
            _get(t, srv)
        t.close()
    assert info.value.kind == "timeout"


# --- connections --------------------------------------------------------------------------------


def test_an_idle_connection_closed_by_the_server_is_retried_once_on_a_new_one() -> None:
    with RawServer(_serve([_ok(b'{"n": 1}')], close_after=True)) as srv:
        t = _transport()
        first = _get(t, srv)
        second = t.send("POST", srv.url + "/v1/tokens", [], b"a=1")
        t.close()
    assert first.body == second.body == b'{"n": 1}'
    assert srv.connections == 2
    assert [r.method for r in srv.requests] == ["GET", "POST"]  # the POST arrived once


def test_no_retry_once_part_of_the_answer_came() -> None:
    # Answer the first request, then only the start of the second answer, then close:
    # the server may have acted on the request, so it must not be sent again.
    partial = b"HTTP/1.1 200 OK\r\nContent-Le"
    with RawServer(_serve([_ok(), partial], close_after=True)) as srv:
        t = _transport()
        _get(t, srv)
        with pytest.raises(TransportError) as info:
            t.send("POST", srv.url + "/v1/tokens", [], b"a=1")
        t.close()
    assert info.value.kind == "protocol"
    assert srv.connections == 1
    assert [r.method for r in srv.requests] == ["GET", "POST"]


def test_a_retry_that_meets_a_closed_connection_again_is_a_transport_error() -> None:
    # Every connection: answer nothing of the second request, just close.
    def handler(conn: socket.socket, srv: RawServer) -> None:
        buf = bytearray()
        req = read_request(conn, buf)
        if req is None:
            return
        srv.record(req)
        if srv.connections == 1:
            conn.sendall(_ok())

    with RawServer(handler) as srv:
        t = _transport()
        assert _get(t, srv).status == 200
        with pytest.raises(TransportError) as info:
            _get(t, srv)
        t.close()
    assert info.value.kind == "protocol"
    assert srv.connections == 2  # one retry, not more


def test_a_fresh_connection_closed_without_an_answer_is_not_retried() -> None:
    def handler(conn: socket.socket, srv: RawServer) -> None:
        req = read_request(conn, bytearray())
        if req is not None:
            srv.record(req)

    with RawServer(handler) as srv:
        t = _transport()
        with pytest.raises(TransportError):
            t.send("POST", srv.url + "/v1/tokens", [], b"a=1")
        t.close()
    assert srv.connections == 1


def test_tls_to_a_plain_http_server_is_a_connect_error() -> None:
    answer = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    def handler(conn: socket.socket, srv: RawServer) -> None:
        conn.settimeout(10)
        conn.recv(65536)  # a TLS ClientHello, which a plain server cannot read
        conn.sendall(answer)

    with RawServer(handler) as srv:
        t = _transport()
        with pytest.raises(TransportError) as info:
            t.send("GET", f"https://127.0.0.1:{srv.port}/v1/tokens/x", [], None)
        t.close()
    assert info.value.kind == "connect" and "TLS" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_closed_port_is_a_connect_error() -> None:
    t = _transport()
    with pytest.raises(TransportError) as info:
        t.send("GET", f"http://127.0.0.1:{free_port()}/v1/tokens/x", [], None)
    assert info.value.kind == "connect"


# --- the pipe ---------------------------------------------------------------------------------


def test_a_stopped_pipe_closes_the_transport_after_its_request_not_under_it() -> None:
    # Runner.close() during a request in flight: the transport is the sender thread's until
    # that request ends (closing it from the runner's thread could cut the answer or make
    # the thread reconnect); then the thread closes it.
    import threading

    from contracttk.conformance.exchange import RequestInfo
    from contracttk.conformance.pipe import Pipe

    release = threading.Event()

    def slow(conn: socket.socket, srv: RawServer) -> None:
        buf = bytearray()
        if read_request(conn, buf) is not None:
            release.wait(10)
            conn.sendall(_ok())

    with RawServer(slow) as srv:
        t = _transport()
        pipe = Pipe(t)
        pipe.swap(RequestInfo("GET", srv.url + "/v1/tokens/tok_x", {}, None))
        pipe.stop()
        release.set()
        pipe._thread.join(10)
        assert not pipe._thread.is_alive()
        _, resp, err = pipe._done.get_nowait()
        assert err is None and resp is not None and resp.status == 200
        assert t._sock is None  # closed by the thread, once the answer was in
