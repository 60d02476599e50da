"""Redaction: no key, PAN, CVC, account or ID number survives what contracttk writes."""

from __future__ import annotations

import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
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

from contracttk.cli import main
from contracttk.contract import kinds, mask_key, parse_key, sample_params
from contracttk.contract.domain import (
    TEST_BANK_ACCOUNTS,
    TEST_CARDS,
    luhn_check_digit,
    luhn_valid,
    test_cards,
)
from contracttk.encoding import EncodingError, decode, encode


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


# --- keys, and secrets sent as arrays or hashes -------------------------------------------------


def test_json_text_used_as_a_mapping_key_is_redacted() -> None:
    # A JSON document posted as a form body decodes to one key holding the whole document.
    params = {'{"card": {"number": "4242424242424242", "cvc": "987"}}': ""}
    for out in (str(redact_params(params)), str(redact(params)), str(redact({"x": params}))):
        assert "4242424242424242" not in out and "987" not in out, out
        assert "4242" in out  # the last four stay


_FORMS = [
    "card[cvc][]={v}",
    "card%5Bcvc%5D%5B%5D={v}",
    "card[cvc][0]={v}",
    "card%5Bcvc%5D%5B0%5D={v}",
    "card[cvc][x]={v}",
    "cvc_update[cvc][][]={v}",
]
_JSONS = [
    '{{"cvc": ["{v}"]}}',
    '{{"cvc": [{v}, "{v}"]}}',
    '{{"cvc": {{"x": "{v}"}}}}',
    "{{'cvc': ['{v}']}}",
    "{{'card[cvc][]': ['{v}']}}",
    '{{"body": "{{\\"cvc\\": \\"{v}\\"}}"}}',  # JSON text inside a JSON string (an echo)
    '{{"body": "{{\\"cvc\\": [\\"{v}\\"]}}"}}',
]


@given(
    cvc=st.text("0123456789", min_size=3, max_size=4),
    template=st.sampled_from(_FORMS + _JSONS),
)
def test_secrets_in_array_and_hash_form_are_masked_in_text(cvc: str, template: str) -> None:
    out = redact_text("sent " + template.format(v=cvc) + "&currency=usd")
    assert not re.search(rf"(?<![0-9]){cvc}(?![0-9])", out), out
    assert "currency=usd" in out and redact_text(out) == out


@given(
    cvc=st.text("0123456789", min_size=3, max_size=4),
    shape=st.sampled_from(["list", "hash", "nested"]),
)
def test_secrets_in_array_and_hash_form_are_masked_in_mappings(cvc: str, shape: str) -> None:
    value: Any = {"list": [cvc], "hash": {"x": cvc}, "nested": {"x": [cvc, {"y": int(cvc)}]}}[shape]
    params = {"card": {"cvc": value, "exp_year": 2031}, "cvc_update": {"cvc": value}}
    for out in (redact_params(params), redact(params), redact({"params": params})):
        text = str(out)
        assert not re.search(rf"(?<![0-9]){cvc}(?![0-9])", text), text
        assert "2031" in text  # what is not a secret stays


@given(
    prefix=st.sampled_from(["sk_", "pk_", "rk_"]),
    mode=st.sampled_from(["test_", "live_"]),
    rest=st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_", min_size=1, max_size=40),
)
def test_keys_are_masked_as_the_contract_masks_them(prefix: str, mode: str, rest: str) -> None:
    key = prefix + mode + rest
    assert parse_key(key) is not None  # the shape the contract calls a key
    assert redact_text(key) == mask_key(key)


# --- end to end: a target that echoes every request back -----------------------------------------

ECHO_KEY = "sk_test_contracttkEchoStub9876"


