"""Tests of the contract model itself: the catalogue, the oracle, sample payloads, keys.

The central invariant: every catalogue entry, applied to a valid payload, is exactly
what the oracle reports first -- and the same after the payload goes through the wire
encoding (``1`` and ``"1"`` are the same bytes, so the verdict cannot depend on which
was written). Coverage is computed by walking the SDK harvest (``tests/data/token-params.json``),
not the model's own tree, so a rule that silently drops out of the catalogue fails a test.
Whether each entry's error is Stripe's is judged in ``test_facts_table.py``.
"""

from __future__ import annotations

import base64
import string
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from support.facts import harvest

from contracttk.contract import (
    KIND_NAMES,
    ApiKey,
    Finding,
    Violation,
    catalogue,
    evaluate_create,
    get_violation,
    key_from_authorization,
    mask_key,
    parse_key,
    sample_params,
    violations_for,
)
from contracttk.defaults import (
    DEFAULT_LIVE_PUBLISHABLE_KEY,
    DEFAULT_LIVE_SECRET_KEY,
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_SECRET_KEY,
)
from contracttk.encoding import decode, encode

D = date(2025, 6, 15)
TEST_SECRET = parse_key(DEFAULT_SECRET_KEY)
# "live_key": any live key (a publishable one may create every kind); "live_secret_key".
KEY_FOR = {
    None: TEST_SECRET,
    "live_key": parse_key(DEFAULT_LIVE_PUBLISHABLE_KEY),
    "live_secret_key": parse_key(DEFAULT_LIVE_SECRET_KEY),
}

CASES = [(kind, v) for kind in KIND_NAMES for v in violations_for(kind, include_key_rules=True)]


def _id(case: tuple[str, Violation]) -> str:
    return f"{case[0]}/{case[1].name}"


# --- the catalogue invariant ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_violation_is_what_the_oracle_reports_first(case: tuple[str, Violation]) -> None:
    kind, v = case
    key = KEY_FOR[v.requires]
    payload = v.apply(sample_params(kind, today=D), today=D)
    want = Finding(v.name, v.expected)
    assert evaluate_create(payload, key=key, today=D).first == want
    # The wire must not change the verdict.
    wire = decode(encode(payload))
    assert evaluate_create(wire, key=key, today=D).first == want


def test_apply_does_not_touch_the_valid_payload() -> None:
    base = sample_params("account", today=D)
    snapshot = repr(base)
    for v in violations_for("account"):
        v.apply(base, today=D)
    assert repr(base) == snapshot


def test_key_rules_need_their_key() -> None:
    for v in catalogue():
        if v.requires is None:
            continue
        assert v.kind is not None
        payload = v.apply(sample_params(v.kind, today=D), today=D)
        # Under a test-mode key the same payload is fine.
        assert evaluate_create(payload, key=TEST_SECRET, today=D).accepted, v.name
    assert all(v.requires is None for k in KIND_NAMES for v in violations_for(k))


def test_catalogue_names_are_unique_and_resolvable() -> None:
    names = [v.name for v in catalogue()]
    assert len(names) == len(set(names))
    for name in names[::50]:
        assert get_violation(name).name == name
    with pytest.raises(KeyError, match="contracttk schema --violations"):
        get_violation("card[number]:nosuchrule")


@given(
    st.sampled_from(KIND_NAMES).flatmap(
        lambda k: st.tuples(
            st.just(k), st.lists(st.sampled_from(violations_for(k)), min_size=1, max_size=4)
        )
    )
)
@settings(max_examples=200, deadline=None)
def test_wire_never_changes_the_findings(arg: tuple[str, list[Violation]]) -> None:
    """Several violations stacked on one payload: same findings, same order, either form."""
    kind, violations = arg
    names = [v.name for v in violations]
    # `request:no_kind` empties the payload and a later `request:two_kinds` adds one valid
    # hash back: that stack is a valid request, not a wire problem.
    assume(
        not (
            "request:no_kind" in names
            and "request:two_kinds" in names[names.index("request:no_kind") :]
        )
    )
    payload = sample_params(kind, today=D)
    for v in violations:
        payload = v.apply(payload, today=D)
    python = [f.violation for f in evaluate_create(payload, today=D).findings]
    wire = [f.violation for f in evaluate_create(decode(encode(payload)), today=D).findings]
    assert python == wire
    assert python, "a violation must leave a finding"


# --- coverage: computed from the SDK harvest in tests/data (not from the model's own tree) ------


ITEMS_MAY_BE_EMPTY = frozenset(
    f"person[documents][{doc}][files]" for doc in ("company_authorization", "passport", "visa")
)


