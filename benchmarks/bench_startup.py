"""What installing contracttk adds to a trivial pytest run, in fresh venvs, side by side.

One command, from the repository root::

    python benchmarks/bench_startup.py [--quick] [--runs N]

Three venvs, built under the benchmark cache (``_benchlib.cache_dir``) and reused by later
runs (pip's download cache is shared, so a rebuild downloads nothing new):

* (a) ``pytest hypothesis faker``: a test suite before contracttk;
* (b) (a) + contracttk's default install (``pip install contracttk-*.whl``, no extras);
* (c) (a) + ``contracttk[conformance]`` from the same wheel.

The three share one set of versions: (a) is resolved first and frozen, and (b) and (c)
install under that freeze as constraints; the versions of pytest, hypothesis and faker of
each venv are printed, and a mismatch is flagged. contracttk comes from a wheel built by
``python -m build --wheel`` from a copy of this checkout's files (tracked and untracked,
not ignored), so what is measured is what a user installs, not an editable tree; it is
reinstalled on every run, so the figures follow the checkout.

Measured: ``pytest -q`` on a project of one file holding one passing test (with a
``pytest.ini`` so the root stops there): wall time from process start to exit (the figure
the target is about), the child's CPU time (user + system, less sensitive to other load on
a shared machine) and its peak resident set (``ru_maxrss``), both from ``wait4``. Two warm-up runs per venv first (the first
run writes ``.pyc`` files), then ``--runs`` rounds, the venvs interleaved within each round
so that load on a shared machine falls on all three alike. Reported: the median (the middle
value) and the range per venv, and the overhead of (b) and (c) over (a) as the difference
of the medians and as the median of the per-round differences.

Exit 0 when every run passed its one test, 1 otherwise, 3 when a venv or the wheel cannot
be built (the message says why).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import REPO, cache_dir, cached_venv, header, pip

BASE = ("pytest", "hypothesis", "faker")
TARGET = 0.15  # seconds: issue 13's bound on what the default install may add
TRIVIAL_TEST = "def test_trivial():\n    assert 1 + 1 == 2\n"


@dataclass
class Venv:
    """One venv of the comparison and what its runs measured."""

    label: str
    describe: str
    path: Path
    seconds: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def copy_checkout(dest: Path) -> None:
    """Copy the files git would ship (tracked + untracked, not ignored) into ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        raise RuntimeError(f"git ls-files failed in {REPO}: {listed.stderr.decode().strip()}")
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO / name
        if source.is_file():  # deleted but still tracked: skip
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def build_wheel(work: Path) -> Path:
    """A wheel of this checkout, built from a clean copy (no build/ or egg-info left here)."""
    src = work / "src"
    copy_checkout(src)
    out = work / "dist"
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(src)]
    try:
        import setuptools

        if int(setuptools.__version__.split(".")[0]) >= 77:
            cmd.insert(4, "--no-isolation")  # this venv has the build backend: no download
    except ImportError:
        pass
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise RuntimeError(f"`python -m build --wheel` failed: {tail}")
    (wheel,) = out.glob("contracttk-*.whl")
    return wheel


def base_venv() -> tuple[Path, Path]:
    """(venv (a), its frozen requirements) — the constraints (b) and (c) install under."""
    venv = cached_venv("startup-a", ["startup-a", *BASE], [list(BASE)])
    freeze = venv / "constraints.txt"
    if not freeze.exists():
        proc = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "freeze", "--disable-pip-version-check"],
            capture_output=True,
            text=True,
            check=True,
        )
        freeze.write_text(proc.stdout)
    return venv, freeze


def with_contracttk(name: str, extra: str, freeze: Path, wheel: Path) -> Path:
    """Venv (b) or (c): (a)'s freeze plus contracttk[extra] from ``wheel`` (reinstalled)."""
    pyproject = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()
    spec = f"{wheel}{extra}"
    # Keyed by the freeze and pyproject.toml: a new dependency list builds a new venv.
    venv = cached_venv(
        name,
        [name, freeze.read_text(), pyproject, extra],
        [["-c", str(freeze), *BASE], ["-c", str(freeze), spec]],
    )
    # The wheel changes with the checkout: install this one over whatever is there.
    pip(venv, "install", "--no-deps", "--force-reinstall", str(wheel))
    pip(venv, "install", "-c", str(freeze), spec)  # a dependency added since: fetch it
    return venv


def installed(venv: Path, names: tuple[str, ...]) -> dict[str, str]:
    """Versions of ``names`` in ``venv`` (``-`` when absent), and its pytest11 plugins."""
    code = (
        "import sys\nfrom importlib import metadata as m\n"
        "for n in sys.argv[1:]:\n"
        "    try: print(n, m.version(n))\n"
        "    except m.PackageNotFoundError: print(n, '-')\n"
        "print('plugins', ','.join(sorted({e.name for e in m.entry_points(group='pytest11')})))\n"
    )
    # -I and cwd="/": neither this checkout's egg-info nor PYTHONPATH may answer for the venv.
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-I", "-c", code, *names],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split(" ", 1) for line in out.splitlines())


def clean_env(venv: Path, home: Path) -> dict[str, str]:
    """An environment with nothing of ours: no PYTEST_ADDOPTS, CI, PYTHONPATH, CONTRACTTK_*."""
    return {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": str(home),
    }


