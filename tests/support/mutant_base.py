"""The base of every mutant (see ``support.mutants``): what a variant declares and shares.

A mutant declares its :class:`Fault`: the ONE check that must trip, what the failure must
name (violation, parameter, signature, kind, answer), and the budget that check needs (the
suite items that can see the fault, how many generated examples). The mutation suite runs
exactly that budget in-process and asserts exactly that.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from contracttk.contract import ApiKey, ExpectedError, Finding, evaluate_create
from contracttk.server import ApiError, TokenService

__all__ = ["Fault", "Mutant", "RenderMutant", "code_is", "named", "retitle"]


@dataclass(frozen=True)
class Fault:
    """The one check a mutant must trip, what its failures must name, and the budget needed.

    ``violation`` is an exact catalogue name (``card[number]:luhn``) or ``*:<family>``;
    ``signature`` a regular expression the failure's signature must match in full;
    ``answer`` the observed ``(status, error type)`` (None: any). ``finding`` names a
    run-level finding (``kind_support``) that must explain the check's failures; ``also``
    lists checks that fail as plain consequences of the same fault (a token without its
    expiry year also breaks the token schema). Any other check failing is a false alarm.
    """

    check: str
    items: tuple[str, ...]
    """The suite items that can see the fault: the whole budget of this variant's run."""
    violation: str | None = None
    signature: str | None = None
    kind: str | None = None
    answer: tuple[int | None, str | None] | None = None
    message: str | None = None
    """A regular expression the failure's message must contain (e.g. the refused field)."""
    finding: str | None = None
    also: tuple[str, ...] = ()
    strength: str = "hard"
    """``warning`` where the contract model only infers the rule ([INF]): reported, never
    failing the run (the variant is caught when the warning names the fault)."""
    max_examples: int = 5
    settings: tuple[tuple[str, Any], ...] = ()
    """Extra run settings (names as in ``contracttk.conformance.settings.FIELDS``)."""

    def names(self, rec: Mapping[str, Any]) -> bool:
        """True when the failure record ``rec`` (a report record) names this fault."""
        if rec.get("check") != self.check:
            return False
        if self.violation is not None:
            got = rec.get("violation") or ""
            if self.violation.startswith("*:"):
                # a server answers an empty list item as it answers an empty string: the
                # engine groups such rule families (contracttk.conformance.failures)
                from contracttk.conformance.failures import FAMILY_GROUPS

                family = rec.get("family") or ""
                if FAMILY_GROUPS.get(family, family) != self.violation[2:]:
                    return False
            elif got != self.violation:
                return False
        if self.signature is not None and not re.fullmatch(
            self.signature, rec.get("signature") or ""
        ):
            return False
        if self.kind is not None and rec.get("kind") != self.kind:
            return False
        if self.answer is not None:
            got_answer = rec.get("answer") or {}
            status, etype = self.answer
            if status is not None and got_answer.get("status") != status:
                return False
            if etype is not None and got_answer.get("type") != etype:
                return False
        return self.message is None or re.search(self.message, rec.get("message") or "") is not None


class Mutant(TokenService):
    """Base of every mutant: the area it belongs to and the fault it plants."""

    AREA: ClassVar[str] = ""
    FAULT: ClassVar[Fault | None] = None

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


class RenderMutant(Mutant):
    """A mutant that edits the reference token after it is rendered."""

    def render_token(self, kind: str, params: Mapping[str, Any], key: ApiKey) -> dict[str, Any]:
        token = super().render_token(kind, params, key)
        self.alter(token, kind, params)
        return token

    def alter(self, token: dict[str, Any], kind: str, params: Mapping[str, Any]) -> None:
        """Change ``token`` in place (subclasses)."""


def code_is(*codes: str) -> Callable[[Finding], bool]:
    """A finding filter: the oracle's error has one of ``codes``."""
    return lambda f: f.error.code in codes


def named(*names: str) -> Callable[[Finding], bool]:
    """A finding filter: the finding is one of the catalogue violations ``names``."""
    return lambda f: f.violation in names


def retitle(expected: ExpectedError, **changes: Any) -> ExpectedError:
    """``expected`` with some fields changed (the way a server answers the wrong shape)."""
    return dataclasses.replace(expected, **changes)
