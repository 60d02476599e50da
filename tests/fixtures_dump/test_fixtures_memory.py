"""Streaming: a dump's peak memory does not grow with its record count; progress on a terminal.

Peaks are compared between two sizes with a tolerance, never against an absolute figure.
"""

from __future__ import annotations

import gc
import os
import subprocess
import tracemalloc
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import CLI, clean_env

from contracttk.cli import main
from contracttk.fixtures_dump import FORMATS, DumpOptions, dump

AS_OF = date(2026, 11, 27)


def _traced_peak(out: Path, per_kind: int, fmt: str) -> int:
    # card and account: the smallest and the largest payloads.
    half = per_kind // 2
    options = DumpOptions(
        kinds=("card", "account"), valid=half, invalid=per_kind - half, seed=1, format=fmt,
        as_of=AS_OF,
    )  # fmt: skip
    gc.collect()
    tracemalloc.start()
    try:
        dump(out, options)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", FORMATS)
def test_traced_peak_does_not_grow_with_count(tmp_path: Path, fmt: str) -> None:
    _traced_peak(tmp_path / "warm", 40, fmt)  # caches (catalogue, pools, key quoting) filled
    small = _traced_peak(tmp_path / "small", 150, fmt)
    large = _traced_peak(tmp_path / "large", 1500, fmt)
    # 10x the records; holding them would cost megabytes (each record is ~1 KB of JSON),
    # holding one digest per form file some 300 KB.
    assert large < small * 1.3 + 100_000, (small, large)


def _peak_rss_kib(args: list[str], cwd: Path) -> int:
    """Run ``args`` to its end and return the child's peak resident set (KiB, Linux)."""
    proc = subprocess.Popen(
        args, cwd=cwd, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        # wait4 reaps the child and returns its own rusage (not the sum of all children).
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        if proc.returncode is None and proc.poll() is None:
            proc.kill()
            proc.wait()
    assert os.waitstatus_to_exitcode(status) == 0, proc.stderr.read() if proc.stderr else ""
    if proc.stderr is not None:
        proc.stderr.close()
    return int(usage.ru_maxrss)


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="needs wait4 (POSIX) for a child's peak")
def test_form_peak_memory_is_the_same_at_10k_and_100k_records(tmp_path: Path) -> None:
    """The ``form`` format writes one file per record; its peak must not follow the count.

    Before the digests were spilled to disk, 100k records cost ~20 MB more than 10k
    (one manifest entry per file held in a dict); the tolerance sits well below that.
    """
    peaks = {}
    for total in (10_000, 100_000):
        out = tmp_path / str(total)
        args = [CLI, "fixtures", "dump", "--out", str(out), "--type", "pii", "--format", "form",
                "--valid", str(total // 2), "--invalid", str(total - total // 2), "--seed", "1",
                "--as-of", "2026-11-27"]  # fmt: skip
        peaks[total] = _peak_rss_kib(args, tmp_path)
        assert sum(1 for _ in (out / "pii").iterdir()) == total
    small, large = peaks[10_000], peaks[100_000]
    assert large <= small * 1.05 + 2048, f"peak RSS {small} KiB at 10k, {large} KiB at 100k"


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    import pty

    args = ["fixtures", "dump", "--seed", "1", "--type", "pii", "--valid", "6000", "--invalid", "0"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "piped")])
    assert result.exit_code == 0 and "dumping" not in result.stderr
    assert len(result.stderr.splitlines()) == 2  # "seed: 1" and the summary
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [CLI, *args, "--out", str(tmp_path / "tty")],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        cwd=tmp_path,
        env=clean_env(),
    )
    os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.close(master)
    assert proc.returncode == 0
    assert b"dumping" in b"".join(chunks)
