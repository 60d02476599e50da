"""The protocol facts of the contract model (``contracttk.contract._protocol``).

Expected values are written out by hand from the facts (token id prefixes, the replay
header, the Idempotency-Key limit), not read back from the module under test.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracttk.contract import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    MUTABLE_ON_RETRIEVE,
    PROTOCOL_RULES,
    REPLAY_HEADER,
    TOKENS_PATH,
    Strength,
    UnknownKindError,
    has_hard_source,
    is_object_id,
    is_token_id,
    make_id,
    make_token_id,
)

PREFIX = {
    "card": "tok_",
    "bank_account": "btok_",
    "pii": "pii_",
    "account": "ct_",
    "person": "cpt_",
    "cvc_update": "cvctok_",
}
ALNUM = set(string.ascii_letters + string.digits)


def test_protocol_constants() -> None:
    assert REPLAY_HEADER == "Idempotent-Replayed"
    assert IDEMPOTENCY_KEY_MAX_LENGTH == 255
    assert MUTABLE_ON_RETRIEVE == {"used"}
    assert TOKENS_PATH == "/v1/tokens"


@pytest.mark.parametrize("kind", sorted(PREFIX))
def test_minted_token_ids_have_the_documented_prefix(kind: str) -> None:
    a, b = make_token_id(kind), make_token_id(kind)
    prefix = PREFIX[kind]
    assert a.startswith(prefix) and b.startswith(prefix)
    assert len(a) == len(prefix) + 24
    assert set(a[len(prefix) :]) <= ALNUM
    assert a != b, "ids must be random"
    assert is_token_id(a, kind) and is_token_id(a)


def test_a_fixed_random_part() -> None:
    assert make_token_id("card", "0" * 24) == "tok_000000000000000000000000"
    assert make_id("card_", "abc123") == "card_abc123"
    for bad in ("", "ab-c", "tok_x", "é", " a"):
        with pytest.raises(ValueError):
            make_id("tok_", bad)
    with pytest.raises(UnknownKindError):
        make_token_id("cheque")


@pytest.mark.parametrize(
    ("value", "kind", "want"),
    [
        ("tok_1Pgc7BB7WZ01zgkWptnajzKJ", "card", True),  # the fixture's id
        ("tok_1Pgc7BB7WZ01zgkWptnajzKJ", "bank_account", True),  # older bank docs used tok_
        ("btok_1Pgc7BB7WZ01zgkWptnajzKJ", "bank_account", True),
        ("btok_1Pgc7BB7WZ01zgkWptnajzKJ", "card", False),
        ("ct_abc", "account", True),
        ("cpt_abc", "account", False),
        ("cvctok_A1", None, True),
        ("tok_", "card", False),
        ("tok_abc-def", "card", False),
        ("tok_abc def", "card", False),
        ("TOK_abc", None, False),
        ("card_abc", None, False),
        (12, None, False),
        (None, "card", False),
    ],
)
def test_is_token_id(value: object, kind: str | None, want: bool) -> None:
    assert is_token_id(value, kind) is want


def test_is_object_id() -> None:
    assert is_object_id("card_1Pgc7BB7WZ01zgkW", "card_")
    assert is_object_id("ba_1Pgc7BB7WZ01zgkW", "ba_")
    assert not is_object_id("ba_", "ba_")
    assert not is_object_id("card_1-2", "card_")
    assert not is_object_id("tok_abc", "card_")


@given(st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=40))
def test_any_alphanumeric_random_part_is_recognised(part: str) -> None:
    assert is_token_id("pii_" + part, "pii")
    assert is_token_id(make_token_id("person", part), "person")


def test_protocol_rules_table() -> None:
    assert set(PROTOCOL_RULES) == {
        "not_a_server_error",
        "error_envelope",
        "response_schema",
        "no_secret_echo",
        "positive_acceptance",
        "retrieve_consistency",
        "unique_ids",
        "idempotency_replay",
        "idempotency_replayed_header",
        "responds",
    }
    for name, (strength, basis) in PROTOCOL_RULES.items():
        assert strength is Strength.HARD, name
        assert has_hard_source(basis), f"{name} cites no hard source: {basis}"
        assert "stripe-tokens.md" not in basis and "design" not in basis, name
