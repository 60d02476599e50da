"""The mutation suite: every broken server is caught by the check aimed at, naming the fault.

Each variant (``tests/support/mutants*.py``) is the reference server with ONE fault, and its
``FAULT`` declares the one check that must trip, what the failure must name (violation or
rule family, token field, kind, answer), the checks that fail as plain consequences, and
the budget: the suite items that can see the fault and how many generated examples. The
variant runs in-process (the ASGI app, no socket, no child process) through the engine's
:class:`~contracttk.conformance.session.RunState`, the path ``contracttk fuzz`` takes minus
pytest, and the test asserts:

* the run fails (exit code 1) with hard failures of the declared check, and every one of
  them names the fault (the check did not fire for some other reason);
* a hard finding carries the fault; a kind-level fault is ONE run-level finding
  (``kind_support``) with the check's failures counted as blocked by it;
* no hard finding comes from a check outside the declared one and its consequences.

The unbroken reference server, run with every item at the largest budget any variant uses,
has no hard failure at all (else the mutant results would mean nothing). Seeds are pinned
so a red test replays exactly; ``CONTRACTTK_MUTATION_SEED`` moves them. One test per variant,
so ``pytest -n 2`` spreads them; nothing here measures time.
"""

from __future__ import annotations

import inspect
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from support.mutants import ALL_MUTANTS, AREAS, Mutant

from contracttk.conformance.registry import CHECKS, select
from contracttk.conformance.results import ItemResult
from contracttk.conformance.session import RunState
from contracttk.conformance.settings import resolve
from contracttk.conformance.suite import item_names
from contracttk.defaults import DEFAULT_LIVE_SECRET_KEY, EXIT_FAILURES, EXIT_OK
from contracttk.server import TokenService, create_app

pytest_plugins = ["pytester"]

SEED = int(os.environ.get("CONTRACTTK_MUTATION_SEED", "20240611"))
URL = "http://testserver"


def run_engine(
    service_cls: type[TokenService],
    items: Iterable[str],
    *,
    max_examples: int,
    **extra: Any,
) -> tuple[RunState, dict[str, ItemResult]]:
    """Run ``items`` against ``service_cls`` in-process, as one run; the finished state."""
    settings = resolve({"url": URL, "seed": SEED, "max_examples": max_examples, **extra})
    state = RunState(settings, app=create_app(service_cls=service_cls))
    results: dict[str, ItemResult] = {}
    for name in items:
        result, record = state.run_item(name)
        assert result.skipped is None, f"{name} was skipped: {result.skipped}"
        state.add_record(name, record, "failed" if record["failures"] else "passed", 0.0)
        results[name] = result
    state.finish()
    return state, results


def hard_records(state: RunState, strength: str = "hard") -> list[Mapping[str, Any]]:
    """Every distinct hard failure (or warning) of the run, as report records."""
    field = "failures" if strength == "hard" else "warnings"
    return [rec for record in state.records.values() for rec in record[field]]


def describe(rec: Mapping[str, Any]) -> str:
    """One line naming a failure record (for assertion messages)."""
    ans = rec.get("answer") or {}
    return (
        f"{rec.get('item')}: {rec['check']} kind={rec.get('kind')} violation={rec.get('violation')} "
        f"signature={rec.get('signature')!r} answer={ans.get('status')} {ans.get('type')}: "
        f"{(rec.get('message') or '')[:160]}"
    )


# --- the reference server ----------------------------------------------------------------------


def test_reference_server_has_no_hard_failure() -> None:
    """Every item (schemathesis's too), the live-mode ones included, at the largest budget."""
    budget = max(m.FAULT.max_examples for m in ALL_MUTANTS if m.FAULT)
    items = item_names()
    state, results = run_engine(
        TokenService,
        items,
        max_examples=budget,
        # The reference server knows this placeholder: the live-mode item runs too.
        live_key=DEFAULT_LIVE_SECRET_KEY,
        allow_live_keys=True,
    )
    hard = hard_records(state)
    assert hard == [], "\n".join(describe(r) for r in hard[:10])
    assert state.exit_code == EXIT_OK
    assert [n for n, r in results.items() if r.cases == 0] == []
    assert state.doc is not None and state.doc["counts"]["positive_created"] > 0


def test_reference_server_passes_every_variants_budget() -> None:
    """The same items and settings as each variant's run, against the unbroken server."""
    for settings in sorted({m.FAULT.settings for m in ALL_MUTANTS if m.FAULT}):
        wanted = {
            i
            for m in ALL_MUTANTS
            if m.FAULT and m.FAULT.settings == settings
            for i in m.FAULT.items
        }
        items = [n for n in item_names() if n in wanted]
        budget = max(m.FAULT.max_examples for m in ALL_MUTANTS if m.FAULT)
        state, _ = run_engine(TokenService, items, max_examples=budget, **dict(settings))
        hard = hard_records(state)
        assert hard == [], f"settings {settings}:\n" + "\n".join(describe(r) for r in hard[:10])


# --- the variants --------------------------------------------------------------------------------


