"""``no_secret_echo`` knows every secret a request carried and finds it wherever it comes back.

Exchanges are built by hand (``RequestInfo`` / ``ResponseInfo``): form, JSON, query,
malformed keys and the API key (Bearer and Basic); the echo is put in the body, a header,
an error message, JSON text escaped inside a string. Short secrets (a CVC) count only as a
whole value or word: ``127`` is not echoed by ``127.0.0.1``, a timestamp or an id. The
last test sends real requests to a real leaky target (the reference server, echoing).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from support.leaky import leaky_service

from contracttk.conformance.checks.secrets import no_secret_echo, sent_secrets
from contracttk.conformance.exchange import RequestInfo, ResponseInfo
from contracttk.conformance.transport import HttpTransport
from contracttk.server import running_server

PAN = "4539148803436467"  # Luhn-valid, not a published test card
KEY = "sk_test_EchoCheckKey12345678"
FORM = "application/x-www-form-urlencoded"
URL = "http://target.test/v1/tokens"


def _req(body: bytes | None, ctype: str = FORM, url: str = URL, auth: str | None = None) -> Any:
    headers = {"Authorization": auth or f"Bearer {KEY}"}
    if body is not None:
        headers["Content-Type"] = ctype
    return RequestInfo("POST" if body is not None else "GET", url, headers, body)


def _error(message: str, param: str | None = None, **extra: Any) -> ResponseInfo:
    err = {"type": "invalid_request_error", "message": message, **extra}
    if param is not None:
        err["param"] = param
    return ResponseInfo(
        400, {"content-type": "application/json"}, json.dumps({"error": err}).encode()
    )


def _echoed(request: RequestInfo, response: ResponseInfo) -> set[str]:
    """The kinds of secret the check says came back (``number``, ``cvc``, ``API key``...)."""
    out = set()
    for f in no_secret_echo(request, response):
        assert f.check == "no_secret_echo"
        where = f.message.split("submitted ", 1)[1].split(" (")[0].split(" comes")[0]
        out.add(where.rsplit("[", 1)[-1].rstrip("]"))  # card[cvc] -> cvc
    return out


# --- what counts as sent ---------------------------------------------------------------------


def test_secrets_of_a_json_body_are_known() -> None:
    body = json.dumps({"card": {"number": PAN, "cvc": "987", "exp_year": 2031}}).encode()
    sent = dict((v, w) for w, v in sent_secrets(_req(body, "application/json")))
    assert "JSON" in sent[PAN] and "JSON" in sent["987"] and sent[KEY] == "API key"
    assert "2031" not in sent  # not a secret field


def test_secrets_of_malformed_bodies_and_keys_are_known() -> None:
    for body in (f"card[{PAN}=1".encode(), f"card[number]={PAN}&card[cvc]=987&x[".encode()):
        values = {v for _, v in sent_secrets(_req(body))}
        assert PAN in values, body


def test_secrets_of_the_query_and_the_url_are_known() -> None:
    req = _req(None, url=f"{URL}/tok_1?card[number]={PAN}&card[cvc]=987")
    values = {v for _, v in sent_secrets(req)}
    assert {PAN, "987", KEY} <= values
    assert PAN in {v for _, v in sent_secrets(_req(None, url=f"{URL}/{PAN}"))}


def test_the_key_of_a_basic_authorization_is_known() -> None:
    basic = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    assert KEY in {v for _, v in sent_secrets(_req(b"a=1", auth=basic))}


# --- where it is found ---------------------------------------------------------------------------


def test_a_json_body_echoed_in_an_unknown_parameter_message_is_caught() -> None:
    # What the reference server did (issue 12): the JSON text, as one unknown "parameter"
    # name, quoted back in the message and in param. The model's expected message quotes
    # the same name, which must not excuse the echo.
    body = json.dumps({"card": {"number": PAN, "cvc": "987"}}).encode()
    name = body.decode()
    resp = _error(f"Received unknown parameter: {name}", param=name)
    assert _echoed(_req(body, "application/json"), resp) == {"number", "cvc"}
    assert _echoed(_req(body, FORM), resp) == {"number", "cvc"}  # the same, posted as a form


def test_a_malformed_key_echoed_in_the_message_is_caught() -> None:
    resp = _error(f"Invalid request body: malformed parameter 'card[{PAN}': unbalanced '['")
    assert _echoed(_req(f"card[{PAN}=1".encode()), resp) == {"card number"}


@pytest.mark.parametrize(
    "where",
    ["message", "param", "escaped", "header", "grouped", "nested", "text"],
)
def test_a_form_secret_is_found_wherever_it_comes_back(where: str) -> None:
    body = f"card[number]={PAN}&card[exp_month]=12&card[exp_year]=2031&card[cvc]=987".encode()
    grouped = " ".join(PAN[k : k + 4] for k in range(0, 16, 4))
    resp = {
        "message": _error(f"Your card number {PAN} is incorrect."),
        "param": _error("bad", param=PAN),
        "escaped": _error("bad", doc=json.dumps({"sent": {"number": PAN}})),
        "header": ResponseInfo(
            402, {"content-type": "application/json", "x-debug": f"pan={PAN}"}, b"{}"
        ),
        "grouped": _error(f"card {grouped} declined"),
        "nested": ResponseInfo(200, {}, json.dumps({"card": {"meta": [{"raw": PAN}]}}).encode()),
        "text": ResponseInfo(500, {"content-type": "text/html"}, f"<p>{PAN}</p>".encode()),
    }[where]
    assert "number" in _echoed(_req(body), resp)


def test_the_api_key_echoed_is_caught_but_its_mask_is_not() -> None:
    masked = KEY[:8] + "*" * (len(KEY) - 12) + KEY[-4:]
    assert _echoed(_req(b"a=1"), _error(f"Invalid API Key provided: {masked}")) == set()
    assert _echoed(_req(b"a=1"), _error(f"Invalid API Key provided: {KEY}")) == {"API key"}
    basic = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    assert _echoed(_req(b"a=1", auth=basic), _error(f"key {KEY}")) == {"API key"}


# --- short secrets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "client_ip: 127.0.0.1",
        "created 1700000127",
        "request id req_127abc",
        "tok_1271271271271271",
        "amount 1270",
        "at 12:7 and 127x",
        "v1.127.3",
    ],
)
def test_a_short_secret_is_not_found_inside_words_numbers_or_addresses(text: str) -> None:
    body = b"card[number]=4242424242424242&card[cvc]=127"
    resp = ResponseInfo(200, {}, json.dumps({"id": "tok_x", "note": text}).encode())
    assert _echoed(_req(body), resp) == set()


@pytest.mark.parametrize(
    "note", ["cvc was 127.", "127", "bad cvc (127)", "cvc: 127", "values 127, 128"]
)
def test_a_short_secret_standing_as_a_word_or_value_is_found(note: str) -> None:
    body = b"card[number]=4242424242424242&card[cvc]=127"
    resp = ResponseInfo(200, {}, json.dumps({"id": "tok_x", "note": note}).encode())
    assert _echoed(_req(body), resp) == {"cvc"}


def test_a_large_answer_is_judged_in_one_pass() -> None:
    # 4 MiB of digits and words with the secret at the very end: found, and found once.
    body = f"card[number]={PAN}&card[cvc]=987".encode()
    filler = "12 34 5678 1700000000 127.0.0.1 " * 130_000
    resp = ResponseInfo(200, {}, (filler + f"pan {PAN}; cvc 987.").encode())
    assert _echoed(_req(body), resp) == {"number", "cvc"}
    assert _echoed(_req(body), ResponseInfo(200, {}, filler.encode())) == set()


# --- a real leaky target ---------------------------------------------------------------------------


@pytest.mark.loopback
def test_a_real_leaky_target_is_caught_for_every_way_of_sending() -> None:
    keys = [KEY]
    with running_server(service_cls=leaky_service(), keys=keys) as base:
        t = HttpTransport(timeout=10, max_response_bytes=1 << 20)
        cases = {
            "form": _req(
                f"card[number]={PAN}&card[exp_month]=12&card[exp_year]=2031&card[cvc]=987".encode(),
                url=base + "/v1/tokens",
            ),
            "json": _req(
                json.dumps({"card": {"number": PAN, "cvc": "987"}}).encode(),
                "application/json",
                base + "/v1/tokens",
            ),
            "malformed": _req(f"card[{PAN}=1".encode(), url=base + "/v1/tokens"),
            "query": _req(None, url=f"{base}/v1/tokens/tok_1?card[number]={PAN}"),
        }
        found = {}
        for name, req in cases.items():
            resp = t.send(req.method, req.url, list(req.headers.items()), req.body)
            found[name] = _echoed(req, resp)
        t.close()
    assert {"number", "cvc", "API key"} <= found["form"]
    assert {"number", "cvc", "API key"} <= found["json"]
    assert {"card number", "API key"} <= found["malformed"]
    assert "API key" in found["query"]
