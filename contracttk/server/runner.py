"""Run the reference server on a real socket with uvicorn.

``serve`` is what ``contracttk serve`` runs (blocking, logs one line per request);
``running_server`` runs it in a background thread on a free loopback port for tests, for
``contracttk fuzz`` without a URL, and for the mutation suite.

Both use :func:`~contracttk.server.protocol.deadline_protocol`: a request must arrive whole
within ``request_timeout`` seconds, so slow or stalled clients cannot hold connections.

Stopping: uvicorn turns SIGINT and SIGTERM into a graceful shutdown and then raises the
signal again once it has restored the previous handlers. For SIGINT that is Python's
KeyboardInterrupt; for SIGTERM the default action would kill the process on the spot,
before the database is closed (leaving SQLite's ``-wal``/``-shm`` files behind). ``serve``
therefore installs a SIGTERM handler that raises :class:`Terminated`, so both signals end
in the same ``finally`` that checkpoints and closes the database.

The listening socket is bound here, before uvicorn starts, for two reasons: a port in use
becomes a clear :class:`PortInUseError` instead of uvicorn's ``sys.exit(1)`` deep inside its
startup, and ``port=0`` gives a free port with no race between choosing and binding it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterable, Iterator
from datetime import date
from types import FrameType
from typing import Any

from ..contract import mask_key, parse_key
from ..defaults import DEFAULT_KEYS, DEFAULT_PORT
from .app import DEFAULT_BODY_LIMIT, TokenService
from .asgi import TokenApp, create_app
from .safe_text import escape_controls

__all__ = [
    "DEFAULT_REQUEST_TIMEOUT",
    "EXIT_TERMINATED",
    "PortInUseError",
    "Terminated",
    "bind_socket",
    "describe_keys",
    "running_server",
    "serve",
]

_STARTUP_TIMEOUT = 10.0
# Kept in step with protocol.DEFAULT_REQUEST_TIMEOUT (not imported: that module imports
# uvicorn, which only a served socket needs).
DEFAULT_REQUEST_TIMEOUT = 10.0
# 128 + SIGTERM: what a shell reports for a process stopped by SIGTERM.
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(SystemExit):
    """Raised in the main thread by SIGTERM while :func:`serve` runs (exit 143)."""

    def __init__(self) -> None:
        super().__init__(EXIT_TERMINATED)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


class PortInUseError(OSError):
    """The host/port could not be bound (in use, not an address of this machine, no rights)."""


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when ``host`` contains a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose
    # proto says TCP, and accepted sockets inherit it. With proto 0 every answer (headers and
    # body are two writes) waited ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        # SO_REUSEADDR only lets us rebind over TIME_WAIT leftovers; a live listener still
        # makes bind() fail, which is what "port in use" must report.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as err:
        sock.close()
        raise PortInUseError(err.errno, f"cannot listen on {host}:{port}: {err.strerror}") from None
    sock.set_inheritable(True)
    return sock


def _uvicorn_server(app: TokenApp, host: str, port: int, request_timeout: float) -> Any:
    import uvicorn

    from .protocol import deadline_protocol

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        # We log each request ourselves (without secrets); uvicorn's access log would print
        # the full request line with its query string.
        access_log=False,
        log_config=None,
        lifespan="on",
        http=deadline_protocol(request_timeout),
        loop="asyncio",
        # Requests take milliseconds; 1 s of grace keeps a signalled stop under 2 s.
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(config)


def _base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def describe_keys(keys: Iterable[str]) -> str:
    """The accepted keys for the start-up banner: contracttk's placeholders in full (they
    are published defaults, not secrets), any other key masked like Stripe masks keys."""
    keys = tuple(keys)
    placeholders = keys == DEFAULT_KEYS
    parts = []
    for raw in keys:
        parsed = parse_key(raw)
        role = f"{'live' if parsed.livemode else 'test'} {parsed.role}" if parsed else "?"
        parts.append(f"{raw if placeholders else mask_key(raw)} ({role})")
    note = " [contracttk's placeholder keys, not Stripe keys]" if placeholders else ""
    return "accepted API keys: " + ", ".join(parts) + note


def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    db: str = ":memory:",
    *,
    keys: Iterable[str] = DEFAULT_KEYS,
    body_limit: int = DEFAULT_BODY_LIMIT,
    service_cls: type[TokenService] = TokenService,
    today: date | None = None,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    log_stream: Any = None,
) -> None:
    """Run the reference server in the foreground until SIGINT or SIGTERM.

    Logs to ``log_stream`` (stderr by default): one start-up line with the URL
    (``contracttk reference server on http://...``) and the accepted keys, then one line
    per request (method, path, status, milliseconds, request id; never a body or a
    header). Raises :class:`PortInUseError` or
    :class:`~contracttk.server.storage.StorageError` before serving anything when the port
    or the database cannot be used; KeyboardInterrupt after SIGINT and :class:`Terminated`
    after SIGTERM, in both cases with the database closed.
    """
    keys = tuple(keys)
    app = create_app(db=db, keys=keys, body_limit=body_limit, service_cls=service_cls, today=today)
    try:
        sock = bind_socket(host, port)
    except PortInUseError:
        app.db.close()
        raise
    handler = logging.StreamHandler(log_stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger("contracttk.server")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_terminated) if on_main_thread else None
    try:
        bound = sock.getsockname()
        where = _base_url(host, bound[1])
        # One line: a supervisor waiting for "reference server on" gets the keys with it.
        logger.info(
            "contracttk reference server on %s (db %s); %s",
            where,
            escape_controls(db),
            describe_keys(keys),
        )
        server = _uvicorn_server(app, host, bound[1], request_timeout)
        server.run(sockets=[sock])
    finally:
        if on_main_thread:
            # None: the old handler was not set from Python; the default is the safe guess.
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        logger.removeHandler(handler)
        sock.close()
        app.db.close()


@contextlib.contextmanager
def running_server(
    host: str = "127.0.0.1",
    port: int = 0,
    db: str = ":memory:",
    *,
    service_cls: type[TokenService] = TokenService,
    keys: Iterable[str] = DEFAULT_KEYS,
    body_limit: int = DEFAULT_BODY_LIMIT,
    today: date | None = None,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
) -> Iterator[str]:
    """Run the reference server in a background thread; yield its base URL.

    The server accepts connections when the block starts and is stopped (and its database
    closed) when it ends. ``port=0`` picks a free port; ``request_timeout`` is the time a
    client has to send a whole request.
    """
    app = create_app(db=db, keys=keys, body_limit=body_limit, service_cls=service_cls, today=today)
    try:
        sock = bind_socket(host, port)
    except PortInUseError:
        app.db.close()
        raise
    bound_port = sock.getsockname()[1]
    server = _uvicorn_server(app, host, bound_port, request_timeout)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as err:  # reported to the caller below
            failure.append(err)

    thread = threading.Thread(target=run, name=f"contracttk-server-{bound_port}", daemon=True)
    thread.start()
    try:
        waited = 0.0
        while not server.started:
            if failure or not thread.is_alive():
                raise RuntimeError(f"reference server failed to start: {failure[:1]!r}")
            if waited > _STARTUP_TIMEOUT:
                raise RuntimeError("reference server did not start within 10 s")
            threading.Event().wait(0.005)
            waited += 0.005
        yield _base_url(host, bound_port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.db.close()
