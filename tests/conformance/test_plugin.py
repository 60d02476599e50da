"""The pytest plugin: free unless asked for, the whole suite as pytest items when it is.

Every test runs a real pytest in a child process (the plugin as installed) against the
reference server on a loopback port.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import clean_env, free_port, luhn_runs, run_pytest
from support.leaks import is_public

from contracttk.conformance.suite import item_names
from contracttk.defaults import DEFAULT_SECRET_KEY
from contracttk.server import TokenService, running_server

pytestmark = pytest.mark.loopback

HEAVY = ("schemathesis", "hypothesis", "faker", "jsonschema", "requests")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running_server() as url:
        yield url


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
    assert "contracttk findings" not in proc.stdout
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
    assert "contracttk findings" in proc.stdout and "0 finding(s)" in proc.stdout
    # the collection count is right: every item collected and counted
    assert f"collected {len(item_names())} items" in proc.stdout
    # pytest's own JUnit: one test case per item (its mangling of contracttk::card::valid)
    cases = ET.parse(junit).getroot().iter("testcase")
    names = {f"{tc.get('classname')}.{tc.get('name')}" for tc in cases}
    assert {
        "contracttk.card.valid",
        "contracttk.auth.no_key",
        "contracttk.fuzz.POST /v1/tokens",
    } <= names
    assert len(names) == len(item_names())
    doc = json.loads(report.read_text())
    assert doc["status"] == "completed" and doc["seed"] == 7 and doc["findings"] == []
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


def test_a_broken_server_gives_one_finding_per_cause(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    with running_server(service_cls=EchoesThePan) as url:
        proc = run_pytest(
            tmp_path,
            "--contracttk-url",
            url,
            "--contracttk-max-examples",
            "5",
            "--contracttk-kind",
            "card",
            "--contracttk-report",
            str(report),
        )
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "FAILED contracttk::card::valid" in proc.stdout
    doc = json.loads(report.read_text())
    echo = [f for f in doc["findings"] if f["check"] == "no_secret_echo"]
    # the PAN echoed under every card item is ONE cause, whatever the item or number
    assert len(echo) == 1, [f["title"] for f in echo]
    [finding] = echo
    assert finding["cases"] > 5 and finding["kinds"] == ["card"]
    example = finding["examples"][0]
    assert example["request"]["curl"].startswith("curl ") and example["response"]["status"] == 200
    assert {f["kinds"][0] for f in doc["findings"] if f["kinds"]} <= {"card"}
    for text in (proc.stdout, proc.stderr, report.read_text()):
        assert DEFAULT_SECRET_KEY not in text
        # only Stripe's published test numbers may appear in full
        assert [n for n in luhn_runs(text) if not is_public(n)] == []


def test_the_node_id_of_a_failed_line_reruns_that_item(tmp_path: Path, server: str) -> None:
    proc = run_pytest(tmp_path, "contracttk::auth::no_key", "--contracttk-url", server, "-v")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "contracttk::auth::no_key PASSED" in proc.stdout
    assert "1 passed" in proc.stdout and f"{len(item_names()) - 1} deselected" in proc.stdout
    bad = run_pytest(tmp_path, "contracttk::auth::nope", "--contracttk-url", server)
    assert bad.returncode == 4 and "no such contracttk item" in bad.stderr


def test_collect_only_lists_the_items_and_counts_the_selection(tmp_path: Path, server: str) -> None:
    proc = run_pytest(tmp_path, "--contracttk-url", server, "--co", "-q", "-k", "card")
    assert proc.returncode == 0, proc.stdout[-3000:]
    listed = [line for line in proc.stdout.splitlines() if line.startswith("contracttk::")]
    assert listed == ["contracttk::card::valid", "contracttk::card::invalid"]
    total = len(item_names())
    assert f"2/{total} tests collected ({total - 2} deselected)" in proc.stdout


def test_seed_last_reruns_the_previous_seed_and_env_vars_work(tmp_path: Path, server: str) -> None:
    env = clean_env() | {"CONTRACTTK_URL": server, "CONTRACTTK_MAX_EXAMPLES": "2"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    first = run_pytest(tmp_path, "-k", "auth", "--contracttk-seed", "424242", env=env)
    assert first.returncode == 0, first.stdout[-2000:]
    again = run_pytest(tmp_path, "-k", "auth", "--contracttk-seed", "last", env=env)
    assert again.returncode == 0 and "seed 424242" in again.stdout
    elsewhere = tmp_path / "elsewhere"  # a folder without the first runs' cache
    elsewhere.mkdir()
    fresh = run_pytest(
        elsewhere, "-p", "no:cacheprovider", "-k", "auth", "--contracttk-seed=last", env=env
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
    ran = {i["name"] for i in doc["items"]}
    assert {"auth::no_key", "retrieve::consistency", "idempotency::replay", "pii::valid"} <= ran
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
    assert "[warn]" in proc.stdout
    doc = json.loads(report.read_text())
    assert {f["check"] for f in doc["findings"]} == {"auth_publishable_retrieve"}
    assert {f["strength"] for f in doc["findings"]} == {"warning"}


def test_untestable_target_stops_the_run_with_exit_3_and_a_report(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    port = free_port()
    proc = run_pytest(
        tmp_path,
        "--contracttk-url",
        f"http://127.0.0.1:{port}",
        "--contracttk-report",
        str(report),
        timeout=60,
    )
    assert proc.returncode == 3, proc.stdout[-2000:]
    assert "not_testable" in proc.stdout and "unreachable" in proc.stdout
    doc = json.loads(report.read_text())
    assert doc["status"] == "not_testable" and "unreachable" in doc["detail"]


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
    assert "FAILED" not in proc.stdout
    assert key not in out + report.read_text() and "1234" in out  # masked, last four shown
    assert json.loads(report.read_text())["status"] == "not_testable"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--contracttk-url", "notaurl"], "must start with http:// or https://"),
        (["--contracttk-url", "http://127.0.0.1:port"], "not a valid URL"),
        (["--contracttk-timeout", "-1"], "at least 0.1"),
        (["--contracttk-timeout", "nan"], "finite"),
        (["--contracttk-timeout", "inf"], "finite"),
        (["--contracttk-timeout", "0"], "at least 0.1"),
        (["--contracttk-kind", "card,cheque"], "unknown kind cheque"),
        (["--contracttk-exclude-check", "no_such_check"], "unknown check"),
        (["--contracttk-report", "/proc/contracttk-no-such-dir/r.json"], "cannot create folder"),
        (["--contracttk-report", "."], "is a directory"),
        (["--contracttk-baseline", "/nonexistent/r.json"], "cannot read"),
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
    lines = [line for line in proc.stderr.splitlines() if "could not write" in line]
    assert len(lines) == 1 and str(out / "r.json") in lines[0]
    assert "INTERNALERROR" not in proc.stdout + proc.stderr


FAILING_GIVEN = """
from hypothesis import given, strategies as st

@given(st.just({"a": "1"}))
def test_mine(params):
    assert params == {}
"""


@pytest.mark.parametrize("with_suite", [False, True])
def test_a_failing_given_test_still_prints_its_example(
    tmp_path: Path, server: str, with_suite: bool
) -> None:
    # schemathesis (a dependency of the conformance extra) swaps Hypothesis's printer for
    # one that prints nothing; the user's own tests must print as without contracttk,
    # whether or not the same session also runs the conformance suite.
    (tmp_path / "test_user.py").write_text(FAILING_GIVEN)
    args = ["--contracttk-url", server, "-k", "test_mine or no_key"] if with_suite else []
    proc = run_pytest(tmp_path, "-p", "no:cacheprovider", *args, autoload=True)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "params={'a': '1'}" in proc.stdout, proc.stdout[-3000:]
    assert "any other generated value" not in proc.stdout
