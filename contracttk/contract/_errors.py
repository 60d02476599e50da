"""Expected Stripe errors: what status, ``type``, ``code`` and ``param`` a bad request gets,
and how strongly each of those is established (basis tags: :mod:`._sources`).

Every error the contract knows is built by a factory (the parameter errors here, the
protocol errors in :mod:`._protocol_errors`), so the server, the checks, the generators and
the fixture files all say the same thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

FIELDS = ("status", "type", "code", "param")
Mismatch = tuple[str, "Strength", str]


class Strength(str, Enum):
    """How a rule is asserted: [SDK]/[FIX]/[DOC]/[ISSUE] hard, [INF] warning, else not at all."""

    HARD = "hard"
    WARNING = "warning"
    NOT_ASSERTED = "not_asserted"


def _fs(spec: str) -> frozenset[str]:
    return frozenset(spec.split())


@dataclass(frozen=True)
class Judgement:
    """The verdict on one answer against an :class:`ExpectedError`.

    ``ok`` is True when nothing hard is wrong; ``failures`` (hard mismatches) and
    ``warnings`` (mismatches on fields asserted only as warnings) are one readable line each,
    with the basis of the expectation. Truthy exactly when ``ok``, so
    ``assert expected.matches(response)`` reads naturally and shows the reasons on failure.
    """

    ok: bool
    failures: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok and not self.warnings:
            return "ok"
        lines = [f"failure: {f}" for f in self.failures] + [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


@dataclass(frozen=True)
class ExpectedError:
    """The error Stripe gives for one bad request, field by field with its strength.

    ``hard`` and ``warn`` name which of status/type/code/param are asserted as hard
    failures or as warnings; a field in neither is not asserted (not established).
    ``reject`` says whether a 2xx answer (a token minted) is itself a failure.
    ``alternatives`` are other answers that are equally right, where Stripe's answer
    differs between eras (each with its own fields, strengths and basis); an answer is
    judged against whichever of this error and its alternatives it matches best.
    """

    status: int
    type: str
    code: str | None = None
    param: str | None = None
    message: str | None = None
    hard: frozenset[str] = frozenset()
    warn: frozenset[str] = frozenset()
    reject: Strength = Strength.HARD
    basis: str = ""
    decline_code: str | None = None
    alt_statuses: tuple[int, ...] = ()
    """Other statuses that are equally right (e.g. 401 or 403 for a publishable key on GET)."""
    alternatives: tuple[ExpectedError, ...] = ()
    """Whole other answers that are equally right (see the class docstring)."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def strength(self) -> Strength:
        """The strongest assertion made about this error."""
        if self.hard:
            return Strength.HARD
        if self.warn or self.reject is Strength.WARNING:
            return Strength.WARNING
        return self.reject

    def field_strength(self, name: str) -> Strength:
        """How the field ``name`` (status/type/code/param) is asserted."""
        if name in self.hard:
            return Strength.HARD
        if name in self.warn:
            return Strength.WARNING
        return Strength.NOT_ASSERTED

    def body(self) -> dict[str, Any]:
        """The JSON body Stripe would send: ``{"error": {...}}``, null attributes left out."""
        err: dict[str, Any] = {"type": self.type}
        if self.code:
            err["code"] = self.code
            err["doc_url"] = "https://stripe.com/docs/error-codes/" + self.code.replace("_", "-")
        if self.decline_code:
            err["decline_code"] = self.decline_code
        if self.message:
            err["message"] = self.message
        if self.param is not None:
            err["param"] = self.param
        return {"error": err}

    def to_json(self) -> dict[str, Any]:
        """The ``expect`` record used in fixture files and reports."""
        error: dict[str, Any] = {"type": self.type}
        for name in ("code", "param"):
            value = getattr(self, name)
            if value is not None and self.field_strength(name) is not Strength.NOT_ASSERTED:
                error[name] = value
        if self.decline_code:
            error["decline_code"] = self.decline_code
        out: dict[str, Any] = {
            "status": self.status,
            "error": error,
            "strength": self.strength.value,
        }
        if self.alt_statuses:
            out["also_acceptable_statuses"] = list(self.alt_statuses)
        weak = sorted(f for f in FIELDS if self.field_strength(f) is Strength.WARNING)
        if weak and self.hard:
            out["warning_fields"] = weak
        if self.alternatives:
            out["also_acceptable"] = [
                {k: v for k, v in alt.to_json().items() if k != "also_acceptable"}
                for alt in self.alternatives
            ]
        return out

    def mismatches(self, status: int, body: Any) -> list[Mismatch]:
        """Compare an actual answer with this expectation.

        Returns ``(field, strength, description)`` for each asserted field that differs,
        judged against the best-matching of this error and its ``alternatives`` (fewest hard
        mismatches, then fewest in all).
        """
        return self.best_match(status, body)[1]

    def best_match(self, status: int, body: Any) -> tuple[ExpectedError, list[Mismatch]]:
        """The expectation (this error or one of its alternatives) the answer matches best,
        with that expectation's mismatches."""
        best: tuple[tuple[int, int], ExpectedError, list[Mismatch]] | None = None
        for candidate in (self, *self.alternatives):
            misses = candidate._own_mismatches(status, body)
            hard = sum(1 for _, s, _ in misses if s is Strength.HARD)
            score = (hard, len(misses))
            if best is None or score < best[0]:
                best = (score, candidate, misses)
        assert best is not None
        return best[1], best[2]

    def judge(self, status: int, body: Any) -> Judgement:
        """Judge an answer: a 2xx by ``reject``, an error by its best-matching mismatches.

        Hard mismatches are ``failures``, warning ones ``warnings``; unasserted fields are
        ignored. ``body`` is the decoded JSON (anything else counts as no error body).
        """
        failures: list[str] = []
        warnings: list[str] = []
        if 200 <= status < 300:
            text = f"expected {self.status} {self.type}, got {status} [{self.basis}]"
            if self.reject is Strength.HARD:
                failures.append(text)
            elif self.reject is Strength.WARNING:
                warnings.append(text)
        else:
            matched, misses = self.best_match(status, body)
            for _, strength, text in misses:
                line = f"{text} [{matched.basis}]"
                (failures if strength is Strength.HARD else warnings).append(line)
        return Judgement(not failures, tuple(failures), tuple(warnings))

    def matches(self, response: Any) -> Judgement:
        """Judge a response object (see :meth:`judge`), whatever the HTTP client.

        Accepts a ``(status, body)`` tuple (body: decoded JSON, or JSON text/bytes), a
        ``requests``/``httpx``/Django response (``status_code`` and ``.json()``), or a
        Flask/Werkzeug response (``status_code`` and ``get_json()``). A body that is not JSON
        is judged as no error body. Raises TypeError for anything else.
        """
        status, body = _status_and_body(response)
        return self.judge(status, body)

    def _own_mismatches(self, status: int, body: Any) -> list[Mismatch]:
        out: list[Mismatch] = []
        err = body.get("error") if isinstance(body, dict) else None
        err = err if isinstance(err, dict) else {}
        actual = {
            "status": status,
            "type": err.get("type"),
            "code": err.get("code"),
            "param": err.get("param"),
        }
        for name in FIELDS:
            strength = self.field_strength(name)
            if strength is Strength.NOT_ASSERTED:
                continue
            want = getattr(self, name)
            if name == "status":
                if status == want or status in self.alt_statuses:
                    continue
            elif actual[name] == want:
                continue
            out.append((name, strength, f"{name}: expected {want!r}, got {actual[name]!r}"))
        return out

    def with_strength(
        self, hard: str = "", warn: str = "", reject: Strength | None = None
    ) -> ExpectedError:
        """A copy with other field strengths (used where a source is weaker than usual)."""
        return replace(self, hard=_fs(hard), warn=_fs(warn), reject=reject or self.reject)

    def or_else(self, *alternatives: ExpectedError) -> ExpectedError:
        """A copy that also accepts each of ``alternatives`` as a right answer."""
        # Alternatives are flat: an alternative's own alternatives would never be consulted.
        flat = tuple(replace(alt, alternatives=()) for alt in alternatives)
        return replace(self, alternatives=self.alternatives + flat)


