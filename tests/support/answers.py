"""Judging an answer the way the checks do: which fields of it fail an expected error hard."""

from __future__ import annotations

from typing import Any

from contracttk.contract import ExpectedError, Strength

FIELDS = ("status", "type", "code", "param")


def wrong(name: str, value: Any) -> Any:
    """A value of field ``name`` that no Stripe answer in ``tests/data`` has."""
    if name == "status":
        return 400 if value == 402 else 422
    return {"type": "api_error", "code": "contracttk_wrong_code", "param": "contracttk[wrong]"}[
        name
    ]


def hard_misses(expected: ExpectedError, answer: dict[str, Any]) -> set[str]:
    """The fields in which ``answer`` (status, type, code, param; None = absent) fails hard."""
    error = {f: answer[f] for f in ("type", "code", "param") if answer.get(f) is not None}
    return {
        name
        for name, strength, _ in expected.mismatches(answer["status"], {"error": error})
        if strength is Strength.HARD
    }
