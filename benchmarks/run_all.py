"""Run every benchmark and write their tables to ``benchmarks/RESULTS.md``, in one command.

From the repository root, in the project's venv::

    python benchmarks/run_all.py                      # everything, full counts
    python benchmarks/run_all.py --quick              # small counts: proves the scripts run
    python benchmarks/run_all.py --only generators,startup

Each benchmark script runs as a subprocess with its own flags (``--quick`` is passed
through); its stdout (a markdown table with its own command and date) goes into a section
of the results file, under what ``run_all`` itself recorded: the exact command, the date,
how long it took and its exit status, the machine (CPU count and load average at its start
and end: the machine may be shared) and the versions. A script that fails or times out is
reported as such in its section (with the end of its stderr) and the others still run.

Sections not rerun (``--only``) are kept from the existing file as they were, each with its
own date. The file is written atomically, after all scripts ran. ``--quick`` writes
``benchmarks/RESULTS-quick.md`` (git-ignored) unless ``--output`` says otherwise, so a
smoke run never replaces the figures quoted in the README.

Exit status: 0 when every script exited 0, 1 when one failed or timed out, 2 on bad
arguments, 130 when interrupted (nothing is written then).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import REPO, atomic_write, command_line, load_average, machine, now, versions

BENCH = REPO / "benchmarks"


@dataclass(frozen=True)
class Spec:
    """One benchmark script: its flags for a full and a quick run."""

    name: str
    script: str
    full: tuple[str, ...] = ()
    quick: tuple[str, ...] = ("--quick",)
    # Used when the script's --help offers no --quick (its owner may not have added one).
    quick_fallback: tuple[str, ...] | None = None


SCRIPTS = (
    Spec("generators", "bench_generators.py", ("--pinned-venv",), ("--pinned-venv", "--quick")),
    Spec(
        "fixtures",
        "bench_fixtures.py",
        quick_fallback=("--runs", "1", "--sizes", "1000,10000"),
    ),
    Spec("server", "bench_server.py"),
    Spec("startup", "bench_startup.py"),
    Spec("conformance", "bench_conformance.py"),
)
NAMES = tuple(s.name for s in SCRIPTS)
VERSIONED = ("contracttk", "hypothesis", "faker", "schemathesis", "pytest")
_SECTION = re.compile(r"<!-- bench:(\w+) -->\n.*?<!-- /bench:\1 -->\n", re.S)


@dataclass
class Outcome:
    """What one script run produced."""

    spec: Spec
    argv: list[str]
    started: str
    machine: str  # at its start, load average included
    load_end: str = ""
    seconds: float = 0.0
    status: str = ""
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""


def git_revision() -> str:
    """``abc1234`` (plus ``+ uncommitted changes`` when the tree is dirty), or ``unknown``."""

    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    # The results files are what run_all writes: their changes do not make the code dirty.
    dirty = git("status", "--porcelain", "--", ".", ":!benchmarks/RESULTS*.md")
    return f"{head} + uncommitted changes" if dirty else head


def script_args(spec: Spec, quick: bool) -> list[str]:
    """The flags to pass ``spec``'s script."""
    if not quick:
        return list(spec.full)
    if spec.quick_fallback is None:
        return list(spec.quick)
    helptext = subprocess.run(
        [sys.executable, str(BENCH / spec.script), "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return list(spec.quick if "--quick" in helptext else spec.quick_fallback)


def run(spec: Spec, quick: bool, timeout: float) -> Outcome:
    """Run one script to completion (or ``timeout``); never raises for its failures."""
    args = script_args(spec, quick)
    argv = [sys.executable, str(BENCH / spec.script), *args]
    out = Outcome(spec, args, now(), machine())
    print(f"[run_all] {spec.name}: {command_line(args, str(BENCH / spec.script))}", flush=True)
    start = time.monotonic()
    # Its own session: on timeout or Ctrl-C the script and the servers it started go together.
    proc = subprocess.Popen(
        argv,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out.stdout, out.stderr = proc.communicate(timeout=timeout)
        out.returncode = proc.returncode
        out.status = "OK" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out.stdout, out.stderr = proc.communicate()
        out.status = f"TIMED OUT after {timeout:.0f} s (killed)"
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    out.seconds = time.monotonic() - start
    out.load_end = load_average()
    print(f"[run_all] {spec.name}: {out.status} in {out.seconds:.0f} s", flush=True)
    return out


def section(out: Outcome, invocation: str) -> str:
    """The results-file section of one run: what run_all recorded, then the script's output."""
    name = out.spec.name
    body = out.stdout.strip()
    if body and not re.search(r"^\|.*\|$", body, re.M):
        body = f"```\n{body}\n```"  # plain-text report: keep its layout
    lines = [
        f"<!-- bench:{name} -->",
        f"## {name}",
        "",
        f"- Command: `{command_line(out.argv, str(BENCH / out.spec.script))}` "
        f"(run by `{invocation}`)",
        f"- Date: {out.started}; took {out.seconds:.0f} s; **{out.status}**",
        f"- Machine: {out.machine} of this script, {out.load_end} at its end",
        f"- Versions (run_all's interpreter): {versions(VERSIONED)}; checkout {git_revision()}",
        "",
        body or "_(no output)_",
    ]
    if out.status != "OK":
        tail = "\n".join(out.stderr.strip().splitlines()[-15:])
        lines += ["", "Last lines of its stderr:", "", f"```\n{tail}\n```"]
    lines.append(f"<!-- /bench:{name} -->")
    return "\n".join(lines) + "\n"


def compose(new: dict[str, str], old_text: str, quick: bool) -> str:
    """The whole file: intro, then every script's section (new, else kept, else a stub)."""
    old = {m.group(1): m.group(0) for m in _SECTION.finditer(old_text)}
    parts = [
        "# Benchmark results\n",
        "Regenerated by `python benchmarks/run_all.py` (all) or "
        "`python benchmarks/run_all.py --only NAME[,NAME]` (those; the other sections are "
        "kept as they were). Every section carries the command, the date, the machine and "
        "its load, and the versions of the run that produced it. The machine is often "
        "shared: compare rows of one table (measured in the same run, interleaved), not "
        "absolute figures across sections.\n",
    ]
    if quick:
        parts.append(
            "**QUICK MODE: small counts that prove the scripts run; not figures to quote.**\n"
        )
    for name in NAMES:
        if name in new:
            parts.append(new[name])
        elif name in old:
            parts.append(old[name])
        else:
            parts.append(
                f"<!-- bench:{name} -->\n## {name}\n\n_Not measured yet: "
                f"`python benchmarks/run_all.py --only {name}`._\n<!-- /bench:{name} -->\n"
            )
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scripts, write the results file, print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every script")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(NAMES)}")
    parser.add_argument("--output", type=Path, default=None, help="results file to write")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds per script (default 900, full 5400)"
    )
    raw = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(raw)
    chosen = [n.strip() for n in args.only.split(",") if n.strip()] or list(NAMES)
    unknown = sorted(set(chosen) - set(NAMES))
    if unknown:
        print(
            f"run_all: unknown benchmark {', '.join(unknown)} (known: {', '.join(NAMES)})",
            file=sys.stderr,
        )
        return 2
    output = args.output or BENCH / ("RESULTS-quick.md" if args.quick else "RESULTS.md")
    timeout = args.timeout or (900.0 if args.quick else 5400.0)
    invocation = command_line(raw)

    def terminated(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # same clean-up as Ctrl-C: kill the running script's session

    signal.signal(signal.SIGTERM, terminated)
    outcomes: dict[str, Outcome] = {}
    try:
        for spec in SCRIPTS:
            if spec.name in chosen:
                outcomes[spec.name] = run(spec, args.quick, timeout)
    except KeyboardInterrupt:
        print("run_all: interrupted; nothing written", file=sys.stderr)
        return 130

    new = {name: section(out, invocation) for name, out in outcomes.items()}
    old_text = output.read_text(encoding="utf-8") if output.exists() else ""
    atomic_write(output, compose(new, old_text, args.quick))
    print(f"[run_all] wrote {output}")
    failed = [o.spec.name for o in outcomes.values() if o.status != "OK"]
    if failed:
        print(f"[run_all] not OK: {', '.join(failed)} (see their sections)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
