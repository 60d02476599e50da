"""Benchmark a conformance run: contracttk vs plain schemathesis vs a raw HTTP loop.

Usage::

    python benchmarks/bench_conformance.py --quick   # --max-examples 10, one run (~2 min)
    python benchmarks/bench_conformance.py           # default --max-examples, median of 3

Same target, one run per tool per round. The target is the reference server
(``contracttk serve --port 0 --db <tmp>``) on loopback, started fresh for each tool in its
own process, so every tool meets an empty database and the numbers are counted by the
server itself, not by the tool: requests from the server's one-line-per-request log, tokens
created from its SQLite file.

1. **contracttk**: ``contracttk fuzz URL --max-examples M --seed S --report r.json``: the
   default run (valid and invalid payloads of six kinds, protocol items, and schemathesis's
   fuzzing and coverage phases judged by the oracle). Its request count ``N`` is the budget
   of the raw loop.
2. **plain schemathesis** with the same phases as ours: ``st run openapi.json --url URL
   -H "Authorization: Bearer ..." -n M --phases coverage,fuzzing --mode all
   --continue-on-failure`` on the bundled OpenAPI document (``contracttk schema --format
   openapi``), its default checks. Its case count is whatever those phases generate for
   ``-n M`` (reported, not forced: ``-n`` is a maximum).
3. **raw loop**: a ``requests.Session`` posting contracttk's sample payloads (the six kinds
   in turn, form-encoded once) N times, nothing generated, nothing judged: the ceiling of
   what the target can take from one client.

The share column says what it is for each row: tokens created over the cases that row's
tool considers valid (contracttk: the payloads its oracle accepts inside the model's
understood domain; schemathesis: its positive-mode cases; the raw loop: every post). Against
our own reference server contracttk's share is at least 100% by construction (the server's
count also holds the protocol items' tokens and those of cases the model accepts outside its
understood domain, which are not counted as valid); it is shown for the peers' sake. Rates
are requests per second of wall time: a whole process for contracttk and st (start-up
included), the loop alone for the raw loop; with several rounds each figure is the median
(the middle value of the rounds).

Each tool runs in one working folder kept for all its runs, as on a user's machine. The
first run there is cold: st's Hypothesis builds its UTF-8 table (a pass over every code point,
~3 s; contracttk writes the known table instead) and contracttk derives schemathesis's
coverage cases (~2 s), each cached in the folder (``.contracttk_cache/`` for contracttk,
``.hypothesis/`` for st). That first run is not in the medians; its wall time is the "cold s"
column, and a fresh CI machine without a cached ``.contracttk_cache/`` pays it on every run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from contracttk.contract import KIND_NAMES, sample_params
from contracttk.defaults import DEFAULT_SECRET_KEY
from contracttk.encoding import encode

BIN = Path(sys.executable).parent
_LOG_LINE = re.compile(r" (GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|TRACE|[A-Z]+) (\S+) (\d{3}) ")
_LISTEN = re.compile(r"reference server on (http://\S+)")


@dataclass
class Result:
    """One tool's run, as the server saw it."""

    tool: str
    wall_s: float
    requests: int
    posts: int
    tokens: int
    valid: int
    exit_code: int
    note: str = ""

    @property
    def rate(self) -> float:
        """Requests per second of wall time (tool start-up included)."""
        return self.requests / self.wall_s if self.wall_s else 0.0

    @property
    def share(self) -> float | None:
        """Tokens created per valid case."""
        return self.tokens / self.valid if self.valid else None


@dataclass
class Served:
    """A running reference server: its URL and where its log and database are."""

    url: str
    log: Path
    db: Path