def _decode(body: Any) -> Any:
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return None
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return None
    return body


def _status_and_body(response: Any) -> tuple[int, Any]:
    """``(status, decoded JSON body)`` of a response object or a ``(status, body)`` pair."""
    if isinstance(response, tuple) and len(response) == 2:
        status, body = response
        if isinstance(status, int) and not isinstance(status, bool):
            return status, _decode(body)
        raise TypeError(f"expected (status, body) with an integer status, got {status!r}")
    status = getattr(response, "status_code", None)
    if not isinstance(status, int) or isinstance(status, bool):
        raise TypeError(
            "expected a response with an integer status_code (requests, httpx, Flask, "
            f"Django) or a (status, body) tuple, got {type(response).__name__}"
        )
    get_json = getattr(response, "get_json", None)
    if callable(get_json):
        # Werkzeug: force=True ignores the content type, silent=True gives None for non-JSON.
        return status, get_json(force=True, silent=True)
    read_json = getattr(response, "json", None)
    if callable(read_json):
        try:
            return status, read_json()
        except ValueError:  # requests / httpx / Django all raise a ValueError subclass
            return status, None
    raise TypeError(f"{type(response).__name__} has no json() or get_json() to read the body")


# --- factories: one per error shape -------------------------------------------------------

IRE = "invalid_request_error"
CARD_ERROR = "card_error"


