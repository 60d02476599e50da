"""The pytest plugin: the suite as pytest items in any folder, seeds, xdist, JUnit, redaction.

Each run is a real ``pytest`` subprocess in a fresh temporary folder outside the repo,
against the reference server on a loopback port (started in this process).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracttk.contract.domain import luhn_valid
from contracttk.defaults import DEFAULT_SECRET_KEY
from contracttk.server import TokenService, running_server

pytestmark = pytest.mark.loopback

PYTEST = str(Path(sys.executable).with_name("pytest"))
HEAVY = ("schemathesis", "hypothesis", "faker", "jsonschema", "requests")


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTRACTTK_", "PYTEST_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_pytest(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 240,
    autoload: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run pytest in ``cwd``; without ``autoload`` only our plugin (and xdist) load: faster."""
    env = dict(env or clean_env())
    plugins = ["-p", "no:randomly"]
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        plugins = ["-p", "contracttk", "-p", "xdist"]
    return subprocess.run(
        [PYTEST, *plugins, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running_server() as url:
        yield url


def luhn_runs(text: str) -> list[str]:
    """13-19 digit runs that pass Luhn: what a leaked card number looks like."""
    return [m for m in re.findall(r"(?<![0-9])[0-9]{13,19}(?![0-9])", text) if luhn_valid(m)]


def test_importing_the_plugin_costs_nothing_heavy() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import contracttk.plugins.pytest_plugin"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=True,
    )
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()}
    assert "contracttk" in imported
    assert not (set(HEAVY) & imported), set(HEAVY) & imported


def test_without_a_url_the_plugin_does_nothing(tmp_path: Path) -> None:
    proc = run_pytest(tmp_path, "--co", "-q", autoload=True)
    assert proc.returncode == 5, proc.stdout  # no tests collected: nothing of ours added
    assert "contracttk summary" not in proc.stdout
    help_text = run_pytest(tmp_path, "--help", autoload=True).stdout
    assert "contracttk conformance suite:" in help_text and "--contracttk-url" in help_text


