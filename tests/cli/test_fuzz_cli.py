"""``contracttk fuzz``: exit codes, the JSON report and findings, broken servers caught.

Full runs go through a real ``contracttk fuzz`` subprocess (the command users type);
flag and target checks that end before the suite starts go through click's CliRunner in
an isolated folder. Untestable targets are tiny stdlib servers on loopback threads.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import run_cli

from contracttk.cli import main
from contracttk.conformance.settings import resolve
from contracttk.conformance.suite import item_names, run_item
from contracttk.conformance.transport import Target
from contracttk.contract import parse_key
from contracttk.defaults import DEFAULT_LIVE_SECRET_KEY, DEFAULT_SECRET_KEY
from contracttk.server import TokenService, create_app, running_server


def fuzz_cmd(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return run_cli("fuzz", *args, cwd=cwd, timeout=timeout)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["fuzz", *args], env={"CONTRACTTK_API_KEY": None})


def published_only(text: str) -> bool:
    """Every 13-19 digit Luhn-valid run in ``text`` is one of Stripe's published test cards."""
    from support import luhn_runs

    from contracttk.contract.domain import is_test_card

    return all(is_test_card(n) for n in luhn_runs(text))


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
    assert "0 finding(s)" in proc.stdout and "status: completed" in proc.stdout
    # the seed and the target come first, before anything runs
    assert "seed 2024" in proc.stderr.splitlines()[1]
    doc = json.loads(report.read_text())
    assert doc["status"] == "completed" and doc["seed"] == 2024 and doc["findings"] == []
    counts = doc["counts"]
    assert counts["positive_created_share"] == 1.0 and counts["cases"] > 300
    assert {"passed", "failed", "warned"} == set(doc["checks"]["expected_error"])
    assert 'failures="0"' in junit.read_text() and "no findings" in junit.read_text()
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
    # one cause, one finding: the PAN echoed by every card token, whatever the item
    [echo] = [f for f in doc["findings"] if f["check"] == "no_secret_echo"]
    assert echo["kinds"] == ["card"] and echo["strength"] == "hard"
    example = echo["examples"][0]
    assert example["request"]["curl"].startswith(f"curl -sS -X POST '{url}/v1/tokens'")
    assert example["response"]["status"] == 200
    body = example["response"]["body"]
    assert body["card"]["description"].endswith(body["card"]["last4"])
    assert echo["id"] in proc.stdout and echo["id"] in junit.read_text()
    assert doc["checks"]["no_secret_echo"]["failed"] >= 1
    for text in (proc.stdout, proc.stderr, report.read_text(), junit.read_text()):
        assert published_only(text) and DEFAULT_SECRET_KEY not in text


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
def test_a_target_stalling_mid_run_ends_the_run_with_exit_3(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    with running_server(service_cls=DiesAfterAWhile) as url:
        proc = fuzz_cmd(
            tmp_path, url, "--timeout", "0.5", "--max-examples", "5", "--report", str(report)
        )
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "stopped answering" in proc.stdout
    doc = json.loads(report.read_text())
    assert doc["status"] == "not_testable" and "stopped answering" in doc["detail"]
    assert {f["check"] for f in doc["findings"]} >= {"responds"}


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
    settings = _settings(max_examples=10, seed=1)
    target = Target("http://testserver", app=create_app(service_cls=service))
    found = set()
    for name in items:
        result = run_item(name, settings, target)
        found |= {f.check for f in result.hard}
    assert check in found


def _settings(**extra: Any) -> Any:
    raw = {"url": "http://testserver", "live_key": DEFAULT_LIVE_SECRET_KEY, "allow_live_keys": True}
    return resolve({**raw, **extra})


def test_the_reference_server_is_clean_in_process() -> None:
    settings = _settings(max_examples=3, seed=5)
    target = Target("http://testserver", app=create_app())
    for name in item_names():
        if name.startswith("fuzz::"):
            continue  # covered by the loopback runs
        result = run_item(name, settings, target)
        assert result.skipped is None, name
        assert result.cases > 0, name  # every item proves it ran
        assert [f.message for f in result.failures.values()] == [], name


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


def _assert_exit_3(result: Any, *words: str) -> None:
    """Exit 3 with one error line (and one hint), no traceback."""
    assert result.exit_code == 3, result.output
    lines = [
        line
        for line in result.output.splitlines()
        if line.strip() and not line.startswith(("contracttk: target", "contracttk fuzz: no URL"))
    ]
    assert lines[0].startswith("Error: target not testable"), result.output
    assert len(lines) <= 2 and all(x.startswith(("Error: ", "Hint: ")) for x in lines), (
        result.output
    )
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0]


