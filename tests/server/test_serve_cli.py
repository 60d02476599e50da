"""``contracttk serve`` as a user runs it: start-up banner, keys, exit codes, signals.

Every child is started with :func:`support.spawn` (SIGINT and SIGTERM at their defaults, so
the tests mean the same under ``nohup`` or a background CI job), waits for the start-up line
instead of sleeping, and is killed and reaped whatever happens.
"""

from __future__ import annotations

import contextlib
import re
import signal
import socket
from datetime import date
from pathlib import Path

import pytest
import requests
from support import CLI, Child, run_cli, spawn

from contracttk.contract import sample_params
from contracttk.defaults import (
    DEFAULT_LIVE_PUBLISHABLE_KEY,
    DEFAULT_LIVE_SECRET_KEY,
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_SECRET_KEY,
)
from contracttk.encoding import encode

pytestmark = pytest.mark.loopback

TODAY = date.today()  # a child process cannot pin our clock
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PLACEHOLDERS = (
    DEFAULT_SECRET_KEY,
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_LIVE_SECRET_KEY,
    DEFAULT_LIVE_PUBLISHABLE_KEY,
)
# A watchdog, not a speed requirement: only a server that ignores the signal reaches it.
STOP_WATCHDOG = 20


def serve_args(*extra: str) -> list[str]:
    return [CLI, "serve", "--port", "0", *extra]


def started(child: Child) -> str:
    """Wait for the start-up line; the base URL it names."""
    line = child.wait_for_line("reference server on")
    match = re.search(r"(http://\S+)", line)
    assert match and "accepted API keys" in line, line
    return match.group(1)


def create(url: str, key: str) -> requests.Response:
    return requests.post(
        f"{url}/v1/tokens",
        data=encode(sample_params("card", today=TODAY)),
        headers={**FORM, "Authorization": f"Bearer {key}"},
        timeout=10,
    )


# --- bad input: one line, exit 2 ----------------------------------------------------------------


def test_port_in_use_is_exit_2_with_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_cli("serve", "--port", str(busy.getsockname()[1]), timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "port" in lines[0].lower(), result.stderr


@pytest.mark.parametrize("where", ["/proc/contracttk-missing/x/y.sqlite", "FILE/sub.sqlite"])
def test_unwritable_db_is_exit_2_with_one_line(tmp_path: Path, where: str) -> None:
    (tmp_path / "FILE").write_text("not a folder")
    db = where.replace("FILE", str(tmp_path / "FILE"))
    result = run_cli("serve", "--port", "0", "--db", db, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--db" in lines[0], result.stderr


def test_a_malformed_api_key_is_exit_2_and_not_printed() -> None:
    result = run_cli("serve", "--port", "0", "--api-key", "hunter2hunter2", timeout=60)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "hunter2hunter2" not in result.stderr + result.stdout


# --- keys: named in --help and at start ---------------------------------------------------------


def test_help_names_the_default_keys() -> None:
    result = run_cli("serve", "--help", timeout=60)
    assert result.returncode == 0
    # click wraps lines; compare with whitespace removed.
    text = "".join(result.stdout.split())
    for key in PLACEHOLDERS:
        assert key in text, key
    assert "--request-timeout" in result.stdout


def test_start_up_prints_the_placeholder_keys() -> None:
    with spawn(serve_args()) as child:
        url = started(child)
        assert create(url, DEFAULT_SECRET_KEY).status_code == 200
        child.signal(signal.SIGINT)
        child.wait(STOP_WATCHDOG)
    banner = next(line for line in child.output.splitlines() if "accepted API keys" in line)
    for key in PLACEHOLDERS:
        assert key in banner, key


def test_user_keys_are_printed_masked_and_never_logged(tmp_path: Path) -> None:
    key = "sk_test_onlyForThisRun"
    with spawn(serve_args("--api-key", key, "--db", str(tmp_path / "cli.sqlite"))) as child:
        url = started(child)
        made = create(url, key)
        refused = create(url, DEFAULT_SECRET_KEY)
        child.signal(signal.SIGINT)
        assert child.wait(STOP_WATCHDOG) == 130
    assert made.status_code == 200
    out = child.output
    assert "accepted API keys: sk_test_**********sRun (test secret)" in out
    assert "POST /v1/tokens 200" in out and made.headers["Request-Id"] in out
    assert "POST /v1/tokens 401" in out
    for secret in (key, DEFAULT_SECRET_KEY, "4242424242424242", "card%5Bnumber", "Authorization"):
        assert secret not in out, secret
    # The 401 for a placeholder key on a server with its own keys says what to do ...
    assert refused.status_code == 401
    message = refused.json()["error"]["message"]
    assert message.startswith("Invalid API Key provided: sk_test_*************cret")
    assert "--api-key" in message
    # ... and never names the server's own key.
    assert key not in refused.text and "sRun" not in refused.text


# --- signals: stop cleanly, leave nothing behind -----------------------------------------------


@pytest.mark.parametrize(
    ("sig", "code", "farewell"),
    [(signal.SIGINT, 130, "Interrupted."), (signal.SIGTERM, 143, "Stopped (SIGTERM).")],
    ids=["SIGINT", "SIGTERM"],
)
def test_a_signal_stops_serve_and_leaves_only_the_database(
    tmp_path: Path, sig: signal.Signals, code: int, farewell: str
) -> None:
    db = tmp_path / "tokens.sqlite"
    with spawn(serve_args("--db", str(db)), cwd=tmp_path) as child:
        url = started(child)
        token = create(url, DEFAULT_SECRET_KEY).json()
        # While serving, SQLite keeps its write-ahead log next to the file.
        assert {p.name for p in tmp_path.iterdir()} >= {"tokens.sqlite", "tokens.sqlite-wal"}
        # Requests still arriving (half a body, half the headers) must not hold the stop up
        # or end in a traceback: they are dropped, not waited for.
        host, port = url.removeprefix("http://").rsplit(":", 1)
        with contextlib.ExitStack() as stack:
            for partial in (
                b"POST /v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
                b"POST /v1/tokens HTTP/1.1\r\nHost: x\r\nX-Sl",
            ):
                sock = stack.enter_context(socket.create_connection((host, int(port))))
                sock.sendall(partial)
            child.signal(sig)
            assert child.wait(STOP_WATCHDOG) == code
    assert farewell in child.output
    assert "Traceback" not in child.output
    # Checkpointed and closed: the token is in the main file, no -wal/-shm, no temp files.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.sqlite"]
    with spawn(serve_args("--db", str(db))) as again:
        url = started(again)
        back = requests.get(
            f"{url}/v1/tokens/{token['id']}",
            headers={"Authorization": f"Bearer {DEFAULT_SECRET_KEY}"},
            timeout=10,
        )
        again.signal(signal.SIGINT)
        again.wait(STOP_WATCHDOG)
    assert back.status_code == 200 and back.json() == token
