"""Throughput of the reference server (``contracttk serve``) next to localstripe.

Each target runs in its own subprocess bound to 127.0.0.1; a client in this process drives it
with N keep-alive connections (one thread each, ``http.client``). One iteration is a card
token create (``POST /v1/tokens``) followed by its retrieve (``GET /v1/tokens/{id}``).
Printed: a markdown table of requests/s and latency percentiles.

localstripe is started through a small launcher (``LOCALSTRIPE_LAUNCHER`` below): its
app bound to 127.0.0.1 only, and its machine-wide pickle file redirected into this run's
temporary folder (or switched off), so nothing outside that folder is touched.

    python benchmarks/bench_server.py --quick
    python benchmarks/bench_server.py --rounds 5 --pairs 3000 --connections 8

Every target answers the same fixed number of create+retrieve pairs per round (not a fixed
duration), so request counts and the number of stored tokens are equal; rounds rotate the
targets' order; figures are medians over rounds, printed with the command and the date.

Note the machine: with 2 cores the client threads compete with the server for CPU, so the
numbers are a comparison between servers, not an absolute capacity.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import header

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


def drive(port: int, connections: int, pairs: int, warmup: int, result: Result) -> None:
    """Send ``pairs`` create+retrieve pairs over ``connections`` threads; fill ``result``.

    The count is fixed, not the duration, so every server answers the same number of
    requests and ends the round with the same number of stored tokens (localstripe's pickle
    and our SQLite file both grow with it). Each thread first sends ``warmup`` pairs (not
    measured), then all start together; the time runs until the last thread is done.
    """
    share = [
        pairs // connections + (1 if i < pairs % connections else 0) for i in range(connections)
    ]
    go = threading.Barrier(connections + 1)
    lock = threading.Lock()

    def worker(count: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def pair() -> tuple[bool, float, float]:
            nonlocal conn
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
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                return False, 0.0, 0.0
            return ok, t1 - t0, t2 - t1

        for _ in range(warmup):
            pair()
        go.wait()
        done = errors = 0
        lat: list[float] = []
        for _ in range(count):
            ok, create, retrieve = pair()
            if ok:
                done += 1
                lat += [create, retrieve]
            else:
                errors += 1
        conn.close()
        with lock:
            result.pairs += done
            result.errors += errors
            result.latencies += lat

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in share]
    for t in threads:
        t.start()
    go.wait()
    begin = time.perf_counter()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - begin


def bench_contracttk(tmp: Path, db: str, args: argparse.Namespace) -> Result:
    port = free_port()
    storage = "SQLite :memory:" if db == ":memory:" else "SQLite file (WAL)"
    result = Result("contracttk serve (uvicorn, h11)", storage)
    cmd = [sys.executable, "-m", "contracttk.cli", "serve", "--port", str(port), "--db", db]
    with started(cmd, port, tmp / f"contracttk-{port}.log"):
        drive(port, args.connections, args.pairs, args.warmup, result)
    return result


def bench_localstripe(tmp: Path, pickle_path: str, args: argparse.Namespace) -> Result:
    launcher = tmp / "localstripe_launcher.py"
    launcher.write_text(LOCALSTRIPE_LAUNCHER)
    port = free_port()
    storage = "pickle off" if pickle_path == "-" else "pickle per write (temp dir)"
    result = Result("localstripe (aiohttp)", storage)
    cmd = [sys.executable, str(launcher), str(port), pickle_path]
    with started(cmd, port, tmp / f"localstripe-{port}.log"):
        drive(port, args.connections, args.pairs, args.warmup, result)
    return result


def table(rounds: list[list[Result]], args: argparse.Namespace) -> str:
    """Markdown: header, then per target the median over rounds and the range."""
    by_target: dict[tuple[str, str], list[Result]] = {}
    for results in rounds:
        for r in results:
            by_target.setdefault((r.label, r.storage), []).append(r)
    lines = [
        header(
            "Reference server vs localstripe: requests per second",
            ["uvicorn", "h11", "aiohttp", "localstripe"],
            args.raw,
        ),
        f"- Load: {args.pairs:,} create+retrieve pairs ({2 * args.pairs:,} requests) per target "
        f"and round over {args.connections} keep-alive connections, after {args.warmup} "
        f"unmeasured pairs per connection; {len(rounds)} round(s), the targets' order rotated "
        "each round; every target gets the same requests and the same count",
        "- requests/s and tokens/s: median over rounds (the middle value), range in brackets; "
        "p50/p99: nearest-rank percentiles of every measured request of all rounds",
        "- Not the same conditions, against us: contracttk serve writes one log line per "
        "request (to a file; it has no switch to turn it off), localstripe's access log is off",
        "",
        "| server | storage | requests/s | tokens/s | p50 ms | p99 ms | failed pairs |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (label, storage), runs in by_target.items():
        rps = [r.rps for r in runs]
        tps = [r.pairs / r.seconds for r in runs if r.seconds]
        lat = sorted(x for r in runs for x in r.latencies)
        lines.append(
            f"| {label} | {storage} | {spread(rps)} | {spread(tps)} | "
            f"{percentile(lat, 0.5):.2f} | {percentile(lat, 0.99):.2f} | "
            f"{sum(r.errors for r in runs)} of {args.pairs * len(runs):,} |"
        )
    return "\n".join(lines)


def spread(values: list[float]) -> str:
    """``median (min-max)``, or just the value when there is one."""
    med = f"{statistics.median(values):,.0f}" if values else "—"
    if len(values) < 2:
        return med
    return f"{med} ({min(values):,.0f}-{max(values):,.0f})"


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)] * 1000


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print the table; exit 1 when a target completed no pair."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 pairs, one round")
    parser.add_argument(
        "--pairs", type=int, default=None, help="create+retrieve pairs per target and round"
    )
    parser.add_argument(
        "--warmup", type=int, default=10, help="unmeasured pairs per connection first"
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="rounds (default 3; the machine may be shared)"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--no-localstripe", action="store_true", help="skip localstripe")
    args = parser.parse_args(argv)
    args.raw = sys.argv[1:] if argv is None else argv
    args.pairs = args.pairs or (300 if args.quick else 3000)
    args.rounds = args.rounds or (1 if args.quick else 3)

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
            targets: list[Callable[[], Result]] = [
                lambda: bench_contracttk(tmp, ":memory:", args),
                lambda i=i: bench_contracttk(tmp, str(tmp / f"bench{i}.sqlite"), args),
            ]
            if with_localstripe:
                targets.append(lambda: bench_localstripe(tmp, "-", args))
                targets.append(
                    lambda i=i: bench_localstripe(tmp, str(tmp / f"localstripe{i}.pickle"), args)
                )
            # Rotate: no target always runs first (or last) in a round of a drifting load.
            shift = i % len(targets)
            rounds.append([run() for run in targets[shift:] + targets[:shift]])
        print(table(rounds, args))
        if not with_localstripe:
            print("- **localstripe NOT MEASURED**: not installed or --no-localstripe")
        return 1 if any(r.pairs == 0 for results in rounds for r in results) else 0
    finally:
        # localstripe's pickle holds full card numbers: remove the folder in all cases.
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