def test_unreachable_target_exit_3() -> None:
    _assert_exit_3(invoke(_closed_port_url()), "unreachable")


def test_html_target_exit_3() -> None:
    with html_server() as url:
        _assert_exit_3(invoke(url), "does not answer JSON", "text/html")


def test_not_http_target_exit_3() -> None:
    with tcp_server(_not_http) as url:
        _assert_exit_3(invoke(url), "does not speak HTTP")


def test_hanging_target_exit_3_at_the_deadline() -> None:
    with tcp_server(_hang) as url:
        _assert_exit_3(invoke(url, "--timeout", "1"), "no complete answer within 1 s")


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
    result = invoke("--api-key", key)  # also against the embedded server
    assert result.exit_code == 2 and key not in result.output


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
        (["notaurl"], "must start with http:// or https://"),
        (["http://127.0.0.1:port"], "is not a valid URL"),
        (["http://[::1"], "is not a valid URL"),
        (["--timeout", "nan"], "finite"),
        (["--timeout", "inf"], "finite"),
        (["--kind", "cheque"], "unknown kind cheque"),
        (["--max-time", "0"], "at least 1"),
    ],
)
def test_bad_settings_exit_2_in_one_line(args: list[str], words: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip() and "embedded" not in line]
    assert len(lines) == 1 and words in lines[0], result.output
    assert "Traceback" not in result.output


def test_seed_last_without_a_recorded_seed_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("--seed", "last")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip() and "embedded" not in line]
    assert len(lines) == 1, result.output
    assert "--seed: 'last': no previous seed recorded" in lines[0]


@pytest.mark.loopback
def test_a_refused_api_key_exit_3_in_one_line() -> None:
    key = "sk_test_notTheServersKey1234"
    with running_server() as url:
        result = invoke(url, "--api-key", key)
    _assert_exit_3(result, "refuses the API key", "401 on every request", "1234")
    assert key not in result.output


@pytest.mark.loopback
def test_no_key_given_and_refused_says_to_pass_one() -> None:
    class OtherKeys(TokenService):
        def authenticate(self, request: Any) -> Any:
            from contracttk.contract import invalid_api_key
            from contracttk.server import ApiError

            raise ApiError(invalid_api_key("sk_test_****"))

    with running_server(service_cls=OtherKeys) as url:
        result = invoke(url)
    _assert_exit_3(result, "refuses the API key")
    assert "Hint:" in result.output and "--api-key" in result.output


@pytest.mark.loopback
def test_an_unwritable_cache_folder_falls_back_to_a_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    monkeypatch.chdir(tmp_path)
    # (runs as root in CI images, where permissions do not stop writes: a file stands
    # where the folder would go, which no user can write into)
    (tmp_path / ".contracttk_cache").write_text("")
    result = invoke("--max-examples", "2", "--seed", "5", "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output[-3000:]
    assert "could not write" not in result.output and "Traceback" not in result.output
    report = tmp_path / "r.json"
    assert report.is_file() and json.loads(report.read_text())["seed"] == 5
    # the fallback cache is a temp folder, never the user's working folder
    assert not (tmp_path / ".hypothesis").exists()
    shutil.rmtree(tmp_path / "nothing", ignore_errors=True)


def test_report_path_that_is_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("--report", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in result.output


def test_report_folder_is_created(tmp_path: Path) -> None:
    """CI steps write into a fresh folder: ``--report out/r.json`` creates ``out``."""
    out = tmp_path / "out" / "nested"
    result = invoke("--report", str(out / "r.json"), "--max-examples", "2")
    assert result.exit_code == 0, result.output
    assert (out / "r.json").is_file()
