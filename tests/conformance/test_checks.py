"""The checks as plain functions: each must pass a conforming answer and catch a broken one.

Conforming answers come from the reference server (in-process, a separate implementation
of the contract); broken ones are those answers edited by hand, one fact at a time.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracttk import strategies as S
from contracttk.conformance import checks as _checks
from contracttk.conformance.checks import create as _create
from contracttk.conformance.checks import generic as _generic
from contracttk.conformance.checks import protocol as _protocol
from contracttk.conformance.checks import secrets as _secrets
from contracttk.conformance.exchange import RequestInfo, ResponseInfo
from contracttk.conformance.failures import Failure
from contracttk.conformance.registry import judge as _judge
from contracttk.conformance.repro import example_record
from contracttk.conformance.settings import resolve
from contracttk.conformance.transport_asgi import AsgiTransport
from contracttk.contract import (
    KIND_NAMES,
    Strength,
    catalogue,
    evaluate_create,
    get_violation,
    malformed_body,
    sample_params,
)
from contracttk.defaults import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from contracttk.encoding import encode
from contracttk.server import ApiError, TokenService, create_app

KEY = DEFAULT_SECRET_KEY
SETTINGS = resolve({"url": "http://testserver", "seed": 1})


def _judge_default(req: RequestInfo, resp: ResponseInfo, names: Any = None) -> Any:
    return _judge(req, resp, names or (*_checks.GENERIC_CHECKS, *_checks.CREATE_CHECKS))


# The checks under their names, as the tests below call them.
C = SimpleNamespace(
    RequestInfo=RequestInfo,
    ResponseInfo=ResponseInfo,
    Failure=Failure,
    judge=_judge_default,
    UniqueIds=_protocol.UniqueIds,
    auth_bad_key=_protocol.auth_bad_key,
    auth_no_key=_protocol.auth_no_key,
    auth_publishable_retrieve=_protocol.auth_publishable_retrieve,
    idempotency_mismatch_check=_protocol.idempotency_mismatch_check,
    idempotency_replay=_protocol.idempotency_replay,
    retrieve_consistency=_protocol.retrieve_consistency,
    retrieve_unknown_id=_protocol.retrieve_unknown_id,
    error_envelope=_generic.error_envelope,
    not_a_server_error=_generic.not_a_server_error,
    response_schema=_generic.response_schema,
    no_secret_echo=_secrets.no_secret_echo,
    expected_error=_create.expected_error,
    positive_acceptance=_create.positive_acceptance,
    token_semantics=_create.token_semantics,
)
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@pytest.fixture(scope="module")
def client() -> Any:
    transport = AsgiTransport(create_app(), timeout=10, max_response_bytes=4 << 20)
    yield transport
    transport.close()


def call(
    client: Any,
    method: str,
    path: str,
    params: Any = None,
    *,
    key: str | None = KEY,
    headers: dict[str, str] | None = None,
) -> tuple[C.RequestInfo, C.ResponseInfo]:
    hdrs = {"Authorization": f"Bearer {key}"} if key else {}
    body = None
    if params is not None:
        body = (params if isinstance(params, bytes) else encode(params).encode()) or None
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    hdrs.update(headers or {})
    url = "http://testserver" + path
    req = C.RequestInfo(method, url, hdrs, body)
    return req, client.send(method, url, list(hdrs.items()), body)


def edited(resp: C.ResponseInfo, change: Any, *, status: int | None = None) -> C.ResponseInfo:
    body = json.loads(resp.body)
    change(body)
    return C.ResponseInfo(
        status or resp.status, dict(resp.headers), json.dumps(body).encode("utf-8")
    )


def names(failures: list[C.Failure], *, hard: bool = True) -> set[str]:
    return {f.check for f in failures if f.is_warning is not hard}


# --- conforming answers pass everything ------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=HEALTH)
@given(data=st.data())
def test_reference_answers_to_valid_payloads_pass_every_check(client: Any, data: Any) -> None:
    kind = data.draw(st.sampled_from(KIND_NAMES))
    params = data.draw(S.params(kind))
    req, resp = call(client, "POST", "/v1/tokens", params)
    failures, verdicts = C.judge(req, resp)
    assert failures == []
    assert {"positive_acceptance", "token_semantics", "no_secret_echo"} <= set(verdicts)


@settings(max_examples=40, deadline=None, suppress_health_check=HEALTH)
@given(data=st.data())
def test_reference_answers_to_invalid_payloads_pass_every_check(client: Any, data: Any) -> None:
    kind = data.draw(st.sampled_from(KIND_NAMES))
    bad = data.draw(S.invalid_params(kind))
    req, resp = call(client, "POST", "/v1/tokens", bad.params)
    failures, verdicts = C.judge(req, resp)
    assert [f.message for f in failures if not f.is_warning] == []
    assert "expected_error" in verdicts


# --- each check catches its fault ------------------------------------------------------------


def test_server_error_is_a_hard_failure() -> None:
    req = C.RequestInfo("POST", "http://x/v1/tokens", {}, b"")
    resp = C.ResponseInfo(
        502, {"content-type": "application/json"}, b'{"error":{"type":"api_error"}}'
    )
    [f] = C.not_a_server_error(req, resp)
    assert f.strength is Strength.HARD and "502" in f.message


@pytest.mark.parametrize(
    ("ctype", "body", "ok"),
    [
        ("application/json", b'{"error": {"type": "invalid_request_error"}}', True),
        ("application/json; charset=utf-8", b'{"error": {"type": "card_error"}}', True),
        ("text/html", b"<h1>Bad Request</h1>", False),
        ("text/plain", b'{"error": {"type": "x"}}', False),
        ("application/json", b'{"message": "bad"}', False),
        ("application/json", b'{"error": {"code": "x"}}', False),
        ("application/json", b'{"error": "bad"}', False),
    ],
)
def test_error_envelope(ctype: str, body: bytes, ok: bool) -> None:
    req = C.RequestInfo("POST", "http://x/v1/tokens", {}, b"")
    found = C.error_envelope(req, C.ResponseInfo(400, {"Content-Type": ctype}, body))
    assert (found == []) is ok


def test_token_semantics_catch_each_broken_field(client: Any) -> None:
    req, resp = call(client, "POST", "/v1/tokens", sample_params("card"))
    assert C.token_semantics(req, resp) == []
    breakages = {
        "id prefix": lambda b: b.update(id="pii_" + b["id"][4:]),
        "livemode": lambda b: b.update(livemode=True),
        "type": lambda b: b.update(type="bank_account"),
        "last4": lambda b: b["card"].update(last4="0000"),
        "exp_year": lambda b: b["card"].update(exp_year=1999),
        "extra object": lambda b: b.update(bank_account={"id": "ba_1"}),
        "created in ms": lambda b: b.update(created=str(b["created"])),
    }
    for what, change in breakages.items():
        found = C.token_semantics(req, edited(resp, change))
        assert any(not f.is_warning for f in found), what


def test_a_2xx_that_is_not_a_json_token_fails_the_schema_check(client: Any) -> None:
    req, resp = call(client, "POST", "/v1/tokens", sample_params("pii"))
    assert C.response_schema(req, resp) == []
    html = C.ResponseInfo(200, {"content-type": "text/html"}, b"<p>ok</p>")
    assert names(C.response_schema(req, html)) == {"response_schema"}
    no_id = edited(resp, lambda b: b.pop("id"))
    assert names(C.response_schema(req, no_id)) == {"response_schema"}


def test_a_refused_valid_payload_fails_positive_acceptance(client: Any) -> None:
    req, resp = call(client, "POST", "/v1/tokens", sample_params("pii"))
    refused = C.ResponseInfo(
        400, resp.headers, b'{"error": {"type": "invalid_request_error", "code": "nope"}}'
    )
    assert names(C.positive_acceptance(req, refused)) == {"positive_acceptance"}


def _violation(name: str) -> Any:
    v = get_violation(name)
    return v, v.apply(sample_params(v.kind or "card"))


def test_expected_error_exact_answer_passes_and_each_hard_field_fails(client: Any) -> None:
    v, params = _violation("card[number]:luhn")
    req = C.RequestInfo(
        "POST", "http://x/v1/tokens", {"Authorization": f"Bearer {KEY}"}, encode(params).encode()
    )
    right = C.ResponseInfo(
        v.expected.status,
        {"content-type": "application/json"},
        json.dumps(v.expected.body()).encode(),
    )
    assert C.expected_error(req, right) == []
    for fld in sorted(v.expected.hard):
        body = v.expected.body()
        status = v.expected.status
        if fld == "status":
            status = 400 if status != 400 else 422
        else:
            body["error"][fld] = "something_else"
        found = C.expected_error(
            req, C.ResponseInfo(status, right.headers, json.dumps(body).encode())
        )
        assert [f.strength for f in found] == [Strength.HARD], fld
        assert found[0].violation == v.name


def test_expected_error_warning_fields_only_warn() -> None:
    candidates = [
        v
        for v in catalogue()
        if v.kind is not None
        and v.requires is None
        and v.expected.hard
        and "param" in v.expected.warn
        and v.expected.param
    ]
    assert candidates, "the catalogue should have hard errors with a warning-strength param"
    v = candidates[0]
    params = v.apply(sample_params(v.kind))
    assert len(evaluate_create(params).findings) == 1
    req = C.RequestInfo(
        "POST", "http://x/v1/tokens", {"Authorization": f"Bearer {KEY}"}, encode(params).encode()
    )
    body = v.expected.body()
    body["error"]["param"] = "somewhere[else]"
    found = C.expected_error(
        req,
        C.ResponseInfo(
            v.expected.status, {"content-type": "application/json"}, json.dumps(body).encode()
        ),
    )
    assert found and all(f.is_warning for f in found)


def test_expected_error_accepts_any_finding_when_several_rules_break() -> None:
    params = sample_params("card")
    params["card"]["number"] = "4242424242424241"  # Luhn
    params["card"]["exp_month"] = "13"  # out of range
    ev = evaluate_create(params)
    assert len(ev.findings) >= 2
    req = C.RequestInfo(
        "POST", "http://x/v1/tokens", {"Authorization": f"Bearer {KEY}"}, encode(params).encode()
    )
    for finding in ev.findings:
        resp = C.ResponseInfo(
            finding.error.status,
            {"content-type": "application/json"},
            json.dumps(finding.error.body()).encode(),
        )
        assert [f for f in C.expected_error(req, resp) if not f.is_warning] == []


def test_a_token_for_a_must_reject_payload_is_a_hard_failure(client: Any) -> None:
    _, params = _violation("card[number]:luhn")
    _, token = call(client, "POST", "/v1/tokens", sample_params("card"))
    req = C.RequestInfo(
        "POST", "http://x/v1/tokens", {"Authorization": f"Bearer {KEY}"}, encode(params).encode()
    )
    [f] = C.expected_error(req, token)
    assert f.strength is Strength.HARD and f.violation == "card[number]:luhn"


def test_undecodable_body_expects_a_malformed_body_error() -> None:
    req = C.RequestInfo(
        "POST", "http://x/v1/tokens", {"Authorization": f"Bearer {KEY}"}, b"card%5Bnumber%5D=%FF"
    )
    ok = C.ResponseInfo(
        400, {"content-type": "application/json"}, b'{"error": {"type": "invalid_request_error"}}'
    )
    assert C.expected_error(req, ok) == []
    minted = C.ResponseInfo(200, {"content-type": "application/json"}, b'{"id": "tok_1"}')
    assert C.expected_error(req, minted)


# --- secret echo -------------------------------------------------------------------------------


def _token_with(
    client: Any, params: dict[str, Any], change: Any
) -> tuple[C.RequestInfo, C.ResponseInfo]:
    req, resp = call(client, "POST", "/v1/tokens", params)
    return req, edited(resp, change)


def test_pan_echo_is_caught_in_body_and_headers(client: Any) -> None:
    params = sample_params("card")
    req, resp = _token_with(client, params, lambda b: b["card"].update(name="4242424242424242"))
    assert names(C.no_secret_echo(req, resp)) == {"no_secret_echo"}
    req, resp = call(client, "POST", "/v1/tokens", params)
    resp.headers["x-debug"] = "pan=4242424242424242"
    assert names(C.no_secret_echo(req, resp)) == {"no_secret_echo"}


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_every_sensitive_value_of_every_kind_is_caught_when_echoed(client: Any, kind: str) -> None:
    from contracttk.contract import sensitive_values

    params = sample_params(kind)
    # make sure every sensitive path of the kind carries a value
    from contracttk.contract import get_kind

    for path in get_kind(kind).sensitive_paths:
        node = params
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node.setdefault(path[-1], "123456789" if "cvc" not in path[-1] else "321")
    req = C.RequestInfo(
        "POST", "http://x/v1/tokens", {"Authorization": f"Bearer {KEY}"}, encode(params).encode()
    )
    for where, value in sensitive_values(kind, params):
        body = json.dumps({"id": "tok_1", "object": "token", "debug": {"echo": value}}).encode()
        found = C.no_secret_echo(
            req, C.ResponseInfo(200, {"content-type": "application/json"}, body)
        )
        assert found, where


def test_short_cvc_matches_whole_values_not_digits_inside_numbers(client: Any) -> None:
    params = sample_params("card")
    params["card"]["cvc"] = "170"
    req, resp = call(client, "POST", "/v1/tokens", params)
    # created (e.g. 1700000000) and other numbers containing "170" are not an echo
    assert C.no_secret_echo(req, resp) == []
    leaked = edited(resp, lambda b: b["card"].update(address_zip="170"))
    assert names(C.no_secret_echo(req, leaked)) == {"no_secret_echo"}
    leaked = edited(resp, lambda b: b.update(note="cvc was 170."))
    assert names(C.no_secret_echo(req, leaked)) == {"no_secret_echo"}


def test_short_value_the_model_expects_back_is_not_an_echo(client: Any) -> None:
    params = sample_params("card")
    params["card"]["number"] = "378282246310005"  # Amex: 4-digit CVC
    params["card"]["cvc"] = "0005"  # equal to last4, which must come back
    req, resp = call(client, "POST", "/v1/tokens", params)
    assert resp.ok and C.no_secret_echo(req, resp) == []


def test_a_secret_that_is_a_word_of_the_expected_error_is_not_an_echo(client: Any) -> None:
    # a fuzzer's CVC "bank_account" next to a second token kind: the model's own message
    # ("You may only specify one of these parameters: card, bank_account, ...") contains it
    params = {"cvc_update": {"cvc": "bank_account"}, "pii": {"id_number": "000000000"}}
    req, resp = call(client, "POST", "/v1/tokens", params)
    assert b"bank_account" in resp.body and resp.status == 400
    assert C.no_secret_echo(req, resp) == []
    leaked = edited(
        resp, lambda b: b["error"].update(message="bad cvc_update[cvc]: 'bank_account'")
    )
    assert C.no_secret_echo(req, leaked) == []  # still a word of the expected text: not judged
    pii = edited(resp, lambda b: b["error"].update(message="id 000000000 refused"))
    assert names(C.no_secret_echo(req, pii)) == {"no_secret_echo"}


def test_api_key_echo_is_caught_but_the_masked_key_is_fine(client: Any) -> None:
    bad = "sk_test_contracttkNotAKey123456"
    req, resp = call(client, "POST", "/v1/tokens", sample_params("card"), key=bad)
    assert resp.status == 401 and C.no_secret_echo(req, resp) == []
    leaked = edited(resp, lambda b: b["error"].update(message=f"Invalid API Key provided: {bad}"))
    assert names(C.no_secret_echo(req, leaked)) == {"no_secret_echo"}


# --- protocol checks ---------------------------------------------------------------------------


def test_auth_checks(client: Any) -> None:
    req, resp = call(client, "POST", "/v1/tokens", sample_params("card"), key=None)
    assert C.auth_no_key(req, resp) == []
    _, token = call(client, "POST", "/v1/tokens", sample_params("card"))
    assert names(C.auth_no_key(req, token)) == {"auth_no_key"}
    req, resp = call(
        client, "POST", "/v1/tokens", sample_params("card"), key="sk_test_nopenopenope"
    )
    assert C.auth_bad_key(req, resp) == []
    assert names(C.auth_bad_key(req, token)) == {"auth_bad_key"}
    token_id = json.loads(token.body)["id"]
    req, resp = call(client, "GET", f"/v1/tokens/{token_id}", key=DEFAULT_PUBLISHABLE_KEY)
    assert C.auth_publishable_retrieve(req, resp) == []
    # letting a publishable key read a token is only a WARNING in the model
    found = C.auth_publishable_retrieve(req, token)
    assert found and all(f.is_warning for f in found)


def test_unknown_id(client: Any) -> None:
    req, resp = call(client, "GET", "/v1/tokens/tok_neverissued000000000000")
    assert C.retrieve_unknown_id(req, resp) == []
    wrong = C.ResponseInfo(400, resp.headers, b'{"error": {"type": "invalid_request_error"}}')
    assert names(C.retrieve_unknown_id(req, wrong)) == {"retrieve_unknown_id"}


def test_idempotency_replay_and_mismatch(client: Any) -> None:
    hdr = {"Idempotency-Key": "contracttk-test-replay-1"}
    first = call(client, "POST", "/v1/tokens", sample_params("card"), headers=hdr)
    second = call(client, "POST", "/v1/tokens", sample_params("card"), headers=hdr)
    assert C.idempotency_replay(first, second) == []
    new_id = edited(second[1], lambda b: b.update(id="tok_other"))
    assert names(C.idempotency_replay(first, (second[0], new_id))) == {"idempotency_replay"}
    no_header = C.ResponseInfo(
        second[1].status, {"content-type": "application/json"}, second[1].body
    )
    assert names(C.idempotency_replay(first, (second[0], no_header))) == {
        "idempotency_replayed_header"
    }
    other = sample_params("card")
    other["card"]["number"] = "5555555555554444"
    req, resp = call(client, "POST", "/v1/tokens", other, headers=hdr)
    assert C.idempotency_mismatch_check(req, resp) == []
    assert names(C.idempotency_mismatch_check(req, second[1])) == {"idempotency_mismatch"}


def test_retrieve_consistency_and_unique_ids(client: Any) -> None:
    created = call(client, "POST", "/v1/tokens", sample_params("bank_account"))
    token_id = json.loads(created[1].body)["id"]
    retrieved = call(client, "GET", f"/v1/tokens/{token_id}")
    assert C.retrieve_consistency(created, retrieved) == []
    used = edited(retrieved[1], lambda b: b.update(used=True))
    assert C.retrieve_consistency(created, (retrieved[0], used)) == []
    drifted = edited(retrieved[1], lambda b: b["bank_account"].update(last4="9999"))
    assert names(C.retrieve_consistency(created, (retrieved[0], drifted))) == {
        "retrieve_consistency"
    }
    unique = C.UniqueIds()
    assert unique.observe(*created) == []
    assert names(unique.observe(*created)) == {"unique_ids"}


def test_unique_ids_covers_every_embedded_object_of_the_model(client: Any) -> None:
    from contracttk.contract import kinds

    for kind in (k for k in kinds().values() if k.embedded_object):
        obj = kind.embedded_object
        assert obj is not None
        req, first = call(client, "POST", "/v1/tokens", sample_params(kind.name))
        unique = C.UniqueIds()
        assert unique.observe(req, first) == []
        # a new token id, but the embedded object's id issued again
        again = edited(first, lambda b: b.update(id=b["id"] + "x"))
        [f] = unique.observe(req, again)
        assert f.message.startswith(f"{obj}.id "), f.message


# --- reproduction and redaction ----------------------------------------------------------------


def test_failure_curl_reproduces_the_request_with_only_the_key_hidden(client: Any) -> None:
    params = sample_params("card")
    req, resp = _token_with(client, params, lambda b: b.update(echo=params["card"]["number"]))
    [f] = C.no_secret_echo(req, resp)
    record = example_record(f, SETTINGS)
    curl = record["request"]["curl"]
    # Stripe's published test number and the CVC sent with it are public test data:
    # printed in full, so the line replays; the key travels as an environment variable.
    assert curl.startswith("curl -sS -X POST 'http://testserver/v1/tokens'")
    assert '"Authorization: Bearer $CONTRACTTK_API_KEY"' in curl
    assert "card%5Bnumber%5D=4242424242424242" in curl and "card%5Bcvc%5D=123" in curl
    assert KEY not in json.dumps(record) and record["request"]["replayable"] is True


def test_a_number_that_is_no_published_test_value_is_masked_and_marked_unreplayable() -> None:
    params = sample_params("card")
    params["card"]["number"] = "4111111111111111"  # passes Luhn; not one of Stripe's
    body = encode(params).encode()
    req = C.RequestInfo(
        "POST", "http://testserver/v1/tokens", {"Authorization": f"Bearer {KEY}"}, body
    )
    resp = C.ResponseInfo(
        402, {"content-type": "application/json"}, b'{"error": {"type": "card_error"}}'
    )
    record = example_record(C.Failure("expected_error", "m", request=req, response=resp), SETTINGS)
    text = json.dumps(record)
    assert "4111111111111111" not in text and "1111" in record["request"]["curl"]
    assert record["request"]["replayable"] is False


def test_a_json_body_posted_as_a_form_leaves_no_pan_in_the_record() -> None:
    # Form-decoded, a JSON text is one key holding the whole document.
    body = b'{"card": {"number": "4000056655665556", "cvc": "987"}, "x": "4111111111111111"}'
    req = C.RequestInfo("POST", "http://x/v1/tokens", {"Authorization": f"Bearer {KEY}"}, body)
    resp = C.ResponseInfo(400, {"content-type": "application/json"}, b'{"error": {"type": "x"}}')
    record = example_record(C.Failure("expected_error", "m", request=req, response=resp), SETTINGS)
    text = json.dumps(record)
    # 4111111111111111 passes Luhn and is no Stripe test number: never shown in full
    assert "4111111111111111" not in text
    # a published test number (and its CVC) is public test data: shown, so the line replays
    assert "4000056655665556" in record["request"]["curl"]


@pytest.mark.parametrize("offset", range(288, 300))
def test_a_pan_cut_by_truncation_does_not_leak_its_digits(offset: int) -> None:
    # the report shows 2000 characters of a non-JSON answer
    pan = "4111111111111111"
    text = "x" * (offset + 2000 - 300) + pan + " tail"
    resp = C.ResponseInfo(200, {"content-type": "text/plain"}, text.encode())
    req = C.RequestInfo("GET", "http://x/v1/tokens/tok_1", {}, None)
    out = json.dumps(
        example_record(C.Failure("responds", "broken", request=req, response=resp), SETTINGS)
    )
    assert pan[:8] not in out, offset


def test_checks_register_with_schemathesis_and_judge_its_cases() -> None:
    import schemathesis
    from contracttk.plugins.schemathesis_checks import register

    from contracttk.schemas import openapi_document

    warnings: list[Any] = []
    handle = register(warning_sink=warnings.append)
    funcs = handle.checks
    assert {f.__name__ for f in funcs} >= {"contracttk_no_secret_echo", "contracttk_expected_error"}
    # a second registration keeps its own sink (none is silently ignored)
    other: list[Any] = []
    second = register(warning_sink=other.append)
    assert second.sink is not handle.sink
    second.close()
    schema = schemathesis.openapi.from_dict(openapi_document())
    schema.app = create_app()
    schema.config.update(base_url="http://testserver")
    op = schema["/v1/tokens"]["POST"]
    case = op.Case(body=sample_params("card"), media_type="application/x-www-form-urlencoded")
    response = case.call(headers={"Authorization": f"Bearer {KEY}"})
    # the Stripe serializer: bracket paths, as Stripe's own clients send them
    assert b"card%5Bnumber%5D=4242424242424242" in response.request.body
    assert response.status_code == 200
    for fn in funcs:
        fn(None, response, case)  # no AssertionError: the answer conforms
    # (operations bind the app when first fetched: a new schema for the broken server)
    schema = schemathesis.openapi.from_dict(openapi_document())
    schema.app = create_app(service_cls=_RefusesEverything)
    schema.config.update(base_url="http://testserver")
    case = schema["/v1/tokens"]["POST"].Case(
        body=sample_params("card"), media_type="application/x-www-form-urlencoded"
    )
    refused = case.call(headers={"Authorization": f"Bearer {KEY}"})
    assert refused.status_code == 400
    with pytest.raises(AssertionError, match="positive_acceptance"):
        for fn in funcs:
            fn(None, refused, case)
    handle.close()


def test_schemathesis_cases_under_a_base_path_are_judged_too() -> None:
    # A user's schema served under /api: the checks read routes below the base path, so a
    # refused valid card is still a positive_acceptance failure (not "no create seen").
    import schemathesis
    from contracttk.plugins.schemathesis_checks import register

    from contracttk.schemas import openapi_document

    inner = create_app(service_cls=_RefusesEverything)

    async def mounted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "path": scope["path"].removeprefix("/api")}
        await inner(scope, receive, send)

    handle = register()
    schema = schemathesis.openapi.from_dict(openapi_document())
    schema.app = mounted
    schema.config.update(base_url="http://testserver/api")
    case = schema["/v1/tokens"]["POST"].Case(
        body=sample_params("card"), media_type="application/x-www-form-urlencoded"
    )
    refused = case.call(headers={"Authorization": f"Bearer {KEY}"})
    assert refused.status_code == 400 and refused.request.url.endswith("/api/v1/tokens")
    try:
        with pytest.raises(AssertionError, match="positive_acceptance"):
            for fn in handle.checks:
                fn(None, refused, case)
    finally:
        handle.close()


class _RefusesEverything(TokenService):
    """A broken server: every create is refused with a 400."""

    def validate(self, params: Any, key: Any) -> str:
        raise ApiError(malformed_body("refusing everything"))


@pytest.mark.parametrize(
    "body",
    [
        b"account=&V%7CMiv%7B%26kTHV%60%7D_Y=",  # found by a fuzz run: a symbol-laden name
        b'{"card": {"number": "4242424242424242", "cvc": "123"}}',  # JSON posted as a form
        b"card=&4242424242424242=1",
    ],
)
def test_the_reference_server_hiding_a_value_like_name_is_no_failure(
    client: Any, body: bytes
) -> None:
    # Stripe's answers are seen quoting plain names only; for a name that looks like a value
    # the param is not established, so the reference server may keep it out of its answer.
    req, resp = call(client, "POST", "/v1/tokens", body)
    failures, _ = C.judge(req, resp)
    assert [f.message for f in failures if not f.is_warning] == []
    assert resp.status == 400 and "4242424242424242" not in resp.text


def test_a_plain_unknown_name_must_still_be_named_in_param() -> None:
    from contracttk.contract import evaluate_create

    ev = evaluate_create({**sample_params("card"), "currency": "usd"})
    [finding] = [f for f in ev.findings if f.violation == "request:unknown_param"]
    assert finding.error.param == "currency" and "param" in finding.error.hard