@contextmanager
def echo_server(received: list[str]) -> Iterator[str]:
    """A stub target answering every request 200 JSON that echoes the body and the key.

    It fails every item (tokens without fields, 200 to invalid payloads, no auth) and puts
    every secret the suite sends into the answers, decoded and raw.
    """

    class Echo(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(size).decode("utf-8", "replace") if size else ""
            received.append(raw + "\n" + str(self.headers.get("Authorization")))
            try:
                params: Any = decode(raw)
            except EncodingError:
                params = None
            body = json.dumps(
                {
                    "echo": raw[:4096],  # (the 1 MiB body need not come back whole)
                    "params": params if len(raw) <= 4096 else None,
                    "authorization": self.headers.get("Authorization"),
                    "id": "tok_echo",
                    "object": "token",
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _strings(value: Any) -> Iterator[str]:
    """Every string of a JSON document or XML tree, keys and attributes included."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def _unmasked_in_param_context(text: str) -> list[str]:
    """A sensitive name as a form key (``card[cvc]=``, also percent-encoded or with bracket
    suffixes) or a JSON / repr key (also escaped, or ``"card[cvc][]"``), followed by a value
    starting with a digit or letter: a value that was not masked."""
    names = sorted({p[-1] for k in kinds().values() for p in k.sensitive_paths}, key=len)
    alt = "|".join(re.escape(n) for n in reversed(names))
    form = rf"(?:\[|%5B)(?:{alt})(?:\]|%5D)(?:(?:\[|%5B)[^&=\s\]]*(?:\]|%5D))*=[0-9A-Za-z]"
    key = rf"""\\?["'](?:[^"'\s\\]*\[)?(?:{alt})(?:\][^"'\s\\]*)?\\?["']"""
    member = rf"""{key}\s*:\s*[\[{{\s]*\\?["']?[0-9A-Za-z]"""
    pattern = re.compile(f"{form}|{member}", re.IGNORECASE)
    return [text[max(0, m.start() - 30) : m.end() + 10] for m in pattern.finditer(text)]


@pytest.mark.loopback
def test_no_secret_sent_to_an_echoing_target_reaches_report_junit_or_terminal(
    tmp_path: Path,
) -> None:
    received: list[str] = []
    report, junit = tmp_path / "r.json", tmp_path / "j.xml"
    with echo_server(received) as url:
        result = CliRunner().invoke(
            main,
            [
                *("fuzz", url, "--api-key", ECHO_KEY, "--report", str(report)),
                *("--junit-xml", str(junit), "--max-examples", "3", "--seed", "11"),
            ],
            env={"CONTRACTTK_API_KEY": None, "CONTRACTTK_PUBLISHABLE_KEY": None},
        )
    assert result.exit_code == 1, result.output[-3000:]
    doc = json.loads(report.read_text())
    # Every item that sends our own payloads (secrets included) fails against the echo; the
    # coverage items send schemathesis's schema-derived values, which may pass.
    ours = [i for i in doc["items"] if not i["name"].startswith("coverage::")]
    assert {i["outcome"] for i in ours} <= {"failed", "skipped"}
    assert sum(i["outcome"] == "failed" for i in doc["items"]) >= 20
    sent = "\n".join(received)
    # What was sent: every documented card and bank account, the ID numbers, the key.
    pans = [c.number for c in TEST_CARDS]
    accounts = [b.account_number for b in TEST_BANK_ACCOUNTS]
    assert all(p in sent for p in pans) and "000123456789" in sent
    assert any(len(a) > 12 and a in sent for a in accounts)  # an IBAN
    assert "pii%5Bid_number%5D=000000000" in sent and ECHO_KEY in sent
    assert '{"card": {"number": "4242424242424242"}}' in sent  # JSON text as a form body

    tree = ET.parse(junit).getroot()
    outputs = {
        "terminal": result.output,
        "report": report.read_text() + "\n" + "\n".join(_strings(doc)),
        "junit": "\n".join(
            [
                *(el.text or "" for el in tree.iter()),
                *(v for el in tree.iter() for v in el.attrib.values()),
            ]
        ),
    }
    assert "no_secret_echo" in outputs["report"]  # the echoes were seen (and reported)
    for where, text in outputs.items():
        for secret in [*pans, *(a for a in accounts if a in sent), ECHO_KEY, ECHO_KEY[8:]]:
            assert secret not in text, (where, secret)
        runs = re.findall(r"(?<![0-9])[0-9]{13,19}(?![0-9])", text)
        assert [r for r in runs if luhn_valid(r)] == [], where
        assert _unmasked_in_param_context(text) == [], where