@contextmanager
def reference_server(workdir: Path, name: str) -> Iterator[Served]:
    """``contracttk serve --port 0`` in a child process with a fresh SQLite file."""
    log = workdir / f"{name}-server.log"
    db = workdir / f"{name}.sqlite"
    with open(log, "w", encoding="utf-8") as sink:
        proc = subprocess.Popen(
            [str(BIN / "contracttk"), "serve", "--port", "0", "--db", str(db)],
            stdout=sink,
            stderr=sink,
        )
    try:
        deadline = time.monotonic() + 30
        url = None
        while url is None:
            m = _LISTEN.search(log.read_text(encoding="utf-8"))
            if m:
                url = m.group(1)
            elif proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("reference server did not start: " + log.read_text()[-2000:])
            else:
                time.sleep(0.05)
        # Up once it answers HTTP at all (401 without a key is an answer).
        while True:
            try:
                requests.get(url + "/v1/tokens/tok_probe", timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield Served(url, log, db)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def server_counts(served: Served) -> tuple[int, int, int]:
    """(requests, POST requests, tokens stored) once the server has stopped.

    The readiness probe (one GET) is subtracted.
    """
    methods = [m.group(1) for m in _LOG_LINE.finditer(served.log.read_text(encoding="utf-8"))]
    with sqlite3.connect(served.db) as conn:
        tokens = int(conn.execute("SELECT COUNT(*) FROM tokens").fetchone()[0])
    return len(methods) - 1, methods.count("POST"), tokens


def run_contracttk(workdir: Path, cwd: Path, max_examples: int, seed: int) -> Result:
    """The whole contracttk suite once."""
    report = workdir / "contracttk-report.json"
    with reference_server(workdir, "contracttk") as served:
        start = time.perf_counter()
        cmd = [str(BIN / "contracttk"), "fuzz", served.url, "--max-examples", str(max_examples)]
        cmd += ["--seed", str(seed), "--report", str(report)]
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
    total, posts, tokens = server_counts(served)
    counts = json.loads(report.read_text(encoding="utf-8"))["counts"]
    return Result(
        "contracttk fuzz",
        wall,
        total,
        posts,
        tokens,
        counts["positive_cases"],
        proc.returncode,
        f"{counts['findings']} findings; {counts['positive_created']} of the oracle-valid "
        "created a token (tokens: the server's own count, which also holds the protocol "
        "items' tokens and those of schemathesis's cases that the model accepts outside "
        "its understood domain, and counts an idempotent replay once)",
    )


def run_schemathesis(
    workdir: Path, cwd: Path, schema: Path, max_examples: int, seed: int
) -> Result:
    """Plain ``st run`` with the phases contracttk runs (coverage, fuzzing), both modes."""
    with reference_server(workdir, "schemathesis") as served:
        start = time.perf_counter()
        cmd = [str(BIN / "st"), "run", str(schema), "--url", served.url]
        cmd += ["-H", f"Authorization: Bearer {DEFAULT_SECRET_KEY}"]
        cmd += ["-n", str(max_examples), "--seed", str(seed), "--phases", "coverage,fuzzing"]
        cmd += ["--mode", "all", "--continue-on-failure"]
        cmd += ["--generation-database", "none", "--no-color"]
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
    total, posts, tokens = server_counts(served)
    return Result(
        "schemathesis (st run)",
        wall,
        total,
        posts,
        tokens,
        posts,
        proc.returncode,
        "share over all POSTs (both modes): schemathesis has no oracle of valid payloads",
    )


def run_raw(workdir: Path, cases: int) -> Result:
    """``requests.Session`` posting the six sample payloads in turn, ``cases`` times."""
    bodies = [encode(sample_params(kind)) for kind in KIND_NAMES]
    headers = {
        "Authorization": f"Bearer {DEFAULT_SECRET_KEY}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    with reference_server(workdir, "raw") as served:
        with requests.Session() as session:
            start = time.perf_counter()
            for i in range(cases):
                session.post(
                    served.url + "/v1/tokens", data=bodies[i % len(bodies)], headers=headers
                )
            wall = time.perf_counter() - start
    total, posts, tokens = server_counts(served)
    return Result("raw requests loop", wall, total, posts, tokens, posts, 0, "sample payloads")


def median_result(rounds: list[Result]) -> Result:
    """The round with the median rate (a real median: the middle of the sorted rounds)."""
    ordered = sorted(rounds, key=lambda r: r.rate)
    return ordered[len(ordered) // 2]


def table(
    results: list[Result], rounds: int, cold: dict[str, Result], per_tool: dict[str, list[Result]]
) -> str:
    """The markdown table (each row the median round of ``rounds``; ``cold``: first runs)."""
    lines = [
        "| tool | requests | POSTs | wall s | req/s | req/s per round | vs raw loop | cold s | valid cases | tokens | share | exit | note |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    raw = next((r for r in results if r.tool.startswith("raw")), None)
    for r in results:
        share = f"{r.share:.1%}" if r.share is not None else "n/a"
        ratio = f"{r.rate / raw.rate:.2f}" if raw and raw.rate else "n/a"
        lines.append(
            f"| {r.tool} | {r.requests} | {r.posts} | {r.wall_s:.1f} | {r.rate:.0f} "
            f"| {' / '.join(f'{x.rate:.0f}' for x in per_tool[r.tool])} | {ratio} "
            f"| {cold[r.tool].wall_s:.1f} | {r.valid} | {r.tokens} | {share} | {r.exit_code} "
            f"| {r.note} |"
        )
    cold_raw = cold.get(raw.tool) if raw else None
    cold_ours = cold.get(results[0].tool)
    lines.append(
        f"\n(median of {rounds} round(s) after one unmeasured first run per tool in the same "
        "working folder; cold s = that first run's wall time"
        + (
            f", contracttk cold vs raw loop {cold_ours.rate / cold_raw.rate:.2f})"
            if cold_ours and cold_raw and cold_raw.rate
            else ")"
        )
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the three tools and print the table; exit 1 if the reference run was not clean."""
    from datetime import datetime, timezone

    from contracttk.conformance.settings import DEFAULT_MAX_EXAMPLES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="--max-examples 10, one round")
    parser.add_argument("--max-examples", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None, help="rounds (median reported)")
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args(argv)
    max_examples = args.max_examples or (10 if args.quick else DEFAULT_MAX_EXAMPLES)
    rounds = args.rounds or (1 if args.quick else 3)

    per_tool: dict[str, list[Result]] = {}
    cold: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix="bench-conformance-") as tmp:
        work = Path(tmp)
        schema = work / "openapi.json"
        with open(schema, "w", encoding="utf-8") as out:
            subprocess.run(
                [str(BIN / "contracttk"), "schema", "--format", "openapi"], stdout=out, check=True
            )
        # Each tool keeps one working folder for all its runs, as on a user's machine: the
        # first run fills the per-folder caches (see the module docstring), later ones reuse
        # them. Round 0 is that first run, shown apart ("cold s") and left out of the medians.
        ours_cwd, st_cwd = work / "contracttk-cwd", work / "st-cwd"
        ours_cwd.mkdir()
        st_cwd.mkdir()
        for n in range(rounds + 1):
            rnd = work / f"round{n}"
            rnd.mkdir()
            ours = run_contracttk(rnd, ours_cwd, max_examples, args.seed)
            results_now = (
                ours,
                run_schemathesis(rnd, st_cwd, schema, max_examples, args.seed),
                run_raw(rnd, ours.requests),
            )
            for r in results_now:
                if n == 0:
                    cold[r.tool] = r
                else:
                    per_tool.setdefault(r.tool, []).append(r)
    results = [median_result(rs) for rs in per_tool.values()]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Command: python benchmarks/bench_conformance.py {' '.join(argv or sys.argv[1:])}".rstrip()
        + f"\nDate: {datetime.now(timezone.utc).isoformat(timespec='seconds')}; "
        f"{os.cpu_count()} CPUs, load average {load:.1f} at the end; Python {sys.version.split()[0]}\n"
        f"Target: contracttk reference server on loopback (fresh per tool and round); "
        f"contracttk --max-examples {max_examples}; raw loop N = contracttk's request count.\n"
    )
    print(table(results, rounds, cold, per_tool))
    ours, raw = per_tool["contracttk fuzz"], per_tool["raw requests loop"]
    ratios = sorted(a.rate / b.rate for a, b in zip(ours, raw, strict=True) if b.rate)
    if ratios:
        print(
            "contracttk / raw loop, round by round (the same round's runs, back to back): "
            + " / ".join(f"{x:.2f}" for x in ratios)
            + f"; median {ratios[len(ratios) // 2]:.2f}"
        )
    runs = [*per_tool["contracttk fuzz"], cold["contracttk fuzz"]]
    return 0 if all(r.exit_code == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