def run_once(v: Venv, project: Path, measure: bool) -> None:
    """One ``pytest -q`` of the trivial project in ``v``; record wall time and peak RSS."""
    env = clean_env(v.path, project.parent)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(v.path / "bin" / "pytest"), "-q"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # Read to EOF before wait4: the child must not block on a full pipe.
    output = proc.stdout.read() if proc.stdout else b""
    if proc.stdout:
        proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = output.decode(errors="replace")
    if proc.returncode != 0 or "1 passed" not in text:
        v.failures.append(f"exit {proc.returncode}: {text.strip().splitlines()[-1:]}")
        return
    if measure:
        v.seconds.append(elapsed)
        v.rss_kib.append(usage.ru_maxrss)  # Linux: KiB
        v.cpu.append(usage.ru_utime + usage.ru_stime)


def report(venvs: list[Venv], info: dict[str, dict[str, str]], args: argparse.Namespace) -> str:
    """The markdown: header, the per-venv table, the two overheads, versions and plugins."""
    a = venvs[0]
    lines = [
        header("pytest start-up: what installing contracttk adds", [], args.raw),
        f"- Runs: {args.runs} measured per venv after {args.warmup} warm-up run(s), venvs "
        "interleaved within each round; the median is the middle value; "
        "peak RSS is the pytest process's ru_maxrss",
        f"- Venvs under {cache_dir() / 'venvs'} (reused between runs; contracttk reinstalled "
        "from a wheel of this checkout on every run)",
        "",
        "| venv | installed | wall s (median) | wall range s | CPU s (median) "
        "| peak RSS MiB (median) | wall overhead vs (a) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for v in venvs:
        if not v.seconds:
            lines.append(f"| {v.label} | {v.describe} | failed | — | — | — | — |")
            continue
        med = statistics.median(v.seconds)
        over = "—" if v is a else f"{med - statistics.median(a.seconds):+.3f} s"
        lines.append(
            f"| {v.label} | {v.describe} | {med:.3f} | {min(v.seconds):.3f}-"
            f"{max(v.seconds):.3f} | {statistics.median(v.cpu):.3f} | "
            f"{statistics.median(v.rss_kib) / 1024:.1f} | {over} |"
        )
    lines.append("")
    for v in venvs[1:]:
        if not (v.seconds and a.seconds):
            continue
        paired = [x - y for x, y in zip(v.seconds, a.seconds, strict=False)]
        diff = statistics.median(v.seconds) - statistics.median(a.seconds)
        verdict = ""
        if v.label == "(b)":
            verdict = (
                f" — {'meets' if diff <= TARGET else 'MISSES'} the target of at most {TARGET:.2f} s"
            )
        lines.append(
            f"- Overhead {v.label} − (a): **{diff:+.3f} s** (difference of medians; median of "
            f"the per-round differences {statistics.median(paired):+.3f} s; CPU time "
            f"{statistics.median(v.cpu) - statistics.median(a.cpu):+.3f} s; peak RSS "
            f"{(statistics.median(v.rss_kib) - statistics.median(a.rss_kib)) / 1024:+.1f} MiB)"
            f"{verdict}"
        )
    for v in venvs:
        got = info.get(v.label, {})
        pkgs = ", ".join(f"{n} {got.get(n, '?')}" for n in (*BASE, "contracttk", "schemathesis"))
        lines.append(f"- {v.label} versions: {pkgs}; pytest11 plugins: {got.get('plugins', '?')}")
        if v.failures:
            lines.append(f"- {v.label} FAILED runs: {len(v.failures)}, e.g. {v.failures[0]}")
    base = {n: info.get("(a)", {}).get(n) for n in BASE}
    for v in venvs[1:]:
        diff_pkgs = [n for n in BASE if info.get(v.label, {}).get(n) != base[n]]
        if diff_pkgs:
            lines.append(
                f"- **VERSION MISMATCH** between (a) and {v.label}: {', '.join(diff_pkgs)}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the venvs, measure, print the report; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs per venv, 1 warm-up")
    parser.add_argument("--runs", type=int, default=None, help="measured runs (default 10)")
    args = parser.parse_args(argv)
    args.raw = sys.argv[1:] if argv is None else argv
    args.runs = args.runs or (3 if args.quick else 10)
    args.warmup = 1 if args.quick else 2

    with tempfile.TemporaryDirectory(prefix="contracttk-startup-") as tmp:
        work = Path(tmp)
        try:
            wheel = build_wheel(work)
            venv_a, freeze = base_venv()
            venv_b = with_contracttk("startup-b", "", freeze, wheel)
            venv_c = with_contracttk("startup-c", "[conformance]", freeze, wheel)
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            print(f"bench_startup: cannot set up the venvs: {exc}", file=sys.stderr)
            return 3
        venvs = [
            Venv("(a)", "pytest + hypothesis + faker", venv_a),
            Venv("(b)", "(a) + contracttk (default install, from the wheel)", venv_b),
            Venv("(c)", "(a) + contracttk[conformance] (same wheel)", venv_c),
        ]
        info = {v.label: installed(v.path, (*BASE, "contracttk", "schemathesis")) for v in venvs}
        # One project per venv (a .pytest_cache of one must not meet another).
        projects = {}
        for v in venvs:
            project = work / f"project{v.label[1]}" / "proj"
            project.mkdir(parents=True)
            (project / "pytest.ini").write_text("[pytest]\n")
            (project / "test_trivial.py").write_text(TRIVIAL_TEST)
            projects[v.label] = project
        for _ in range(args.warmup):
            for v in venvs:
                run_once(v, projects[v.label], measure=False)
        for _ in range(args.runs):
            for v in venvs:
                run_once(v, projects[v.label], measure=True)
        print(report(venvs, info, args))
    return 1 if any(v.failures for v in venvs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
