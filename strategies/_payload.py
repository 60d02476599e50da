"""The labelled invalid payload both generator front-ends return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracttk.contract import ExpectedError, Judgement, Strength

__all__ = ["InvalidPayload", "Payload", "judge"]

Payload = dict[str, Any]
"""A nested create-token request: ``{"card": {"number": ..., ...}}``."""


@dataclass(frozen=True)
class InvalidPayload:
    """An invalid create-token request and the answer the contract expects for it.

    ``params`` is the nested request (``{"card": {...}}``), ``violation`` the catalogue name
    of the one rule it breaks, ``expected`` that entry's :class:`ExpectedError`.
    """

    params: Payload
    violation: str
    expected: ExpectedError

    @property
    def status(self) -> int:
        """Expected HTTP status."""
        return self.expected.status

    @property
    def type(self) -> str:
        """Expected ``error.type``."""
        return self.expected.type

    @property
    def code(self) -> str | None:
        """Expected ``error.code`` (None when Stripe sends none)."""
        return self.expected.code

    @property
    def param(self) -> str | None:
        """Expected ``error.param``."""
        return self.expected.param

    @property
    def strength(self) -> Strength:
        """How strongly the expectation is established (hard / warning / not asserted)."""
        return self.expected.strength

    def judge(self, status: int, body: Any) -> Judgement:
        """Judge an answer (HTTP ``status`` and JSON ``body``) against :attr:`expected`.

        Strength applies: a hard mismatch is a failure, a warning-strength one a warning
        (``.ok`` stays true), a field the contract does not establish is not compared.
        """
        return self.expected.judge(status, body)

    def matches(self, response: Any) -> Judgement:
        """:meth:`judge` for a response object: ``requests``/httpx/Django (``.json()``),
        Flask/Werkzeug (``get_json()``), or a ``(status, body)`` tuple."""
        return self.expected.matches(response)


def judge(status: int, body: Any, expected: InvalidPayload | ExpectedError) -> Judgement:
    """Judge an answer against what the contract expects, with strength applied.

    ``expected`` is an :class:`InvalidPayload` (``bad``) or its ``bad.expected``. The
    :class:`~contracttk.contract.Judgement` is truthy when nothing hard is wrong: a naive
    ``status == bad.status`` would fail on entries the contract asserts only as warnings.
    """
    if isinstance(expected, InvalidPayload):
        expected = expected.expected
    return expected.judge(status, body)
