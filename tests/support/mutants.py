"""Deliberately broken variants of the reference server: the conformance suite must catch each.

Every mutant is a :class:`~contracttk.server.TokenService` subclass that changes ONE step of
the reference implementation, in a way a real implementation could plausibly get wrong. Its
docstring names the fault and the check expected to catch it; ``CATCHES`` lists the check
names (from ``contracttk.plugins.checks``) of which at least one must report a hard failure
when ``contracttk fuzz`` runs with its default settings against the mutant (the first one
named is the check aimed at; later ones are equally right consequences of the same fault,
e.g. a token missing from a replay is also a retrieve mismatch). ``AREA`` groups mutants
for the report: validation, semantics, secrets, auth, retrieval, idempotency, errors, crash.

No mutant hand-writes a rule, a field or an expected error: the accepted/refused decision
comes from the same oracle the reference server asks (a mutant only ignores one finding),
the rendered fields from the same renderer (a mutant only changes one of them afterwards).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from contracttk.contract import (
    KIND_NAMES,
    ApiKey,
    ExpectedError,
    Finding,
    evaluate_create,
    get_kind,
    invalid_api_key,
    key_from_authorization,
    sensitive_values,
)
from contracttk.contract.domain import detect_brand
from contracttk.defaults import DEFAULT_SECRET_KEY
from contracttk.server import ApiError, Request, Response, TokenService

__all__ = ["ALL_MUTANTS", "Mutant", "mutant_by_name"]


class Mutant(TokenService):
    """Base of every mutant: the fault's description and the checks expected to catch it."""

    AREA: ClassVar[str] = ""
    CATCHES: ClassVar[tuple[str, ...]] = ()

    def validate_except(
        self, params: Mapping[str, Any], key: ApiKey, ignore: Callable[[Finding], bool]
    ) -> str:
        """Validate like the reference server but act as if findings matching ``ignore`` were
        not there (the way a server that forgot one rule behaves)."""
        evaluation = evaluate_create(params, key=key, today=self.today())
        remaining = [f for f in evaluation.findings if not ignore(f)]
        if remaining:
            raise ApiError(remaining[0].error)
        if evaluation.kind is None:
            # Nothing left to complain about but no kind either: answer what the oracle said.
            assert evaluation.first is not None
            raise ApiError(evaluation.first.error)
        return evaluation.kind


def _code_is(*codes: str) -> Callable[[Finding], bool]:
    return lambda f: f.error.code in codes


def _named(*names: str) -> Callable[[Finding], bool]:
    return lambda f: f.violation in names


def _retitle(expected: ExpectedError, **changes: Any) -> ExpectedError:
    return dataclasses.replace(expected, **changes)


def _kind_of(token: Mapping[str, Any]) -> str:
    return str(token.get("type"))


# --- validation: a rule the server forgot ---------------------------------------------------


class AcceptsLuhnInvalid(Mutant):
    """Card numbers that fail the Luhn checksum are tokenized (the check digit is never
    verified). Caught by ``expected_error`` (must reject: 402 incorrect_number, hard)."""

    AREA = "validation"
    CATCHES = ("expected_error",)

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        return self.validate_except(params, key, _named("card[number]:luhn"))


class AcceptsUnknownParams(Mutant):
    """Unknown keys (top-level or nested) are silently ignored instead of refused with 400
    parameter_unknown. Caught by ``expected_error``."""

    AREA = "validation"
    CATCHES = ("expected_error",)

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        return self.validate_except(params, key, _code_is("parameter_unknown"))


class AcceptsEmptyStrings(Mutant):
    """Empty strings are taken as "no value" and the request goes through, instead of 400
    parameter_invalid_empty. Caught by ``expected_error``."""

    AREA = "validation"
    CATCHES = ("expected_error",)

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        return self.validate_except(params, key, _code_is("parameter_invalid_empty"))


class AcceptsMonth13(Mutant):
    """Expiry months outside 1-12 (0, 13, 99) are accepted: only "is it a number" is
    checked. Caught by ``expected_error`` (402 invalid_expiry_month, hard)."""

    AREA = "validation"
    CATCHES = ("expected_error",)

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        return self.validate_except(params, key, _named("card[exp_month]:out_of_range"))


