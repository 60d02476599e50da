"""Mutants of request handling: a validation rule forgotten, an error answered in the wrong shape,
valid payloads refused. See ``support.mutants`` for what every mutant promises."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracttk.contract import ApiKey, ExpectedError, get_violation
from contracttk.contract._errors import parameter_unknown
from contracttk.contract.domain import detect_brand
from contracttk.server import ApiError, Response

from .mutant_base import Fault, Mutant, code_is, named, retitle

# --- validation: a rule the server forgot ---------------------------------------------------


class AcceptsLuhnInvalid(Mutant):
    """Card numbers that fail the Luhn checksum are tokenized (the check digit is never
    verified). Caught by ``expected_error`` (must reject: 402 incorrect_number, hard)."""

    AREA = "validation"
    FAULT = Fault(
        "expected_error", ("card::invalid",), violation="card[number]:luhn", signature="accepted"
    )

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        return self.validate_except(params, key, named("card[number]:luhn"))


class AcceptsUnknownParams(Mutant):
    """Unknown keys (top-level or nested) are silently ignored instead of refused with 400
    parameter_unknown. Caught by ``expected_error``."""

    AREA = "validation"
    FAULT = Fault(
        "expected_error", ("card::invalid",), violation="*:unknown_param", signature="accepted"
    )

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        return self.validate_except(params, key, code_is("parameter_unknown"))


class AcceptsEmptyStrings(Mutant):
    """Empty strings are taken as "no value" and the request goes through, instead of 400
    parameter_invalid_empty. Caught by ``expected_error``."""

    AREA = "validation"
    FAULT = Fault(
        "expected_error",
        ("card::invalid",),
        violation="*:empty",
        signature="accepted",
        # An empty card[exp_year] taken as "no value" renders a token without one.
        also=("response_schema",),
    )

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        return self.validate_except(params, key, code_is("parameter_invalid_empty"))


class AcceptsMonth13(Mutant):
    """Expiry months outside 1-12 (0, 13, 99) are accepted: only "is it a number" is
    checked. Caught by ``expected_error`` (402 invalid_expiry_month, hard)."""

    AREA = "validation"
    FAULT = Fault(
        "expected_error",
        ("card::invalid",),
        violation="card[exp_month]:out_of_range",
        signature="accepted",
    )

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        return self.validate_except(params, key, named("card[exp_month]:out_of_range"))


class AcceptsPastYears(Mutant):
    """Expiry years in the past are accepted (no comparison with today). Caught by
    ``expected_error`` (402 invalid_expiry_year, hard)."""

    AREA = "validation"
    FAULT = Fault(
        "expected_error", ("card::invalid",), violation="card[exp_year]:past", signature="accepted"
    )

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        return self.validate_except(params, key, named("card[exp_year]:past"))


class AcceptsMissingRequired(Mutant):
    """Required parameters are not enforced (a missing card[exp_year] becomes "no expiry").
    Caught by ``expected_error`` (400 parameter_missing, hard for card/bank fields)."""

    AREA = "validation"
    FAULT = Fault(
        "expected_error",
        ("card::invalid",),
        violation="*:missing",
        signature="accepted",
        # A card without exp_year renders a token without one.
        also=("response_schema",),
    )

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        return self.validate_except(params, key, code_is("parameter_missing"))


# --- error shapes: the right rejection, the wrong answer ------------------------------------


class CardErrorAs400(Mutant):
    """Card errors (incorrect_number, invalid_expiry_*, invalid_cvc) answer 400 instead of
    402. Caught by ``expected_error`` (status is hard)."""

    AREA = "errors"
    FAULT = Fault(
        "expected_error",
        ("card::invalid",),
        signature="answer differs",
        message="status: expected",
        answer=(400, "card_error"),
    )

    def error_response(self, expected: ExpectedError) -> Response:
        if expected.type == "card_error":
            expected = retitle(expected, status=400)
        return super().error_response(expected)


class CardErrorBracketParam(Mutant):
    """Card errors name the parameter by its bracket path (``card[number]``) instead of
    Stripe's bare field name (``number``). Caught by ``expected_error`` (param is hard)."""

    AREA = "errors"
    FAULT = Fault(
        "expected_error",
        ("card::invalid",),
        signature="answer differs",
        message="param: expected",
        answer=(402, "card_error"),
    )

    def error_response(self, expected: ExpectedError) -> Response:
        if expected.type == "card_error" and expected.param:
            expected = retitle(expected, param=f"card[{expected.param}]")
        return super().error_response(expected)


