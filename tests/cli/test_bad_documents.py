"""A report or manifest that is not ours gets one clear line and exit 2, never a traceback.

``contracttk replay`` and ``contracttk fixtures verify`` read back files a user points
them at: anything may be there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support import run_cli

CASES = {
    "missing": None,
    "not JSON": "{nope",
    "nested too deeply": "[" * 100_000 + "]" * 100_000,
    "another tool": json.dumps({"tool": "schemathesis", "report_version": 1}),
    "a list": "[1, 2]",
    "another version": json.dumps({"tool": "contracttk", "report_version": 99}),
}
# Ours on the outside only: the right tool and version, not the report's shape.
REPORT_ONLY = {
    "findings not a list": json.dumps({"tool": "contracttk", "report_version": 2, "findings": 5}),
    "a folder": None,
    "a FIFO": None,
}


def _one_clear_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("case", sorted({**CASES, **REPORT_ONLY}))
def test_replay_refuses_a_file_that_is_not_our_report(tmp_path: Path, case: str) -> None:
    path = tmp_path / "report.json"
    text = CASES.get(case, REPORT_ONLY.get(case))
    if case == "a folder":
        path.mkdir()
    elif case == "a FIFO":
        os.mkfifo(path)  # opening it would wait for a writer forever
    elif text is not None:
        path.write_text(text, encoding="utf-8")
    done = run_cli("replay", str(path), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    line = _one_clear_line(done.stderr)
    assert str(path) in line


@pytest.mark.parametrize("case", sorted(CASES))
def test_verify_refuses_a_manifest_that_is_not_ours(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "dump"
    folder.mkdir()
    text = CASES[case]
    if text is not None:
        path = folder / "manifest.json"
        path.write_text(text.replace("report_version", "format_version"), encoding="utf-8")
    done = run_cli("fixtures", "verify", str(folder), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    _one_clear_line(done.stderr)


def test_replay_of_a_run_that_tested_nothing_is_not_a_pass(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    done = run_cli("fuzz", "http://127.0.0.1:9", "--report", str(report), cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    again = run_cli("replay", str(report), cwd=tmp_path)
    assert again.returncode == 2, again.stdout + again.stderr
    assert "not testable" in _one_clear_line(again.stderr)
