"""Issue 12 through the real front ends: the key policy, URL credentials, interrupted runs.

Every case runs ``contracttk fuzz`` or ``pytest -p contracttk`` as a child process, the way
a user would. Children that do not depend on each other are started together
(``support.runs``) and each test asserts on its own outcome, so a batch costs about as
much as its slowest run. Hostile targets: ``test_hostile_targets.py``. Exit codes: ``contracttk fuzz`` 2 for a usage
error, 3 for a target that cannot be tested, 130 when interrupted; the pytest plugin reports
usage errors with pytest's own code, 4 (``pytest.ExitCode.USAGE_ERROR``).
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from support import CLI, clean_env, free_port, spawn
from support.hostile import RawServer, read_request
from support.runs import Run, against, fuzz, plugin, run_together

pytestmark = pytest.mark.loopback

TAIL = "Q7zUnmaskedTail9876"
HIDDEN = TAIL[:-4]  # what a mask hides: it must never be printed
LIVE = "sk_live_" + TAIL
PASSWORD = "hunter2pass"
EXIT_USAGE, EXIT_TARGET, EXIT_INTERRUPTED, PYTEST_USAGE = 2, 3, 130, 4


def _count_only(conn: socket.socket, srv: RawServer) -> None:
    """A target that answers nothing: only its connection count matters."""


# --- 1. one key policy, every source ---------------------------------------------------------------

# (every kind of space, in-process: tests/conformance/test_keys_settings.py)
SPACES = {"space": " ", "tab": "\t", "newline": "\n", "nbsp": "\u00a0"}


@pytest.fixture(scope="module")
def key_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    root = tmp_path_factory.mktemp("keys")
    closed = f"http://127.0.0.1:{free_port()}"
    jobs: dict[str, Callable[[], Run]] = {}
    for name, space in SPACES.items():
        jobs[f"cli-lead-{name}"] = fuzz(root / f"l{name}", closed, "--api-key", space + LIVE)
    jobs["cli-no-url"] = fuzz(root / "nourl", "--api-key", " " + LIVE)
    jobs["cli-cyrillic"] = fuzz(root / "cyr", closed, "--api-key", "\u0455k_live_" + TAIL)
    jobs["cli-zero-width"] = fuzz(
        root / "zw", closed, "--api-key", LIVE[:10] + "\u200b" + LIVE[10:]
    )
    jobs["cli-empty"] = fuzz(root / "empty", closed, "--api-key", "")
    jobs["cli-live-key"] = fuzz(root / "livekey", closed, "--live-key", LIVE)
    jobs["cli-allowed"] = fuzz(
        root / "allowed", closed, "--api-key", " " + LIVE, "--allow-live-keys"
    )
    jobs["cli-env-nbsp"] = fuzz(
        root / "envn", closed, env=clean_env(CONTRACTTK_API_KEY="\u00a0" + LIVE + "\n")
    )
    jobs["cli-env-empty"] = fuzz(root / "enve", closed, env=clean_env(CONTRACTTK_API_KEY=""))
    jobs["cli-env-publishable"] = fuzz(
        root / "envp", closed, env=clean_env(CONTRACTTK_PUBLISHABLE_KEY="\tpk_live_" + TAIL)
    )
    jobs["plugin-option"] = plugin(
        root / "po", "--contracttk-url", closed, "--contracttk-api-key", " " + LIVE
    )
    jobs["plugin-env"] = plugin(
        root / "pe", "--contracttk-url", closed, env=clean_env(CONTRACTTK_API_KEY="\t" + LIVE)
    )
    ini = root / "pi"
    ini.mkdir()
    (ini / "pytest.ini").write_text(
        f"[pytest]\ncontracttk_api_key = \u00a0{LIVE}\n", encoding="utf-8"
    )
    jobs["plugin-ini"] = plugin(ini, "--contracttk-url", closed)
    jobs["plugin-empty"] = plugin(
        root / "pem", "--contracttk-url", closed, "--contracttk-api-key", ""
    )
    jobs["plugin-allowed"] = plugin(
        root / "pa",
        *("--contracttk-url", closed, "--contracttk-api-key", "\u3000" + LIVE),
        "--contracttk-allow-live-keys",
    )
    return run_together(jobs)


def _one_line_usage_error(run: Run, code: int) -> str:
    assert run.code == code, run.text[-2000:]
    assert "Traceback" not in run.text
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert len(lines) == 1, run.err
    return lines[0]


@pytest.mark.parametrize("case", [f"cli-lead-{n}" for n in SPACES])
def test_a_live_key_with_whitespace_is_refused_by_fuzz(key_runs: dict[str, Run], case: str) -> None:
    line = _one_line_usage_error(key_runs[case], EXIT_USAGE)
    assert "--api-key" in line and "live-mode key" in line and "--allow-live-keys" in line
    assert "sk_live_****" in line  # masked the way Stripe masks keys
    assert HIDDEN not in key_runs[case].text


@pytest.mark.parametrize(
    ("case", "flag", "words"),
    [
        ("cli-no-url", "--api-key", "live-mode key"),
        ("cli-cyrillic", "--api-key", "U+0455"),
        ("cli-zero-width", "--api-key", "U+200B"),
        ("cli-empty", "--api-key", "is empty"),
        ("cli-live-key", "--live-key", "live-mode key"),
        ("cli-env-nbsp", "--api-key", "live-mode key"),
        ("cli-env-empty", "CONTRACTTK_API_KEY", "set but empty"),
        ("cli-env-publishable", "--publishable-key", "live-mode key"),
    ],
)
def test_every_key_source_of_fuzz_goes_through_the_policy(
    key_runs: dict[str, Run], case: str, flag: str, words: str
) -> None:
    line = _one_line_usage_error(key_runs[case], EXIT_USAGE)
    assert flag in line and words in line
    assert HIDDEN not in key_runs[case].text


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("plugin-option", "live-mode key"),
        ("plugin-env", "live-mode key"),
        ("plugin-ini", "live-mode key"),
        ("plugin-empty", "is empty"),
    ],
)
def test_every_key_source_of_the_plugin_goes_through_the_policy(
    key_runs: dict[str, Run], case: str, words: str
) -> None:
    line = _one_line_usage_error(key_runs[case], PYTEST_USAGE)
    assert "--contracttk-api-key" in line and words in line
    assert HIDDEN not in key_runs[case].text


@pytest.mark.parametrize("case", ["cli-allowed", "plugin-allowed"])
def test_live_keys_pass_when_allowed(key_runs: dict[str, Run], case: str) -> None:
    # The guard let the stripped key through: the (closed) target is what stops the run.
    run = key_runs[case]
    assert run.code == EXIT_TARGET, run.text[-2000:]
    assert "unreachable" in run.text and HIDDEN not in run.text


# --- 1b. credentials in the URL ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def url_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    root = tmp_path_factory.mktemp("urls")
    out = ("--report", "r.json", "--junit-xml", "j.xml")

    def creds(name: str, url_of: Callable[[str], str], *args: str) -> Callable[[], Run]:
        return lambda: against(_count_only, lambda base: fuzz(root / name, url_of(base), *args)())

    def host(base: str) -> str:
        return base.removeprefix("http://")

    jobs = {
        "key-in-user": creds("k", lambda b: f"http://{LIVE}:@{host(b)}", *out),
        "password": creds(
            "p", lambda b: f"http://KEY:{PASSWORD}@{host(b)}", "--api-key", "sk_test_x1", *out
        ),
        "admin": creds("a", lambda b: f"http://admin:{PASSWORD}@{host(b)}/v1", *out),
        "one-slash": creds("o", lambda b: f"http:/user:{PASSWORD}@{host(b)}", *out),
        "plugin": lambda: against(
            _count_only,
            lambda b: plugin(
                root / "plugin",
                *("--contracttk-url", f"http://u:{PASSWORD}@{host(b)}"),
                *("--contracttk-report", "r.json", "--contracttk-junit-xml", "j.xml"),
            )(),
        ),
    }
    return run_together(jobs)


@pytest.mark.parametrize("case", ["key-in-user", "password", "admin", "one-slash", "plugin"])
def test_credentials_in_the_url_are_refused_and_never_printed_or_sent(
    url_runs: dict[str, Run], case: str
) -> None:
    run = url_runs[case]
    line = _one_line_usage_error(run, PYTEST_USAGE if case == "plugin" else EXIT_USAGE)
    assert "credentials" in line
    assert ("--contracttk-api-key" if case == "plugin" else "--api-key") in line
    for text in (run.text, run.file("r.json"), run.file("j.xml")):
        assert PASSWORD not in text and HIDDEN not in text
    assert run.connections == 0  # nothing was sent anywhere


# --- 5. honest status: an interrupted run says so ---------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_says_so_and_leaves_nothing_behind(
    tmp_path: Path, sig: signal.Signals
) -> None:
    cwd, tmp = tmp_path / "work", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    args = [CLI, "fuzz", "--max-examples", "5", "--seed", "3"]
    with spawn(
        [*args, "--report", "r.json", "--junit-xml", "j.xml"],
        cwd=cwd,
        env=clean_env(TMPDIR=str(tmp)),
    ) as child:
        child.wait_for_line("contracttk: target")  # the run has started...
        # ... and finished two items (the first one's record is surely in)
        child.wait_for_line("card::invalid:")
        child.signal(sig)
        code = child.wait(timeout=30)
    assert code == EXIT_INTERRUPTED, child.output[-2000:]
    assert "Traceback" not in child.output
    doc = json.loads((cwd / "r.json").read_text())
    assert doc["status"] == "interrupted" and doc["exit_code"] == EXIT_INTERRUPTED
    assert "card::valid" in {i["name"] for i in doc["items"]}  # what ran is reported
    suite = ET.parse(cwd / "j.xml").getroot().find("testsuite")
    assert suite is not None and int(suite.get("errors") or 0) >= 1
    assert any("interrupted" in (e.get("message") or "") for e in suite.iter("error")), ET.tostring(
        suite
    )
    # No temp files: neither in the temp folder nor next to the reports.
    assert list(tmp.iterdir()) == []
    assert sorted(p.name for p in cwd.iterdir()) == [".contracttk_cache", "j.xml", "r.json"]
    assert not (cwd / ".hypothesis").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_run_interrupted_while_probing_the_target_says_so(
    tmp_path: Path, sig: signal.Signals
) -> None:
    # pytest skips its session-finish hook when the session start is interrupted, and the
    # pre-flight probe runs there: the report must be written all the same.
    probed = threading.Event()

    def handler(conn: socket.socket, srv: RawServer) -> None:
        if read_request(conn, bytearray()) is not None:
            probed.set()
            srv.stopped.wait(120)  # the probe's answer never comes

    with RawServer(handler) as srv:
        args = [
            CLI,
            "fuzz",
            srv.url,
            "--timeout",
            "60",
            "--report",
            "r.json",
            "--junit-xml",
            "j.xml",
        ]
        with spawn(args, cwd=tmp_path) as child:
            child.wait_for_line("contracttk: target")
            assert probed.wait(60), child.output
            child.signal(sig)
            code = child.wait(timeout=30)
    assert code == EXIT_INTERRUPTED, child.output[-2000:]
    assert "Traceback" not in child.output and "abnormally" not in child.output
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "interrupted"
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("errors") == "1"
