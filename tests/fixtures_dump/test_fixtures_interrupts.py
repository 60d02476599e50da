"""SIGINT and SIGTERM stop ``fixtures dump`` (every format) and ``fixtures verify`` cleanly.

Each child is started by ``support.spawn``: SIGINT/SIGTERM reset to their defaults
whatever the suite inherited (``nohup``, a background job), and the child is always
killed and reaped, so a failing test cannot leave a writer filling the disk. Tests wait
for a progress signal (a line the command prints, a data file growing), never a sleep.
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support import CLI, Child, clean_env, spawn

from contracttk.fixtures_dump import FORMATS, MAX_RECORDS_PER_KIND

# The bound the issue sets: from the signal to the child gone, cleanup included.
STOP_WITHIN = 2.0
SIGNALS = [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    """Poll ``condition`` until it holds (a progress signal), failing after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


def wait_for_text(child: Child, needle: str, timeout: float = 120) -> str:
    """Read the child's output straight from its pipe until ``needle`` appears; return it.

    Why not ``Child.wait_for_line``: it selects on the pipe, then reads through a buffered
    text wrapper, so when two lines arrive together the second sits in the wrapper's
    buffer where select cannot see it, and the wait times out although the line was
    printed (``verify --regenerate`` prints its two progress lines 10 ms apart).
    """
    assert child.proc.stdout is not None
    fd = child.proc.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while needle.encode() not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"child never printed {needle!r}; output: {seen.decode()!r}"
        if select.select([fd], [], [], min(remaining, 1.0))[0]:
            chunk = os.read(fd, 65536)
            assert chunk, f"child ended before printing {needle!r}; output: {seen.decode()!r}"
            seen += chunk
    return seen.decode()


def writing(parent: Path) -> bool:
    """Whether a dump's temporary folder in ``parent`` holds a data file with bytes in it."""
    for tmp in parent.glob(".*.tmp-*"):
        for path in (tmp / "data").rglob("*"):
            try:
                if path.is_file() and path.stat().st_size > 0:
                    return True
            except OSError:  # removed under our feet: keep polling
                pass
    return False


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry below ``folder`` with its size and mtime (to show nothing was touched)."""
    return {
        p.relative_to(folder).as_posix(): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in folder.rglob("*")
    }


def stop(child: Child, sig: int) -> int:
    """Send ``sig`` and return the exit code, which must come within :data:`STOP_WITHIN`."""
    child.signal(sig)
    return child.wait(timeout=STOP_WITHIN)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("sig", SIGNALS)
def test_signal_stops_dump_leaving_nothing(tmp_path: Path, fmt: str, sig: int) -> None:
    work = tmp_path / "work"
    work.mkdir()
    # As many records as the cap allows: left running, this would write for hours.
    args = [CLI, "fixtures", "dump", "--out", str(work / "d"), "--seed", "1",
            "--valid", str(MAX_RECORDS_PER_KIND), "--format", fmt]  # fmt: skip
    with spawn(args, cwd=work) as child:
        head = wait_for_text(child, "seed: 1")
        wait_until(lambda: writing(work), "the dump to write its first records")
        code = stop(child, sig)
    output = head + child.output
    assert code == 130, output
    assert "Interrupted." in output and "Traceback" not in output
    assert list(work.iterdir()) == []


def test_interrupted_dump_removes_the_folders_it_made(tmp_path: Path) -> None:
    # --out below folders that do not exist yet: the dump creates them, and an interrupt
    # takes them away again (the folder it was started in stays as it was).
    args = [CLI, "fixtures", "dump", "--out", str(tmp_path / "a" / "b" / "d"), "--seed", "1",
            "--valid", str(MAX_RECORDS_PER_KIND), "--format", "jsonl"]  # fmt: skip
    with spawn(args, cwd=tmp_path) as child:
        head = wait_for_text(child, "seed: 1")
        wait_until(lambda: writing(tmp_path / "a" / "b"), "the dump to write its first records")
        code = stop(child, signal.SIGTERM)
    assert code == 130, head + child.output
    assert list(tmp_path.iterdir()) == []


def test_interrupt_works_when_the_suite_ignores_sigint(tmp_path: Path) -> None:
    # What `nohup pytest &` does to every child unless the disposition is reset.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        args = [CLI, "fixtures", "dump", "--out", str(tmp_path / "d"), "--seed", "1",
                "--valid", str(MAX_RECORDS_PER_KIND), "--format", "form"]  # fmt: skip
        with spawn(args, cwd=tmp_path) as child:
            head = wait_for_text(child, "seed: 1")
            wait_until(lambda: writing(tmp_path), "the dump to write its first records")
            code = stop(child, signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == 130, head + child.output
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def small_dump(tmp_path: Path) -> Path:
    """A one-record dump made by the CLI (the folder verify is pointed at)."""
    from support import run_cli

    out = tmp_path / "fx"
    result = run_cli("fixtures", "dump", "--out", str(out), "--type", "pii", "--valid", "1",
                     "--invalid", "0", "--seed", "1", "--as-of", "2026-11-27", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("sig", SIGNALS)
def test_signal_stops_verify(tmp_path: Path, small_dump: Path, sig: int) -> None:
    # A 64 GiB sparse data file: hashing it takes long, storing it takes nothing.
    data = small_dump / "pii.jsonl"
    with open(data, "r+b") as fh:
        fh.truncate(64 << 30)
    before = snapshot(tmp_path)
    with spawn([CLI, "fixtures", "verify", str(small_dump)], cwd=tmp_path) as child:
        head = wait_for_text(child, "verifying ")
        code = stop(child, sig)
    output = head + child.output
    assert code == 130, output
    assert "Interrupted." in output and "Traceback" not in output
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("sig", SIGNALS)
def test_signal_stops_verify_regenerate(tmp_path: Path, small_dump: Path, sig: int) -> None:
    # The manifest asks for the cap (consistently): regeneration would run for hours.
    path = small_dump / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["options"]["valid"] = MAX_RECORDS_PER_KIND
    manifest["counts"]["pii"] = {"valid": MAX_RECORDS_PER_KIND, "invalid": 0,
                                 "total": MAX_RECORDS_PER_KIND}  # fmt: skip
    manifest["total"] = MAX_RECORDS_PER_KIND
    path.write_text(json.dumps(manifest, indent=2))
    scratch = tmp_path / "scratch"  # the child's TMPDIR: regeneration must write nothing
    scratch.mkdir()
    before = snapshot(tmp_path)
    env = clean_env(TMPDIR=str(scratch))
    with spawn([CLI, "fixtures", "verify", "--regenerate", str(small_dump)], cwd=tmp_path,
               env=env) as child:  # fmt: skip
        head = wait_for_text(child, f"regenerating {MAX_RECORDS_PER_KIND} record(s)")
        code = stop(child, sig)
    output = head + child.output
    assert code == 130, output
    assert "Interrupted." in output and "Traceback" not in output
    assert snapshot(tmp_path) == before
    assert list(scratch.iterdir()) == []
