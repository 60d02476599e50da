"""A report or manifest that is not ours gets one clear line and exit 2, never a traceback.

``contracttk replay`` and ``contracttk fixtures verify`` read back files a user points
them at: anything may be there.
"""

from __future__ import annotations

import json
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


def _one_clear_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_replay_refuses_a_file_that_is_not_our_report(tmp_path: Path, case: str) -> None:
    path = tmp_path / "report.json"
    if CASES[case] is not None:
        path.write_text(CASES[case], encoding="utf-8")
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
