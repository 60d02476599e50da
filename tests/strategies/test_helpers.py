"""Helpers for test authors: ``encode``, ``as_requests_data``, ``judge`` and ``bad.matches``.

``requests`` itself is the judge of ``as_requests_data``: the body it prepares must be the
bytes of ``encode``. Expected answers are written out by hand from the catalogue entries'
published facts (status, type, code, param and their strengths).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import requests
from contracttk.strategies import (
    InvalidPayload,
    any_invalid_params,
    any_valid_params,
    as_requests_data,
    encode,
    judge,
)
from faker import Faker
from flask import Flask, jsonify
from hypothesis import given, settings
from hypothesis import strategies as st

from contracttk import encoding
from contracttk.contract import violations_for

TODAY = date.today()
URL = "http://127.0.0.1:9/v1/tokens"  # never contacted: requests only prepares the body
QUICK = settings(max_examples=60, database=None, deadline=None)


def _prepared_body(data: Any) -> str:
    body = requests.Request("POST", URL, data=data).prepare().body
    if body is None:  # requests sends no body for no pairs: the empty form
        assert not data
        return ""
    assert isinstance(body, str)
    return body


# --- encode / as_requests_data -------------------------------------------------------------------


def test_nested_dict_pitfall_and_its_fix() -> None:
    params = {"card": {"number": "4242424242424242", "exp_month": 12}, "expand": ["card"]}
    assert _prepared_body(params) == "card=number&card=exp_month&expand=card"
    assert as_requests_data(params) == [
        ("card[number]", "4242424242424242"),
        ("card[exp_month]", "12"),
        ("expand[0]", "card"),
    ]
    assert _prepared_body(as_requests_data(params)) == (
        "card%5Bnumber%5D=4242424242424242&card%5Bexp_month%5D=12&expand%5B0%5D=card"
    )


@QUICK
@given(
    st.one_of(
        any_valid_params(today=TODAY), any_invalid_params(today=TODAY).map(lambda b: b.params)
    )
)
def test_requests_sends_exactly_the_encoded_body(params: dict[str, Any]) -> None:
    assert _prepared_body(as_requests_data(params)) == encode(params)
    assert encoding.decode(encode(params)) == encoding.decode(
        _prepared_body(as_requests_data(params))
    )


_keys = st.text(st.characters(blacklist_characters="[]", blacklist_categories=["Cs"]), min_size=1)
_leaves = st.one_of(
    st.text(st.characters(blacklist_categories=["Cs"])), st.integers(), st.booleans(), st.none()
)
_trees = st.recursive(
    _leaves, lambda inner: st.dictionaries(_keys, inner, max_size=3) | st.lists(inner, max_size=3)
)


@QUICK
@given(st.dictionaries(_keys, _trees, max_size=4))
def test_as_requests_data_matches_encode_for_any_tree(params: dict[str, Any]) -> None:
    assert _prepared_body(as_requests_data(params)) == encode(params)


def test_helpers_are_the_encoding_modules() -> None:
    assert encode is encoding.encode
    assert as_requests_data is encoding.as_requests_data


def test_as_requests_data_rejects_what_encode_rejects() -> None:
    with pytest.raises(encoding.EncodingError):
        as_requests_data({"card": {"a[b]": "x"}})


# --- judge / matches --------------------------------------------------------------------------------


def _entry(name: str) -> InvalidPayload:
    from contracttk.strategies import add_providers

    fake = add_providers(Faker())
    fake.seed_instance(1)
    return fake.stripe_invalid_card_params(name, today=TODAY)


def _error(type_: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"type": type_}
    if code is not None:
        err["code"] = code
    if param is not None:
        err["param"] = param
    return {"error": err}


def test_judge_passes_stripes_answer() -> None:
    bad = _entry("card[number]:luhn")  # 402 card_error incorrect_number number, all hard
    verdict = judge(402, _error("card_error", "incorrect_number", "number"), bad)
    assert verdict.ok and not verdict.failures and not verdict.warnings
    assert verdict


def test_judge_fails_a_hard_mismatch() -> None:
    bad = _entry("card[number]:luhn")
    verdict = judge(402, _error("card_error", "invalid_number", "number"), bad)
    assert not verdict
    assert len(verdict.failures) == 1 and verdict.failures[0].startswith("code:")


def test_judge_only_warns_on_a_warning_strength_fact() -> None:
    bad = _entry("card[number]:wrong_length")  # 402 invalid_number, asserted as warnings only
    verdict = judge(402, _error("card_error", "incorrect_number", "number"), bad)
    assert verdict.ok and not verdict.failures
    assert len(verdict.warnings) == 1 and verdict.warnings[0].startswith("code:")
    # The naive check this replaces would have been wrong only on a different status:
    assert judge(400, _error("invalid_request_error"), bad).ok


def test_judge_fails_a_minted_token_for_a_hard_rejection() -> None:
    bad = _entry("card[number]:luhn")
    assert not judge(200, {"id": "tok_x", "object": "token"}, bad)


def test_judge_takes_the_payload_or_its_expected_error() -> None:
    bad = _entry("card[exp_month]:out_of_range")
    answer = _error("card_error", "invalid_expiry_month", "exp_month")
    assert judge(402, answer, bad) == judge(402, answer, bad.expected)
    assert judge(402, answer, bad) == bad.judge(402, answer)


def test_matches_reads_a_flask_response() -> None:
    app = Flask(__name__)

    @app.post("/v1/tokens")
    def create() -> Any:
        return jsonify(_error("card_error", "incorrect_number", "number")), 402

    client = app.test_client()
    response = client.post("/v1/tokens", data=encode(_entry("card[number]:luhn").params))
    assert _entry("card[number]:luhn").matches(response)
    assert not _entry("card[exp_month]:out_of_range").matches(response)


def test_matches_reads_a_status_body_pair() -> None:
    bad = _entry("card[number]:luhn")
    assert bad.matches(
        (402, b'{"error": {"type": "card_error", "code": "incorrect_number", "param": "number"}}')
    )
    assert not bad.matches((500, b"<html>oops</html>"))


def test_every_card_entry_passes_its_own_published_answer() -> None:
    # The judge must accept Stripe's own answer for every entry (no false failures).
    for v in violations_for("card"):
        assert judge(v.expected.status, v.expected.body(), v.expected), v.name
