"""Children that run to their end, several at once, with their own peak memory.

Security tests start many independent ``contracttk fuzz`` / ``pytest -p contracttk``
children (each mostly waits: for imports, for a deadline, for a target); started together,
a batch costs about its slowest child. Each child's peak RSS comes from ``wait4``, so it is
the child's own, not the largest of every child the test process ever waited for.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .hostile import RawServer
from .proc import CLI, PYTEST, clean_env

__all__ = ["Run", "against", "fuzz", "plugin", "run_child", "run_together"]


@dataclass
class Run:
    """A finished child: exit code, output, peak memory and the folder it ran in."""

    code: int
    out: str
    err: str
    cwd: Path
    max_rss: int = 0
    connections: int = -1

    @property
    def text(self) -> str:
        """stdout and stderr."""
        return self.out + "\n" + self.err

    def file(self, name: str) -> str:
        """A file the child wrote in its folder ("" when there is none)."""
        path = self.cwd / name
        return path.read_text(encoding="utf-8") if path.exists() else ""


def _reset_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_child(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> Run:
    """Run a child to its end; its own peak RSS comes from ``wait4`` (not the test's)."""
    cwd.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=env if env is not None else clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_reset_signals,
    )
    chunks: dict[str, bytes] = {}

    def read(name: str, stream: Any) -> None:
        chunks[name] = stream.read()

    readers = [
        threading.Thread(target=read, args=("out", proc.stdout)),
        threading.Thread(target=read, args=("err", proc.stderr)),
    ]
    for t in readers:
        t.start()
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    return Run(
        proc.returncode,
        chunks["out"].decode("utf-8", "replace"),
        chunks["err"].decode("utf-8", "replace"),
        cwd,
        usage.ru_maxrss * 1024,
    )


def run_together(jobs: dict[str, Callable[[], Run]]) -> dict[str, Run]:
    """Run independent children at once (most of their time is waiting)."""
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


def fuzz(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Callable[[], Run]:
    """A job: ``contracttk fuzz ARGS`` in ``cwd``."""
    return lambda: run_child([CLI, "fuzz", *args], cwd, env)


def plugin(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Callable[[], Run]:
    """A job: ``pytest -p contracttk ARGS`` in ``cwd`` (only our plugin loaded)."""
    env = dict(env if env is not None else clean_env())
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return lambda: run_child(
        [PYTEST, "-p", "contracttk", "-p", "no:cacheprovider", "-q", *args], cwd, env
    )


def against(handler: Callable[[socket.socket, RawServer], None], job: Callable[[str], Run]) -> Run:
    """Run ``job(url)`` while a raw-socket target with ``handler`` is up."""
    with RawServer(handler) as srv:
        run = job(srv.url)
    run.connections = srv.connections
    return run
