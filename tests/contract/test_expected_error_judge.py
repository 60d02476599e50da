"""``ExpectedError.judge`` / ``matches`` / alternatives, against real response objects.

Expectations are written by hand; the responses are real ``requests`` and Werkzeug response
objects (the duck typing is the thing under test, so no stand-ins).
"""

from __future__ import annotations

import json

import pytest
import requests
from werkzeug.wrappers import Response as WerkzeugResponse

from contracttk.contract import ExpectedError, Judgement, Strength

MISSING = ExpectedError(
    400,
    "invalid_request_error",
    "parameter_missing",
    "card[number]",
    "Missing required param: card[number].",
    basis="[DOC: changelog] [ISSUE: x/y#1]",
).with_strength(hard="status type code", warn="param")

GOOD = {
    "error": {
        "type": "invalid_request_error",
        "code": "parameter_missing",
        "param": "card[number]",
        "message": "Missing required param: card[number].",
    }
}


def _requests_response(
    status: int, body: bytes, content_type: str = "application/json"
) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = body
    r.headers["Content-Type"] = content_type
    return r


def test_judge_a_right_answer() -> None:
    j = MISSING.judge(400, GOOD)
    assert j == Judgement(True, (), ())
    assert j and str(j) == "ok"


def test_judge_splits_hard_and_warning_mismatches() -> None:
    body = {
        "error": {"type": "invalid_request_error", "code": "parameter_unknown", "param": "number"}
    }
    j = MISSING.judge(400, body)
    assert not j.ok and not j
    assert j.failures == (
        "code: expected 'parameter_missing', got 'parameter_unknown' [[DOC: changelog] [ISSUE: x/y#1]]",
    )
    assert j.warnings == (
        "param: expected 'card[number]', got 'number' [[DOC: changelog] [ISSUE: x/y#1]]",
    )
    assert "failure: code" in str(j) and "warning: param" in str(j)


def test_judge_only_warnings_is_ok() -> None:
    body = {"error": {"type": "invalid_request_error", "code": "parameter_missing", "param": "x"}}
    j = MISSING.judge(400, body)
    assert j.ok and j.failures == () and len(j.warnings) == 1


@pytest.mark.parametrize(
    ("reject", "ok", "n_fail", "n_warn"),
    [
        (Strength.HARD, False, 1, 0),
        (Strength.WARNING, True, 0, 1),
        (Strength.NOT_ASSERTED, True, 0, 0),
    ],
)
def test_a_2xx_is_judged_by_reject(reject: Strength, ok: bool, n_fail: int, n_warn: int) -> None:
    e = MISSING.with_strength(hard="status", reject=reject)
    j = e.judge(200, {"id": "tok_1", "object": "token"})
    assert (j.ok, len(j.failures), len(j.warnings)) == (ok, n_fail, n_warn)
    if n_fail:
        assert j.failures[0].startswith("expected 400 invalid_request_error, got 200")


def test_matches_a_requests_response() -> None:
    assert MISSING.matches(_requests_response(400, json.dumps(GOOD).encode())).ok
    bad = _requests_response(402, json.dumps(GOOD).encode())
    j = MISSING.matches(bad)
    assert j.failures == ("status: expected 400, got 402 [[DOC: changelog] [ISSUE: x/y#1]]",)


def test_matches_a_werkzeug_response() -> None:
    r = WerkzeugResponse(json.dumps(GOOD), status=400, mimetype="application/json")
    assert MISSING.matches(r).ok
    # Served with a wrong content type: still read as JSON.
    r2 = WerkzeugResponse(json.dumps(GOOD), status=400, mimetype="text/plain")
    assert MISSING.matches(r2).ok


def test_matches_a_tuple_with_any_body_form() -> None:
    assert MISSING.matches((400, GOOD)).ok
    assert MISSING.matches((400, json.dumps(GOOD))).ok
    assert MISSING.matches((400, json.dumps(GOOD).encode())).ok


def test_a_body_that_is_not_json_is_no_error_body() -> None:
    for response in (
        (400, b"<html>oops</html>"),
        (400, b"\xff\xfe"),
        _requests_response(400, b"not json", "text/plain"),
        WerkzeugResponse("not json", status=400),
    ):
        j = MISSING.matches(response)
        assert not j.ok
        assert any(
            f.startswith("type: expected 'invalid_request_error', got None") for f in j.failures
        )


@pytest.mark.parametrize("thing", [object(), (400,), ("400", {}), (True, {}), 400, None])
def test_matches_refuses_what_it_cannot_read(thing: object) -> None:
    with pytest.raises(TypeError):
        MISSING.matches(thing)


# --- alternatives ----------------------------------------------------------------------------------

NEW = ExpectedError(
    400,
    "invalid_request_error",
    "parameter_invalid_empty",
    "bank_account[routing_number]",
    basis="[ISSUE: new#2]",
).with_strength(hard="status type code param")
OLD = ExpectedError(
    400, "invalid_request_error", None, "bank_account", "Invalid bic", basis="[ISSUE: old#1]"
).with_strength(hard="status type param")
EITHER = NEW.or_else(OLD)


def _err(code: str | None, param: str) -> dict[str, object]:
    err: dict[str, object] = {"type": "invalid_request_error", "param": param}
    if code:
        err["code"] = code
    return {"error": err}


def test_either_era_passes() -> None:
    assert (
        EITHER.mismatches(400, _err("parameter_invalid_empty", "bank_account[routing_number]"))
        == []
    )
    assert EITHER.mismatches(400, _err(None, "bank_account")) == []
    assert EITHER.judge(400, _err(None, "bank_account")).ok


def test_neither_era_is_judged_against_the_closest() -> None:
    # Closest: the old answer (only its param differs); the new one misses code and param.
    misses = EITHER.mismatches(400, _err(None, "bank_account[country]"))
    assert misses == [
        ("param", Strength.HARD, "param: expected 'bank_account', got 'bank_account[country]'")
    ]
    j = EITHER.judge(400, _err(None, "bank_account[country]"))
    assert j.failures == (
        "param: expected 'bank_account', got 'bank_account[country]' [[ISSUE: old#1]]",
    )


def test_alternatives_are_flat_and_part_of_the_json_record() -> None:
    nested = NEW.or_else(OLD.or_else(NEW))
    assert nested.alternatives[0].alternatives == ()
    record = EITHER.to_json()
    assert record["error"] == {
        "type": "invalid_request_error",
        "code": "parameter_invalid_empty",
        "param": "bank_account[routing_number]",
    }
    assert record["also_acceptable"] == [
        {
            "status": 400,
            "error": {"type": "invalid_request_error", "param": "bank_account"},
            "strength": "hard",
        }
    ]
    assert "also_acceptable" not in NEW.to_json()
