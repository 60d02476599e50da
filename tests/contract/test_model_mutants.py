"""A wrong Stripe fact in the contract model must turn the model tests red (issue 14).

Each case runs the model tests built on hand-written facts (the facts table, the oracle
facts, the documented codes) in a child pytest with one rule function of
``contracttk.contract._rules`` replaced by a wrong twin (``tests/support/model_mutants.py``)
and checks that at least 20 tests fail, among them the ones that name the fact. (Those three
modules are where a wrong fact must show; the rest of ``tests/contract`` checks the model's
coherence and its data, and would only make the child slower.)
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from support import PYTEST, clean_env
from support.proc import _reset_signals

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

# Tests that must be among the failures for each wrong fact (written by hand).
MUST_FAIL = {
    "empty_is_blank": [
        "test_documented_codes.py::test_empty_string_is_parameter_invalid_empty",
        "test_facts_table.py::test_catalogue_entry_matches_the_facts[card[number]:empty]",
        "test_oracle_facts.py::test_generic_rule[expand=]",
    ],
    "month_is_invalid_expiry": [
        "test_documented_codes.py::test_month_13_is_invalid_expiry_month",
        "test_facts_table.py::test_catalogue_entry_matches_the_facts[card[exp_month]:out_of_range]",
        "test_oracle_facts.py::test_documented_rule[month 13]",
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("mutant", sorted(MUST_FAIL))
def test_a_wrong_fact_turns_the_model_tests_red(mutant: str) -> None:
    env = clean_env(CONTRACTTK_MODEL_MUTANT=mutant, PYTHONPATH=str(REPO / "tests"), CI="1")
    args = [
        PYTEST,
        "-q",
        "-rf",
        "-p",
        "no:cacheprovider",
        "-p",
        "support.model_mutants",
        str(HERE / "test_facts_table.py"),
        str(HERE / "test_oracle_facts.py"),
        str(HERE / "test_documented_codes.py"),
    ]
    proc = subprocess.run(
        args,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=_reset_signals,
    )
    out = proc.stdout
    assert f"contracttk model mutant: {mutant}" in out, out[-3000:] + proc.stderr[-3000:]
    summaries = re.findall(r"^=*\s*(\d+ (?:failed|passed).*)$", out, re.M)
    assert summaries, out[-3000:] + proc.stderr[-3000:]
    summary = summaries[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", summary)}
    assert "error" not in counts and "errors" not in counts, summary
    assert counts.get("failed", 0) >= 20, summary
    failed = set(re.findall(r"^FAILED tests/contract/(.+?)(?: - .*)?$", out, re.M))
    missing = [t for t in MUST_FAIL[mutant] if t not in failed]
    assert missing == [], f"{summary}; these stayed green: {missing}"
    print(f"{mutant}: {summary}")  # shown with -s: how many tests the wrong fact turned red
