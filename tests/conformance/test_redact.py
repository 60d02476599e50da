"""Redaction: no key, URL password or non-public card, account or ID number survives output.

Stripe's published test values (test cards, the CVCs sent with them, test bank and ID
numbers) are public test data and may be shown (``public``): a reproduction that masks them
does not reproduce. Anything else secret is masked, in text, parameter mappings, headers
and JSON, and :func:`scrub` (the last pass at every output boundary) masks what needs no
context. The yardsticks here (Luhn, the patterns of a leak) are written by hand.
"""

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
from hypothesis import assume, given
from hypothesis import strategies as st
from support import run_cli
from support.leaks import PUBLIC, Sent, leaks, strings
from support.secrets import luhn_ok

from contracttk.conformance.redact import (
    mask_value,
    redact,
    redact_headers,
    redact_params,
    redact_text,
    scrub,
    scrub_all,
    sensitive_names,
)
from contracttk.contract import kinds, mask_key, parse_key, sample_params
from contracttk.contract.domain import TEST_BANK_ACCOUNTS, TEST_CARDS, luhn_check_digit
from contracttk.encoding import EncodingError, decode, encode

PUBLIC_CARDS = frozenset(c.number for c in TEST_CARDS)
NOT_A_CARD = "98765432101"  # not Luhn-valid: only a name or an exact match can catch it


def _luhn_numbers() -> st.SearchStrategy[str]:
    return (
        st.integers(12, 18)
        .flatmap(
            lambda n: st.text("0123456789", min_size=n, max_size=n).map(
                lambda s: s + luhn_check_digit(s)
            )
        )
        .filter(lambda n: n not in PUBLIC)
    )


# --- card numbers -----------------------------------------------------------------------------


@given(
    number=_luhn_numbers(),
    before=st.sampled_from(["", " ", "number=", '"', "x: ", "card[number]=", "ref 12 ", "1 "]),
    after=st.sampled_from(["", " ", "&", '"', ".", "\n", " 2031", "-7"]),
)
def test_non_public_card_numbers_are_masked_in_any_text(
    number: str, before: str, after: str
) -> None:
    text = f"log {before}{number}{after} end"
    for out in (redact_text(text), scrub(text)):
        assert number not in out, out
        # The last four stay, as Stripe shows them (unless a form value or a digit next
        # to the number made a longer run of which the mask keeps the last four).
        if "=" not in before and not re.search("[0-9]", before + after):
            assert number[-4:] in out
        assert scrub(out) == out


@given(number=_luhn_numbers(), sep=st.sampled_from([" ", "-"]), lead=st.sampled_from(["", "12 "]))
def test_grouped_card_numbers_are_masked_even_inside_a_longer_run(
    number: str, sep: str, lead: str
) -> None:
    # "cvc 123 4539 1488 0343 6467" is one digit run to a pattern: the card inside it counts.
    grouped = sep.join(number[k : k + 4] for k in range(0, len(number), 4))
    for out in (redact_text(f"was {lead}{grouped}."), scrub(f"was {lead}{grouped}.")):
        digits = re.sub(r"[^0-9]", "", out)
        assert number not in digits and number[:-4] not in digits, out


@given(st.sampled_from(sorted(PUBLIC_CARDS)))
def test_published_test_cards_are_shown_in_full(number: str) -> None:
    # Public test data: a reproduction that masked it would not reproduce.
    assert number in redact_text(f"card {number} declined")
    assert number in scrub(f"card {number} declined")
    masked = "*" * (len(number) - 4) + number[-4:]  # no context: by name, masked
    assert redact_params({"card": {"number": number}}) == {"card": {"number": masked}}
    assert redact_params({"card": {"number": number}}, public=[number]) == {
        "card": {"number": number}
    }


def test_digit_runs_that_are_not_card_numbers_survive() -> None:
    # a Unix timestamp, a 16-digit run failing Luhn, an IP address are not secrets
    text = "created 1700000000 id 4242424242424247 from 127.0.0.1"
    assert not luhn_ok("4242424242424247")
    assert redact_text(text) == text and scrub(text) == text