class AcceptsPastYears(Mutant):
    """Expiry years in the past are accepted (no comparison with today). Caught by
    ``expected_error`` (402 invalid_expiry_year, hard)."""

    AREA = "validation"
    CATCHES = ("expected_error",)

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        return self.validate_except(params, key, _named("card[exp_year]:past"))


class AcceptsMissingRequired(Mutant):
    """Required parameters are not enforced (a missing card[exp_year] becomes "no expiry").
    Caught by ``expected_error`` (400 parameter_missing, hard for card/bank fields)."""

    AREA = "validation"
    CATCHES = ("expected_error",)

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        return self.validate_except(params, key, _code_is("parameter_missing"))


# --- error shapes: the right rejection, the wrong answer ------------------------------------


class CardErrorAs400(Mutant):
    """Card errors (incorrect_number, invalid_expiry_*, invalid_cvc) answer 400 instead of
    402. Caught by ``expected_error`` (status is hard)."""

    AREA = "errors"
    CATCHES = ("expected_error",)

    def error_response(self, expected: ExpectedError) -> Response:
        if expected.type == "card_error":
            expected = _retitle(expected, status=400)
        return super().error_response(expected)


class CardErrorBracketParam(Mutant):
    """Card errors name the parameter by its bracket path (``card[number]``) instead of
    Stripe's bare field name (``number``). Caught by ``expected_error`` (param is hard)."""

    AREA = "errors"
    CATCHES = ("expected_error",)

    def error_response(self, expected: ExpectedError) -> Response:
        if expected.type == "card_error" and expected.param:
            expected = _retitle(expected, param=f"card[{expected.param}]")
        return super().error_response(expected)


class MissingCodeOnParameterMissing(Mutant):
    """400 for a missing parameter carries no ``code`` (only a message). Caught by
    ``expected_error`` (code parameter_missing is hard for card/bank fields)."""

    AREA = "errors"
    CATCHES = ("expected_error",)

    def error_response(self, expected: ExpectedError) -> Response:
        if expected.code == "parameter_missing":
            expected = _retitle(expected, code=None)
        return super().error_response(expected)


class ErrorEnvelopeWithoutType(Mutant):
    """Error bodies carry ``message``/``code``/``param`` but no ``type``. Caught by
    ``error_envelope`` (and ``expected_error``, where type is hard)."""

    AREA = "errors"
    CATCHES = ("error_envelope", "expected_error", "response_schema")

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
    CATCHES = ("error_envelope",)

    def error_response(self, expected: ExpectedError) -> Response:
        if expected.type != "card_error":
            return super().error_response(expected)
        text = expected.message or expected.type
        return Response(expected.status, text.encode("utf-8"))


# --- token semantics: the token object is wrong ---------------------------------------------


class _RenderMutant(Mutant):
    """A mutant that edits the reference token after it is rendered."""

    def render_token(self, kind: str, params: Mapping[str, Any], key: ApiKey) -> dict[str, Any]:
        token = super().render_token(kind, params, key)
        self.alter(token, kind, params)
        return token

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        """Change ``token`` in place (subclasses)."""


class _WrongPrefix(_RenderMutant):
    """Base: tokens of ``KIND`` get the card prefix ``tok_``-style id of another kind."""

    KIND: ClassVar[str] = ""
    PREFIX: ClassVar[str] = "tok_"

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        if kind == self.KIND:
            good = get_kind(kind).id_prefixes[0]
            token["id"] = self.PREFIX + token["id"][len(good) :]


class WrongPrefixPii(_WrongPrefix):
    """PII tokens get ``tok_`` ids instead of ``pii_`` (one id generator for every kind).
    Caught by ``token_semantics`` (id prefix, hard)."""

    AREA = "semantics"
    CATCHES = ("token_semantics",)
    KIND = "pii"


class WrongPrefixAccount(_WrongPrefix):
    """Account tokens get ``tok_`` ids instead of ``ct_``. Caught by ``token_semantics``."""

    AREA = "semantics"
    CATCHES = ("token_semantics",)
    KIND = "account"


class WrongPrefixPerson(_WrongPrefix):
    """Person tokens get ``ct_`` ids (the account token's prefix) instead of ``cpt_``.
    Caught by ``token_semantics``."""

    AREA = "semantics"
    CATCHES = ("token_semantics",)
    KIND = "person"
    PREFIX = "ct_"


