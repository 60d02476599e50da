"""Throughput of the reference server (``contracttk serve``) next to localstripe.

Each target runs in its own subprocess bound to 127.0.0.1; a client in this process drives it
with N keep-alive connections (one thread each, ``http.client``). One iteration is a card
token create (``POST /v1/tokens``) followed by its retrieve (``GET /v1/tokens/{id}``).
Printed: a markdown table of requests/s and latency percentiles.

localstripe is started through a small launcher (see shared/reference/localstripe.md): its
app bound to 127.0.0.1 only, and its machine-wide pickle file redirected into this run's
temporary folder (or switched off), so nothing outside that folder is touched.

    python benchmarks/bench_server.py --quick
    python benchmarks/bench_server.py --rounds 5 --duration 5 --connections 8

Note the machine: with 2 cores the client threads compete with the server for CPU, so the
numbers are a comparison between servers, not an absolute capacity.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

KEY = "sk_test_contracttk_secret"
CARD_BODY = (
    "card%5Bnumber%5D=4242424242424242&card%5Bexp_month%5D=12"
    f"&card%5Bexp_year%5D={time.gmtime().tm_year + 3}&card%5Bcvc%5D=123"
).encode()
HEADERS = {
    "Authorization": f"Bearer {KEY}",
    "Content-Type": "application/x-www-form-urlencoded",
}

LOCALSTRIPE_LAUNCHER = """
import pickle, sys
from localstripe import resources

pickle_path = sys.argv[2]

def dump_to_disk(self):
    if pickle_path != "-":
        with open(pickle_path, "wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)

resources.Store.dump_to_disk = dump_to_disk
resources.Store.try_load_from_disk = lambda self: None

from aiohttp import web
from localstripe.server import app

web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


@dataclass
class Result:
    """What one client run measured."""

    label: str
    storage: str
    seconds: float = 0.0
    pairs: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def rps(self) -> float:
        return 2 * self.pairs / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@contextmanager
def started(cmd: list[str], port: int, log: Path) -> Iterator[None]:
    with log.open("wb") as sink:
        # stderr to a file, not a pipe: contracttk logs a line per request and an undrained
        # pipe would stall the server once 64 KiB are buffered.
        proc = subprocess.Popen(cmd, stdout=sink, stderr=sink)
        try:
            wait_for_port(port, proc)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def drive(port: int, connections: int, seconds: float, warmup: float, result: Result) -> None:
    """Run create+retrieve loops on ``connections`` threads; fill ``result``."""
    stop = threading.Event()
    measuring = threading.Event()
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pairs = errors = 0
        lat: list[float] = []
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/v1/tokens", body=CARD_BODY, headers=HEADERS)
                resp = conn.getresponse()
                data = resp.read()
                ok = resp.status == 200
                t1 = time.perf_counter()
                if ok:
                    token_id = json.loads(data)["id"]
                    conn.request("GET", f"/v1/tokens/{token_id}", headers=HEADERS)
                    resp = conn.getresponse()
                    resp.read()
                    ok = resp.status == 200
                t2 = time.perf_counter()
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                t1 = t2 = time.perf_counter()
            if measuring.is_set():
                if ok:
                    pairs += 1
                    lat += [t1 - t0, t2 - t1]
                else:
                    errors += 1
        conn.close()
        with lock:
            result.pairs += pairs
            result.errors += errors
            result.latencies += lat

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for t in threads:
        t.start()
    time.sleep(warmup)
    measuring.set()
    begin = time.perf_counter()
    time.sleep(seconds)
    measuring.clear()
    result.seconds = time.perf_counter() - begin
    stop.set()
    for t in threads:
        t.join(timeout=30)


def bench_contracttk(tmp: Path, db: str, args: argparse.Namespace) -> Result:
    port = free_port()
    storage = "SQLite :memory:" if db == ":memory:" else "SQLite file (WAL)"
    result = Result("contracttk serve (uvicorn, h11)", storage)
    cmd = [sys.executable, "-m", "contracttk.cli", "serve", "--port", str(port), "--db", db]
    with started(cmd, port, tmp / f"contracttk-{port}.log"):
        drive(port, args.connections, args.duration, args.warmup, result)
    return result


def bench_localstripe(tmp: Path, pickle_path: str, args: argparse.Namespace) -> Result:
    launcher = tmp / "localstripe_launcher.py"
    launcher.write_text(LOCALSTRIPE_LAUNCHER)
    port = free_port()
    storage = "pickle off" if pickle_path == "-" else "pickle per write (temp dir)"
    result = Result("localstripe (aiohttp)", storage)
    cmd = [sys.executable, str(launcher), str(port), pickle_path]
    with started(cmd, port, tmp / f"localstripe-{port}.log"):
        drive(port, args.connections, args.duration, args.warmup, result)
    return result


def table(rounds: list[list[Result]], args: argparse.Namespace) -> str:
    """Markdown: per target the median run (by requests/s) and the range over rounds."""
    lines = [
        f"Create+retrieve of card tokens, {args.connections} keep-alive connections, "
        f"{args.duration:g} s per target and round, {len(rounds)} interleaved round(s), "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs.",
        "",
        "| server | storage | requests/s (median) | range | tokens/s | p50 ms | p99 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for column in zip(*rounds, strict=True):
        ordered = sorted(column, key=lambda r: r.rps)
        r = ordered[len(ordered) // 2]
        spread = f"{ordered[0].rps:,.0f}-{ordered[-1].rps:,.0f}"
        lines.append(
            f"| {r.label} | {r.storage} | {r.rps:,.0f} | {spread} | {r.pairs / r.seconds:,.0f} | "
            f"{r.percentile(0.5):.2f} | {r.percentile(0.99):.2f} | "
            f"{sum(x.errors for x in column)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one 2 s round per target")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per target")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds (the machine may be shared)"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--no-localstripe", action="store_true", help="skip localstripe")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rounds = 2.0, 0.5, 1

    with_localstripe = not args.no_localstripe
    if with_localstripe:
        try:
            import localstripe  # noqa: F401
        except ImportError:
            print("localstripe is not installed; skipping it", file=sys.stderr)
            with_localstripe = False

    tmp = Path(tempfile.mkdtemp(prefix="contracttk-bench-"))
    try:
        rounds = []
        for i in range(args.rounds):
            results = [
                bench_contracttk(tmp, ":memory:", args),
                bench_contracttk(tmp, str(tmp / f"bench{i}.sqlite"), args),
            ]
            if with_localstripe:
                results.append(bench_localstripe(tmp, "-", args))
                results.append(bench_localstripe(tmp, str(tmp / f"localstripe{i}.pickle"), args))
            rounds.append(results)
        print(table(rounds, args))
        return 1 if any(r.pairs == 0 for results in rounds for r in results) else 0
    finally:
        # localstripe's pickle holds full card numbers: remove the folder in all cases.
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
