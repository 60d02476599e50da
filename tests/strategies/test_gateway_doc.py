"""docs/testing-your-gateway.md runs as written: its snippets, its files and its command.

Python blocks marked ``file=NAME`` are written to a fresh folder, the ``bash`` block's pytest
command runs there in a child process, and the other Python blocks run in this process. A
broken gateway (one fact changed) must make the doc's own tests fail, with the judge's
reason in the output: tests that cannot fail would prove nothing.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from support import clean_env, run_pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing-your-gateway.md"
_FENCE = re.compile(r"^```(?P<lang>\w+)(?P<info>[^\n]*)\n(?P<code>.*?)^```$", re.M | re.S)


def _blocks() -> list[tuple[str, str | None, str]]:
    """``(language, file name or None, code)`` for every fenced block, in order."""
    out = []
    for m in _FENCE.finditer(DOC.read_text(encoding="utf-8")):
        found = re.search(r"\bfile=(\S+)", m["info"])
        out.append((m["lang"], found[1] if found else None, m["code"]))
    return out


def _files() -> dict[str, str]:
    return {name: code for lang, name, code in _blocks() if lang == "python" and name}


def _command() -> list[str]:
    (command,) = [code for lang, _, code in _blocks() if lang == "bash"]
    args = shlex.split(command.strip())
    assert args[0] == "pytest", command
    return args[1:]


def _run_doc(
    folder: Path, files: dict[str, str], *extra: str, autoload: bool = True
) -> tuple[int, str]:
    for name, code in files.items():
        (folder / name).write_text(code, encoding="utf-8")
    # autoload: the plugins a user's pytest loads (Hypothesis's, Faker's, contracttk's).
    proc = run_pytest(folder, *_command(), *extra, env=clean_env(), autoload=autoload)
    return proc.returncode, proc.stdout + proc.stderr


def test_doc_has_what_the_walk_through_promises() -> None:
    files = _files()
    assert set(files) == {
        "gateway.py",
        "test_gateway.py",
        "test_gateway_http.py",
        "test_gateway_faker.py",
    }
    # The command runs every test file the doc writes.
    assert sorted(_command()[1:]) == sorted(n for n in files if n.startswith("test_"))
    snippets = [code for lang, name, code in _blocks() if lang == "python" and not name]
    assert len(snippets) == 2


@pytest.mark.parametrize("index", [0, 1])
def test_doc_snippet_runs_as_written(index: int) -> None:
    snippets = [code for lang, name, code in _blocks() if lang == "python" and not name]
    exec(compile(snippets[index], f"{DOC.name}:snippet{index}", "exec"), {})


def test_doc_files_pass_as_written(tmp_path: Path) -> None:
    code, output = _run_doc(tmp_path, _files())
    assert code == 0, output
    # Every test of the doc ran: 4 test functions in 3 files.
    assert re.search(r"\b4 passed\b", output), output


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        # A Luhn failure answered as a bad request: hard facts (status, type, code, param).
        (
            'error(402, "card_error", "number", "incorrect_number")',
            'error(400, "invalid_request_error", "card[number]", "incorrect_number")',
            "status: expected 402, got 400",
        ),
        # The wrong code for a month out of range: code is a hard fact for that entry.
        (
            '"exp_month", "invalid_expiry_month"',
            '"exp_month", "invalid_expiry_year"',
            "code: expected 'invalid_expiry_month', got 'invalid_expiry_year'",
        ),
        # A gateway that refuses American Express (and other 3-prefixed) test cards fails the
        # valid-payload property.
        (
            "number.isdigit() and 12",
            'number.isdigit() and number[0] != "3" and 12',
            "test_accepts_stripe_test_cards",
        ),
    ],
)
def test_doc_tests_catch_a_broken_gateway(tmp_path: Path, old: str, new: str, reason: str) -> None:
    files = _files()
    assert old in files["gateway.py"]
    files["gateway.py"] = files["gateway.py"].replace(old, new)
    # The first failure is enough; only contracttk's plugin: a quicker start.
    code, output = _run_doc(tmp_path, files, "-x", autoload=False)
    assert code == 1, output
    assert reason in output, output
