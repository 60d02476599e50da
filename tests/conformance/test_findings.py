"""Findings: one root cause is one finding, cascades collapse, examples differ and reproduce.

Every test runs real suite items in-process against a reference server broken in one
known way, then checks the findings the run reports (not the grouping code's own view of
a hand-made input).
"""

from __future__ import annotations

from typing import Any

from contracttk.conformance.session import RunState
from contracttk.conformance.settings import resolve
from contracttk.contract import ExpectedError
from contracttk.server import ApiError, TokenService, create_app


def run(service: type[TokenService], items: list[str], **raw: Any) -> dict[str, Any]:
    """Run ``items`` against ``service`` in-process; the report document."""
    settings = resolve({"url": "http://testserver", "seed": 11, "max_examples": 8, **raw})
    state = RunState(settings, app=create_app(service_cls=service))
    for name in items:
        result, record = state.run_item(name)
        state.add_record(name, record, "failed" if result.hard else "passed", 0.0)
    return state.finish()


class NoBankAccounts(TokenService):
    """Does not implement bank_account tokens at all."""

    def validate(self, params: Any, key: Any) -> str:
        if "bank_account" in params:
            raise ApiError(
                ExpectedError(
                    400, "invalid_request_error", "parameter_unknown", "bank_account", "nope"
                )
            )
        return super().validate(params, key)


def test_a_kind_the_target_lacks_is_one_finding_that_blocks_the_rest() -> None:
    doc = run(NoBankAccounts, ["bank_account::valid", "bank_account::invalid", "card::valid"])
    kind = [f for f in doc["findings"] if f["check"] == "kind_support"]
    assert len(kind) == 1 and "does not support bank_account tokens" in kind[0]["title"]
    assert kind[0]["blocked"] > 20  # the field-by-field mismatches, counted, not listed
    others = [f for f in doc["findings"] if f is not kind[0] and "bank_account" in f["kinds"]]
    assert others == [], [f["title"] for f in others]
    assert doc["status"] == "completed"  # cards still work: a conformance run


class EmptyStringsAre422(TokenService):
    """Answers every empty string with 422 parameter_invalid_blank instead of Stripe's 400."""

    def validate(self, params: Any, key: Any) -> str:
        try:
            return super().validate(params, key)
        except ApiError as err:
            if err.expected.code == "parameter_invalid_empty":
                raise ApiError(
                    ExpectedError(
                        422,
                        "invalid_request_error",
                        "parameter_invalid_blank",
                        err.expected.param,
                        "blank",
                    )
                ) from None
            raise


def test_one_rule_broken_on_many_parameters_is_one_finding() -> None:
    doc = run(EmptyStringsAre422, ["card::invalid", "person::invalid", "account::invalid"])
    empty = [f for f in doc["findings"] if f["family"] == "empty"]
    statuses = {(f["answer"]["status"], f["answer"]["code"]) for f in empty}
    # one behaviour per observed answer: 422 parameter_invalid_blank, never merged with others
    assert (422, "parameter_invalid_blank") in statuses
    blank = [f for f in empty if f["answer"]["code"] == "parameter_invalid_blank"]
    # the status and the code differ from Stripe's: two causes at most (status, code fields)
    assert 1 <= len(blank) <= 3, [f["title"] for f in blank]
    widest = max(blank, key=lambda f: len(f["parameters"]))
    assert len(widest["parameters"]) > 20 and len(widest["kinds"]) == 3
    assert "400 invalid_request_error parameter_invalid_empty" in widest["title"]
    # up to three examples, chosen to differ by kind first
    kinds = [ex["kind"] for ex in widest["examples"]]
    assert len(kinds) == 3 and len(set(kinds)) == 3


class Refuses19DigitCards(TokenService):
    """Refuses UnionPay's 19-digit test card (a valid payload) with a 402."""

    def validate(self, params: Any, key: Any) -> str:
        card = params.get("card")
        if isinstance(card, dict) and len(str(card.get("number", ""))) == 19:
            raise ApiError(ExpectedError(402, "card_error", "invalid_number", "number", "bad"))
        return super().validate(params, key)


def test_different_answers_are_never_merged_and_examples_are_minimised() -> None:
    doc = run(Refuses19DigitCards, ["card::valid"])
    refused = [f for f in doc["findings"] if f["check"] == "positive_acceptance"]
    assert len(refused) == 1 and refused[0]["answer"]["status"] == 402
    example = refused[0]["examples"][0]
    params = example["request"]["params"]["card"]
    assert len(params["number"]) == 19  # a published test number: shown in full
    # minimised: what the refusal does not need is dropped
    assert set(params) <= {"number", "exp_month", "exp_year", "cvc"}, params
    assert example["request"]["replayable"] is True


class PublishableKeyRefused(TokenService):
    """Knows only the secret key: every publishable-key request gets 401."""

    def authenticate(self, request: Any) -> Any:
        key = super().authenticate(request)
        if key is not None and key.role == "publishable":
            from contracttk.contract import invalid_api_key

            raise ApiError(invalid_api_key(key.masked))
        return key


def test_a_refused_key_is_one_finding_not_a_401_under_every_check() -> None:
    doc = run(PublishableKeyRefused, ["card::valid", "pii::valid", "card::invalid"])
    refused = [f for f in doc["findings"] if f["check"] == "key_refused"]
    assert len(refused) == 1 and "publishable key" in refused[0]["title"]
    assert refused[0]["blocked"] > 0
    other_401 = [f for f in doc["findings"] if f["answer"]["status"] == 401 and f is not refused[0]]
    assert other_401 == [], [f["title"] for f in other_401]


def test_the_reference_server_has_no_findings() -> None:
    doc = run(
        TokenService, ["card::valid", "card::invalid", "auth::bad_key", "idempotency::replay"]
    )
    assert doc["findings"] == [] and doc["status"] == "completed" and doc["exit_code"] == 0
