"""Hostile and careless use of ``contracttk fixtures`` (issue 12.6), reproduced.

* ``--force`` on a folder that is not an earlier contracttk dump: exit 2, nothing touched;
* counts over the cap, on the command line or in a tampered manifest (``--regenerate``):
  exit 2 naming the cap, nothing written;
* a dump killed with ``kill -9``: its temporary folder is removed by the next run, and
  nothing else is (foreign look-alikes, live dumps, symlinks, other users' folders);
* a data file changed after the dump: ``verify`` exits 1 with one line naming it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support import CLI, clean_env, run_cli, spawn

AS_OF = "2026-11-27"
CAP = 10_000_000


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every entry below ``folder``: size, mtime and (for files) bytes; links not followed."""
    out = {}
    for p in sorted(folder.rglob("*")):
        st = p.lstat()
        data = p.read_bytes() if p.is_file() and not p.is_symlink() else b""
        out[p.relative_to(folder).as_posix()] = (st.st_size, st.st_mtime_ns, data)
    return out


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command prints (and only that line on stderr)."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


def make_dump(out: Path, *extra: str) -> None:
    result = run_cli("fixtures", "dump", "--out", str(out), "--type", "pii", "--valid", "2",
                     "--invalid", "2", "--seed", "1", "--as-of", AS_OF, *extra, cwd=out.parent)  # fmt: skip
    assert result.returncode == 0, result.stderr


# --- --force on what is not ours ----------------------------------------------------------------


def _project(root: Path) -> Path:
    """The issue's victim: a source tree."""
    (root / "userdir" / "src").mkdir(parents=True)
    (root / "userdir" / "src" / "main.py").write_text("print('mine')\n")
    return root / "userdir"


def _foreign_manifest(root: Path) -> Path:
    """A web app folder whose manifest.json belongs to another tool."""
    (root / "web").mkdir()
    (root / "web" / "manifest.json").write_text('{"name": "my app", "files": {}}')
    (root / "web" / "index.html").write_text("<html></html>")
    return root / "web"


def _dump_plus_notes(root: Path) -> Path:
    make_dump(root / "fx")
    (root / "fx" / "notes.txt").write_text("results of last week's run")
    return root / "fx"


def _dump_plus_folder(root: Path) -> Path:
    make_dump(root / "fx", "--format", "form")
    (root / "fx" / "pii" / "extra").mkdir()
    (root / "fx" / "pii" / "extra" / "keep.txt").write_text("mine")
    return root / "fx"


def _dump_with_symlink(root: Path) -> Path:
    # A listed file replaced by a link to a file of the user's: replacing the folder
    # must not be talked into (even indirectly) touching what the link points at.
    make_dump(root / "fx")
    (root / "precious.txt").write_text("do not touch")
    (root / "fx" / "pii.jsonl").unlink()
    (root / "fx" / "pii.jsonl").symlink_to(root / "precious.txt")
    return root / "fx"


def _dump_with_fifo(root: Path) -> Path:
    make_dump(root / "fx", "--format", "form")
    os.mkfifo(root / "fx" / "pii" / "pipe")
    return root / "fx"


def _forged_tool(root: Path) -> Path:
    make_dump(root / "fx")
    manifest = json.loads((root / "fx" / "manifest.json").read_text())
    manifest["tool"] = "someone-else"
    (root / "fx" / "manifest.json").write_text(json.dumps(manifest))
    return root / "fx"