@pytest.mark.parametrize("mutant", ALL_MUTANTS, ids=lambda cls: cls.__name__)
def test_variant_is_caught_by_its_check_naming_the_fault(mutant: type[Mutant]) -> None:
    fault = mutant.FAULT
    assert fault is not None
    state, _ = run_engine(
        mutant, fault.items, max_examples=fault.max_examples, **dict(fault.settings)
    )
    hard = hard_records(state)
    found = hard_records(state, fault.strength)
    by_check = Counter(rec["check"] for rec in found)
    aimed = [rec for rec in found if rec["check"] == fault.check]
    assert aimed, (
        f"no {fault.strength} {fault.check} failure; {fault.strength} failures by check: "
        f"{dict(by_check)}; hard: {dict(Counter(rec['check'] for rec in hard))}"
    )
    astray = [rec for rec in aimed if not fault.names(rec)]
    assert astray == [], f"{fault.check} failed without naming the fault:\n" + "\n".join(
        describe(r) for r in astray[:5]
    )
    findings = [f for f in state.findings if f.strength == fault.strength]
    if fault.finding is not None:
        # One cause, one finding: the run-level finding explains the check's failures.
        run_level = [f for f in findings if f.check == fault.finding]
        assert len(run_level) == 1, [f.title for f in findings]
        title = run_level[0].title
        assert title.startswith(f"does not support {fault.kind} tokens"), title
        blocked = Counter(rec["check"] for rec in run_level[0].blocked)
        assert blocked[fault.check] == len(aimed), blocked
        assert not [f for f in findings if f.check == fault.check], "not collapsed"
    else:
        carrying = [f for f in findings if f.check == fault.check]
        assert carrying, [f.title for f in findings]
        assert all(fault.names(rec) for f in carrying for rec in f.instances)
    hard_findings = [f for f in state.findings if f.strength == "hard"]
    stray = [f for f in hard_findings if f.check not in {fault.check, fault.finding, *fault.also}]
    assert stray == [], "false alarms:\n" + "\n".join(f"{f.check}: {f.title}" for f in stray[:10])
    expected_exit = EXIT_FAILURES if fault.strength == "hard" else EXIT_OK
    assert state.exit_code == expected_exit, (state.status, state.detail)


# --- the suite is well formed ----------------------------------------------------------------------


def test_at_least_25_variants_over_every_area() -> None:
    assert len(ALL_MUTANTS) >= 25
    assert {m.AREA for m in ALL_MUTANTS} == AREAS
    assert len({m.__name__ for m in ALL_MUTANTS}) == len(ALL_MUTANTS)


@pytest.mark.parametrize("mutant", ALL_MUTANTS, ids=lambda cls: cls.__name__)
def test_variant_is_documented_and_targets_real_checks(mutant: type[Mutant]) -> None:
    fault = mutant.FAULT
    assert fault is not None
    doc = " ".join((inspect.getdoc(mutant) or "").split())
    # The docstring names the fault and the one check aimed at.
    assert f"Caught by ``{fault.check}``" in doc, doc
    select([fault.check, *fault.also, *([fault.finding] if fault.finding else [])])
    assert fault.check not in fault.also
    assert set(fault.items) <= set(item_names()), set(fault.items) - set(item_names())
    # Something for the failure to name beyond the check itself.
    assert fault.violation or fault.signature or fault.message
    assert fault.check in CHECKS
    # One fault: the variant overrides reference-server steps, not the ASGI plumbing.
    overridden = {
        name
        for klass in mutant.__mro__
        if issubclass(klass, Mutant) and klass is not Mutant
        for name in vars(klass)
        if callable(getattr(TokenService, name, None))
    }
    assert overridden, f"{mutant.__name__} changes nothing of TokenService"
    assert not overridden & {"dispatch", "__init__"}, overridden


# --- an item with no answered case is an error, never a pass --------------------------------------


def test_item_without_an_answered_case_is_an_error(pytester: pytest.Pytester) -> None:
    """CreateNeverAnswers: ``auth::publishable_retrieve`` gets no answer to its creates, so it
    tests nothing; through the pytest plugin it must end as a failure, not a pass."""
    from contracttk.plugins.suite_plugin import SuitePlugin

    mutant = next(m for m in ALL_MUTANTS if m.__name__ == "CreateNeverAnswers")
    assert mutant.FAULT is not None
    settings = resolve({"url": URL, "seed": SEED, **dict(mutant.FAULT.settings)})
    plugin = SuitePlugin(settings=settings, app=create_app(service_cls=mutant))
    pytester.makeini("[pytest]\n")
    result = pytester.inline_run(
        "-p", "no:cacheprovider", "contracttk::auth::publishable_retrieve", plugins=[plugin]
    )
    passed, skipped, failed = result.listoutcomes()
    assert (len(passed), len(skipped), len(failed)) == (0, 0, 1)
    text = str(failed[0].longrepr)
    assert "auth::publishable_retrieve got no answer to any of its" in text, text
    record = plugin.state.records["auth::publishable_retrieve"]
    assert record["cases"] == 0
    assert {f["check"] for f in record["failures"]} == {"responds"}
    assert plugin.state.exit_code == EXIT_FAILURES


# Checks whose broken server lives outside the mutation suite (a mutant cannot show them:
# they need a hostile transport or a key the reference server does not know).
PROVEN_ELSEWHERE = {
    "key_refused": "tests/conformance/test_findings.py::test_a_refused_key_is_one_finding_not_a_401_under_every_check",
    "response_size": "tests/security/test_hostile_targets.py (the 50 MB answer)",
}


def test_every_check_has_a_broken_server_that_it_catches() -> None:
    import contracttk.conformance.runner  # noqa: F401  (registers every check)

    aimed = {m.FAULT.check for m in ALL_MUTANTS} | {
        m.FAULT.finding for m in ALL_MUTANTS if m.FAULT.finding
    }
    assert set(CHECKS) - aimed - set(PROVEN_ELSEWHERE) == set()
    assert set(PROVEN_ELSEWHERE) <= set(CHECKS)