def test_ibans_are_masked_unless_public() -> None:
    iban = "DE02120300000000202051"  # a valid IBAN, not one of Stripe's test accounts
    assert iban not in PUBLIC
    out = redact_text(f"account {iban} rejected")
    assert iban not in out and out.endswith("2051 rejected")
    assert iban not in scrub(f"account {iban} rejected")
    public_iban = next(b.account_number for b in TEST_BANK_ACCOUNTS if b.country == "DE")
    assert public_iban in redact_text(f"account {public_iban} rejected")


# --- keys and credentials ------------------------------------------------------------------------


@given(
    prefix=st.sampled_from(
        ["sk_test_", "sk_live_", "pk_test_", "pk_live_", "rk_test_", "rk_live_"]
    ),
    rest=st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_", min_size=8, max_size=40),
)
def test_api_keys_are_masked_but_keep_prefix_and_last_four(prefix: str, rest: str) -> None:
    key = prefix + rest
    text = f"Invalid API Key provided: {key}; Authorization: Bearer {key}"
    for out in (redact_text(text), redact_text(text, public=[key]), scrub(text)):
        assert key not in out  # keys are never public
        assert prefix in out and rest[-4:] in out
        assert redact_text(out) == out and scrub(out) == out  # idempotent


@given(
    prefix=st.sampled_from(["sk_", "pk_", "rk_"]),
    mode=st.sampled_from(["test_", "live_"]),
    rest=st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_", min_size=1, max_size=40),
)
def test_keys_are_masked_as_the_contract_masks_them(prefix: str, mode: str, rest: str) -> None:
    key = prefix + mode + rest
    assert parse_key(key) is not None  # the shape the contract calls a key
    assert redact_text(key) == mask_key(key) == scrub(key)


