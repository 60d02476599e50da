"""A card-only gateway with three planted card bugs, tested with ``--kind card`` (issue 11).

The gateway implements card tokens only (every other kind is refused as an unknown
parameter) and carries three bugs of its own, planted by hand:

1. the token's card object carries the full card ``number``;
2. Luhn-invalid card numbers are tokenized;
3. ``card.last4`` holds the FIRST four digits.

A run scoped to what the gateway claims (``kind=card``, the default budget, through the
pytest plugin in-process) must report only card findings, and each planted bug as exactly
one finding: not 48 entries for one echoed number, nothing for kinds it never claimed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from contracttk.contract import ApiKey, evaluate_create
from contracttk.contract._errors import parameter_unknown
from contracttk.defaults import EXIT_FAILURES
from contracttk.server import ApiError, TokenService, create_app

pytest_plugins = ["pytester"]

SEED = 20240611
OTHER_KINDS = ("bank_account", "pii", "account", "person", "cvc_update")


class CardOnlyGateway(TokenService):
    """Card tokens only, with the three bugs of the module docstring."""

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        for kind in OTHER_KINDS:
            if kind in params:
                raise ApiError(parameter_unknown(kind, top_level=True))
        evaluation = evaluate_create(params, key=key, today=self.today())
        # Bug 2: the check digit is never verified.
        rest = [f for f in evaluation.findings if f.violation != "card[number]:luhn"]
        if rest:
            raise ApiError(rest[0].error)
        if evaluation.kind is None:
            assert evaluation.first is not None
            raise ApiError(evaluation.first.error)
        return evaluation.kind

    def render_token(self, kind: str, params: Mapping[str, Any], key: ApiKey) -> dict[str, Any]:
        token = super().render_token(kind, params, key)
        if kind == "card":
            number = str(params["card"]["number"])
            token["card"]["number"] = number  # bug 1: the PAN comes back
            token["card"]["last4"] = number[:4]  # bug 3: the wrong end of the number
        return token


# (check, rule family, signature) of the one finding each planted bug must be.
PLANTED = {
    "echoed number": ("no_secret_echo", None, "card[number] in the body"),
    "luhn accepted": ("expected_error", "luhn", "accepted"),
    "last4 wrong": ("token_semantics", None, "card.last4"),
}


@pytest.mark.slow
def test_card_only_run_reports_each_planted_bug_once(pytester: pytest.Pytester) -> None:
    from contracttk.plugins.suite_plugin import SuitePlugin

    plugin = SuitePlugin(
        {"url": "http://testserver", "kind": "card", "seed": SEED},
        app=create_app(service_cls=CardOnlyGateway),
    )
    pytester.makeini("[pytest]\n")
    result = pytester.inline_run("-p", "no:cacheprovider", plugins=[plugin])
    state = plugin.state
    assert state.exit_code == EXIT_FAILURES, (state.status, state.detail)
    assert state.status == "completed"
    # Items of other kinds are skipped, never run; no item ends empty (an error).
    outcomes = state.outcomes
    assert {outcomes[f"{k}::valid"] for k in OTHER_KINDS} == {"skipped"}
    assert set(outcomes.values()) <= {"passed", "failed", "skipped"}, outcomes
    assert not [
        r for r in result.getreports("pytest_runtest_logreport") if r.when == "setup" and r.failed
    ]
    # Only card findings, each planted bug exactly one of them.
    findings = state.findings
    assert [f.kinds for f in findings] == [["card"]] * len(findings), [f.title for f in findings]
    got = {(f.check, f.family, f.signature) for f in findings}
    assert len(got) == len(findings)
    assert got == set(PLANTED.values()), sorted(map(str, got))
    assert all(f.strength == "hard" for f in findings)
    # The echoed number is one finding however many exchanges showed it.
    echo = next(f for f in findings if f.check == "no_secret_echo")
    assert echo.cases > 10
