"""Every command and code block of the README (and docs/report.md) runs as written.

Shell blocks run with bash in a temporary folder, with the environment variables they name
(``CANDIDATE_URL``...) pointing at a reference server on loopback. The two set-up commands
of the quick start create virtual environments: ``.ci/run`` runs them on every CI run, and
this test checks that it does. Python blocks run as written; the README's ``my_client`` is
"your test client": here a requests session on the reference server.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import clean_env

from contracttk.defaults import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from contracttk.server import running_server

pytestmark = pytest.mark.loopback

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(text: str, lang: str) -> list[str]:
    """The fenced code blocks of ``lang`` in ``text``."""
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.S | re.M)


def run_bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_quick_start_commands_are_what_ci_runs() -> None:
    setup = [b.strip() for b in blocks(README, "bash") if b.startswith("python3 -m venv")]
    assert len(setup) == 2, setup
    main_job, tests = setup
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # CI installs with the test extra (which includes the conformance extra) and runs both.
    assert 'pip install -q -e ".[test]"' in ci and 'pip install -e ".[test]"' in tests
    assert main_job.endswith("contracttk fuzz") and "\ncontracttk fuzz" in ci
    assert tests.endswith("pytest -n 2") and "\npytest -n 2\n" in ci + "\n"


def test_the_readme_shell_blocks_run_as_written(tmp_path: Path) -> None:
    scripts = [b for b in blocks(README, "bash") if not b.startswith("python3 -m venv")]
    assert len(scripts) == 2, scripts
    with running_server() as url:
        env = clean_env(
            CANDIDATE_URL=url,
            CANDIDATE_SECRET_KEY=DEFAULT_SECRET_KEY,
            CANDIDATE_PUBLISHABLE_KEY=DEFAULT_PUBLISHABLE_KEY,
            # fewer cases than a real run: this checks the commands, not the engine
            CONTRACTTK_MAX_EXAMPLES="3",
        )
        for script in scripts:
            script = script.replace("sk_test_...", "$CANDIDATE_SECRET_KEY")
            proc = run_bash(script, tmp_path, env)
            assert proc.returncode == 0, script + proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (tmp_path / "fx" / "manifest.json").is_file()
    assert (tmp_path / "out" / "junit.xml").is_file() and (
        tmp_path / "out" / "report.json"
    ).is_file()


class _Client:
    """The README's ``my_client``: a requests session bound to one base URL and key."""

    def __init__(self, url: str) -> None:
        import requests

        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {DEFAULT_SECRET_KEY}"

    def post(self, path: str, data: Any) -> Any:
        return self.session.post(self.url + path, data=data)


def test_the_readme_python_blocks_run_as_written() -> None:
    from hypothesis import settings

    code = blocks(README, "python")
    assert len(code) == 2
    with running_server() as url:
        ns: dict[str, Any] = {"my_client": _Client(url)}
        exec(compile(code[0], "README.md", "exec"), ns)
        for name in ("test_my_gateway_accepts", "test_my_gateway_rejects"):
            settings(max_examples=15, deadline=None)(ns[name])()
    ns = {}
    exec(compile(code[1], "README.md", "exec"), ns)


def test_the_report_docs_commands_run_as_written(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    [replay] = [b for b in blocks(doc, "bash") if "contracttk replay" in b]
    with running_server() as url:
        env = clean_env(CONTRACTTK_MAX_EXAMPLES="2")
        made = run_bash(f"contracttk fuzz {url} --kind pii --report report.json", tmp_path, env)
        assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
        script = replay.replace("sk_test_...", DEFAULT_SECRET_KEY).replace(
            "http://127.0.0.1:8080", url
        )
        proc = run_bash(script, tmp_path, env)
    # a clean report: nothing to replay, every (zero) finding "fixed"; the finding id named
    # in the doc is not in this report, so the second line is refused as a usage error
    assert "0 of 0 finding(s) fixed" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 2 and "no finding F472b97fd" in proc.stderr


def test_the_report_docs_console_excerpt_is_a_real_run() -> None:
    # docs/report.md shows an excerpt of the localstripe field trial's output: every line of
    # it must stand in that (test-checked, regenerated) output.
    doc = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    trial = (ROOT / "docs" / "field-trial-localstripe.md").read_text(encoding="utf-8")
    start = doc.index("<!-- excerpt of field-trial-localstripe.md")
    excerpt = blocks(doc[start:], "")[0]
    lines = [line for line in excerpt.splitlines() if line.strip() and line.strip() != "..."]
    assert len(lines) >= 5
    missing = [line for line in lines if line not in trial]
    assert missing == []