class MissingCodeOnParameterMissing(Mutant):
    """400 for a missing parameter carries no ``code`` (only a message). Caught by
    ``expected_error`` (code parameter_missing is hard for card/bank fields)."""

    AREA = "errors"
    FAULT = Fault(
        "expected_error",
        ("card::invalid",),
        violation="*:missing",
        signature="answer differs",
        message="code: expected",
    )

    def error_response(self, expected: ExpectedError) -> Response:
        if expected.code == "parameter_missing":
            expected = retitle(expected, code=None)
        return super().error_response(expected)


class ErrorEnvelopeWithoutType(Mutant):
    """Error bodies carry ``message``/``code``/``param`` but no ``type``. Caught by
    ``error_envelope`` (and ``expected_error``, where type is hard)."""

    AREA = "errors"
    FAULT = Fault(
        "error_envelope",
        ("card::invalid",),
        signature='"error" has no string "type"',
        # The same missing field, seen by the oracle and by the error schema.
        also=("expected_error", "response_schema"),
    )

    def error_response(self, expected: ExpectedError) -> Response:
        body = expected.body()
        del body["error"]["type"]
        return Response(expected.status, self.dump(body).encode("utf-8"))


class ErrorBodyPlainText(Mutant):
    """Card errors (402) are answered by a separate code path as a plain sentence (``Your
    card number is incorrect.``) instead of the JSON error envelope; other errors stay JSON
    (so the target still looks like a JSON API). Caught by ``error_envelope`` (body is not
    JSON)."""

    AREA = "errors"
    FAULT = Fault(
        "error_envelope",
        ("card::invalid",),
        signature="body is not JSON",
        answer=(402, None),
        # No JSON body: the oracle cannot read the type, code or param either.
        also=("expected_error",),
    )

    def error_response(self, expected: ExpectedError) -> Response:
        if expected.type != "card_error":
            return super().error_response(expected)
        text = expected.message or expected.type
        return Response(expected.status, text.encode("utf-8"))


# --- acceptance: valid payloads refused --------------------------------------------------------


class RefusesBankAccounts(Mutant):
    """bank_account tokens were never implemented: the kind is refused as an unknown
    parameter (400 parameter_unknown, param ``bank_account``), the way localstripe answers
    "Unexpected bank_account". Caught by ``positive_acceptance`` (every valid bank_account
    payload refused) and reported as ONE ``kind_support`` finding ("does not support
    bank_account tokens") that every other failure of the kind is blocked by."""

    AREA = "acceptance"
    FAULT = Fault(
        "positive_acceptance",
        # card::valid: a kind that works, so the run stays a conformance run (exit 1, not 3).
        ("bank_account::valid", "bank_account::invalid", "card::valid"),
        signature="refused",
        kind="bank_account",
        answer=(400, "invalid_request_error"),
        message=r"parameter_unknown \(param bank_account\)",
        finding="kind_support",
    )

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        if "bank_account" in params:
            raise ApiError(parameter_unknown("bank_account", top_level=True))
        return super().validate(params, key)


class RefusesAmex(Mutant):
    """The gateway's card table lacks American Express, so every Amex number (15 digits,
    34/37) is answered as a number of the wrong length (402 invalid_number, param ``number``),
    though Stripe tokenizes Amex test cards. Caught by ``positive_acceptance``, naming the
    refused field; other brands still tokenize, so it is no ``kind_support`` finding."""

    AREA = "acceptance"
    FAULT = Fault(
        "positive_acceptance",
        ("card::valid",),
        signature="refused",
        kind="card",
        answer=(402, "card_error"),
        message=r"invalid_number \(param number\)",
    )

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        kind = super().validate(params, key)
        card = params.get("card")
        brand = detect_brand(str(card.get("number"))) if isinstance(card, Mapping) else None
        if brand is not None and brand.key == "amex":
            raise ApiError(get_violation("card[number]:wrong_length").expected)
        return kind