@pytest.mark.parametrize(
    "make",
    [_project, _foreign_manifest, _dump_plus_notes, _dump_plus_folder, _dump_with_symlink,
     _dump_with_fifo, _forged_tool],
)  # fmt: skip
def test_force_on_a_foreign_folder_touches_nothing(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    target = make(tmp_path)
    before = snapshot(tmp_path)
    result = run_cli("fixtures", "dump", "--out", str(target), "--force", "--type", "pii",
                     "--seed", "5", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "--force replaces only an earlier contracttk dump" in error_line(result)
    assert "nothing was touched" in result.stderr
    assert snapshot(tmp_path) == before


def test_force_on_an_earlier_dump_replaces_it(tmp_path: Path) -> None:
    make_dump(tmp_path / "fx", "--format", "form")
    result = run_cli("fixtures", "dump", "--out", str(tmp_path / "fx"), "--force", "--type",
                     "card", "--valid", "1", "--invalid", "0", "--seed", "5", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "fx").iterdir()) == ["card.jsonl", "manifest.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["fx"]


# --- counts over the cap ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--valid", "99999999999999999999"), ("--invalid", str(CAP + 1)), ("--valid", "9" * 4400)],
)
def test_oversized_counts_are_refused(tmp_path: Path, flag: str, value: str) -> None:
    result = run_cli("fixtures", "dump", "--out", str(tmp_path / "d"), flag, value, cwd=tmp_path)
    assert result.returncode == 2
    line = error_line(result)
    assert line.startswith(f"Error: {flag}: ") and "over the cap of 10,000,000" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        # The attack: counts raised in the options regeneration trusts.
        ({"options.valid": 99_999_999_999}, "options.valid: 99,999,999,999 is over the cap"),
        ({"options.invalid": CAP + 1}, "options.invalid: 10,000,001 is over the cap"),
        ({"seed": 10**60}, "seed: a 61-digit number is over the cap of 2**128 - 1"),
        # Raised within the cap but not in the counts block: the manifest contradicts itself.
        ({"options.valid": 5000}, "counts and total disagree with its options"),
        ({"counts.pii.valid": 5000}, "counts and total disagree with its options"),
        ({"options.valid": "many"}, "options.valid: must be a non-negative integer"),
    ],
)
def test_tampered_manifest_counts_with_regenerate(
    tmp_path: Path, tamper: dict[str, object], message: str
) -> None:
    out = tmp_path / "fx"
    make_dump(out)
    path = out / "manifest.json"
    manifest = json.loads(path.read_text())
    for dotted, value in tamper.items():
        *parents, leaf = dotted.split(".")
        node = manifest
        for key in parents:
            node = node[key]
        node[leaf] = value
    path.write_text(json.dumps(manifest, indent=2))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    before = snapshot(tmp_path)
    for args in (["--regenerate"], []):
        result = run_cli("fixtures", "verify", *args, str(out), cwd=tmp_path,
                         env=clean_env(TMPDIR=str(scratch)))  # fmt: skip
        assert result.returncode == 2
        line = error_line(result)
        assert message in line and "manifest.json" in line
    assert snapshot(tmp_path) == before  # nothing written, not even in TMPDIR


# --- temporary folders of killed runs -----------------------------------------------------------


def _writing(parent: Path) -> bool:
    for tmp in parent.glob(".*.tmp-*"):
        for path in (tmp / "data").rglob("*"):
            try:
                if path.is_file() and path.stat().st_size > 0:
                    return True
            except OSError:
                pass
    return False


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


def _killed_dump(parent: Path, name: str = "d") -> Path:
    """Start a long dump into ``parent/name``, SIGKILL it mid-write; return its temp folder."""
    args = [CLI, "fixtures", "dump", "--out", str(parent / name), "--seed", "1",
            "--valid", str(CAP), "--format", "form"]  # fmt: skip
    with spawn(args, cwd=parent) as child:
        child.wait_for_line("seed: 1")
        _wait_until(lambda: _writing(parent), "the dump to write")
        child.signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    # Reaped by now (a zombie would still count as a live owner).
    (left,) = parent.glob(f".{name}.tmp-*")
    assert (left / "owner.json").is_file() and any((left / "data").rglob("*.form"))
    return left


def test_kill_9_leftovers_are_removed_by_the_next_run(tmp_path: Path) -> None:
    left = _killed_dump(tmp_path)
    # The next run, even into another folder of the same parent, cleans up.
    result = run_cli("fixtures", "dump", "--out", str(tmp_path / "other"), "--type", "pii",
                     "--seed", "1", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"removed {left.name}, left behind by a killed dump" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other"]


def _marked(parent: Path, name: str, *, pid: int, host: str | None = None,
            age: float = 0.0) -> Path:  # fmt: skip
    """A folder made to look like one of ours (name, marker), ``age`` seconds old."""
    folder = parent / name
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "x.form").write_text("x")
    marker = folder / "owner.json"
    marker.write_text(json.dumps({"tool": "contracttk", "purpose": "fixtures dump in progress",
                                  "host": host or socket.gethostname(), "pid": pid}))  # fmt: skip
    if age:
        then = time.time() - age
        os.utime(marker, (then, then))
    return folder


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(proc.stdout)


