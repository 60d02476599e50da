"""Child processes for tests: a clean environment, explicit signal dispositions, always reaped.

Why explicit dispositions: a child inherits ignored signals. When the suite itself runs
under ``nohup`` or as a background job of a non-interactive shell, SIGINT is ignored in
every child, and Python then never installs its KeyboardInterrupt handler. Children
started here get SIGINT and SIGTERM reset to their defaults before ``exec``, so an
interrupt test means the same thing wherever the suite runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PYTEST = str(Path(sys.executable).with_name("pytest"))
CLI = str(Path(sys.executable).with_name("contracttk"))


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without contracttk/pytest settings that would leak into a child."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTRACTTK_", "PYTEST_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def _reset_signals() -> None:
    # Runs in the child between fork and exec (see the module docstring).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_cli(
    *args: str,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``contracttk ARGS`` in a child process (text output captured)."""
    return subprocess.run(
        [CLI, *args],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        preexec_fn=_reset_signals,
    )


def run_pytest(
    cwd: Path | str,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 240,
    autoload: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run pytest in ``cwd``; without ``autoload`` only our plugin (and xdist) load: faster."""
    env = dict(env if env is not None else clean_env())
    plugins = ["-p", "no:randomly"]
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        plugins = ["-p", "contracttk", "-p", "xdist"]
    return subprocess.run(
        [PYTEST, *plugins, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_reset_signals,
    )


class Child:
    """A running child process whose output is read line by line; killed and reaped on exit.

    Output is read from the pipe's file descriptor directly (no Python buffering), so a
    line that arrived in the same write as an earlier one is never stuck in a buffer the
    selector cannot see.
    """

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._pending = b""
        self._eof = False

    def _fd(self) -> int:
        assert self.proc.stdout is not None
        return self.proc.stdout.fileno()

    def _read_some(self, timeout: float) -> bool:
        """Read what is available within ``timeout``; False at end of output."""
        import select

        if self._eof:
            return False
        ready, _, _ = select.select([self._fd()], [], [], max(0.0, timeout))
        if not ready:
            return True
        chunk = os.read(self._fd(), 65536)
        if not chunk:
            self._eof = True
            if self._pending:
                self.lines.append(self._pending.decode("utf-8", "replace"))
                self._pending = b""
            return False
        self._pending += chunk
        *complete, self._pending = self._pending.split(b"\n")
        self.lines += [line.decode("utf-8", "replace") + "\n" for line in complete]
        return True

    def wait_for_line(self, needle: str, timeout: float = 60) -> str:
        """Block until an output line contains ``needle`` (a progress signal, not a sleep)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if needle in line:
                    return line
            seen = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0 or not self._read_some(min(1.0, left)):
                if any(needle in line for line in self.lines[seen:]):
                    return next(line for line in self.lines[seen:] if needle in line)
                break
        raise AssertionError(
            f"child never printed {needle!r} (exit {self.proc.poll()}); output:\n"
            + "".join(self.lines[-40:])
        )

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the child."""
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """The child's exit code; raises ``subprocess.TimeoutExpired`` after ``timeout``."""
        code = self.proc.wait(timeout=timeout)
        while self._read_some(0.5):
            pass
        return code

    @property
    def output(self) -> str:
        """Everything read from the child so far."""
        return "".join(self.lines) + self._pending.decode("utf-8", "replace")


@contextmanager
def spawn(
    args: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    **kwargs: Any,
) -> Iterator[Child]:
    """Start ``args`` (stderr merged into stdout) with default SIGINT/SIGTERM; always reaped.

    Whatever the test does, the child is killed (SIGKILL) and waited for on the way out,
    so a failing interrupt test cannot leave a writer running.
    """
    proc = subprocess.Popen(
        list(args),
        cwd=cwd,
        env=env if env is not None else clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        bufsize=0,
        preexec_fn=_reset_signals,
        **kwargs,
    )
    try:
        yield Child(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