def parameter_missing(path: str, *, strong: bool) -> ExpectedError:
    """Required key absent: 400 parameter_missing [DOC changelog 2015-10-12][ISSUE]."""
    e = ExpectedError(
        400,
        IRE,
        "parameter_missing",
        path,
        f"Missing required param: {path}.",
        basis="[DOC: changelog 2015-10-12] [ISSUE: stripe/stripe-react-native#951]",
    )
    return (
        e.with_strength(hard="status type code param")
        if strong
        else e.with_strength(hard="", warn="status type code param", reject=Strength.WARNING)
    )


def parameter_unknown(path: str, *, top_level: bool) -> ExpectedError:
    """Unknown key: 400 parameter_unknown; bracket ``param`` for nested keys is [INF]."""
    e = ExpectedError(
        400,
        IRE,
        "parameter_unknown",
        path,
        f"Received unknown parameter: {path}",
        basis="[DOC: changelog 2015-10-12] [ISSUE: stripe/stripe-cli#722, aquaron/Business-Stripe#1]",
    )
    from ._shown import shown_key

    if top_level and shown_key(path)[0] == path:
        return e.with_strength(hard="status type code param")
    # A nested key's bracket form is [INF]; a name that looks like a value (a JSON document,
    # digits, symbols) was never seen quoted back: its param is not established (_shown.py).
    return e.with_strength(hard="status type code", warn="param")


def parameter_invalid_empty(path: str) -> ExpectedError:
    """Empty string where it cannot unset: 400 parameter_invalid_empty [SDK][ISSUE]."""
    msg = (
        f"You passed an empty string for '{path}'. We assume empty values are an attempt to "
        f"unset a parameter; however '{path}' cannot be unset. You should remove '{path}' "
        "from your request or supply a non-empty value."
    )
    return ExpectedError(
        400,
        IRE,
        "parameter_invalid_empty",
        path,
        msg,
        basis="[SDK] [ISSUE: stripe/stripe-dotnet#1828]",
    ).with_strength(hard="status type code param")


def parameter_invalid_integer(path: str, value: str) -> ExpectedError:
    """Non-integer in an integer field: 400 parameter_invalid_integer [ISSUE]."""
    return ExpectedError(
        400,
        IRE,
        "parameter_invalid_integer",
        path,
        f"Invalid integer: {value[:50]}",
        basis="[ISSUE: beam-community/stripity-stripe#626, stripe/stripe-cli#585]",
    ).with_strength(hard="status type code param")


def invalid_value(
    path: str,
    message: str,
    *,
    basis: str = "[INF]",
    hard: str = "",
    warn: str = "status type param",
    reject: Strength | None = None,
) -> ExpectedError:
    """A 400 invalid_request_error whose code is not established (wrong type, too long, enum...)."""
    return ExpectedError(400, IRE, None, path, message, basis=basis).with_strength(
        hard=hard, warn=warn, reject=reject or (Strength.HARD if hard else Strength.WARNING)
    )


def coded_invalid(
    path: str | None,
    code: str,
    message: str,
    *,
    basis: str,
    hard: str,
    warn: str,
    reject: Strength | None = None,
) -> ExpectedError:
    """A 400 invalid_request_error with a code from the SDK enum, strengths given by the caller."""
    return ExpectedError(400, IRE, code, path, message, basis=basis).with_strength(
        hard=hard, warn=warn, reject=reject or (Strength.HARD if hard else Strength.WARNING)
    )


def card_error(
    code: str,
    param: str,
    message: str,
    *,
    basis: str,
    hard: str = "status type code param",
    warn: str = "",
    decline_code: str | None = None,
) -> ExpectedError:
    """A 402 card_error; ``param`` is the bare field name (``number``, ``cvc``) [ISSUE]."""
    e = ExpectedError(402, CARD_ERROR, code, param, message, basis=basis, decline_code=decline_code)
    return e.with_strength(hard=hard, warn=warn, reject=Strength.HARD if hard else Strength.WARNING)