def _structural_names(root: dict[str, Any]) -> set[str]:
    """The generic entries expected for every node of one harvested tree."""
    out: set[str] = set()
    for node, parent in _walk_with_parent(root, None):
        path, kind = node["path"], node["type"]
        if not node.get("empty_string_allowed"):
            out.add(f"{path}:empty")
        # A sole child cannot be left out without emptying its parent (that is `<parent>:empty`).
        if node.get("required") and parent is not None and len(parent["children"]) > 1:
            out.add(f"{path}:missing")
        items = node.get("items") or {}
        if kind == "object":
            out.add(f"{path}:scalar_for_hash")
            if node.get("map_of"):
                out |= {f"{path}:{r}" for r in ("too_many_keys", "key_too_long", "value_too_long")}
                out.add(f"{path}:hash_for_scalar")
            else:
                out.add(f"{path}:unknown_param")
        elif kind == "array":
            out |= {f"{path}:scalar_for_array", f"{path}:wrong_type"}
            # An empty item ("expand[0]=") is rejected like any empty string (stripe-tokens §1.1),
            # unless the item type admits "": the harvest does not record that for items, the
            # spec does for document files (`anyOf: [string maxLength 500, enum [""]]`, stripe/
            # openapi latest spec3, the model's overlay in scripts/build_contract_data.py).
            if not items.get("empty_string_allowed") and path not in ITEMS_MAY_BE_EMPTY:
                out.add(f"{path}:empty_item")
            if items.get("maxLength") is not None:
                out.add(f"{path}:too_long")
            if items.get("enum"):
                out.add(f"{path}:not_in_enum")
        else:
            out.add(f"{path}:hash_for_scalar")
            if kind in ("integer", "number", "boolean"):
                out.add(f"{path}:wrong_type")
            if node.get("maxLength") is not None:
                out.add(f"{path}:too_long")
            if node.get("enum"):
                out.add(f"{path}:not_in_enum")
    return out


