"""The mutation suite: ``contracttk fuzz`` with its default settings catches every broken server.

Each variant in ``tests/mutants.py`` is the reference server with ONE fault. For each, the
server runs on a loopback port in this process, ``contracttk fuzz <url> --report r.json``
runs in a child process (so client and server do not share a GIL), and the test asserts
exit code 1 and that the report's hard failures name one of the checks the mutant's
docstring promises. The unbroken reference server must pass with exit 0 and no failures.

Settings are the defaults (max-examples, workers, timeout, keys) except ``--seed``, pinned
so a red test can be replayed exactly; the seed can be moved with
``CONTRACTTK_MUTATION_SEED``. The per-variant wall-time budget (60 s) can be moved with
``CONTRACTTK_MUTATION_BUDGET_S`` for slow machines. One test per variant, so ``pytest -n 2``
spreads them. Marked ``slow`` (deselect with ``-m "not slow"``); the structural tests at the
bottom are fast.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from contracttk.plugins import checks as C

from contracttk.defaults import EXIT_FAILURES, EXIT_OK
from contracttk.server import TokenService, running_server

HERE = Path(__file__).resolve().parent
SEED = os.environ.get("CONTRACTTK_MUTATION_SEED", "20240611")
BUDGET_S = float(os.environ.get("CONTRACTTK_MUTATION_BUDGET_S", "60"))
# Above the budget, so a hung run is reported as slow by the assertion, not killed blind.
HARD_TIMEOUT_S = max(BUDGET_S * 3, 180.0)
AREAS = {
    "validation",
    "errors",
    "semantics",
    "secrets",
    "auth",
    "retrieval",
    "idempotency",
    "crash",
}


def _load_mutants() -> ModuleType:
    # --import-mode=importlib keeps tests/ off sys.path: load the sibling module by path.
    name = "contracttk_tests_mutants"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "mutants.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


mutants = _load_mutants()
ALL_MUTANTS: tuple[type[TokenService], ...] = mutants.ALL_MUTANTS


def run_fuzz(url: str, workdir: Path) -> tuple[int, dict[str, Any] | None, float, str]:
    """``contracttk fuzz url --seed SEED --report workdir/report.json`` in a child process.

    Returns (exit code, report or None, wall seconds, tail of stderr). The child runs in
    ``workdir`` so its Hypothesis database and pytest cache are private to this test.
    """
    report = workdir / "report.json"
    cmd = [sys.executable, "-m", "contracttk.cli", "fuzz", url, "--seed", SEED]
    cmd += ["--report", str(report)]
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=workdir, capture_output=True, text=True, timeout=HARD_TIMEOUT_S, check=False
    )
    wall = time.perf_counter() - started
    doc = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
    return proc.returncode, doc, wall, (proc.stdout[-1500:] + proc.stderr[-1500:])


def _hard_checks(doc: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for failure in doc["failures"]:
        assert failure["strength"] == "hard", failure
        out[failure["check"]] = out.get(failure["check"], 0) + 1
    return out


@pytest.mark.slow
@pytest.mark.loopback
def test_reference_server_passes(tmp_path: Path, record_property: Any) -> None:
    """The unbroken server: exit 0, no failures (else every mutant result is meaningless)."""
    with running_server() as url:
        code, doc, wall, tail = run_fuzz(url, tmp_path)
    record_property("wall_s", round(wall, 1))
    print(f"\nTokenService (reference): exit {code} in {wall:.1f} s")
    assert code == EXIT_OK, tail
    assert doc is not None and doc["status"] == "completed"
    assert doc["failures"] == [], [f["message"] for f in doc["failures"]][:5]
    assert doc["counts"]["positive_cases"] > 0
    assert wall < BUDGET_S, f"reference run took {wall:.1f} s"


@pytest.mark.slow
@pytest.mark.loopback
@pytest.mark.parametrize("mutant", ALL_MUTANTS, ids=lambda cls: cls.__name__)
def test_mutant_is_caught(mutant: Any, tmp_path: Path, record_property: Any) -> None:
    """The fault is found: exit 1 and a hard failure from one of the promised checks."""
    with running_server(service_cls=mutant) as url:
        code, doc, wall, tail = run_fuzz(url, tmp_path)
    found = _hard_checks(doc) if doc else {}
    record_property("wall_s", round(wall, 1))
    record_property("caught_by", ",".join(sorted(found)))
    print(f"\n{mutant.__name__}: exit {code} in {wall:.1f} s, hard failures by check: {found}")
    assert code == EXIT_FAILURES, f"exit {code}, expected 1\n{tail}"
    assert doc is not None and doc["status"] == "completed"
    expected = set(mutant.CATCHES)
    assert expected & set(found), (
        f"{mutant.__name__} should be caught by {sorted(expected)}; the report names {found}"
    )
    assert wall < BUDGET_S, f"{mutant.__name__} took {wall:.1f} s (budget {BUDGET_S:.0f} s)"


# --- fast structural tests: the suite itself is well formed ------------------------------------


def _known_checks() -> set[str]:
    # Registered single-exchange checks plus the protocol checks run by the engine items.
    return (
        set(C.CHECKS)
        | set(C.PROTOCOL_RULES)
        | {
            "auth_no_key",
            "auth_bad_key",
            "auth_publishable_retrieve",
            "retrieve_unknown_id",
            "idempotency_mismatch",
        }
    )


def test_at_least_25_variants_over_every_area() -> None:
    assert len(ALL_MUTANTS) >= 25
    assert {m.AREA for m in ALL_MUTANTS} == AREAS
    assert len({m.__name__ for m in ALL_MUTANTS}) == len(ALL_MUTANTS)


@pytest.mark.parametrize("mutant", ALL_MUTANTS, ids=lambda cls: cls.__name__)
def test_variant_is_documented_and_targets_real_checks(mutant: Any) -> None:
    doc = inspect.getdoc(mutant) or ""
    assert doc and "Caught by" in doc, f"{mutant.__name__} must name the fault and its check"
    assert mutant.CATCHES, mutant.__name__
    assert set(mutant.CATCHES) <= _known_checks(), set(mutant.CATCHES) - _known_checks()
    # The check aimed at is named in the docstring.
    assert f"``{mutant.CATCHES[0]}``" in doc
    # One fault: the variant overrides reference-server steps, not the ASGI plumbing.
    overridden = {
        name
        for klass in mutant.__mro__
        if klass not in (TokenService, object) and not klass.__name__.startswith("Mutant")
        for name in vars(klass)
        if callable(getattr(TokenService, name, None))
    }
    assert overridden, f"{mutant.__name__} changes nothing of TokenService"
    assert not overridden & {"dispatch", "__init__"}, overridden
