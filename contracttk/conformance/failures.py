"""Failures: one broken expectation on one exchange, with its strength and its cause.

A :class:`Failure` is raw (it holds the request and the answer as sent and received);
nothing here prints or redacts. Two failures with the same :attr:`Failure.key` are the
same failure seen twice (an item keeps one example and a count); two with the same
:attr:`Failure.cause_key` share a root cause and end up in one finding (``findings.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracttk.contract import Strength

from .exchange import RequestInfo, ResponseInfo

__all__ = ["RULE_CHECKS", "Failure", "cause", "fail", "split_violation", "verdict"]


def split_violation(name: str | None) -> tuple[str | None, str | None]:
    """``"card[number]:luhn"`` -> ``("card[number]", "luhn")``: the parameter and the rule family.

    The family is what a finding groups by: the same rule broken on 200 parameters is one
    behaviour of the server, not 200.
    """
    if not name:
        return None, None
    param, sep, family = name.rpartition(":")
    return (param or None, family) if sep else (None, name)


@dataclass
class Failure:
    """One broken expectation. ``strength`` HARD fails the run; WARNING is only reported."""

    check: str
    message: str
    strength: Strength = Strength.HARD
    kind: str | None = None
    violation: str | None = None
    request: RequestInfo | None = field(default=None, repr=False)
    response: ResponseInfo | None = field(default=None, repr=False)
    signature: str | None = None
    """What the failure is about, without the parameter path (defaults to the message)."""

    @property
    def is_warning(self) -> bool:
        """True for WARNING-strength failures."""
        return self.strength is not Strength.HARD

    @property
    def param(self) -> str | None:
        """The parameter path the failure concerns (from the violation name), if any."""
        return split_violation(self.violation)[0]

    @property
    def family(self) -> str | None:
        """The rule family (``luhn``, ``empty``, ``unknown_param``...), if a rule was broken."""
        return split_violation(self.violation)[1]

    @property
    def answer(self) -> tuple[int | None, str | None, str | None]:
        """``(status, error type, error code)`` of the answer (all None without one)."""
        if self.response is None:
            return None, None, None
        return self.response.answer

    @property
    def key(self) -> tuple[str, str | None, str | None, str, int | None]:
        """Same failure seen again: check, kind, violation, signature, status."""
        return (
            self.check,
            self.kind,
            self.violation,
            self.signature or self.message,
            self.answer[0],
        )

    @property
    def cause_key(self) -> tuple[str, str, str, int | None, str | None, str | None]:
        """Same root cause: check, rule family, signature and the answer (never the path).

        Different statuses or error types are never merged: they are different behaviours.
        """
        return cause(self.check, self.family, self.signature or self.message, *self.answer)


RULE_CHECKS = frozenset({"expected_error"})
"""Checks that judge the rule a payload breaks: only for these is the rule family part of a
cause (a token missing ``used`` is one cause whichever rule the request broke)."""
# One wrong answer breaks several of its fields at once; the observed answer, also in the
# cause, already tells such answers apart (contracttk.contract._errors.FIELDS).
_FIELD_SIGNATURES = frozenset(f"{name} differs" for name in ("status", "type", "code", "param"))


def cause(
    check: str,
    family: str | None,
    signature: str,
    status: int | None,
    etype: str | None,
    code: str | None,
) -> tuple[str, str, str, int | None, str | None, str | None]:
    """The root-cause key of a failure (what a finding groups by; see :attr:`Failure.cause_key`).

    The rule family counts only for :data:`RULE_CHECKS`; "status differs", "code differs"...
    of one answer are one cause ("answer differs"), not one per field.
    """
    if signature in _FIELD_SIGNATURES:
        signature = "answer differs"
    return (check, (family or "") if check in RULE_CHECKS else "", signature, status, etype, code)


def fail(
    name: str,
    message: str,
    request: RequestInfo | None,
    response: ResponseInfo | None,
    *,
    strength: Strength = Strength.HARD,
    violation: str | None = None,
    signature: str | None = None,
) -> Failure:
    """A :class:`Failure` of check ``name``, labelled with the request's kind and violation."""
    kind = None
    if request is not None:
        kind = request.kind
        if kind is None:
            present = request.kinds_present()
            kind = present[0] if len(present) == 1 else None
        violation = violation or request.violation
    return Failure(
        name, message, strength, kind, violation, request, response, signature or message
    )


def verdict(found: list[Failure]) -> str:
    """``failed`` if any hard failure, ``warned`` if only warnings, else ``passed``."""
    if any(not f.is_warning for f in found):
        return "failed"
    return "warned" if found else "passed"