def _walk_with_parent(
    node: dict[str, Any], parent: dict[str, Any] | None
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    yield node, parent
    for child in node.get("children", ()):
        yield from _walk_with_parent(child, node)


def _extra_is_allowed(name: str) -> bool:
    # The model may know maxLengths newer than the 2022 spec behind the harvest (issue 9).
    return name.endswith(":too_long") or name in INFERRED


# Domain entries established by stripe-tokens.md §1, §2.1, §4, §10 (written out by hand): the
# catalogue must have them.
DOMAIN = {
    None: {"request:no_kind", "request:unknown_param"},
    "card": {
        "card[number]:luhn",
        "card[exp_month]:out_of_range",
        "card[exp_year]:past",
        "card[exp_year]:far_future",
        "card[cvc]:bad_shape",
        "card:live_mode_test_card",
    },
    "bank_account": {
        "bank_account[routing_number]:wrong_length",
        "bank_account[routing_number]:empty_with_iban",
    },
    "pii": set(),
    "account": {"account:live_secret_key"},
    "person": {"person:live_secret_key"},
    "cvc_update": set(),
}
# Inferred ([INF]) or not-established domain entries: the catalogue may carry them (as
# warnings, see test_facts_table.py) or drop them; anything else it invents fails the test.
INFERRED = {
    "request:two_kinds",
    "card[number]:wrong_length",
    "card[number]:not_digits",
    "card[exp_month]:not_a_number",
    "card[exp_year]:not_a_number",
    "card[exp_year]:bad_length",
    "card[cvc]:brand_length",
    "bank_account[routing_number]:bad_checksum",
    "bank_account[routing_number]:missing_for_us",
    "bank_account[account_number]:invalid_us",
    "bank_account[account_number]:bad_iban",
    "bank_account[payment_method]:exclusive",
    "account[individual][email]:invalid",
    "person[email]:invalid",
    "person[additional_tos_acceptances][account][date]:missing",
    "person[additional_tos_acceptances][account][ip]:missing",
    "cvc_update[cvc]:bad_shape",
}


def test_request_level_entries() -> None:
    expand = _structural_names(harvest()["shared_top_level"]["expand"])
    want = DOMAIN[None] | expand
    have = {v.name for v in catalogue() if v.kind is None}
    assert sorted(want - have) == []
    assert sorted(n for n in have - want if not _extra_is_allowed(n)) == []


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_catalogue_covers_every_node_and_nothing_else(kind: str) -> None:
    want = _structural_names(harvest()["token_types"][kind]["param"]) | DOMAIN[kind]
    have = {v.name for v in catalogue() if v.kind == kind}
    assert sorted(want - have) == [], "missing from the catalogue"
    assert sorted(n for n in have - want if not _extra_is_allowed(n)) == [], "not asked for"


def test_a_sole_required_child_has_no_missing_entry() -> None:
    """Leaving out cvc_update[cvc] leaves ``{}``, sent as ``cvc_update=``: those bytes are
    the parent's empty-string error, so the catalogue has no separate entry for it."""
    assert "cvc_update[cvc]:missing" not in {v.name for v in catalogue()}
    finding = evaluate_create({"cvc_update": {}}, today=D).first
    assert finding is not None and finding.violation == "cvc_update:empty"
    assert evaluate_create(decode(encode({"cvc_update": {}})), today=D).first == finding


def test_empty_hash_and_list_are_judged_like_the_empty_string() -> None:
    card = sample_params("card", today=D)["card"]
    for python in ({**card, "networks": {}}, {**card, "networks": ""}):
        names = [f.violation for f in evaluate_create({"card": python}, today=D).findings]
        assert names == ["card[networks]:empty"]
    names = [
        f.violation
        for f in evaluate_create({**sample_params("pii"), "expand": []}, today=D).findings
    ]
    assert names == ["expand:empty"]
    # Where the empty string may unset the field, an empty hash may too.
    person = sample_params("person", today=D)
    person["person"]["metadata"] = {}
    assert evaluate_create(person, today=D).accepted


def test_card_as_an_id_needs_customer() -> None:
    alone = evaluate_create({"card": "card_123"}, today=D)
    assert [f.violation for f in alone.findings] == ["card:scalar_for_hash"]
    with_customer = evaluate_create({"card": "card_123", "customer": "cus_1"}, today=D)
    assert [f.violation for f in with_customer.findings] == ["request:customer"]


# --- sample payloads ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KIND_NAMES)
@pytest.mark.parametrize(
    "raw_key",
    [None, DEFAULT_SECRET_KEY, DEFAULT_PUBLISHABLE_KEY, DEFAULT_LIVE_PUBLISHABLE_KEY],
)
def test_sample_params_are_accepted(kind: str, raw_key: str | None) -> None:
    payload = sample_params(kind, today=D)
    assert list(payload) == [kind]
    key = parse_key(raw_key) if raw_key else None
    if kind == "card" and key is not None and key.livemode:
        # A Stripe test card in live mode is exactly card:live_mode_test_card.
        first = evaluate_create(payload, key=key, today=D).first
        assert first is not None and first.violation == "card:live_mode_test_card"
        return
    evaluation = evaluate_create(payload, key=key, today=D)
    assert evaluation.accepted, evaluation.findings
    assert evaluation.kind == kind
    assert evaluate_create(decode(encode(payload)), key=key, today=D).accepted


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_sample_card_is_valid_on_any_day(today: date) -> None:
    assert evaluate_create(sample_params("card", today=today), today=today).accepted


# --- keys ---------------------------------------------------------------------------------------


def test_mask_key_examples() -> None:
    assert mask_key("sk_test_abcdefgh1234") == "sk_test_********1234"
    assert mask_key("pk_live_xyz") == "pk_live_***"
    assert mask_key("rk_test_12345") == "rk_test_*2345"
    assert mask_key("garbage99999") == "********9999"


@given(
    st.sampled_from(["sk_test_", "sk_live_", "pk_test_", "pk_live_", "rk_test_", "rk_live_"]),
    st.text(string.ascii_letters + string.digits + "_", min_size=5, max_size=60),
)
def test_mask_key_keeps_prefix_and_last_four(prefix: str, rest: str) -> None:
    masked = mask_key(prefix + rest)
    assert masked.startswith(prefix) and masked.endswith(rest[-4:])
    assert len(masked) == len(prefix + rest)
    assert set(masked[len(prefix) : -4]) == {"*"}


def _basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_key_from_authorization() -> None:
    assert key_from_authorization(f"Bearer {DEFAULT_SECRET_KEY}") == DEFAULT_SECRET_KEY
    assert key_from_authorization(f"bearer   {DEFAULT_SECRET_KEY} ") == DEFAULT_SECRET_KEY
    assert key_from_authorization(_basic(DEFAULT_SECRET_KEY)) == DEFAULT_SECRET_KEY
    assert key_from_authorization(_basic(DEFAULT_SECRET_KEY, "ignored")) == DEFAULT_SECRET_KEY
    no_colon = "Basic " + base64.b64encode(DEFAULT_SECRET_KEY.encode()).decode()
    assert key_from_authorization(no_colon) == DEFAULT_SECRET_KEY
    for header in (None, "", "Bearer", "Bearer ", "Basic !!!notbase64", _basic(""), "Token x"):
        assert key_from_authorization(header) is None, header


def test_parse_key_roles_and_modes() -> None:
    assert parse_key(DEFAULT_SECRET_KEY) == ApiKey(DEFAULT_SECRET_KEY, "secret", False)
    live_pk = parse_key(DEFAULT_LIVE_PUBLISHABLE_KEY)
    assert live_pk is not None and (live_pk.role, live_pk.livemode) == ("publishable", True)
    assert parse_key("sk_prod_abc") is None
    assert parse_key("not a key") is None
