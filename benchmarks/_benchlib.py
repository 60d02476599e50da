"""Helpers shared by the benchmark scripts: the header beside every table, cached venvs.

Standard library only: ``bench_generators.py`` imports this inside its pinned venv, where
only the light dependencies of ``requirements-generators.txt`` are installed.

Every table a script prints carries the exact command that produced it, the date, the
machine (CPU count and load average: the machine these run on is often shared) and the
versions, so that a figure quoted elsewhere can be traced back and rerun.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

__all__ = [
    "REPO",
    "atomic_write",
    "cache_dir",
    "cached_venv",
    "command_line",
    "header",
    "load_average",
    "machine",
    "now",
    "pip",
    "venv_python",
    "versions",
]


def now() -> str:
    """The current time as ``YYYY-MM-DD HH:MM UTC`` (the date printed beside tables)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def command_line(argv: Sequence[str] | None = None, script: str | None = None) -> str:
    """The command that reproduces this run, from the repository root.

    ``python benchmarks/<script> <args>``: the interpreter is written as ``python`` (the
    project's venv, per HELPERS/README set-up); the script path is made relative to the
    repository so the line can be pasted.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(script or sys.argv[0]).resolve()
    try:
        shown = path.relative_to(REPO).as_posix()
    except ValueError:
        shown = str(path)
    return shlex.join(["python", shown, *args])


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, or ``unknown`` where the OS has none."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    """CPU count and model, OS, and the load average now (1 / 5 / 15 min)."""
    return (
        f"{os.cpu_count()} CPUs ({_cpu_model()}), {platform.system()} {platform.machine()}, "
        f"load average {load_average()} (1/5/15 min) at start"
    )


def versions(names: Iterable[str]) -> str:
    """``Python X; name Y; ...`` for the installed distributions among ``names``."""
    parts = [f"Python {platform.python_version()}"]
    for name in names:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    return "; ".join(parts)


def header(title: str, packages: Iterable[str], argv: Sequence[str] | None = None) -> str:
    """The markdown lines printed above a table: title, command, date, machine, versions."""
    return "\n".join(
        [
            f"### {title}",
            "",
            f"- Command: `{command_line(argv)}` (from the repository root)",
            f"- Date: {now()}",
            f"- Machine: {machine()}",
            f"- Versions: {versions(packages)}",
            "",
        ]
    )


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never half-written)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def cache_dir() -> Path:
    """Where benchmark venvs are kept between runs.

    ``$CONTRACTTK_BENCH_CACHE``, else ``$XDG_CACHE_HOME/contracttk-bench``, else
    ``~/.cache/contracttk-bench``. pip's own download cache is shared as usual, so a rebuilt
    venv downloads nothing that an earlier one fetched.
    """
    explicit = os.environ.get("CONTRACTTK_BENCH_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "contracttk-bench"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    # Two benchmark runs building the same venv at once would corrupt it: serialise them.
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def venv_python(venv: Path) -> Path:
    """The interpreter of ``venv``."""
    return venv / "bin" / "python"


def pip(venv: Path, *args: str) -> None:
    """Run ``pip`` of ``venv`` quietly; raise ``RuntimeError`` with pip's last lines on failure."""
    cmd = [str(venv_python(venv)), "-m", "pip", "--disable-pip-version-check", "-q", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise RuntimeError(f"`pip {' '.join(args)}` failed in {venv}: {tail}")


def cached_venv(name: str, key: Sequence[str], install: Sequence[Sequence[str]]) -> Path:
    """A venv under :func:`cache_dir` with ``install`` done in it, built once and reused.

    ``key`` names everything the venv's contents depend on (requirement lists, file hashes);
    the venv's folder is ``<name>-<hash of key>``, so a changed key builds a new venv and an
    unchanged one is reused as is. Each entry of ``install`` is one ``pip install`` argument
    list. A ``.ready`` marker is written last: a build interrupted half-way is redone.
    Raises ``RuntimeError`` (with pip's message) when the venv cannot be built.
    """
    digest = hashlib.sha256("\0".join([sys.version, *key]).encode()).hexdigest()[:12]
    venv = cache_dir() / "venvs" / f"{name}-{digest}"
    marker = venv / ".ready"
    with _locked(cache_dir() / "venvs" / f".{name}-{digest}.lock"):
        if marker.exists():
            return venv
        if venv.exists():
            shutil.rmtree(venv)
        started = time.monotonic()
        print(f"[bench] building venv {venv} (once; reused by later runs)", file=sys.stderr)
        # venvs are not relocatable (scripts carry absolute shebangs): build in place.
        base = getattr(sys, "_base_executable", sys.executable)
        made = subprocess.run(
            [base, "-m", "venv", str(venv)], capture_output=True, text=True, check=False
        )
        if made.returncode != 0:
            raise RuntimeError(f"`{base} -m venv {venv}` failed: {made.stderr.strip()[-300:]}")
        for args in install:
            pip(venv, "install", *args)
        marker.write_text("\n".join(key) + "\n")
        print(f"[bench] venv ready in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return venv
