"""Mutants of the token object: a field wrong, or something secret echoed back.
See ``support.mutants`` for what every mutant promises."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from contracttk.contract import KIND_NAMES, ApiKey, get_kind, sensitive_values
from contracttk.contract.domain import detect_brand
from contracttk.server import ApiError

from .mutant_base import Fault, Mutant, RenderMutant, retitle

# --- token semantics: the token object is wrong ---------------------------------------------


class _WrongPrefix(RenderMutant):
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
    FAULT = Fault("token_semantics", ("pii::valid",), signature="id", kind="pii")
    KIND = "pii"


class WrongPrefixAccount(_WrongPrefix):
    """Account tokens get ``tok_`` ids instead of ``ct_``. Caught by ``token_semantics``."""

    AREA = "semantics"
    FAULT = Fault("token_semantics", ("account::valid",), signature="id", kind="account")
    KIND = "account"


class WrongPrefixPerson(_WrongPrefix):
    """Person tokens get ``ct_`` ids (the account token's prefix) instead of ``cpt_``.
    Caught by ``token_semantics``."""

    AREA = "semantics"
    FAULT = Fault("token_semantics", ("person::valid",), signature="id", kind="person")
    KIND = "person"
    PREFIX = "ct_"


class WrongPrefixCvcUpdate(_WrongPrefix):
    """CVC-update tokens get ``cvc_`` ids instead of ``cvctok_``. Caught by
    ``token_semantics``."""

    AREA = "semantics"
    FAULT = Fault(
        "token_semantics",
        ("cvc_update::valid",),
        signature="id",
        kind="cvc_update",
        # The bundled schema pins the id pattern too.
        also=("response_schema",),
    )
    KIND = "cvc_update"
    PREFIX = "cvc_"


class WrongPrefixBankAccount(_WrongPrefix):
    """Bank-account tokens get ``ba_`` ids (the embedded bank account's prefix) instead of
    ``btok_``/``tok_``. Caught by ``token_semantics``."""

    AREA = "semantics"
    FAULT = Fault(
        "token_semantics",
        ("bank_account::valid",),
        signature="id",
        kind="bank_account",
        also=("response_schema",),
    )
    KIND = "bank_account"
    PREFIX = "ba_"


class Last4FirstDigits(RenderMutant):
    """``card.last4`` holds the first four digits of the number (a slice the wrong way).
    Caught by ``token_semantics`` (last4, hard)."""

    AREA = "semantics"
    FAULT = Fault("token_semantics", ("card::valid",), signature="card.last4", kind="card")

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        if kind == "card":
            token["card"]["last4"] = str(params["card"]["number"])[:4]


class ExpYearNotNormalised(RenderMutant):
    """``card.exp_year`` is the integer as sent: a two-digit ``31`` stays 31 instead of
    2031. Caught by ``token_semantics`` (four-digit exp_year, hard)."""

    AREA = "semantics"
    FAULT = Fault("token_semantics", ("card::valid",), signature="card.exp_year", kind="card")

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        if kind == "card":
            token["card"]["exp_year"] = int(str(params["card"]["exp_year"]))


class AmexBrandWrong(RenderMutant):
    """American Express cards get the brand ``amex`` (the internal enum) instead of the
    display name ``American Express``. Caught by ``token_semantics`` (brand of a test card
    is hard; by BIN a warning)."""

    AREA = "semantics"
    FAULT = Fault(
        "token_semantics",
        ("card::valid",),
        signature="card.brand",
        kind="card",
        # "amex" is outside the schema's brand enum as well.
        also=("response_schema",),
    )

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        brand = detect_brand(str(params["card"]["number"])) if kind == "card" else None
        if brand is not None and brand.key == "amex":
            token["card"]["brand"] = "amex"


class TokenizationMethodNotAString(RenderMutant):
    """``card.tokenization_method`` comes back as a number (an internal enum leaking into
    the JSON). No semantic rule is about this field: only the token schema (string or
    null) sees it. Caught by ``response_schema``."""

    AREA = "semantics"
    FAULT = Fault(
        "response_schema",
        ("card::valid",),
        signature="token: card",  # the object the schema refused ...
        message="card/tokenization_method: 5 is not of type",  # ... naming the field
    )

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        if kind == "card":
            token["card"]["tokenization_method"] = 5


class LivemodeAlwaysTrue(RenderMutant):
    """``livemode`` is hard-coded to true (copied from a live fixture) whatever the key.
    Caught by ``token_semantics`` (livemode follows the key, hard)."""

    AREA = "semantics"
    FAULT = Fault("token_semantics", ("pii::valid",), signature="livemode")

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        token["livemode"] = True


class UsedTrue(RenderMutant):
    """A fresh token says ``used: true``. Caught by ``token_semantics`` (hard)."""

    AREA = "semantics"
    FAULT = Fault("token_semantics", ("pii::valid",), signature="used")

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        token["used"] = True


class CardObjectOnEveryToken(RenderMutant):
    """Every token object carries ``"card": null`` (one template for all kinds), e.g. a pii
    token. Caught by ``token_semantics`` (only the kind's own object, hard)."""

    AREA = "semantics"
    FAULT = Fault(
        "token_semantics",
        ("pii::valid",),
        signature="card",
        kind="pii",
        also=("response_schema",),
    )

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        token.setdefault("card", None)


# --- secrets: something sensitive comes back ------------------------------------------------


class EchoesPan(RenderMutant):
    """The embedded card object carries the full card ``number``. Caught by
    ``no_secret_echo``."""

    AREA = "secrets"
    FAULT = Fault(
        "no_secret_echo", ("card::valid",), signature=r"card\[number\] in the body", kind="card"
    )

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        if kind == "card":
            token["card"]["number"] = str(params["card"]["number"])


class EchoesCvc(RenderMutant):
    """The embedded card object carries the ``cvc`` that was sent. Caught by
    ``no_secret_echo``."""

    AREA = "secrets"
    FAULT = Fault(
        "no_secret_echo", ("card::valid",), signature=r"card\[cvc\] in the body", kind="card"
    )

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        if kind == "card" and "cvc" in params["card"]:
            token["card"]["cvc"] = str(params["card"]["cvc"])


class EchoesAccountNumber(RenderMutant):
    """The embedded bank account carries the full ``account_number``. Caught by
    ``no_secret_echo``."""

    AREA = "secrets"
    FAULT = Fault(
        "no_secret_echo",
        ("bank_account::valid",),
        signature=r"bank_account\[account_number\] in the body",
        kind="bank_account",
    )

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        if kind == "bank_account":
            token["bank_account"]["account_number"] = str(params["bank_account"]["account_number"])


class IdNumberInErrorMessage(Mutant):
    """Error messages quote the request's ID number ("... for id_number 123456789") when
    the payload carries one (pii / person / account tokens). Caught by ``no_secret_echo``."""

    AREA = "secrets"
    FAULT = Fault("no_secret_echo", ("pii::invalid",), signature=r"pii\[id_number\] in the body")

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
            raise ApiError(retitle(err.expected, message=message)) from None
