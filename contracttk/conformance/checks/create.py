"""The create oracle: ``POST /v1/tokens`` answers judged against the contract model.

* ``positive_acceptance``: a payload the model accepts gets a token. Hard only when the
  payload lies wholly in the model's understood domain (``Evaluation.acceptance``); for a
  payload the model merely finds no rule against, a well-formed 4xx is a warning at most.
* ``token_semantics``: the token says what the model's ``token_rules`` say (hard rules
  downgraded to warnings on payloads outside the understood domain).
* ``expected_error``: an invalid payload gets the catalogue's error (any finding's, when
  several rules break; strength per field from the model).
"""

from __future__ import annotations

from typing import Any

from contracttk.contract import Evaluation, ExpectedError, Strength, malformed_body

from ..exchange import RequestInfo, ResponseInfo
from ..failures import Failure, fail
from ..registry import check

__all__ = [
    "acceptance",
    "expect",
    "expected_error",
    "positive_acceptance",
    "token_semantics",
]

# Refusals by size, before any parameter is read: the server's policy, not the contract's.
_SIZE_REFUSALS = frozenset({413, 414, 431})


def _create_applies(request: RequestInfo, response: ResponseInfo) -> bool:
    return (
        request.is_create
        and request.authorized
        and response.status < 500
        and response.status not in _SIZE_REFUSALS
        and not response.truncated
    )


def acceptance(ev: Evaluation | None) -> Strength:
    """How strongly the model says this payload must create a token."""
    if ev is None or not ev.accepted:
        return Strength.NOT_ASSERTED
    return ev.acceptance


def _accepted(request: RequestInfo) -> bool:
    ev = request.evaluation
    return ev is not None and ev.accepted


def _error_words(response: ResponseInfo) -> str:
    err = response.error or {}
    return " ".join(str(err[k]) for k in ("type", "code") if isinstance(err.get(k), str))


