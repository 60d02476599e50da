"""The server's rules for showing request text (contracttk/server/safe_text.py).

Examples are written out by hand from the rules in that module's docstring; the properties
check the promises (no digit run of a secret survives, one line per log entry) over
generated input.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracttk.contract import ExpectedError
from contracttk.server.errors import without_secrets
from contracttk.server.safe_text import (
    escape_controls,
    log_text,
    mask_numbers,
    safe_decode_detail,
    shown_key,
)


@pytest.mark.parametrize(
    ("key", "display", "prefix"),
    [
        ("card", "card", "card"),
        ("card[number]", "card[number]", "card[number]"),
        ("expand[0]", "expand[0]", "expand[0]"),
        ("card[address_line1]", "card[address_line1]", "card[address_line1]"),
        ("unknown-property-0", "unknown-property-0", "unknown-property-0"),
        ("card[4242424242424242]", "card[…]", "card"),
        ("card[4242424242424242", "card[…", "card"),
        ("card[number]4242", "card[number]…", "card[number]"),
        ("4242424242424242", "…", None),
        ('{"card": {"number": "4242424242424242"}}', "…", None),
        ("card[123]", "card[…]", "card"),
        ("a123", "…", None),
        ("card[sk_test_abcdef]", "card[…]", "card"),
        ("Jenny Rosen", "…", None),
        ("café", "…", None),
        ("x" * 101, "…", None),
        ("", "…", None),
    ],
)
def test_shown_key(key: str, display: str, prefix: str | None) -> None:
    assert shown_key(key) == (display, prefix)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("tok_4242424242424242", "tok_****************"),
        ("4242 4242 4242 4242", "**** **** **** ****"),
        ("000-00-0000", "***-**-****"),
        ("12345678", "12345678"),  # eight digits: a date or a count, not a secret
        ("tok_1NXWPn2eZvKYlo2C", "tok_1NXWPn2eZvKYlo2C"),
        ("sk_live_abcdefgh12345678", "sk_live_************5678"),
        ("key rk_test_zz", "key rk_test_**"),
    ],
)
def test_mask_numbers(text: str, masked: str) -> None:
    assert mask_numbers(text) == masked


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a\nb", "a\\x0ab"),
        ("a\r\nb", "a\\x0d\\x0ab"),
        ("nul\x00", "nul\\x00"),
        ("del\x7f", "del\\x7f"),
        ("sep\u2028x", "sep\\u2028x"),
        ("back\\x0a", "back\\\\x0a"),
        ("café ok", "café ok"),
    ],
)
def test_escape_controls(text: str, escaped: str) -> None:
    assert escape_controls(text) == escaped


def test_log_text_cuts_long_paths() -> None:
    assert log_text("/" + "a" * 500) == "/" + "a" * 199 + "..."


@pytest.mark.parametrize(
    ("message", "param", "safe"),
    [
        (
            "malformed parameter 'card[4242424242424242': unbalanced '['",
            "card[4242424242424242",
            "malformed parameter 'card[…': unbalanced '['",
        ),
        (
            "conflicting parameter 'card[4242424242424242][x]': 'card[4242424242424242]' "
            "is both a scalar and a hash",
            "card[4242424242424242][x]",
            "conflicting parameter 'card[…]': 'card[…]' is both a scalar and a hash",
        ),
        (
            "parameter 'card[number]' is given more than once",
            "card[number]",
            "parameter 'card[number]' is given more than once",
        ),
        ("request body is not valid UTF-8", None, "request body is not valid UTF-8"),
        # An unknown message shape that still quotes the key: nothing of it is named.
        ("odd «4242424242424242»", "4242424242424242", "malformed parameter name"),
    ],
)
def test_safe_decode_detail(message: str, param: str | None, safe: str) -> None:
    assert safe_decode_detail(message, param) == safe


@given(
    prefix=st.text(max_size=20),
    secret=st.from_regex(r"[0-9]{3,19}", fullmatch=True),
    suffix=st.text(max_size=20),
)
def test_property_no_digit_run_of_three_survives_shown_key(
    prefix: str, secret: str, suffix: str
) -> None:
    display, param = shown_key(prefix + secret + suffix)
    assert re.search(r"[0-9]{3}", f"{display} {param}") is None


@given(st.text())
def test_property_log_text_is_one_printable_line(text: str) -> None:
    line = log_text(text, limit=10_000)
    assert line.isprintable()
    assert "\n" not in line and "\r" not in line and "\x00" not in line


@given(st.from_regex(r"[0-9](?:[ -]?[0-9]){12,18}", fullmatch=True), st.text(max_size=10))
def test_property_card_numbers_never_reach_the_log(number: str, around: str) -> None:
    line = log_text(around + number + around, limit=10_000)
    assert re.sub(r"[ -]", "", number) not in re.sub(r"[ -]", "", line)


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("Invalid integer: 98765432x", "Invalid integer: *********"),
        # A long secret inside another echoed value is still the secret.
        ("Invalid integer: x98765432x", "Invalid integer: x*********"),
        ("Invalid integer: x500x", "Invalid integer: x500x"),  # a short one not standing alone
        ("limit is 5000 characters", "limit is 5000 characters"),  # "500" inside a number
        ("one of: card, bank_account, pii", "one of: card, bank_account, pii"),  # a word
    ],
)
def test_without_secrets(message: str, masked: str) -> None:
    params = {
        "pii": {"id_number": "98765432x"},
        "cvc_update": {"cvc": "bank_account"},
        "card": {"cvc": "500"},
    }
    error = ExpectedError(400, "invalid_request_error", None, "x", message)
    assert without_secrets(error, params).message == masked
