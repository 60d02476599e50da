"""Every catalogue entry against the hand-written table of Stripe's answers.

``tests/data/expected_errors.json`` says, from the facts alone, what Stripe answers to each
kind of bad request and which fields of that answer are established. Here each entry of the
model's catalogue is judged like a server would be: Stripe's own answer must earn no hard
failure, an answer wrong in an established field must earn one, and a field the facts do not
establish must never fail hard. The expectation never comes from contracttk itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from support.answers import hard_misses, wrong
from support.facts import (
    FIELDS,
    Row,
    entry_rows,
    family,
    keys_of,
    kinds,
    nodes,
    row_for,
    table,
    walk,
)
from support.facts import harvest as load_harvest

from contracttk.contract import (
    ExpectedError,
    Strength,
    Violation,
    catalogue,
    sample_params,
)

D = date(2025, 6, 15)

# Catalogue entries the model got wrong (the issue 9 audit): all corrected; kept empty so a
# newly found one can be marked here, strict (an XPASS fails the run once the model is
# fixed, so the mark goes with the fix).
KNOWN_WRONG: dict[str, str] = {}


def own_answer(expected: ExpectedError) -> dict[str, Any]:
    return {f: getattr(expected, f) for f in FIELDS}


def judge(expected: ExpectedError, row: Row | None, answers: list[dict[str, Any]]) -> None:
    """Stripe's answers pass; established fields are hard; nothing else is."""
    hard = row.hard if row else frozenset()
    varying = row.varying if row else frozenset()
    for answer in answers:
        assert hard_misses(expected, answer) == set(), f"Stripe's answer {answer} fails hard"
    base = answers[0] if answers else own_answer(expected)
    for name in FIELDS:
        if name in varying:
            continue
        misses = hard_misses(expected, {**base, name: wrong(name, base[name])})
        if name in hard:
            assert name in misses, f"a wrong {name} is not a hard failure (the facts establish it)"
        else:
            assert name not in misses, f"{name} is hard but not established by the facts"
    reject = row.reject if row else "not_hard"
    if reject == "hard":
        assert expected.reject is Strength.HARD, "a minted token must be a hard failure"
    elif reject == "not_hard":
        assert expected.reject is not Strength.HARD, "rejection is not established"


def unknown_key(v: Violation) -> str | None:
    """The key an ``unknown_param`` entry adds, read from its payload and the SDK harvest."""
    if v.rule != "unknown_param":
        return None
    node: Any = v.apply(sample_params(v.kind or "pii", today=D), today=D)
    known = {"customer", "expand", *kinds()}
    for key in keys_of(v.path) if v.path else ():
        node = node[key]
    if v.path:
        known = {c["name"] for c in nodes()[v.path].get("children", ())}
    (extra,) = set(node) - known
    return extra


def _param(v: Violation) -> Any:
    marks = (
        [pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[v.name])]
        if v.name in KNOWN_WRONG
        else []
    )
    return pytest.param(v, id=v.name, marks=marks)


@pytest.mark.parametrize("v", [_param(v) for v in catalogue()])
def test_catalogue_entry_matches_the_facts(v: Violation) -> None:
    row = row_for(v.name)
    answers = row.answers_for(v.path, unknown_key(v)) if row else []
    judge(v.expected, row, answers)


# --- the table itself, and coverage of the facts by the catalogue ------------------------------


def test_every_row_cites_a_source_and_hard_rows_a_strong_one() -> None:
    strong = ("[SDK", "[FIX", "[DOC", "[ISSUE")
    rows = list(entry_rows().values()) + [
        family(raw["rule"], raw["node"]) for raw in table()["families"]
    ]
    for row in rows:
        assert row.source.strip(), row.label
        assert set(row.hard) <= set(FIELDS), row.label
        assert row.reject in (None, "hard", "not_hard"), row.label
        if row.hard or row.reject == "hard":
            assert any(tag in row.source for tag in strong), row.label


def test_table_rows_name_real_catalogue_entries() -> None:
    names = {v.name for v in catalogue()}
    assert sorted(set(entry_rows()) - names) == []


def _facts_require() -> set[str]:
    """Entries the facts demand, computed by walking the SDK harvest (not the model's tree)."""
    out = {
        "request:unknown_param",
        "request:no_kind",
        "card[number]:missing",
        "card[exp_month]:missing",
        "card[exp_year]:missing",
        "bank_account[account_number]:missing",
        "bank_account[country]:missing",
        "card[number]:luhn",
        "card[exp_month]:out_of_range",
        "card[exp_year]:past",
        "card[exp_year]:far_future",
        "card[cvc]:bad_shape",
        "card:live_mode_test_card",
        "bank_account[routing_number]:wrong_length",
        "bank_account[routing_number]:empty_with_iban",
        "account:live_secret_key",
        "person:live_secret_key",
    }
    h = load_harvest()
    # `customer` is left out here: its empty string is a known gap, see test_oracle_facts.py.
    roots = [t["param"] for t in h["token_types"].values()] + [h["shared_top_level"]["expand"]]
    for root in roots:
        for node in walk(root):
            if not node.get("empty_string_allowed"):
                out.add(f"{node['path']}:empty")
            if node["type"] == "integer":
                out.add(f"{node['path']}:wrong_type")
            if node["type"] == "object" and not node.get("map_of"):
                out.add(f"{node['path']}:unknown_param")
            if node.get("map_of"):
                out |= {f"{node['path']}:{r}" for r in ("too_many_keys", "key_too_long")}
                out.add(f"{node['path']}:value_too_long")
    return out


def test_catalogue_covers_every_established_rule() -> None:
    have = {v.name for v in catalogue()}
    assert sorted(_facts_require() - have) == []


def test_every_harvested_node_is_in_the_catalogue() -> None:
    # Every node (kinds and expand) earns at least one entry; none is forgotten.
    paths = {v.path for v in catalogue() if v.path}
    assert sorted(set(nodes()) - {"customer"} - paths) == []


def test_generic_rows_cover_each_kind() -> None:
    # Sanity of the table lookup: a leaf of each kind resolves to the empty-string family.
    for kind in kinds():
        leaf = next(
            n for n in walk(load_harvest()["token_types"][kind]["param"]) if not n.get("children")
        )
        if leaf.get("empty_string_allowed"):
            continue
        row = row_for(f"{leaf['path']}:empty")
        assert row is not None and row.answers_for(leaf["path"])[0]["param"] == leaf["path"]