class WrongPrefixCvcUpdate(_WrongPrefix):
    """CVC-update tokens get ``cvc_`` ids instead of ``cvctok_``. Caught by
    ``token_semantics``."""

    AREA = "semantics"
    CATCHES = ("token_semantics",)
    KIND = "cvc_update"
    PREFIX = "cvc_"


class WrongPrefixBankAccount(_WrongPrefix):
    """Bank-account tokens get ``ba_`` ids (the embedded bank account's prefix) instead of
    ``btok_``/``tok_``. Caught by ``token_semantics``."""

    AREA = "semantics"
    CATCHES = ("token_semantics",)
    KIND = "bank_account"
    PREFIX = "ba_"


class Last4FirstDigits(_RenderMutant):
    """``card.last4`` holds the first four digits of the number (a slice the wrong way).
    Caught by ``token_semantics`` (last4, hard)."""

    AREA = "semantics"
    CATCHES = ("token_semantics",)

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        if kind == "card":
            token["card"]["last4"] = str(params["card"]["number"])[:4]


class ExpYearNotNormalised(_RenderMutant):
    """``card.exp_year`` is the integer as sent: a two-digit ``31`` stays 31 instead of
    2031. Caught by ``token_semantics`` (four-digit exp_year, hard)."""

    AREA = "semantics"
    CATCHES = ("token_semantics",)

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        if kind == "card":
            token["card"]["exp_year"] = int(str(params["card"]["exp_year"]))


class AmexBrandWrong(_RenderMutant):
    """American Express cards get the brand ``amex`` (the internal enum) instead of the
    display name ``American Express``. Caught by ``token_semantics`` (brand of a test card
    is hard; by BIN a warning)."""

    AREA = "semantics"
    CATCHES = ("token_semantics",)

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        brand = detect_brand(str(params["card"]["number"])) if kind == "card" else None
        if brand is not None and brand.key == "amex":
            token["card"]["brand"] = "amex"


class LivemodeAlwaysTrue(_RenderMutant):
    """``livemode`` is hard-coded to true (copied from a live fixture) whatever the key.
    Caught by ``token_semantics`` (livemode follows the key, hard)."""

    AREA = "semantics"
    CATCHES = ("token_semantics",)

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        token["livemode"] = True


class UsedTrue(_RenderMutant):
    """A fresh token says ``used: true``. Caught by ``token_semantics`` (hard)."""

    AREA = "semantics"
    CATCHES = ("token_semantics",)

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        token["used"] = True


class CardObjectOnEveryToken(_RenderMutant):
    """Every token object carries ``"card": null`` (one template for all kinds), e.g. a pii
    token. Caught by ``token_semantics`` (only the kind's own object, hard)."""

    AREA = "semantics"
    CATCHES = ("token_semantics", "response_schema")

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        token.setdefault("card", None)


# --- secrets: something sensitive comes back ------------------------------------------------


class EchoesPan(_RenderMutant):
    """The embedded card object carries the full card ``number``. Caught by
    ``no_secret_echo``."""

    AREA = "secrets"
    CATCHES = ("no_secret_echo",)

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        if kind == "card":
            token["card"]["number"] = str(params["card"]["number"])


class EchoesCvc(_RenderMutant):
    """The embedded card object carries the ``cvc`` that was sent. Caught by
    ``no_secret_echo``."""

    AREA = "secrets"
    CATCHES = ("no_secret_echo",)

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        if kind == "card" and "cvc" in params["card"]:
            token["card"]["cvc"] = str(params["card"]["cvc"])


class EchoesAccountNumber(_RenderMutant):
    """The embedded bank account carries the full ``account_number``. Caught by
    ``no_secret_echo``."""

    AREA = "secrets"
    CATCHES = ("no_secret_echo",)

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        if kind == "bank_account":
            token["bank_account"]["account_number"] = str(params["bank_account"]["account_number"])


class IdNumberInErrorMessage(Mutant):
    """Error messages quote the request's ID number ("... for id_number 123456789") when
    the payload carries one (pii / person / account tokens). Caught by ``no_secret_echo``."""

    AREA = "secrets"
    CATCHES = ("no_secret_echo",)

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        try:
            return super().validate(params, key)
        except ApiError as err:
            kinds = [k for k in KIND_NAMES if k in params]
            numbers = [
                value
                for kind in kinds
                for path, value in sensitive_values(kind, params)
                if path.endswith("[id_number]")
            ]
            if not numbers:
                raise
            message = f"{err.expected.message} (request for id_number {numbers[0]})"
            raise ApiError(_retitle(err.expected, message=message)) from None


