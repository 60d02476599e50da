"""Benchmark ``contracttk fixtures dump``: rate, bytes and peak memory per format and size.

Usage::

    python benchmarks/bench_fixtures.py                 # 10k and 100k records, 3 runs each
    python benchmarks/bench_fixtures.py --runs 5 --sizes 10000,100000,1000000

What is measured, and how (so the table means what it says):

* Every run is a fresh child process (``--child``), so one run's caches and heap do not
  flatter the next. Inside it a tiny dump is made first (pools, catalogue and imports
  warmed), then only the ``dump()`` call is timed. The rate is records / that time.
* Sizes are total records over all six kinds (half valid, half invalid per kind); the
  bytes column is what landed on disk (all files, manifest included).
* Peak memory is the child's peak resident set (``ru_maxrss``) read right after the
  timed call, whole process: interpreter and imports included, so compare sizes, not
  absolute values. The largest of the runs is shown. "flat" means the largest size's peak is within 5%
  + 2 MiB of the smallest's, for that format.
* Rates are the median of ``--runs`` runs (the middle value, not the best).
* Peers do the job our card-only jsonl row does: write N card payloads as JSON Lines
  (ours carry more per record: the encoded body, the expected answer, half of them a
  catalogue violation).
  ``plain Faker`` calls Faker for every field of every record; ``pooled Faker`` gets the
  advantage our builders have, names and addresses drawn from 64-entry pools built
  before timing (ours are warmed before timing too). Both run in children the same way.

The command and the date are printed beside the table. Exit 1 if a format's memory is
not flat, else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 27)
FORMATS = ("json", "jsonl", "form")
POOL = 64


# --- the child: one timed run ---------------------------------------------------------------------


def _folder_bytes(folder: Path) -> int:
    # os.walk, not Path.rglob: rglob remembers every path it yielded (a set of 100k Path
    # objects for a form dump), which would count against nobody but the benchmark.
    return sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(folder)
        for name in names
    )


def _peak_kib() -> int:
    """This process's peak resident set so far, in KiB (Linux reports KiB, macOS bytes)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def _child_dump(
    fmt: str, total: int, seed: int, kinds: tuple[str, ...], tmp: Path
) -> dict[str, Any]:
    from contracttk.fixtures_dump import DumpOptions, dump

    per_kind = -(-total // len(kinds))  # rounded up: at least ``total`` records
    valid = per_kind // 2
    dump(tmp / "warm", DumpOptions(kinds=kinds, valid=2, invalid=2, seed=seed, format=fmt,
                                   as_of=AS_OF))  # fmt: skip
    options = DumpOptions(kinds=kinds, valid=valid, invalid=per_kind - valid, seed=seed,
                          format=fmt, as_of=AS_OF)  # fmt: skip
    start = time.perf_counter()
    head = dump(tmp / "out", options)
    seconds = time.perf_counter() - start
    # Read before counting bytes and removing the folder: the peak of the dump itself.
    peak = _peak_kib()
    return {
        "records": head["total"],
        "seconds": seconds,
        "bytes": _folder_bytes(tmp / "out"),
        "peak_kib": peak,
    }


def _card_pools(fake: Any) -> dict[str, list[Any]]:
    return {
        "names": [fake.name() for _ in range(POOL)],
        "addresses": [(fake.street_address(), fake.city(), fake.postcode()) for _ in range(POOL)],
    }


def _child_peer(pooled: bool, total: int, seed: int, tmp: Path) -> dict[str, Any]:
    import random

    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    pools = _card_pools(fake) if pooled else None
    out = tmp / "peer.jsonl"
    start = time.perf_counter()
    with open(out, "w", encoding="utf-8") as fh:
        for i in range(total):
            if pools is not None:
                name = pools["names"][int(rnd.random() * POOL)]
                line1, city, postcode = pools["addresses"][int(rnd.random() * POOL)]
            else:
                name = fake.name()
                line1, city, postcode = fake.street_address(), fake.city(), fake.postcode()
            card = {
                "number": fake.credit_card_number(),
                "exp_month": rnd.randint(1, 12),
                "exp_year": rnd.randint(2027, 2036),
                "cvc": f"{rnd.randint(0, 999):03d}",
                "name": name,
                "address_line1": line1,
                "address_city": city,
                "address_zip": postcode,
                "address_country": "US",
            }
            fh.write(json.dumps({"id": f"card-{i}", "params": {"card": card}},
                                ensure_ascii=False, separators=(",", ":")) + "\n")  # fmt: skip
    seconds = time.perf_counter() - start
    return {"records": total, "seconds": seconds, "bytes": out.stat().st_size,
            "peak_kib": _peak_kib()}  # fmt: skip


def child_main(job: str, total: int, seed: int) -> None:
    """Run one job in this (child) process and print its measurements as JSON."""
    from contracttk.contract import KIND_NAMES

    with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:
        kind, _, fmt = job.partition(":")
        if kind == "peer-plain" or kind == "peer-pooled":
            result = _child_peer(kind == "peer-pooled", total, seed, Path(tmp))
        else:
            kinds = KIND_NAMES if kind == "all" else (kind,)
            result = _child_dump(fmt, total, seed, tuple(kinds), Path(tmp))
    print(json.dumps(result))


# --- the parent: runs, medians, the table -----------------------------------------------------------


def run_child(job: str, total: int, seed: int) -> dict[str, Any]:
    """One fresh child for ``job``: its measurements (peak RSS taken right after the job)."""
    args = [sys.executable, __file__, "--child", job, str(total), str(seed)]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child {job} {total} failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout))


