"""tests/conftest.py: under ``CI`` an unexpected skip fails the run (issue 14, point 2).

The policy is exercised in a child pytest whose folder holds a copy of our conftest and a
module with every kind of skip; it runs once with ``CI`` set and once without.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from support import clean_env, run_pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

CASES = """
import pytest


def test_runs():
    pass


def test_skips():
    pytest.skip("no widget here")


@pytest.mark.skipif(True, reason="never here")
def test_skipif():
    pass


@pytest.mark.allowed_skip("the CI box has no widget")
def test_allowed():
    pytest.skip("no widget here")


@pytest.mark.allowed_skip
def test_allowed_without_a_reason():
    pytest.skip("no widget here")


@pytest.mark.xfail(strict=True, reason="known bug")
def test_known_bug():
    assert False
"""
IMPORT_SKIP = """
import pytest

pytest.importorskip("contracttk_no_such_module")


def test_never_collected():
    pass
"""


def _run(tmp_path: Path, ci: bool) -> tuple[str, dict[str, int]]:
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_cases.py").write_text(CASES, "utf-8")
    (tmp_path / "test_import_skip.py").write_text(IMPORT_SKIP, "utf-8")
    env = clean_env()
    env.pop("CI", None)
    if ci:
        env["CI"] = "1"
    # Collection errors would stop the session before the tests ran; let both show.
    args = ("-q", "-rA", "-p", "no:cacheprovider", "--continue-on-collection-errors")
    proc = run_pytest(tmp_path, *args, env=env)
    summary = proc.stdout.strip().splitlines()[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary)}
    return proc.stdout, counts


def test_without_ci_skips_stay_skips(tmp_path: Path) -> None:
    out, counts = _run(tmp_path, ci=False)
    assert counts == {"passed": 1, "skipped": 5, "xfailed": 1}, out


def test_under_ci_an_unexpected_skip_fails(tmp_path: Path) -> None:
    out, counts = _run(tmp_path, ci=True)
    # A skip in the call is a failure; one at setup (skipif) or collection is an error.
    assert counts == {"failed": 2, "errors": 2, "passed": 1, "skipped": 1, "xfailed": 1}, out
    red = set(re.findall(r"^(?:FAILED|ERROR) (\S+) - unexpected skip under CI", out, re.M))
    assert red == {
        "test_cases.py::test_skips",
        "test_cases.py::test_skipif",
        "test_cases.py::test_allowed_without_a_reason",
        "test_import_skip.py",
    }, out
    assert "unexpected skip under CI (Skipped: no widget here)" in out
    assert "contracttk_no_such_module" in out
    assert re.search(r"^SKIPPED \[1\] test_cases.py:\d+: no widget here", out, re.M), out