@given(secret=st.text("abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=3, max_size=30))
def test_exact_secrets_are_masked_wherever_they_stand(secret: str) -> None:
    assume(secret.strip("-.") == secret)
    text = f"before{secret}after {secret}"
    assert secret not in scrub(text, [secret]) and secret not in redact_text(text, [secret])


def test_credentials_in_headers_and_urls_are_masked() -> None:
    out = redact_headers({"Authorization": "Basic c2tfdGVzdF9hYmNkZWZnaGlqOg=="})
    assert "c2tfdGVzdF9" not in out["Authorization"]
    out = redact_headers({"Authorization": "Bearer opaque-token-123456"})
    assert "opaque-token" not in out["Authorization"]
    for text in ("see https://admin:hunter2pass@example.com/x", "ftp://u:hunter2pass@h"):
        assert "hunter2pass" not in scrub(text) and "hunter2pass" not in redact_text(text)
    # A shell reference to the key's variable is what a curl line should hold: kept.
    curl = '-H "Authorization: Bearer $CONTRACTTK_API_KEY"'
    assert scrub(curl) == curl


# --- values under sensitive names ------------------------------------------------------------------


@given(cvc=st.text("0123456789", min_size=3, max_size=4))
def test_cvc_values_masked_in_form_bodies_raw_and_percent_encoded(cvc: str) -> None:
    body = encode({"card": {"number": "4000056655665556", "cvc": cvc}, "cvc_update": {"cvc": cvc}})
    for text in (body, body.replace("%5B", "[").replace("%5D", "]")):
        out = redact_text(f"curl --data-raw '{text}'")
        assert not re.search(rf"(?<![0-9]){cvc}(?![0-9])", out), out
        # ... unless public: the CVC sent with a published test card reproduces.
        assert re.search(rf"(?<![0-9]){cvc}(?![0-9])", redact_text(text, public=[cvc]))


def test_cvc_masked_in_json_and_python_reprs() -> None:
    for text in ('{"cvc": "123"}', "{'cvc': '123'}", '{"cvc": 123}'):
        assert "123" not in redact_text(text)
        assert "123" in redact_text(text, public=["123"])


def test_sensitive_names_come_from_the_model() -> None:
    # Written out by hand from the model's sensitive parameters (card and cvc_update CVC,
    # card number, bank account number, the identity numbers): not recomputed from it.
    assert sensitive_names() == {
        "account_number",
        "cvc",
        "id_number",
        "id_number_secondary",
        "number",
        "ssn_last_4",
        "tax_id",
        "vat_id",
    }


def test_every_sensitive_path_of_every_kind_is_masked_in_params_bodies_and_json() -> None:
    for kind in kinds().values():
        for path in kind.sensitive_paths:
            params: dict = sample_params(kind.name)
            node = params
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = NOT_A_CARD
            assert NOT_A_CARD not in str(redact_params(params)), path
            assert NOT_A_CARD not in redact_text(encode(params)), path
            assert NOT_A_CARD not in str(redact(params)), path
            assert NOT_A_CARD in str(redact_params(params, public=[NOT_A_CARD])), path


def test_mask_value_keeps_length_hint_only_for_long_values() -> None:
    assert mask_value("123") == "***"
    assert mask_value("4242424242424242") == "************4242"


def test_scrub_all_masks_keys_of_mappings_too() -> None:
    key = "sk_live_" + "Q7zUnmaskedTail9876"
    doc = {key: [f"Bearer {key}", {"nested": "https://u:hunter2pass@h"}], "n": 5}
    text = json.dumps(scrub_all(doc, [key]))
    assert key not in text and "hunter2pass" not in text and '"n": 5' in text


# --- keys, and secrets sent as arrays or hashes -------------------------------------------------


def test_json_text_used_as_a_mapping_key_is_redacted() -> None:
    # A JSON document posted as a form body decodes to one key holding the whole document.
    params = {'{"card": {"number": "4000056655665556", "cvc": "987"}}': ""}
    for out in (str(redact_params(params)), str(redact(params)), str(redact({"x": params}))):
        assert "4000056655665556" not in out and "987" not in out, out
        assert "5556" in out  # the last four stay


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


# --- end to end: a stub target that echoes every request back -----------------------------------

ECHO_KEY = "sk_test_contracttkEchoStub9876"


@contextmanager
def echo_server(received: list[tuple[bytes, str | None]]) -> Iterator[str]:
    """A stub target answering every request 200 JSON that echoes the body and the key.

    It fails every item (tokens without fields, 200 to invalid payloads, no auth) and puts
    every secret the suite sends into the answers, decoded and raw.
    """

    class Echo(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(size) if size else b""
            raw = data.decode("utf-8", "replace")
            received.append((data, self.headers.get("Authorization")))
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


@pytest.mark.loopback
def test_no_secret_sent_to_an_echoing_target_reaches_report_junit_or_terminal(
    tmp_path: Path,
) -> None:
    received: list[tuple[bytes, str | None]] = []
    with echo_server(received) as url:
        result = run_cli(
            *("fuzz", url, "--api-key", ECHO_KEY, "--report", "r.json"),
            *("--junit-xml", "j.xml", "--max-examples", "1", "--seed", "11"),
            *("--kind", "card,bank_account,pii"),
            cwd=tmp_path,
        )
    assert result.returncode == 1, result.stderr[-3000:]
    report = (tmp_path / "r.json").read_text()
    doc = json.loads(report)
    # Every item that sends our own payloads (secrets included) fails against the echo; the
    # coverage items send schemathesis's schema-derived values, which may pass.
    ours = [i for i in doc["items"] if not i["name"].startswith("coverage::")]
    assert {i["outcome"] for i in ours} <= {"failed", "skipped"}
    sent = Sent()
    for body, auth in received:
        sent.add(body, auth)
    everything = b"\n".join(body for body, _ in received).decode("utf-8", "replace")
    # What was sent: documented cards and bank accounts, ID numbers, the key, and secrets
    # that are not public test values (the fuzzers' numbers), which must not show.
    assert "4242424242424242" in everything and "000123456789" in everything
    assert "pii%5Bid_number%5D=000000000" in everything and ECHO_KEY in sent.keys
    assert '{"card": {"number": "4242424242424242"}}' in everything  # JSON text as a form body
    assert sent.private, "the suite sent no non-public secret: nothing was tested"

    tree = ET.parse(tmp_path / "j.xml").getroot()
    outputs = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "report": report + "\n" + "\n".join(strings(doc)),
        "junit": "\n".join(
            [
                *(el.text or "" for el in tree.iter()),
                *(v for el in tree.iter() for v in el.attrib.values()),
            ]
        ),
    }
    assert "no_secret_echo" in outputs["report"]  # the echoes were seen (and reported)
    for where, text in outputs.items():
        assert leaks(text, sent) == [], where
