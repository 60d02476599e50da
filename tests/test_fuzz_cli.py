"""``contracttk fuzz``: exit codes, the JSON report, and broken servers being caught.

Full runs go through a real ``contracttk fuzz`` subprocess (the command users type);
flag and target checks that end before the suite starts go through click's CliRunner in
an isolated folder. Untestable targets are tiny stdlib servers on loopback threads.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from contracttk.plugins import engine

from contracttk.cli import main
from contracttk.contract import parse_key
from contracttk.contract.domain import luhn_valid
from contracttk.defaults import DEFAULT_LIVE_SECRET_KEY, DEFAULT_SECRET_KEY
from contracttk.server import TokenService, create_app, running_server

CONTRACTTK = str(Path(sys.executable).with_name("contracttk"))


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("CONTRACTTK_", "PYTEST_"))}


def fuzz_cmd(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONTRACTTK, "fuzz", *args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["fuzz", *args], env={"CONTRACTTK_API_KEY": None})


def luhn_runs(text: str) -> list[str]:
    return [m for m in re.findall(r"(?<![0-9])[0-9]{13,19}(?![0-9])", text) if luhn_valid(m)]


# --- full runs ---------------------------------------------------------------------------------


@pytest.mark.loopback
def test_default_run_on_the_reference_server_is_clean_and_seed_last_repeats_it(
    tmp_path: Path,
) -> None:
    report, junit = tmp_path / "r.json", tmp_path / "j.xml"
    proc = fuzz_cmd(
        tmp_path,
        "--max-examples",
        "3",
        "--seed",
        "2024",
        "--report",
        str(report),
        "--junit-xml",
        str(junit),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "contracttk summary" in proc.stdout and "passed" in proc.stdout
    doc = json.loads(report.read_text())
    assert doc["status"] == "completed" and doc["seed"] == 2024 and doc["failures"] == []
    counts = doc["counts"]
    assert counts["positive_created_share"] == 1.0 and counts["cases"] > 900
    assert {"passed", "failed", "warned"} == set(doc["checks"]["expected_error"])
    assert "<testsuite" in junit.read_text()
    # --seed last (from .contracttk_cache in the working folder), on two workers
    again = fuzz_cmd(
        tmp_path, "--seed", "last", "--max-examples", "2", "--workers", "2", "--report", str(report)
    )
    assert again.returncode == 0, again.stdout[-3000:]
    assert json.loads(report.read_text())["seed"] == 2024


class EchoesThePan(TokenService):
    """Broken: the card token's description carries the card number."""

    def render_token(self, kind: str, params: Any, key: Any) -> dict[str, Any]:
        token = super().render_token(kind, params, key)
        if kind == "card":
            token["card"]["description"] = str(params["card"]["number"])
        return token


@pytest.mark.loopback
def test_broken_server_exit_1_with_a_precise_redacted_report(tmp_path: Path) -> None:
    report, junit = tmp_path / "r.json", tmp_path / "j.xml"
    with running_server(service_cls=EchoesThePan) as url:
        proc = fuzz_cmd(
            tmp_path,
            url,
            "--max-examples",
            "3",
            "--report",
            str(report),
            "--junit-xml",
            str(junit),
        )
    assert proc.returncode == 1, proc.stdout[-3000:]
    doc = json.loads(report.read_text())
    [echo] = [
        f for f in doc["failures"] if f["check"] == "no_secret_echo" and f["item"] == "card::valid"
    ]
    assert echo["kind"] == "card" and echo["strength"] == "hard"
    assert echo["curl"].startswith(f"curl -sS -X POST '{url}/v1/tokens'")
    assert echo["response"]["status"] == 200
    assert echo["response"]["body"]["card"]["description"].endswith(
        echo["response"]["body"]["card"]["last4"]
    )
    assert doc["checks"]["no_secret_echo"]["failed"] >= 1
    for text in (proc.stdout, proc.stderr, report.read_text(), junit.read_text()):
        assert luhn_runs(text) == [] and DEFAULT_SECRET_KEY not in text


class DiesAfterAWhile(TokenService):
    """Broken: after 60 creates every request hangs (as if the process wedged)."""

    served = 0

    async def execute_create(self, params: Any, key: Any, idempotency: Any) -> Any:
        import asyncio

        type(self).served += 1
        if type(self).served > 60:
            await asyncio.sleep(30)
        return await super().execute_create(params, key, idempotency)


