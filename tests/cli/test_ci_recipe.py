"""The CI recipe in ``docs/ci.md`` works: its steps, run here minus the hosted parts.

The YAML block is read from the document (PyYAML is always present: schemathesis depends
on it). The ``Start candidate``, ``Wait for candidate``, ``Conformance suite`` and ``Stop
candidate`` scripts run verbatim with bash, in a temporary folder, with the job's
environment variables (a free port and a temporary report folder substituted), exactly as
the runner would run them. The hosted steps (checkout, setup-python, install, upload) are
only checked for their shape: the install takes the conformance and xdist extras, and the
upload covers both reports.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import clean_env, free_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "ci.md"
STEP_TIMEOUT_S = 300
# GitHub's default shell for `run:` steps on Linux.
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]


def workflow() -> dict[str, Any]:
    """The first ```yaml block of docs/ci.md, parsed."""
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"^```yaml\n(.*?)^```", text, re.S | re.M)
    assert blocks, "docs/ci.md has no ```yaml block"
    return yaml.safe_load(blocks[0])


def _job(doc: Mapping[str, Any]) -> dict[str, Any]:
    jobs = doc["jobs"]
    assert len(jobs) == 1, list(jobs)
    return next(iter(jobs.values()))


def _step(job: Mapping[str, Any], name: str) -> dict[str, Any]:
    found = [s for s in job["steps"] if s.get("name") == name]
    assert len(found) == 1, f"no single step named {name!r}"
    return found[0]


def _run_step(
    step: Mapping[str, Any], env: Mapping[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BASH, step["run"]],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_S,
        check=False,
    )


# --- fast: the hosted parts have the right shape -------------------------------------------


def test_workflow_shape() -> None:
    doc = workflow()
    # PyYAML reads the bare key `on` as True (YAML 1.1); GitHub reads it as "on".
    triggers = doc.get("on", doc.get(True))
    assert {"push", "pull_request"} <= set(triggers)
    job = _job(doc)
    uses = [s.get("uses", "") for s in job["steps"]]
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert any(u.startswith("actions/setup-python@") for u in uses)

    install = _step(job, "Install contracttk")["run"]
    assert "CONTRACTTK_SPEC" in install
    assert "contracttk[conformance,xdist]" in job["env"]["CONTRACTTK_SPEC"]

    suite = _step(job, "Conformance suite")["run"]
    for flag in ("--workers", "--junit-xml", "--report", "--seed", "--api-key"):
        assert flag in suite, flag
    # Keys come from the environment, never written into the command line.
    assert not re.search(r"\b(sk|pk)_(test|live)_", suite)

    upload = next(
        s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")
    )
    assert upload.get("if") == "always()"
    reports = job["env"]["REPORT_DIR"]
    assert reports in upload["with"]["path"]
    # Installed before the suite runs; uploads follow it.
    names = [s.get("name") for s in job["steps"]]
    assert (
        names.index("Install contracttk")
        < names.index("Conformance suite")
        < names.index(upload["name"])
    )
    assert _step(job, "Stop candidate").get("if") == "always()"


# --- slow: the steps themselves, here --------------------------------------------------------


@pytest.mark.slow
@pytest.mark.loopback
def test_recipe_steps_run_and_pass(tmp_path: Path) -> None:
    job = _job(workflow())
    env = {k: str(v) for k, v in job["env"].items()}
    env.update(
        CANDIDATE_PORT=str(free_port()),
        REPORT_DIR=str(tmp_path / "reports"),
        # Fewer cases than CI: this checks the plumbing, the mutation suite checks the engine.
        FUZZ_MAX_EXAMPLES="5",
    )
    env = clean_env(
        **env,
        # `contracttk` must resolve to this interpreter's console script, as after the
        # workflow's install step.
        PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    )
    pid_file = tmp_path / "candidate.pid"
    try:
        started = _run_step(_step(job, "Start candidate"), env, tmp_path)
        assert started.returncode == 0, started.stderr
        assert pid_file.exists()

        waited = _run_step(_step(job, "Wait for candidate"), env, tmp_path)
        assert waited.returncode == 0, waited.stderr + (tmp_path / "candidate.log").read_text()

        suite = _run_step(_step(job, "Conformance suite"), env, tmp_path)
        assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr[-3000:]
        # The run really was sharded: items finished by workers are announced this way.
        assert re.search(r"^\[\d+/\d+\] ", suite.stderr, re.M), suite.stderr[-2000:]

        reports = Path(env["REPORT_DIR"])
        report = json.loads((reports / "conformance.json").read_text(encoding="utf-8"))
        assert report["status"] == "completed"
        assert report["findings"] == []
        assert report["counts"]["cases"] > 0
        assert report["seed"] == int(env["FUZZ_SEED"])

        junit = ET.parse(reports / "junit.xml").getroot()
        suites = [junit] if junit.tag == "testsuite" else list(junit.iter("testsuite"))
        tests = sum(int(s.get("tests", 0)) for s in suites)
        failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
        assert tests >= 1 and failed == 0

        stopped = _run_step(_step(job, "Stop candidate"), env, tmp_path)
        assert stopped.returncode == 0, stopped.stderr
    finally:
        # Whatever failed above, never leave our candidate running.
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
