"""Benchmark ``contracttk fixtures dump`` against plain Faker, and check its memory stays flat.

Usage::

    python benchmarks/bench_fixtures.py --quick     # 100,000 records, ~a minute
    python benchmarks/bench_fixtures.py             # 1,000,000 records (~1.7 GB in $TMPDIR)

Baseline: the rate of a plain Faker card payload (``fake.credit_card_number()`` +
``fake.name()`` + ``fake.address()``), measured in the same process and run. The dump
(all six kinds, jsonl, default locale) must write records at least at that rate, and
its tracemalloc peak must not grow with the number of records (two sizes, 10x apart).
Exit status 0 when both hold, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

from faker import Faker

from contracttk.contract import KIND_NAMES
from contracttk.fixtures_dump import DumpOptions, dump

AS_OF = date(2026, 11, 27)


def faker_rate(n: int, seed: int) -> float:
    """Plain Faker card payloads per second."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    start = time.perf_counter()
    for _ in range(n):
        {"number": fake.credit_card_number(), "name": fake.name(), "address": fake.address()}
    return n / (time.perf_counter() - start)


def options_for(total: int, seed: int, fmt: str = "jsonl") -> DumpOptions:
    """Options writing ``total`` records spread evenly over the six kinds (half valid)."""
    per_kind = -(-total // len(KIND_NAMES))  # rounded up: at least ``total`` records
    valid = per_kind // 2
    return DumpOptions(valid=valid, invalid=per_kind - valid, seed=seed, format=fmt, as_of=AS_OF)


def dump_rate(total: int, seed: int, fmt: str = "jsonl") -> tuple[float, int, int]:
    """(records per second, records, bytes) of one dump into a temporary folder."""
    options = options_for(total, seed, fmt)
    with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:
        start = time.perf_counter()
        manifest = dump(Path(tmp) / "out", options)
        elapsed = time.perf_counter() - start
        size = sum(p.stat().st_size for p in (Path(tmp) / "out").rglob("*") if p.is_file())
    return manifest["total"] / elapsed, manifest["total"], size


def dump_peak(total: int, seed: int) -> int:
    """tracemalloc peak (bytes) of one dump of ``total`` records."""
    options = options_for(total, seed)
    with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:
        dump(Path(tmp) / "warm", DumpOptions(valid=1, invalid=1, seed=seed, as_of=AS_OF))
        gc.collect()
        tracemalloc.start()
        try:
            dump(Path(tmp) / "out", options)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def folder_sha(total: int, seed: int) -> str:
    """sha256 over every file (path + bytes) of a dump: the determinism fingerprint."""
    sha = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="bench-fixtures-") as tmp:
        out = Path(tmp) / "out"
        dump(out, options_for(total, seed))
        for path in sorted(out.rglob("*")):
            if path.is_file():
                sha.update(path.relative_to(out).as_posix().encode() + b"\0")
                sha.update(path.read_bytes())
    return sha.hexdigest()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a small report; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 records instead of 1M")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    total = 100_000 if args.quick else 1_000_000

    base = faker_rate(5_000 if args.quick else 20_000, args.seed)
    rate, records, size = dump_rate(total, args.seed)
    json_rate, json_records, _ = dump_rate(total // 4, args.seed, "json")
    base_after = faker_rate(5_000 if args.quick else 20_000, args.seed)
    # Baseline measured before and after the dump; the better of the two is the bar.
    baseline = max(base, base_after)
    small, large = total // 100, total // 10
    peak_small, peak_large = dump_peak(small, args.seed), dump_peak(large, args.seed)
    same = folder_sha(3_000, args.seed) == folder_sha(3_000, args.seed)

    print(f"plain Faker card payload : {baseline:10,.0f} payloads/s")
    print(
        f"fixtures dump (jsonl)    : {rate:10,.0f} records/s  ({records:,} records, {size:,} bytes)"
    )
    print(f"  ratio dump / Faker     : {rate / baseline:10.2f}")
    print(f"fixtures dump (json)     : {json_rate:10,.0f} records/s  ({json_records:,} records)")
    print(
        f"tracemalloc peak         : {peak_small:,} B at {small:,} records, "
        f"{peak_large:,} B at {large:,} records ({peak_large / peak_small:.2f}x)"
    )
    print(f"same seed twice          : {'identical bytes' if same else 'DIFFERENT BYTES'}")
    ok = min(rate, json_rate) >= baseline and peak_large <= 1.5 * peak_small + 256_000 and same
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