@pytest.mark.loopback
def test_a_target_dying_mid_run_stops_the_run_with_exit_1(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    with running_server(service_cls=DiesAfterAWhile) as url:
        started = time.monotonic()
        proc = fuzz_cmd(
            tmp_path, url, "--timeout", "0.5", "--max-examples", "5", "--report", str(report)
        )
        elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "stopped answering" in proc.stderr and elapsed < 60
    doc = json.loads(report.read_text())
    assert doc["status"] == "target_down"
    assert {f["check"] for f in doc["failures"]} >= {"responds"}


# --- broken servers, one fault each, are caught (engine in-process: fast) -----------------------


class WrongIdPrefix(TokenService):
    def new_id(self, prefix: str) -> str:
        return super().new_id("tok_" if prefix == "pii_" else prefix)


class CrashesOnName(TokenService):
    def validate(self, params: Any, key: Any) -> str:
        if isinstance(params.get("card"), dict) and "name" in params["card"]:
            raise RuntimeError("boom")
        return super().validate(params, key)


class NoAuth(TokenService):
    def authenticate(self, request: Any) -> Any:
        return parse_key(DEFAULT_SECRET_KEY)


class AcceptsLuhnFailures(TokenService):
    def validate(self, params: Any, key: Any) -> str:
        from contracttk.server import ApiError

        try:
            return super().validate(params, key)
        except ApiError as err:
            if err.expected.code == "incorrect_number":
                return "card"
            raise


class ForgetsTokens(TokenService):
    def load(self, token_id: str, key: Any) -> str | None:
        return None


class NoReplayHeader(TokenService):
    def idempotency_lookup(self, key: Any, idem_key: str, digest: bytes) -> Any:
        replay = super().idempotency_lookup(key, idem_key, digest)
        if replay is not None:
            replay.headers = [h for h in replay.headers if h[0] != "idempotent-replayed"]
        return replay


class HtmlErrors(TokenService):
    def error_response(self, expected: Any) -> Any:
        from contracttk.server import Response

        return Response(
            expected.status, b"<html><body>error</body></html>", [("content-type", "text/html")]
        )


@pytest.mark.parametrize(
    ("service", "items", "check"),
    [
        (WrongIdPrefix, ["pii::valid"], "token_semantics"),
        (CrashesOnName, ["card::valid", "card::invalid"], "not_a_server_error"),
        (NoAuth, ["auth::no_key"], "auth_no_key"),
        (AcceptsLuhnFailures, ["card::invalid"], "expected_error"),
        (ForgetsTokens, ["retrieve::consistency"], "retrieve_consistency"),
        (NoReplayHeader, ["idempotency::replay"], "idempotency_replayed_header"),
        (HtmlErrors, ["protocol::malformed"], "error_envelope"),
        (EchoesThePan, ["card::valid"], "no_secret_echo"),
    ],
)
def test_each_broken_server_is_caught(service: type, items: list[str], check: str) -> None:
    target = engine.Target(
        "asgi", app=create_app(service_cls=service), live_key=DEFAULT_LIVE_SECRET_KEY
    )
    found = set()
    for name in items:
        result = engine.run_item(name, target, max_examples=10, seed=1)
        found |= {f.check for f in result.hard}
    assert check in found


def test_the_reference_server_is_clean_in_process() -> None:
    target = engine.Target("asgi", app=create_app(), live_key=DEFAULT_LIVE_SECRET_KEY)
    for name in engine.item_names():
        if name.startswith("fuzz::"):
            continue  # covered by the loopback runs
        result = engine.run_item(name, target, max_examples=3, seed=5)
        assert result.skipped is None, name
        assert [f.describe() for f in result.failures.values()] == [], name


# --- targets that cannot be tested: exit 3, one line, bounded time ---------------------------


@contextmanager
def tcp_server(handle: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            conns.append(conn)
            threading.Thread(target=handle, args=(conn, stop), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        for c in conns:
            c.close()
        sock.close()


def _hang(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(30)


def _not_http(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
    conn.close()


@contextmanager
def html_server() -> Iterator[str]:
    class Html(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = b"<html><body>Welcome to nginx!</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _assert_exit_3(result: Any, started: float, limit: float, *words: str) -> None:
    assert result.exit_code == 3, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    assert time.monotonic() - started < limit
    for word in words:
        assert word in lines[0]


def test_unreachable_target_exit_3() -> None:
    started = time.monotonic()
    _assert_exit_3(invoke(_closed_port_url()), started, 10, "unreachable")


def test_html_target_exit_3() -> None:
    with html_server() as url:
        started = time.monotonic()
        _assert_exit_3(invoke(url), started, 10, "does not answer JSON", "text/html")


def test_not_http_target_exit_3() -> None:
    with tcp_server(_not_http) as url:
        started = time.monotonic()
        _assert_exit_3(invoke(url), started, 10, "does not speak HTTP")


def test_hanging_target_exit_3_in_bounded_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "PREFLIGHT_TIMEOUT", 1.0)  # the default 5 s, shortened for speed
    with tcp_server(_hang) as url:
        started = time.monotonic()
        _assert_exit_3(invoke(url), started, 5, "no answer within 1 s")


# --- usage errors: exit 2 ----------------------------------------------------------------------


def test_live_keys_refused_without_the_flag() -> None:
    key = "sk_live_abcdefghijklmnop1234"
    result = invoke(_closed_port_url(), "--api-key", key)
    assert result.exit_code == 2 and "live-mode" in result.output
    assert key not in result.output and "1234" in result.output  # masked, last four shown
    result = invoke(_closed_port_url(), "--api-key", key, "--allow-live-keys")
    assert result.exit_code == 3  # accepted; the target itself is the problem now
    result = invoke(_closed_port_url(), "--live-key", "rk_live_abcdefghijklmnop")
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--max-examples", "0"],
        ["--no-such-flag"],
        ["--seed", "abc"],
        ["--workers", "0"],
        ["--report", "/proc/contracttk-no-such-dir/r.json"],
        ["--junit-xml", "/proc/contracttk-no-such-dir/j.xml"],
        ["ftp://example.com"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["notaurl"], "is not an http(s) URL"),
        (["http://127.0.0.1:port"], "is not a valid URL"),
        (["http://[::1"], "is not a valid URL"),
        (["--timeout", "nan"], ">= 0.1"),
        (["--timeout", "inf"], ">= 0.1"),
    ],
)
def test_bad_url_and_timeout_exit_2_in_one_line(args: list[str], words: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[0].startswith("Error: ") and words in lines[0], result.output
    assert "Traceback" not in result.output


def test_seed_last_without_a_recorded_seed_is_one_line_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    started = time.monotonic()
    result = invoke("--seed", "last")  # no URL: nothing of the embedded server may start
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: --seed last: no previous seed recorded in .contracttk_cache")
    assert time.monotonic() - started < 5


@pytest.mark.loopback
def test_a_refused_api_key_exit_3_in_one_line() -> None:
    key = "sk_test_notTheServersKey1234"
    with running_server() as url:
        started = time.monotonic()
        result = invoke(url, "--api-key", key)
    _assert_exit_3(result, started, 10, "refuses the API key", "401 on every request", "1234")
    assert key not in result.output


@pytest.mark.loopback
def test_an_unwritable_cache_folder_falls_back_to_a_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    monkeypatch.chdir(tmp_path)
    # (runs as root in CI images, where permissions do not stop writes: a file stands
    # where the folder would go, which no user can write into)
    (tmp_path / ".contracttk_cache").write_text("")
    result = invoke("--max-examples", "2", "--seed", "5")
    assert result.exit_code == 0, result.output[-3000:]
    assert "could not write" not in result.output and "Traceback" not in result.output
    [shown] = re.findall(r"^report: (.+)$", result.output, re.MULTILINE)
    report = Path(shown)
    try:
        assert report.is_file() and json.loads(report.read_text())["seed"] == 5
    finally:
        shutil.rmtree(report.parent, ignore_errors=True)


def test_report_path_that_is_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("--report", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in result.output


def test_report_folder_is_created(tmp_path: Path) -> None:
    """CI steps write into a fresh folder: ``--report out/r.json`` creates ``out``."""
    out = tmp_path / "out" / "nested"
    result = invoke("--report", str(out / "r.json"), "--max-examples", "2")
    assert result.exit_code == 0, result.output
    assert (out / "r.json").is_file()