@check(group="create", applies=lambda req, resp: _create_applies(req, resp) and _accepted(req))
def positive_acceptance(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """A payload the contract accepts gets a 2xx token."""
    if response.ok:
        return []
    strength = acceptance(request.evaluation)
    if strength is Strength.NOT_ASSERTED:
        return []
    well_formed = 400 <= response.status < 500 and response.error is not None
    if strength is not Strength.HARD and not well_formed:
        # Outside the understood domain only a well-formed refusal is excused; anything
        # else (a non-JSON 4xx...) is the envelope check's business.
        strength = Strength.WARNING
    err = response.error or {}
    param = err.get("param") if isinstance(err.get("param"), str) else None
    detail = " ".join(x for x in (_error_words(response), f"(param {param})" if param else "") if x)
    why = ""
    outside = request.evaluation.outside_domain if request.evaluation else ()
    if strength is not Strength.HARD and outside:
        why = f" (outside the understood domain: {'; '.join(outside[:3])})"
    return [
        fail(
            "positive_acceptance",
            f"a valid payload was refused with {response.status} {detail}".rstrip() + why,
            request,
            response,
            strength=strength,
            signature="refused",
        )
    ]


@check(
    group="create",
    basis="[SDK] [FIX] [DOC]: the token object and its echo rules (contract token_rules)",
    applies=lambda req, resp: _create_applies(req, resp) and _accepted(req) and resp.ok,
)
def token_semantics(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """The token answers a valid payload as the model's ``token_rules`` say."""
    ev = request.evaluation
    if not response.ok or ev is None or not ev.accepted or ev.kind is None:
        return []
    body = response.json
    if not isinstance(body, dict):
        return [fail("token_semantics", "2xx answer is not a JSON object", request, response)]
    out = []
    for rule in request.token_rules:
        problem = rule.check(body)
        if problem is None or rule.strength is Strength.NOT_ASSERTED:
            continue
        strength = rule.strength
        out.append(
            fail(
                "token_semantics",
                f"{problem} ({rule.basis})",
                request,
                response,
                strength=strength,
                signature=".".join(rule.path),
            )
        )
    return out


def _best_match(
    findings: list[tuple[str, ExpectedError]], status: int, body: Any
) -> tuple[str, ExpectedError, list[tuple[str, Strength, str]]]:
    """The finding whose error the answer matches best (fewest hard, then warning misses)."""
    scored = []
    for name, error in findings:
        misses = error.mismatches(status, body)
        hard = sum(1 for _, s, _ in misses if s is Strength.HARD)
        scored.append(((hard, len(misses) - hard), name, error, misses))
    scored.sort(key=lambda t: t[0])
    _, name, error, misses = scored[0]
    return name, error, misses


@check(
    group="create",
    basis="the violation catalogue (each entry's error carries its own source)",
    applies=lambda req, resp: (
        _create_applies(req, resp) and (req.evaluation is None or not req.evaluation.accepted)
    ),
)
def expected_error(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """An invalid payload gets the catalogue's error (any finding's, when several rules break).

    A 2xx is judged by ``must_reject``; a non-2xx by the best-matching finding's
    ``mismatches``: hard fields fail, warning fields warn, unasserted fields are ignored.
    """
    ev = request.evaluation
    if ev is None:
        # A body the model's decoder refuses (bad brackets, bad UTF-8, conflicting keys).
        return expect("expected_error", malformed_body("undecodable form body"), request, response)
    if ev.accepted:
        return []
    findings = [(f.violation, f.error) for f in ev.findings]
    if response.ok:
        strength = ev.must_reject
        if strength is Strength.NOT_ASSERTED:
            return []
        names = [n for n, e in findings if e.reject is strength]
        return [
            fail(
                "expected_error",
                f"an invalid payload ({', '.join(names)}) was accepted with {response.status}",
                request,
                response,
                strength=strength,
                violation=names[0],
                signature="accepted",
            )
        ]
    name, error, misses = _best_match(findings, response.status, response.json)
    # Stripe's precedence between rules is not established: when another value of the
    # payload lies outside the understood domain, a well-formed 4xx invalid_request_error
    # may be the answer to that value. Then a mismatch is a warning at most.
    if (
        any(s is Strength.HARD for _, s, _ in misses)
        and _is_invalid_request_error(response)
        and bool(ev.outside_domain)  # computed last: the domain test walks the whole payload
    ):
        note = f" (the payload is outside the understood domain: {ev.outside_domain[0]})"
        misses = [
            (fld, Strength.WARNING, text + note) if s is Strength.HARD else (fld, s, text)
            for fld, s, text in misses
        ]
    alternatives = (
        f" (payload breaks {len(findings)} rules; none matched)" if len(findings) > 1 else ""
    )
    return _by_strength(
        "expected_error", misses, error.basis + "]" + alternatives, request, response, name
    )


def _is_invalid_request_error(response: ResponseInfo) -> bool:
    """A 4xx answer with a JSON ``{"error": {"type": "invalid_request_error", ...}}`` body."""
    err = response.error
    return (
        400 <= response.status < 500
        and err is not None
        and err.get("type") == "invalid_request_error"
    )


def _by_strength(
    name: str,
    misses: list[tuple[str, Strength, str]],
    basis: str,
    request: RequestInfo,
    response: ResponseInfo,
    violation: str | None = None,
) -> list[Failure]:
    """One failure per strength: every field the answer got wrong is one behaviour, not several."""
    out = []
    for strength in (Strength.HARD, Strength.WARNING):
        found = [(fld, text) for fld, s, text in misses if s is strength]
        if not found:
            continue
        out.append(
            fail(
                name,
                "; ".join(text for _, text in found) + f" [{basis}",
                request,
                response,
                strength=strength,
                violation=violation,
                # Which fields differ varies with the parameter (a param that matches for
                # some paths); the observed answer, also in the cause, is the behaviour.
                signature="answer differs",
            )
        )
    return out


def expect(
    name: str, expected: ExpectedError, request: RequestInfo, response: ResponseInfo
) -> list[Failure]:
    """Failures of check ``name`` where ``response`` differs from ``expected`` (per-field strength)."""
    if response.ok:
        if expected.reject is Strength.NOT_ASSERTED:
            return []
        return [
            fail(
                name,
                f"expected {expected.status} {expected.type}, got {response.status} "
                f"[{expected.basis}]",
                request,
                response,
                strength=expected.reject,
                signature="accepted",
            )
        ]
    misses = expected.mismatches(response.status, response.json)
    return _by_strength(name, misses, expected.basis + "]", request, response)