def test_reference_server_passes_the_whole_suite(tmp_path: Path, server: str) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    proc = run_pytest(
        tmp_path,
        "--contracttk-url",
        server,
        "--contracttk-max-examples",
        "5",
        "--contracttk-seed",
        "7",
        f"--junit-xml={junit}",
        "--contracttk-report",
        str(report),
        autoload=True,  # as installed: the pytest11 entry point, no -p needed
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "contracttk: target" in proc.stdout and "seed 7" in proc.stdout
    assert "contracttk summary" in proc.stdout and "positive_acceptance" in proc.stdout
    # JUnit (pytest's own mangling of the node id contracttk::card::valid)
    cases = ET.parse(junit).getroot().iter("testcase")
    names = {f"{tc.get('classname')}.{tc.get('name')}" for tc in cases}
    assert {
        "contracttk.card.valid",
        "contracttk.auth.no_key",
        "contracttk.fuzz.POST /v1/tokens",
    } <= names
    # Every suite item is a JUnit test case (the suite's own list, not a copy of it).
    from contracttk.plugins.engine import item_names

    assert len(names) == len(item_names()) and "contracttk.coverage.POST /v1/tokens" in names
    doc = json.loads(report.read_text())
    assert doc["status"] == "completed" and doc["seed"] == 7 and doc["failures"] == []
    counts = doc["counts"]
    assert counts["cases"] > 500 and counts["positive_created"] == counts["positive_cases"] > 30
    assert DEFAULT_SECRET_KEY not in proc.stdout + report.read_text() + junit.read_text()


class EchoesThePan(TokenService):
    """Broken on purpose: a card token carries the full card number."""

    def render_token(self, kind: str, params: Any, key: Any) -> dict[str, Any]:
        token = super().render_token(kind, params, key)
        if kind == "card":
            token["card"]["description"] = f"card {params['card']['number']}"
        return token


def test_failures_are_reported_redacted_in_terminal_junit_and_json(tmp_path: Path) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    with running_server(service_cls=EchoesThePan) as url:
        proc = run_pytest(
            tmp_path,
            "--contracttk-url",
            url,
            "--contracttk-max-examples",
            "5",
            "-k",
            "card",
            f"--junit-xml={junit}",
            "--contracttk-report",
            str(report),
        )
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "FAILED contracttk::card::valid" in proc.stdout
    doc = json.loads(report.read_text())
    echo = [f for f in doc["failures"] if f["check"] == "no_secret_echo"]
    assert echo and echo[0]["kind"] == "card" and echo[0]["curl"].startswith("curl ")
    assert echo[0]["response"]["status"] == 200 and echo[0]["request"]["method"] == "POST"
    for text in (proc.stdout, proc.stderr, junit.read_text(), report.read_text()):
        assert luhn_runs(text) == []
        assert DEFAULT_SECRET_KEY not in text


def test_seed_last_reruns_the_previous_seed_and_env_vars_work(tmp_path: Path, server: str) -> None:
    env = clean_env() | {"CONTRACTTK_URL": server, "CONTRACTTK_MAX_EXAMPLES": "2"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    first = run_pytest(tmp_path, "-k", "auth", "--contracttk-seed", "424242", env=env)
    assert first.returncode == 0, first.stdout[-2000:]
    again = run_pytest(tmp_path, "-k", "auth", "--contracttk-seed", "last", env=env)
    assert again.returncode == 0 and "seed 424242" in again.stdout
    fresh = run_pytest(
        tmp_path / "..", "-p", "no:cacheprovider", "-k", "auth", "--contracttk-seed=last", env=env
    )
    assert fresh.returncode == 4 and "no previous seed" in fresh.stderr


def test_xdist_two_workers_share_one_seed_and_one_report(tmp_path: Path, server: str) -> None:
    report = tmp_path / "report.json"
    proc = run_pytest(
        tmp_path,
        "-n",
        "2",
        "--contracttk-url",
        server,
        "--contracttk-max-examples",
        "2",
        "--contracttk-seed",
        "99",
        "-k",
        "auth or retrieve or idempotency or pii",
        "--contracttk-report",
        str(report),
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    doc = json.loads(report.read_text())
    names = {i["name"] for i in doc["items"]}
    assert {"auth::no_key", "retrieve::consistency", "idempotency::replay", "pii::valid"} <= names
    assert doc["seed"] == 99 and doc["counts"]["cases"] > 20
    assert {i["seed"] for i in doc["items"]} == {99}  # every worker ran with the same seed


def test_live_keys_are_refused_unless_allowed(tmp_path: Path, server: str) -> None:
    proc = run_pytest(
        tmp_path, "--contracttk-url", server, "--contracttk-api-key", "sk_live_abcdefghijkl1234"
    )
    assert proc.returncode == 4 and "live-mode" in proc.stderr
    assert "sk_live_abcdefghijkl1234" not in proc.stdout + proc.stderr


class PublishableMayRetrieve(TokenService):
    """Only a WARNING-strength rule broken: a publishable key may read tokens."""

    async def retrieve(self, request: Any, token_id: str) -> Any:
        request.headers["authorization"] = f"Bearer {DEFAULT_SECRET_KEY}"
        return await super().retrieve(request, token_id)


def test_warnings_are_reported_but_never_fail(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    with running_server(service_cls=PublishableMayRetrieve) as url:
        proc = run_pytest(
            tmp_path,
            "--contracttk-url",
            url,
            "-k",
            "publishable_retrieve",
            "--contracttk-report",
            str(report),
        )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "warnings (WARNING-strength" in proc.stdout
    doc = json.loads(report.read_text())
    assert doc["failures"] == [] and doc["warnings"]
    assert {w["check"] for w in doc["warnings"]} == {"auth_publishable_retrieve"}


def test_untestable_target_stops_the_run_with_exit_3(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run_pytest(tmp_path, "--contracttk-url", f"http://127.0.0.1:{port}", timeout=60)
    assert proc.returncode == 3
    assert "target not testable" in proc.stdout + proc.stderr


def test_contracttk_target_fixture_gives_a_ready_client(tmp_path: Path, server: str) -> None:
    (tmp_path / "test_mine.py").write_text(
        "def test_create(contracttk_target, contracttk_strategies):\n"
        "    s = contracttk_target.session\n"
        "    r = s.post(contracttk_target.url('/v1/tokens'), data={'pii[id_number]': '000000000'})\n"
        "    assert r.status_code == 200 and r.json()['id'].startswith('pii_')\n"
        "    assert hasattr(contracttk_strategies, 'card_params')\n"
    )
    proc = run_pytest(tmp_path, "--contracttk-url", server, "-k", "test_create")
    assert proc.returncode == 0, proc.stdout[-3000:]
    proc = run_pytest(tmp_path, "-q")  # no URL: the fixture skips the test
    assert proc.returncode == 0 and "1 skipped" in proc.stdout


def test_a_refused_api_key_stops_the_run_before_any_item(tmp_path: Path, server: str) -> None:
    key = "sk_test_notTheServersKey1234"
    report = tmp_path / "r.json"
    proc = run_pytest(
        tmp_path,
        "--contracttk-url",
        server,
        "--contracttk-api-key",
        key,
        "--contracttk-report",
        str(report),
        timeout=60,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out[-3000:]
    assert "refuses the API key" in out and "401 on every request" in out
    assert "failed" not in proc.stdout and "contracttk summary" not in proc.stdout
    assert key not in out + report.read_text() and "1234" in out  # masked, last four shown
    assert json.loads(report.read_text())["status"] == "target_unavailable"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--contracttk-url", "notaurl"], "not an http(s) URL"),
        (["--contracttk-url", "http://127.0.0.1:port"], "not a valid URL"),
        (["--contracttk-timeout", "-1"], ">= 0.1"),
        (["--contracttk-timeout", "nan"], ">= 0.1"),
        (["--contracttk-timeout", "inf"], ">= 0.1"),
        (["--contracttk-timeout", "0"], ">= 0.1"),
        (["--contracttk-report", "/proc/contracttk-no-such-dir/r.json"], "cannot create folder"),
        (["--contracttk-report", "."], "is a directory"),
    ],
)
def test_bad_settings_are_usage_errors_before_anything_is_sent(
    tmp_path: Path, args: list[str], words: str
) -> None:
    # (a closed port: had anything been sent, the run would end with exit 3)
    url = ["--contracttk-url", "http://127.0.0.1:9"] if args[0] != "--contracttk-url" else []
    proc = run_pytest(tmp_path, *url, *args, timeout=60)
    assert proc.returncode == 4, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert words in proc.stderr and "Traceback" not in proc.stderr


def test_a_report_that_cannot_be_written_at_the_end_is_one_line_not_a_crash(
    tmp_path: Path, server: str
) -> None:
    out = tmp_path / "out"
    # Runs first (test files before the suite's items): the report folder becomes a file.
    (tmp_path / "test_sabotage.py").write_text(
        "import shutil\n"
        "def test_sabotage():\n"
        f"    shutil.rmtree({str(out)!r})\n"
        f"    open({str(out)!r}, 'w').close()\n"
    )
    proc = run_pytest(
        tmp_path,
        "--contracttk-url",
        server,
        "--contracttk-report",
        str(out / "r.json"),
        "-k",
        "sabotage or no_key",
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    lines = [line for line in proc.stdout.splitlines() if "could not write the report" in line]
    assert len(lines) == 1 and str(out / "r.json") in lines[0]
    assert "INTERNALERROR" not in proc.stdout + proc.stderr
