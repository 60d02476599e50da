"""Start localstripe safely as a test target: loopback only, private state, free port.

localstripe's own ``localstripe --port N`` listens on every interface and pickles its whole
store (full card numbers included) to one fixed file in the system temp folder after each
write, reloading it at start (see docs/field-trial-localstripe.md). This launcher instead runs
``localstripe.server.app`` in a child process bound to 127.0.0.1 on a port the child picks
itself, with ``Store.dump_to_disk`` / ``Store.try_load_from_disk`` replaced so the state is
either kept in memory only (the default) or written inside a folder the caller owns.

Run as a script (``python tests/support/localstripe_launcher.py [--state-dir DIR]``) it prints
``PORT <n>`` on its first stdout line and serves until killed; from Python use
:func:`running_localstripe`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

__all__ = ["localstripe_available", "main", "patch_store", "running_localstripe"]

PICKLE_NAME = "localstripe.pickle"


def localstripe_available() -> str | None:
    """None when localstripe can be imported here, else the reason it cannot."""
    try:
        with warnings.catch_warnings():
            # localstripe registers sync handlers, which aiohttp deprecates at import.
            warnings.simplefilter("ignore", DeprecationWarning)
            import localstripe.resources
            import localstripe.server  # noqa: F401
    except Exception as exc:  # any import-time failure makes the target unusable
        return f"localstripe cannot be imported: {type(exc).__name__}: {exc}"
    return None


def patch_store(state_dir: Path | None) -> None:
    """Redirect localstripe's pickle into ``state_dir``, or switch it off when None.

    Must run before the app serves a request. With pickling off the store stays flat at
    about 2,000 creates/s instead of slowing down as it grows.
    """
    from localstripe.resources import Store

    if state_dir is None:

        def dump_to_disk(self: Store) -> None:
            return None

        def try_load_from_disk(self: Store) -> None:
            return None

    else:
        path = state_dir / PICKLE_NAME

        def dump_to_disk(self: Store) -> None:
            with open(path, "wb") as f:
                pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)

        def try_load_from_disk(self: Store) -> None:
            try:
                with open(path, "rb") as f:
                    old = pickle.load(f)
            except FileNotFoundError:
                return
            self.clear()
            self.update(old)

    Store.dump_to_disk = dump_to_disk  # type: ignore[method-assign]
    Store.try_load_from_disk = try_load_from_disk  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    """Child-process entry point: patch the store, bind 127.0.0.1, print the port, serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 = let the OS pick")
    parser.add_argument("--state-dir", type=Path, default=None, help="keep the pickle here")
    args = parser.parse_args(argv)

    patch_store(args.state_dir)
    from aiohttp import web
    from localstripe.resources import store
    from localstripe.server import app

    # Only ever our own private file (or nothing): never the machine-wide /tmp pickle.
    store.try_load_from_disk()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)


@contextlib.contextmanager
def running_localstripe(
    *, state_dir: Path | None = None, startup_timeout: float = 30.0
) -> Iterator[str]:
    """Run localstripe in a child process and yield its base URL (``http://127.0.0.1:N``).

    The child is terminated (then killed) on exit. Raises RuntimeError when it does not come
    up within ``startup_timeout`` seconds; its stderr is in the message.
    """
    import requests

    cmd = [sys.executable, str(Path(__file__).resolve())]
    if state_dir is not None:
        cmd += ["--state-dir", str(state_dir)]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # stderr goes to a file, not a pipe: an undrained pipe would block a chatty child.
    errlog = tempfile.TemporaryFile(mode="w+")
    from .proc import _reset_signals

    # Default SIGINT/SIGTERM in the child whatever this process ignores (see support.proc).
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=errlog,
        text=True,
        env=env,
        preexec_fn=_reset_signals,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            proc.kill()
            proc.wait(timeout=10)
            errlog.seek(0)
            raise RuntimeError(f"localstripe did not start: {line!r} {errlog.read()[-2000:]}")
        base_url = f"http://127.0.0.1:{int(line.split()[1])}"
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                # /_config/ needs no key; DELETE wipes the (private) store, which also
                # proves the app is answering.
                requests.delete(base_url + "/_config/data", timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("localstripe did not answer in time") from None
                time.sleep(0.05)
        yield base_url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        errlog.close()


if __name__ == "__main__":
    main()
