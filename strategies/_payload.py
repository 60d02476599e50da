"""The labelled invalid payload both generator front-ends return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracttk.contract import ExpectedError, Strength

__all__ = ["InvalidPayload", "Payload"]

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