def test_only_our_abandoned_folders_are_removed(tmp_path: Path) -> None:
    parent = tmp_path / "p"
    parent.mkdir()
    dead, live = _dead_pid(), os.getpid()  # this test process is alive throughout
    gone = [
        _marked(parent, f".a.tmp-{dead}-0123abcd", pid=dead),
        # Another host's folder, untouched for two hours: no live writer heartbeats so rarely.
        _marked(parent, ".b.tmp-4242-0123abcd", pid=4242, host="elsewhere", age=7200),
    ]
    kept = [
        _marked(parent, f".c.tmp-{live}-0123abcd", pid=live),  # owner alive
        _marked(parent, ".d.tmp-4242-0123abcd", pid=4242, host="elsewhere", age=60),  # fresh
        _marked(parent, f".e.tmp-{dead}-0123abcd", pid=dead + 1),  # marker names another pid
        _marked(parent, f".f.tmp-{dead}-nothex00", pid=dead),  # not our name pattern
        _marked(parent, f"g.tmp-{dead}-0123abcd", pid=dead),  # not hidden: not our name
    ]
    bare = parent / f".h.tmp-{dead}-0123abcd"  # our name, no marker: not recognisably ours
    (bare / "data").mkdir(parents=True)
    # A symlink with our name, pointing at a marked folder of the user's: never followed.
    target = _marked(tmp_path, "linked-target", pid=dead)
    link = parent / f".i.tmp-{dead}-0123abcd"
    link.symlink_to(target, target_is_directory=True)
    before = snapshot(tmp_path)
    result = run_cli("fixtures", "dump", "--out", str(parent / "new"), "--type", "pii",
                     "--seed", "1", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in parent.iterdir()) == sorted(
        [p.name for p in kept] + [bare.name, link.name, "new"]
    )
    for folder in gone:
        assert f"removed {folder.name}," in result.stderr
    after = snapshot(tmp_path)
    for rel, entry in before.items():
        # "p" itself changes (entries come and go); everything below it that stays must not.
        if rel != "p" and not any(rel.startswith(f"p/{g.name}") for g in gone):
            assert after.get(rel) == entry, rel


@pytest.mark.allowed_skip("chown to another user needs root")
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs chown")
def test_another_users_folder_is_kept(tmp_path: Path) -> None:
    folder = _marked(tmp_path, f".a.tmp-{_dead_pid()}-0123abcd", pid=_dead_pid())
    os.chown(folder, 12345, 12345)
    result = run_cli("fixtures", "dump", "--out", str(tmp_path / "new"), "--type", "pii",
                     cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0 and folder.is_dir() and "removed" not in result.stderr


def test_a_live_dump_keeps_its_folder(tmp_path: Path) -> None:
    args = [CLI, "fixtures", "dump", "--out", str(tmp_path / "long"), "--seed", "1",
            "--valid", str(CAP), "--format", "jsonl"]  # fmt: skip
    with spawn(args, cwd=tmp_path) as child:
        child.wait_for_line("seed: 1")
        _wait_until(lambda: _writing(tmp_path), "the long dump to write")
        (live,) = tmp_path.glob(".long.tmp-*")
        result = run_cli("fixtures", "dump", "--out", str(tmp_path / "short"), "--type", "pii",
                         cwd=tmp_path)  # fmt: skip
        assert result.returncode == 0 and "removed" not in result.stderr
        assert live.is_dir() and child.proc.poll() is None
        child.signal(signal.SIGINT)
        assert child.wait(timeout=30) == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short"]


# --- data files changed after the dump ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "rel"), [("jsonl", "pii.jsonl"), ("json", "pii.json"),
                     ("form", "pii/pii-valid-0001.form"), ("form", "index.json")],
)  # fmt: skip
def test_tampered_data_file_is_one_clear_line(tmp_path: Path, fmt: str, rel: str) -> None:
    out = tmp_path / "fx"
    make_dump(out, "--format", fmt)
    path = out / rel
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit: the same size, a different checksum
    path.write_bytes(bytes(data))
    result = run_cli("fixtures", "verify", str(out), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"checksum mismatch: {rel}"]
    assert result.stderr.splitlines()[-1] == f"{out}: 1 problem(s)"
    assert "Traceback" not in result.stderr
