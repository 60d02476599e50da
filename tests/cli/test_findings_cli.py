"""``contracttk fuzz`` and ``contracttk replay`` as a CI job uses them: findings that act.

Real child processes against the reference server (on loopback) broken in known ways:
the curl lines of a report run as printed, replay tells fixed from still failing, a
baseline ratchets, a wrong base path and a run that never created a token exit 3, and
``--max-time`` ends a run against a slow target.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import clean_env, report_problems, run_cli

from contracttk.defaults import DEFAULT_SECRET_KEY
from contracttk.server import TokenService, running_server

pytestmark = pytest.mark.loopback


class ThreeBugs(TokenService):
    """Echoes the card number, answers empty strings with 422, crashes on a non-ASCII name."""

    def render_token(self, kind: str, params: Any, key: Any) -> dict[str, Any]:
        token = super().render_token(kind, params, key)
        if kind == "card":
            token["card"]["description"] = f"card {params['card']['number']}"
        return token

    def validate(self, params: Any, key: Any) -> str:
        from contracttk.contract import ExpectedError
        from contracttk.server import ApiError

        card = params.get("card")
        if isinstance(card, dict) and not str(card.get("name", "")).isascii():
            raise RuntimeError("boom")
        try:
            return super().validate(params, key)
        except ApiError as err:
            if err.expected.code == "parameter_invalid_empty":
                raise ApiError(
                    ExpectedError(
                        422,
                        "invalid_request_error",
                        "parameter_invalid_blank",
                        err.expected.param,
                        "blank",
                    )
                ) from None
            raise


def fuzz(tmp: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return run_cli("fuzz", *args, cwd=tmp, timeout=timeout)


def test_every_curl_line_runs_as_printed_and_gets_the_reported_answer(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    with running_server(service_cls=ThreeBugs) as url:
        proc = fuzz(
            tmp_path,
            url,
            "--kind",
            "card",
            "--max-examples",
            "10",
            "--seed",
            "3",
            "--report",
            str(report),
        )
        assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
        doc = json.loads(report.read_text())
        assert report_problems(doc) == []
        examples = [
            ex for f in doc["findings"] for ex in f["examples"] if ex["request"]["replayable"]
        ]
        assert len(examples) >= 3
        env = clean_env(CONTRACTTK_API_KEY=DEFAULT_SECRET_KEY)
        for ex in examples:
            line = ex["request"]["curl"] + " -o /dev/null -w '%{http_code}'"
            got = subprocess.run(
                ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=30
            )
            assert got.stdout.strip() == str(ex["response"]["status"]), (
                line,
                got.stdout,
                got.stderr,
            )
        # replay against the same broken server: still failing (exit 1) ...
        again = run_cli("replay", str(report), cwd=tmp_path, env=env)
        assert again.returncode == 1, again.stdout + again.stderr
        assert "still failing" in again.stdout
    # ... and against the reference server: every finding fixed (exit 0)
    with running_server() as good:
        fixed = run_cli("replay", str(report), "--url", good, cwd=tmp_path, env=env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert f"{len(doc['findings'])} of {len(doc['findings'])} finding(s) fixed" in fixed.stdout


def test_each_planted_bug_is_one_finding(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    with running_server(service_cls=ThreeBugs) as url:
        proc = fuzz(
            tmp_path,
            url,
            "--kind",
            "card",
            "--max-examples",
            "10",
            "--seed",
            "5",
            "--report",
            str(report),
        )
    assert proc.returncode == 1, proc.stdout[-3000:]
    doc = json.loads(report.read_text())
    hard = [f for f in doc["findings"] if f["strength"] == "hard"]
    by_check: dict[str, list[str]] = {}
    for f in hard:
        by_check.setdefault(f["check"], []).append(f["title"])
    assert len(by_check["no_secret_echo"]) == 1, by_check
    assert len(by_check["not_a_server_error"]) == 1, by_check
    blank = [f for f in hard if f["answer"]["code"] == "parameter_invalid_blank"]
    assert len(blank) == 1 and blank[0]["family"] == "empty", [f["title"] for f in blank]
    assert {k for f in doc["findings"] for k in f["kinds"]} <= {"card"}


def test_a_baseline_fails_only_on_new_findings(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    with running_server(service_cls=ThreeBugs) as url:
        proc = fuzz(
            tmp_path,
            url,
            "--kind",
            "card",
            "--max-examples",
            "5",
            "--seed",
            "8",
            "--report",
            str(first),
        )
        assert proc.returncode == 1
        again = fuzz(
            tmp_path,
            url,
            "--kind",
            "card",
            "--max-examples",
            "5",
            "--seed",
            "8",
            "--baseline",
            str(first),
            "--report",
            str(second),
        )
    assert again.returncode == 0, again.stdout[-3000:]
    doc = json.loads(second.read_text())
    assert doc["findings"] and all(
        f["baseline"] for f in doc["findings"] if f["strength"] == "hard"
    )
    assert "in baseline" in again.stdout
    bad = fuzz(tmp_path, "--baseline", str(tmp_path / "nope.json"))
    assert bad.returncode == 2 and "--baseline" in bad.stderr


def test_a_wrong_base_path_is_not_testable_and_says_why(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    with running_server() as url:
        proc = fuzz(tmp_path, url + "/v1", "--max-examples", "3", "--report", str(report))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out[-3000:]
    assert "path prefix" in out
    doc = json.loads(report.read_text())
    assert doc["status"] == "not_testable" and report_problems(doc) == []


class Slow(TokenService):
    async def execute_create(self, params: Any, key: Any, idempotency: Any) -> Any:
        import asyncio

        await asyncio.sleep(0.2)
        return await super().execute_create(params, key, idempotency)


def test_max_time_ends_a_run_against_a_slow_target(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    with running_server(service_cls=Slow) as url:
        # (the bound is the child's timeout: a run that ignored --max-time would hit it)
        proc = fuzz(tmp_path, url, "--max-time", "3", "--report", str(report), timeout=120)
    assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-2000:]
    doc = json.loads(report.read_text())
    assert report_problems(doc) == []
    assert doc["status"] == "stopped" and "max-time" in doc["detail"]
    assert "status: stopped" in proc.stdout
