"""Zero false failures: a strict clone and the lenient reference server both pass.

Both servers are faithful readings of the facts: the reference server accepts every payload
the oracle does not reject; the strict clone (``support.strict_server``) also refuses every
value outside the documented domain (non-ISO countries, unknown expand paths, impossible
dates, out-of-range percentages, non-test card numbers). The generated suite items must report
no hard failure against either, over 20 seeds. In-process (ASGI): the wire does not matter
here, the verdicts do.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.strict_server import create_strict_app, domain_error

from contracttk.conformance.settings import resolve
from contracttk.conformance.suite import run_item
from contracttk.conformance.transport import Target
from contracttk.conformance.transport_asgi import AsgiTransport
from contracttk.contract import KIND_NAMES
from contracttk.defaults import DEFAULT_SECRET_KEY
from contracttk.server import create_app

SEEDS = range(20)
MAX_EXAMPLES = 10
ITEMS = (
    *(f"{kind}::{part}" for kind in KIND_NAMES for part in ("valid", "invalid")),
    "fuzz::POST /v1/tokens",
)


def _hard_failures(app: Any, seed: int) -> list[str]:
    out = []
    target = Target("http://testserver", app=app)
    settings = resolve({"url": "http://testserver", "seed": seed, "max_examples": MAX_EXAMPLES})
    for item in ITEMS:
        result = run_item(item, settings, target)
        assert result.down is None and result.skipped is None, (item, result.down)
        assert result.cases > 0, item
        out += [f"seed {seed} {item}: {f.check}: {f.message}" for f in result.hard]
    return out


@pytest.fixture
def generated_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip the items' seed-independent passes (every catalogue entry on the sample payload,
    every documented test value): the same bytes whatever the seed, they run once, under
    seed 0. What varies with the seed, the generated payloads, runs for every seed."""
    import contracttk.strategies._options as options

    import contracttk.contract
    from contracttk.conformance import suite

    real = contracttk.contract.violations_for
    monkeypatch.setattr(suite, "documented_payloads", lambda kind: [])
    # The engine's catalogue pass looks the name up at call time; the generators bound it
    # when imported (above), so they keep drawing from the whole catalogue.
    monkeypatch.setattr(contracttk.contract, "violations_for", lambda kind, **kw: ())
    assert options.violations_for is real


@pytest.mark.parametrize("server", ["reference", "strict"])
def test_no_hard_failure_on_fixed_payloads(server: str) -> None:
    app = create_strict_app() if server == "strict" else create_app()
    hard = _hard_failures(app, 0)
    assert hard == [], "\n\n".join(hard[:5])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("server", ["reference", "strict"])
@pytest.mark.usefixtures("generated_only")
def test_no_hard_failure_on_generated_payloads(server: str, seed: int) -> None:
    app = create_strict_app() if server == "strict" else create_app()
    hard = _hard_failures(app, seed)
    assert hard == [], "\n\n".join(hard[:5])


@pytest.mark.parametrize("item", ["coverage::POST /v1/tokens", "coverage::GET /v1/tokens/{token}"])
@pytest.mark.parametrize("server", ["reference", "strict"])
def test_no_hard_failure_in_the_whole_coverage_phase(server: str, item: str) -> None:
    """The coverage cases do not depend on the seed: once, all of them (default budget)."""
    app = create_strict_app() if server == "strict" else create_app()
    settings = resolve({"url": "http://testserver", "seed": 0})
    result = run_item(item, settings, Target("http://testserver", app=app))
    assert result.down is None and result.stopped is None
    assert result.cases > (1000 if item.startswith("coverage::POST") else 10)
    hard = [f"{item}: {f.check}: {f.message}" for f in result.hard]
    assert hard == [], "\n\n".join(hard[:5])


# --- the strict clone really is stricter (else the test above would prove nothing) --------------


def _post(app: Any, body: bytes) -> tuple[int, dict[str, Any]]:
    transport = AsgiTransport(app, timeout=10, max_response_bytes=1 << 20)
    try:
        response = transport.send(
            "POST",
            "http://testserver/v1/tokens",
            [
                ("Authorization", f"Bearer {DEFAULT_SECRET_KEY}"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body,
        )
    finally:
        transport.close()
    return response.status, json.loads(response.body)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (
            b"bank_account[country]=ZZ&bank_account[account_number]=000123456789"
            b"&bank_account[routing_number]=110000000",
            "bank_account[country]",
        ),
        (
            b"card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2040&expand[0]=junk",
            "expand[0]",
        ),
        (
            b"person[first_name]=Jenny&person[dob][day]=31&person[dob][month]=2"
            b"&person[dob][year]=1990",
            "person[dob]",
        ),
        (
            b"person[first_name]=Jenny&person[relationship][percent_ownership]=150",
            "person[relationship][percent_ownership]",
        ),
        (
            b"card[number]=4111111111111111&card[exp_month]=12&card[exp_year]=2040",
            "card[number]",
        ),
    ],
)
def test_strict_clone_refuses_values_outside_the_domain(body: bytes, param: str) -> None:
    status, answer = _post(create_strict_app(), body)
    assert status == 400
    assert answer["error"]["type"] == "invalid_request_error"
    assert answer["error"]["param"] == param
    # The reference server creates a token for the same bytes.
    assert _post(create_app(), body)[0] == 200


def test_strict_clone_keeps_the_oracles_answer_for_the_value_at_fault() -> None:
    luhn = b"card[number]=4242424242424241&card[exp_month]=12&card[exp_year]=2040"
    status, answer = _post(create_strict_app(), luhn)
    assert (status, answer["error"]["code"], answer["error"]["param"]) == (
        402,
        "incorrect_number",
        "number",
    )


def test_domain_error_shape() -> None:
    e = domain_error("expand[0]: 'junk' is not a path the model can expand")
    assert (e.status, e.type, e.param) == (400, "invalid_request_error", "expand[0]")
    assert e.message == "Invalid expand[0]: 'junk' is not a path the model can expand"