class FullKeyIn401(Mutant):
    """The 401 for an unknown key prints the whole key instead of ``sk_test_****1234``.
    Caught by ``no_secret_echo`` (the API key comes back) or ``auth_bad_key``."""

    AREA = "auth"
    CATCHES = ("no_secret_echo", "auth_bad_key")

    def authenticate(self, request: Request) -> ApiKey:
        raw = key_from_authorization(request.headers.get("authorization"))
        if raw is not None and raw not in self.keys:
            raise ApiError(invalid_api_key(raw))
        return super().authenticate(request)


# --- auth ---------------------------------------------------------------------------------------


class AcceptsAnonymous(Mutant):
    """A request without any API key is served as if the default test secret key had been
    sent (a dev-mode fallback left on). Caught by ``auth_no_key`` (401, hard)."""

    AREA = "auth"
    CATCHES = ("auth_no_key",)

    def authenticate(self, request: Request) -> ApiKey:
        if key_from_authorization(request.headers.get("authorization")) is None:
            return self.keys[DEFAULT_SECRET_KEY]
        return super().authenticate(request)


class AcceptsAnyTestKey(Mutant):
    """Any well-formed ``sk_test_``/``pk_test_`` key is accepted, known or not (only the
    shape is checked). Caught by ``auth_bad_key`` (401, hard)."""

    AREA = "auth"
    CATCHES = ("auth_bad_key",)

    def authenticate(self, request: Request) -> ApiKey:
        from contracttk.contract import parse_key

        raw = key_from_authorization(request.headers.get("authorization"))
        parsed = parse_key(raw) if raw else None
        if parsed is not None and not parsed.livemode:
            return parsed
        return super().authenticate(request)


# --- retrieval ----------------------------------------------------------------------------------


class RetrieveDropsEmbeddedObject(Mutant):
    """``GET /v1/tokens/{id}`` returns the token without its embedded ``card`` /
    ``bank_account`` (a list-view serializer reused for retrieve). Caught by
    ``retrieve_consistency``."""

    AREA = "retrieval"
    CATCHES = ("retrieve_consistency",)

    def load(self, token_id: str, key: ApiKey) -> str | None:
        text = super().load(token_id, key)
        if text is None:
            return None
        token = json.loads(text)
        token.pop("card", None)
        token.pop("bank_account", None)
        return self.dump(token)


class UnknownIdReturnsStub(Mutant):
    """An unknown token id answers 200 with a stub ``{"id": ..., "object": "token"}``
    instead of 404 resource_missing. Caught by ``retrieve_unknown_id``."""

    AREA = "retrieval"
    CATCHES = ("retrieve_unknown_id",)

    def load(self, token_id: str, key: ApiKey) -> str | None:
        text = super().load(token_id, key)
        if text is None:
            return self.dump({"id": token_id, "object": "token", "livemode": key.livemode})
        return text


class UnknownIdCrashes(Mutant):
    """An unknown token id raises ``KeyError`` (dictionary lookup without a default), so
    the server answers 500. Caught by ``retrieve_unknown_id`` / ``not_a_server_error``."""

    AREA = "retrieval"
    CATCHES = ("retrieve_unknown_id", "not_a_server_error")

    def load(self, token_id: str, key: ApiKey) -> str | None:
        text = super().load(token_id, key)
        if text is None:
            raise KeyError(token_id)
        return text


class DuplicateIds(Mutant):
    """Token ids come from the clock's seconds (``tok_`` + Unix time, zero padded), so two
    tokens made in one second share an id, and storage keeps the first (``INSERT OR
    IGNORE``). Caught by ``unique_ids`` (or ``retrieve_consistency``: the second token
    retrieves as the first)."""

    AREA = "retrieval"
    CATCHES = ("unique_ids", "retrieve_consistency")

    def new_id(self, prefix: str) -> str:
        return prefix + f"{int(time.time()):024d}"

    def store(
        self, token_id: str, key: ApiKey, text: str, idempotency: tuple[str, bytes] | None
    ) -> None:
        if self.db.get_token(token_id, key.livemode) is not None:
            return
        super().store(token_id, key, text, idempotency)


