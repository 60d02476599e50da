"""Redaction: no key, PAN, CVC, account or ID number survives what contracttk writes."""

from __future__ import annotations

import re

from contracttk.plugins.redact import (
    mask_value,
    redact,
    redact_headers,
    redact_params,
    redact_text,
    sensitive_names,
)
from hypothesis import given
from hypothesis import strategies as st

from contracttk.contract import kinds, sample_params
from contracttk.contract.domain import luhn_check_digit, test_cards
from contracttk.encoding import encode


def _luhn_numbers() -> st.SearchStrategy[str]:
    return st.integers(12, 18).flatmap(
        lambda n: st.text("0123456789", min_size=n, max_size=n).map(
            lambda s: s + luhn_check_digit(s)
        )
    )


@given(
    number=_luhn_numbers(),
    before=st.sampled_from(["", " ", "number=", '"', "x: ", "card[number]="]),
    after=st.sampled_from(["", " ", "&", '"', ".", "\n"]),
)
def test_luhn_valid_numbers_are_masked_in_any_text(number: str, before: str, after: str) -> None:
    out = redact_text(f"log {before}{number}{after} end")
    assert number not in out
    if "=" not in before:  # (a form value runs to the next "&", so its last four may differ)
        assert number[-4:] in out  # the last four stay, as Stripe shows them


@given(st.sampled_from([c.number for c in test_cards()]))
def test_every_documented_test_card_is_masked(number: str) -> None:
    assert number not in redact_text(f"card {number} declined")


def test_digit_runs_that_are_not_card_numbers_survive() -> None:
    # a Unix timestamp and a 16-digit run failing Luhn are not secrets
    text = "created 1700000000 id 4242424242424241"
    assert redact_text(text) == text


@given(
    prefix=st.sampled_from(
        ["sk_test_", "sk_live_", "pk_test_", "pk_live_", "rk_test_", "rk_live_"]
    ),
    rest=st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_", min_size=8, max_size=40),
)
def test_api_keys_are_masked_but_keep_prefix_and_last_four(prefix: str, rest: str) -> None:
    key = prefix + rest
    out = redact_text(f"Invalid API Key provided: {key}; Authorization: Bearer {key}")
    assert key not in out
    assert prefix in out and rest[-4:] in out
    assert redact_text(out) == out  # idempotent


def test_basic_auth_credentials_are_masked() -> None:
    out = redact_headers({"Authorization": "Basic c2tfdGVzdF9hYmNkZWZnaGlqOg=="})
    assert "c2tfdGVzdF9" not in out["Authorization"]


@given(cvc=st.text("0123456789", min_size=3, max_size=4))
def test_cvc_values_masked_in_form_bodies_raw_and_percent_encoded(cvc: str) -> None:
    body = encode({"card": {"number": "4242424242424242", "cvc": cvc}, "cvc_update": {"cvc": cvc}})
    for text in (body, body.replace("%5B", "[").replace("%5D", "]")):
        out = redact_text(f"curl --data-raw '{text}'")
        assert not re.search(rf"(?<![0-9]){cvc}(?![0-9])", out), out


def test_cvc_masked_in_json_and_python_reprs() -> None:
    for text in ('{"cvc": "123"}', "{'cvc': '123'}", '{"cvc": 123}'):
        assert "123" not in redact_text(text)


def test_sensitive_names_come_from_the_model() -> None:
    expected = {path[-1] for kind in kinds().values() for path in kind.sensitive_paths}
    assert sensitive_names() == expected
    assert {"cvc", "number", "account_number", "id_number", "ssn_last_4"} <= expected


def test_every_sensitive_path_of_every_kind_is_masked_in_params_bodies_and_json() -> None:
    for kind in kinds().values():
        for path in kind.sensitive_paths:
            value = "98765432101"  # not Luhn-valid: only the name-based rule can catch it
            params: dict = sample_params(kind.name)
            node = params
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = value
            assert value not in str(redact_params(params)), path
            assert value not in redact_text(encode(params)), path
            assert value not in str(redact(params)), path


def test_ibans_are_masked() -> None:
    out = redact_text("account DE89370400440532013000 rejected")
    assert "DE89370400440532013000" not in out and out.endswith("3000 rejected")


def test_mask_value_keeps_length_hint_only_for_long_values() -> None:
    assert mask_value("123") == "***"
    assert mask_value("4242424242424242") == "************4242"
