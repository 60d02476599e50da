"""Strategies explore: catalogue and test-value coverage, find, weights, reprs, shrinking.

Catalogue sizes and entries come from the contract model (``violations_for``); which entry a
payload carries is checked by the oracle, never by the code under test. Runs that count
entries pin their seed (``@seed``) so a measurement is the same on every run.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest
from contracttk.strategies import (
    InvalidPayload,
    any_invalid_params,
    bank_account_params,
    card_params,
    invalid_card_params,
    invalid_params,
    invalid_person_params,
    params,
)
from hypothesis import Phase, find, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from contracttk.contract import KIND_NAMES, Finding, evaluate_create, violations_for
from contracttk.contract import domain as D

TODAY = date.today()
EXAMPLES = 100


def _violations_reached(strategy: Any, seed_value: int, examples: int = EXAMPLES) -> list[str]:
    seen: list[str] = []

    @seed(seed_value)
    @settings(max_examples=examples, database=None, deadline=None)
    @given(strategy)
    def run(bad: InvalidPayload) -> None:
        # Counted as the oracle judges the payload, not as the strategy labels it.
        findings = evaluate_create(bad.params, today=TODAY).findings
        assert Finding(bad.violation, bad.expected) in findings, bad
        seen.append(bad.violation)

    run()
    return seen


# --- coverage -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed_value", [0, 1])
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_100_examples_reach_80_percent_of_the_catalogue(kind: str, seed_value: int) -> None:
    entries = {v.name for v in violations_for(kind)}
    seen = _violations_reached(invalid_params(kind, today=TODAY), seed_value)
    assert len(seen) == EXAMPLES
    assert set(seen) <= entries
    # account and person have more entries than a run has examples: 80% of what 100
    # examples could reach at most.
    assert len(set(seen)) >= 0.8 * min(len(entries), EXAMPLES), (kind, len(set(seen)))


def test_card_run_walks_the_whole_catalogue_without_favouring_the_first_entry() -> None:
    entries = [v.name for v in violations_for("card")]
    seen = _violations_reached(invalid_card_params(today=TODAY), 7)
    assert len(set(seen)) >= 0.9 * len(entries)
    # The old strategy drew request:no_kind (params={}) in 23-40% of its examples.
    assert Counter(seen)[entries[0]] <= 5


def test_coverage_survives_other_draws_after_it() -> None:
    # The catalogue walk needs the invalid payload to be drawn first (documented): draws of
    # other arguments after it must not spoil it.
    seen: list[str] = []

    @seed(3)
    @settings(max_examples=EXAMPLES, database=None, deadline=None)
    @given(invalid_card_params(today=TODAY), st.integers(), st.text(max_size=3))
    def run(bad: InvalidPayload, _: int, __: str) -> None:
        seen.append(bad.violation)

    run()
    assert len(set(seen)) >= 0.8 * len(violations_for("card"))


@pytest.mark.parametrize("seed_value", [0, 1])
def test_100_valid_card_examples_reach_every_test_card(seed_value: int) -> None:
    numbers: list[str] = []

    @seed(seed_value)
    @settings(max_examples=EXAMPLES, database=None, deadline=None)
    @given(card_params(today=TODAY))
    def run(payload: dict[str, Any]) -> None:
        assert evaluate_create(payload, today=TODAY).accepted
        numbers.append(payload["card"]["number"])

    run()
    # Before the walk, 100 examples reached about 20 of the 46 test cards.
    assert set(numbers) == {c.number for c in D.TEST_CARDS}


def test_100_valid_bank_examples_reach_every_test_account() -> None:
    accounts: list[str] = []

    @seed(0)
    @settings(max_examples=EXAMPLES, database=None, deadline=None)
    @given(bank_account_params(today=TODAY))
    def run(payload: dict[str, Any]) -> None:
        accounts.append(payload["bank_account"]["account_number"])

    run()
    assert set(accounts) == {a.account_number for a in D.TEST_BANK_ACCOUNTS}


# --- find -----------------------------------------------------------------------------------------

# find()'s own default budget; generation only: reaching the entry is the point, and shrinking
# (which find() also does by default) is tested below.
FIND_BUDGET = settings(max_examples=2000, phases=[Phase.generate], database=None, deadline=None)


def _first_hit(strategy: Any, name: str) -> int:
    """How many examples ``find`` tried before one carried the entry ``name``."""
    tried = 0

    def carries(bad: InvalidPayload) -> bool:
        nonlocal tried
        tried += 1
        return bad.violation == name

    found = find(strategy, carries, settings=FIND_BUDGET)
    assert found.violation == name
    assert evaluate_create(found.params, today=TODAY).first == Finding(name, found.expected)
    return tried


@pytest.mark.parametrize("name", [v.name for v in violations_for("card")])
def test_find_reaches_every_card_entry(name: str) -> None:
    tried = _first_hit(invalid_card_params(today=TODAY), name)
    # The catalogue pass takes three examples in four: every entry within twice its size.
    assert tried <= 2 * len(violations_for("card")) + 10


@pytest.mark.parametrize("kind", ["bank_account", "pii", "cvc_update"])
def test_find_reaches_every_entry_of_the_small_kinds(kind: str) -> None:
    entries = violations_for(kind)
    for v in entries:
        assert _first_hit(invalid_params(kind, today=TODAY), v.name) <= 2 * len(entries) + 10


@pytest.mark.parametrize("kind", ["account", "person"])
def test_find_reaches_entries_across_the_large_kinds(kind: str) -> None:
    entries = violations_for(kind)
    for v in (*entries[::100], entries[-1]):
        assert _first_hit(invalid_params(kind, today=TODAY), v.name) <= 2 * len(entries) + 10


def test_find_with_default_settings_as_in_the_issue() -> None:
    bad = find(invalid_card_params(), lambda b: b.expected.code == "invalid_expiry_year")
    assert bad.code == "invalid_expiry_year"
    assert bad.violation.startswith("card[exp_year]:")


# --- weights, single entries, composition ---------------------------------------------------------


def test_weights_tilt_the_free_draws() -> None:
    luhn, shape = "card[number]:luhn", "card[cvc]:bad_shape"
    seen = _violations_reached(invalid_card_params({luhn: 9, shape: 1}, today=TODAY), 5)
    counts = Counter(seen)
    assert set(counts) == {luhn, shape}
    # Each entry once in the catalogue pass, then 9:1.
    assert counts[luhn] >= 3 * counts[shape]


@pytest.mark.parametrize("weights", [{"card[number]:luhn": 0}, {"card[number]:luhn": 1.5}])
def test_bad_weights_raise_when_drawn(weights: dict[str, Any]) -> None:
    strategy = invalid_card_params(weights)
    with pytest.raises(InvalidArgument, match="weight"):
        find(strategy, lambda _: True, settings=settings(database=None, max_examples=1))


def test_a_single_entry_still_varies_its_payloads() -> None:
    payloads: list[str] = []

    @seed(2)
    @settings(max_examples=EXAMPLES, database=None, deadline=None)
    @given(invalid_card_params("card[number]:luhn", today=TODAY))
    def run(bad: InvalidPayload) -> None:
        assert bad.violation == "card[number]:luhn"
        payloads.append(repr(bad.params))

    run()
    assert len(payloads) == EXAMPLES
    assert len(set(payloads)) >= 0.9 * EXAMPLES


def test_lists_of_invalid_payloads_pass_the_health_checks() -> None:
    # Only the first invalid payload of an example explores (and may be rejected); a run
    # with many per example must not trip Hypothesis's filter_too_much health check.
    @settings(max_examples=30, database=None, deadline=None)
    @given(st.lists(invalid_card_params(today=TODAY), min_size=8, max_size=12))
    def run(batch: list[InvalidPayload]) -> None:
        assert all(isinstance(b, InvalidPayload) for b in batch)

    run()


def test_any_invalid_params_explores_every_kind() -> None:
    seen = _violations_reached(any_invalid_params(today=TODAY), 4, examples=200)
    kinds = {name.split("[")[0].split(":")[0] for name in seen}
    assert {"card", "bank_account", "pii", "account", "person", "cvc_update"} <= kinds


# --- repr -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "text"),
    [
        (
            invalid_card_params(violation="card[number]:luhn"),
            "invalid_card_params(violation='card[number]:luhn')",
        ),
        (
            invalid_card_params("card[number]:luhn"),
            "invalid_card_params(violation='card[number]:luhn')",
        ),
        (card_params(brand="amex"), "card_params(brand='amex')"),
        (card_params(), "card_params()"),
        (invalid_person_params(locale="de_DE"), "invalid_person_params(locale='de_DE')"),
        (params("pii", include_optional=True), "params('pii', include_optional=True)"),
        (any_invalid_params(), "any_invalid_params()"),
    ],
)
def test_repr_reads_like_the_call(strategy: Any, text: str) -> None:
    assert repr(strategy) == text


# --- shrinking ------------------------------------------------------------------------------------


def _shrunk(strategy: Any, fails: Any) -> InvalidPayload:
    seen: list[InvalidPayload] = []

    @settings(database=None, deadline=None, max_examples=200)
    @given(strategy)
    def run(bad: InvalidPayload) -> None:
        seen.append(bad)
        assert not fails(bad)

    with pytest.raises(AssertionError):
        run()
    return seen[-1]  # Hypothesis replays the shrunk example last


def test_a_failure_on_one_entry_shrinks_to_the_required_fields() -> None:
    bad = _shrunk(
        invalid_card_params(today=TODAY),
        lambda b: b.violation == "card[exp_month]:out_of_range",
    )
    assert bad.violation == "card[exp_month]:out_of_range"
    card = bad.params["card"]
    assert set(card) == {"number", "exp_month", "exp_year"}
    assert card["number"] == "4242424242424242"
    assert card["exp_year"] == str(TODAY.year + 1)


def test_an_always_failing_test_shrinks_to_the_simplest_entry() -> None:
    bad = _shrunk(invalid_card_params(today=TODAY), lambda b: True)
    assert bad.violation == violations_for("card")[0].name
    assert len(repr(bad.params)) <= 40


def test_person_failures_shrink_to_a_small_payload() -> None:
    bad = _shrunk(
        invalid_person_params(today=TODAY),
        lambda b: b.violation.startswith("person[email]"),
    )
    assert bad.violation.startswith("person[email]")
    # first_name and last_name (the anchors) and the broken email.
    assert set(bad.params["person"]) <= {"first_name", "last_name", "email"}


def test_shrinking_is_stable_under_the_health_checks() -> None:
    # Default health checks on: the exploration must not look like a filtering problem.
    @settings(max_examples=50, database=None, deadline=None, suppress_health_check=[])
    @given(invalid_card_params(today=TODAY))
    def run(bad: InvalidPayload) -> None:
        assert bad.status >= 400

    run()


def test_health_checks_hold_for_a_two_entry_list() -> None:
    # The catalogue pass is over after two examples; the rest are free draws (some rejected).
    names = ["card[number]:luhn", "card[cvc]:bad_shape"]

    @settings(max_examples=EXAMPLES, database=None, deadline=None, suppress_health_check=[])
    @given(invalid_card_params(names, today=TODAY))
    def run(bad: InvalidPayload) -> None:
        assert bad.violation in names

    run()