# --- idempotency --------------------------------------------------------------------------------


class IdempotencyReplayCreatesNew(Mutant):
    """A retry with the same Idempotency-Key and parameters mints a new token instead of
    replaying the first answer (the key is recorded but never looked up for replays).
    Caught by ``idempotency_replay``."""

    AREA = "idempotency"
    CATCHES = ("idempotency_replay",)

    def idempotency_lookup(self, key: ApiKey, idem_key: str, digest: bytes) -> Response | None:
        record = self.db.get_idempotency(key.livemode, idem_key)
        if record is not None and record.params_hash == digest:
            return None
        return super().idempotency_lookup(key, idem_key, digest)

    def store(
        self, token_id: str, key: ApiKey, text: str, idempotency: tuple[str, bytes] | None
    ) -> None:
        # The first record stays; later tokens of the same key are stored without one.
        if idempotency is not None and self.db.get_idempotency(key.livemode, idempotency[0]):
            idempotency = None
        super().store(token_id, key, text, idempotency)


class IdempotencyMismatchIgnored(Mutant):
    """Reusing an Idempotency-Key with different parameters replays the first answer
    instead of 400 idempotency_error (the parameters are not compared). Caught by
    ``idempotency_mismatch``."""

    AREA = "idempotency"
    CATCHES = ("idempotency_mismatch",)

    def idempotency_lookup(self, key: ApiKey, idem_key: str, digest: bytes) -> Response | None:
        record = self.db.get_idempotency(key.livemode, idem_key)
        if record is None:
            return None
        return Response(
            record.status,
            record.body.encode("utf-8"),
            [("idempotent-replayed", "true"), ("idempotency-key", idem_key)],
        )


class ReplayWithoutHeader(Mutant):
    """Replays are byte-identical but lack ``Idempotent-Replayed: true``. Caught by
    ``idempotency_replayed_header``."""

    AREA = "idempotency"
    CATCHES = ("idempotency_replayed_header",)

    def idempotency_lookup(self, key: ApiKey, idem_key: str, digest: bytes) -> Response | None:
        response = super().idempotency_lookup(key, idem_key, digest)
        if response is not None:
            response.headers = [h for h in response.headers if h[0] != "idempotent-replayed"]
        return response


# --- crashes ------------------------------------------------------------------------------------


class CrashOnNonAsciiName(Mutant):
    """Non-ASCII text in the cardholder's name or billing address (``José``, ``Jäggi``,
    ``斉藤``) crashes the server (it is encoded to ASCII for a legacy processor field), so
    it answers 500. Caught by ``not_a_server_error``."""

    AREA = "crash"
    CATCHES = ("not_a_server_error",)

    def render_token(self, kind: str, params: Mapping[str, Any], key: ApiKey) -> dict[str, Any]:
        card = params.get("card")
        if kind == "card" and isinstance(card, Mapping):
            for name, value in card.items():
                if name == "name" or name.startswith("address_"):
                    str(value).encode("ascii")
        return super().render_token(kind, params, key)


class CrashOnDob(Mutant):
    """A date of birth (``account[individual][dob]``, ``person[dob]``) is assumed to be an
    ISO string and split on ``-``; Stripe's ``dob[day]``/``dob[month]``/``dob[year]`` hash
    raises ``AttributeError`` and the server answers 500. Caught by ``not_a_server_error``."""

    AREA = "crash"
    CATCHES = ("not_a_server_error",)

    def render_token(self, kind: str, params: Mapping[str, Any], key: ApiKey) -> dict[str, Any]:
        root = params.get(kind)
        holder = root.get("individual") if kind == "account" and isinstance(root, Mapping) else root
        dob: Any = holder.get("dob") if isinstance(holder, Mapping) else None
        if dob is not None:
            dob.split("-")
        return super().render_token(kind, params, key)


ALL_MUTANTS: tuple[type[Mutant], ...] = tuple(
    cls
    for cls in list(globals().values())
    if isinstance(cls, type)
    and issubclass(cls, Mutant)
    and cls.CATCHES
    and not cls.__name__.startswith("_")
)


def mutant_by_name(name: str) -> type[Mutant]:
    """The mutant class called ``name`` (KeyError when there is none)."""
    return {cls.__name__: cls for cls in ALL_MUTANTS}[name]