def measure(job: str, total: int, seed: int, runs: int) -> dict[str, Any]:
    """Median rate and largest peak RSS of ``runs`` children."""
    results = [run_child(job, total, seed) for _ in range(runs)]
    rates = [r["records"] / r["seconds"] for r in results]
    return {
        "records": results[0]["records"],
        "bytes": results[0]["bytes"],
        "rate": statistics.median(rates),
        "rates": rates,
        "peak_kib": max(r["peak_kib"] for r in results),
    }


def _versions() -> str:
    from importlib.metadata import version

    return (
        f"Python {platform.python_version()}, contracttk {version('contracttk')}, "
        f"Faker {version('faker')}, {os.cpu_count()} CPUs ({platform.machine()})"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table with its command and date; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child_main(argv[1], int(argv[2]), int(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per row (median rate)")
    parser.add_argument("--sizes", default="10000,100000", help="record counts, comma-separated")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-peers", action="store_true", help="skip the Faker peer rows")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    formats = args.formats.split(",")

    rows: list[tuple[str, int, dict[str, Any]]] = []
    for size in sizes:
        for fmt in formats:
            rows.append((f"contracttk dump, all six kinds, {fmt}", size,
                         measure(f"all:{fmt}", size, args.seed, args.runs)))  # fmt: skip
        if not args.no_peers:
            rows.append(("contracttk dump, card only, jsonl", size,
                         measure("card:jsonl", size, args.seed, args.runs)))  # fmt: skip
            rows.append(("plain Faker card payloads, jsonl", size,
                         measure("peer-plain", size, args.seed, args.runs)))  # fmt: skip
            rows.append(("pooled Faker card payloads, jsonl", size,
                         measure("peer-pooled", size, args.seed, args.runs)))  # fmt: skip

    command = "python benchmarks/bench_fixtures.py " + shlex.join(argv)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Command: `{command.strip()}`  ")
    print(f"Date: {when}; {_versions()}  ")
    print(f"Median of {args.runs} runs (each a fresh process); peak RSS = largest of the runs.\n")
    print("| job | records | bytes | records/s (median) | runs | peak RSS |")
    print("|---|---:|---:|---:|---|---:|")
    for name, _, m in rows:
        runs = " / ".join(f"{r:,.0f}" for r in m["rates"])
        print(f"| {name} | {m['records']:,} | {m['bytes']:,} | {m['rate']:,.0f} | {runs} "
              f"| {m['peak_kib'] / 1024:,.1f} MiB |")  # fmt: skip

    ok = True
    if len(sizes) > 1:
        print()
        for fmt in formats:
            peaks = {s: m["peak_kib"] for name, s, m in rows if name.endswith(f"six kinds, {fmt}")}
            small, large = peaks[min(sizes)], peaks[max(sizes)]
            flat = large <= small * 1.05 + 2048
            ok &= flat
            print(f"memory {fmt}: {small / 1024:.1f} MiB at {min(sizes):,} records, "
                  f"{large / 1024:.1f} MiB at {max(sizes):,}: {'flat' if flat else 'GROWS'}")  # fmt: skip
    if not args.no_peers:
        print()
        for size in sizes:
            by = {name: m["rate"] for name, s, m in rows if s == size}
            ours = by["contracttk dump, card only, jsonl"]
            print(f"{size:,} card records: contracttk / plain Faker = "
                  f"{ours / by['plain Faker card payloads, jsonl']:.2f}x, contracttk / pooled "
                  f"Faker = {ours / by['pooled Faker card payloads, jsonl']:.2f}x")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
