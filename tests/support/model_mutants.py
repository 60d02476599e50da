"""A pytest plugin that injects one wrong Stripe fact into the contract model's rule functions.

Loaded only by ``tests/contract/test_model_mutants.py``, in a child pytest started with
``-p support.model_mutants`` and ``CONTRACTTK_MODEL_MUTANT=<name>``. The product code has no
hook for this: the rule function is replaced in ``contracttk.contract._rules`` when pytest
configures, before any test module builds the catalogue (the oracle and the catalogue call
the rules through that module, so both see the wrong fact, as they would a real typo).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

ENV = "CONTRACTTK_MODEL_MUTANT"

Rule = Callable[..., Any]


def _empty_is_blank(rule: Rule) -> Rule:
    # The wrong fact of issue 14: empty strings answered 422 parameter_invalid_blank.
    def wrong(*args: Any, **kwargs: Any) -> Any:
        return replace(rule(*args, **kwargs), status=422, code="parameter_invalid_blank")

    return wrong


def _month_is_invalid_expiry(rule: Rule) -> Rule:
    # The wrong fact of issue 14: a bad expiry month answered 400 invalid_expiry.
    def wrong(*args: Any, **kwargs: Any) -> Any:
        error = rule(*args, **kwargs)
        return replace(error, status=400, type="invalid_request_error", code="invalid_expiry")

    return wrong


MUTANTS: dict[str, tuple[str, Callable[[Rule], Rule]]] = {
    "empty_is_blank": ("rule_empty", _empty_is_blank),
    "month_is_invalid_expiry": ("rule_card_expiry_month", _month_is_invalid_expiry),
}


def pytest_configure(config: pytest.Config) -> None:
    """Swap the named rule function for its wrong twin."""
    name = os.environ.get(ENV, "")
    if name not in MUTANTS:
        raise pytest.UsageError(f"{ENV}={name!r}: expected one of {', '.join(MUTANTS)}")
    from contracttk.contract import _rules

    target, make = MUTANTS[name]
    rule = getattr(_rules, target, None)
    if rule is None:
        raise pytest.UsageError(f"contracttk.contract._rules has no {target}: update {__name__}")
    setattr(_rules, target, make(rule))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say which fact was wrong in this run (the parent test checks it was injected)."""
    terminalreporter.write_line(f"contracttk model mutant: {os.environ.get(ENV)}")
