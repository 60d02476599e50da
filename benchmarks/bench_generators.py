"""Payloads per second of contracttk's generators, beside two peers, as a markdown table.

Run it in its own venv, pinned by ``benchmarks/requirements-generators.txt``:
hypothesis-jsonschema 0.23.1 (the newest) breaks on Hypothesis >= 6.170.10, whose
``conjecture.utils.many`` no longer has ``.more()`` (``AttributeError: 'many' object has no
attribute 'more'``), so that file pins Hypothesis 6.170.9, the newest it runs on. The
project's own venv keeps the newest Hypothesis; only this benchmark is held back. From the
repository root::

    python3 -m venv /tmp/bench-venv
    /tmp/bench-venv/bin/pip install -r benchmarks/requirements-generators.txt
    /tmp/bench-venv/bin/pip install -e . --no-deps
    /tmp/bench-venv/bin/python benchmarks/bench_generators.py [--quick]

``--no-deps`` keeps the pinned Hypothesis: the generators need only the light deps that the
requirements file lists, not the server, fuzzing or pytest stacks. The first output line
names the Hypothesis version the run used, and warns when it is not the pinned one. Options::

    bench_generators.py [--quick] [--faker-n N] [--hypothesis-n N]

Rows: the Faker provider (``fake.stripe_<kind>_params`` / ``stripe_invalid_<kind>_params``)
and the Hypothesis strategies (``<kind>_params`` / ``invalid_<kind>_params``) for the six
kinds; then the peers, measured in the same run:

* plain Faker card payload: ``fake.credit_card_number()`` + ``fake.name()`` + ``fake.address()``
  (no expiry, no CVC, no label, numbers that are not Stripe test cards) — the speed target;
* ``hypothesis_jsonschema.from_schema`` on our card JSON Schema
  (``contracttk.schemas.params_json_schema("card")``, or one derived from ``param_tree``).

The Hypothesis rows draw through a real ``@given`` (``max_examples=N``, ``database=None``,
``derandomize=True``, ``phases=[generate]``), so engine overhead is included, as in a test.
Every timed loop runs after a warm-up that builds the locale pools (a one-off per process).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from contracttk.strategies import add_providers, invalid_params, params
from faker import Faker
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy

from contracttk.contract import KIND_NAMES, param_tree


def faker_rate(make: Callable[[], Any], n: int) -> float:
    """Calls of ``make`` per second over ``n`` calls (after one warm-up call)."""
    make()
    start = time.perf_counter()
    for _ in range(n):
        make()
    return n / (time.perf_counter() - start)


def hypothesis_rate(strategy: SearchStrategy[Any], n: int) -> float:
    """Examples per second drawn by a ``@given`` test over ``strategy``."""
    drawn = 0

    def body(_: Any) -> None:
        nonlocal drawn
        drawn += 1

    def run(examples: int) -> float:
        test = settings(
            max_examples=examples,
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )(given(strategy)(body))
        start = time.perf_counter()
        test()
        return time.perf_counter() - start

    run(5)  # warm-up: locale pools, strategy caches
    drawn = 0
    elapsed = run(n)
    return drawn / elapsed


def card_json_schema() -> tuple[dict[str, Any], str]:
    """Our card request schema, and where it came from."""
    try:
        from contracttk.schemas import params_json_schema
    except ImportError:
        return _schema_from_tree(), "derived inline from param_tree"
    return params_json_schema("card"), "contracttk.schemas.params_json_schema('card')"


def _schema_from_tree() -> dict[str, Any]:
    def node(p: Any) -> dict[str, Any]:
        if p.is_object:
            return {
                "type": "object",
                "properties": {c.name: node(c) for c in p.children},
                "required": [c.name for c in p.children if c.required],
                "additionalProperties": False,
            }
        out: dict[str, Any] = {"type": p.type}
        if p.enum:
            out["enum"] = list(p.enum)
        if p.max_length is not None:
            out["maxLength"] = p.max_length
        return out

    return {
        "type": "object",
        "properties": {"card": node(param_tree("card"))},
        "required": ["card"],
    }


def jsonschema_peer(n: int) -> tuple[float | None, str]:
    """hypothesis-jsonschema on the card schema: (rate, note). Rate None when it fails."""
    try:
        import hypothesis_jsonschema
        from hypothesis_jsonschema import from_schema
    except ImportError:
        return None, (
            "hypothesis-jsonschema not installed "
            "(pip install -r benchmarks/requirements-generators.txt)"
        )
    schema, origin = card_json_schema()
    version = getattr(hypothesis_jsonschema, "__version__", "?")
    try:
        return hypothesis_rate(from_schema(schema), n), f"hypothesis-jsonschema {version}, {origin}"
    except Exception as exc:
        # Kept as a result, not hidden: the peer does not run on this Hypothesis.
        return None, (
            f"hypothesis-jsonschema {version} fails on this Hypothesis: "
            f"{type(exc).__name__}: {exc}".splitlines()[0]
        )


# The Hypothesis that hypothesis-jsonschema 0.23.1 last runs on; keep equal to the pin in
# benchmarks/requirements-generators.txt.
PINNED_HYPOTHESIS = "6.170.9"


def fmt(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts (a few seconds)")
    parser.add_argument("--faker-n", type=int, default=None, help="calls per Faker row")
    parser.add_argument(
        "--hypothesis-n", type=int, default=None, help="examples per Hypothesis row"
    )
    args = parser.parse_args(argv)
    faker_n = args.faker_n or (2_000 if args.quick else 20_000)
    hyp_n = args.hypothesis_n or (100 if args.quick else 500)

    import faker
    import hypothesis

    # Build every locale pool up front: a one-off per process that would otherwise land in
    # whichever timed row first draws that locale.
    from contracttk.strategies._pools import DEFAULT_LOCALES, warm_pools

    warm_pools(DEFAULT_LOCALES)

    fake = add_providers(Faker("en_US"))
    fake.seed_instance(0)

    rows: list[tuple[str, str, float | None, float | None]] = []
    for kind in KIND_NAMES:
        valid = getattr(fake, f"stripe_{kind}_params")
        invalid = getattr(fake, f"stripe_invalid_{kind}_params")
        rows.append(
            ("Faker provider", kind, faker_rate(valid, faker_n), faker_rate(invalid, faker_n))
        )
    for kind in KIND_NAMES:
        rows.append(
            (
                "Hypothesis strategies",
                kind,
                hypothesis_rate(params(kind), hyp_n),
                hypothesis_rate(invalid_params(kind), hyp_n),
            )
        )

    def plain_faker_card() -> dict[str, Any]:
        return {
            "card": {
                "number": fake.credit_card_number(),
                "name": fake.name(),
                "address": fake.address(),
            }
        }

    plain = faker_rate(plain_faker_card, faker_n)
    rows.append(("peer: plain Faker card (number+name+address)", "card", plain, None))
    peer_rate, peer_note = jsonschema_peer(hyp_n)
    rows.append(("peer: hypothesis_jsonschema.from_schema", "card", peer_rate, None))

    pin_note = (
        ""
        if hypothesis.__version__ == PINNED_HYPOTHESIS
        else f" (not the pinned {PINNED_HYPOTHESIS}: see requirements-generators.txt)"
    )
    print(
        f"Python {sys.version.split()[0]}, Hypothesis {hypothesis.__version__}{pin_note}, "
        f"Faker {faker.VERSION}; "
        f"Faker rows: {faker_n} calls, Hypothesis rows: {hyp_n} examples\n"
    )
    print("| generator | kind | valid payloads/s | invalid payloads/s |")
    print("|---|---|---:|---:|")
    for name, kind, valid_rate, invalid_rate in rows:
        print(f"| {name} | {kind} | {fmt(valid_rate)} | {fmt(invalid_rate)} |")
    ours = rows[0][2] or 0.0
    print(
        f"\nFaker card payloads vs plain Faker card payload: {ours / plain:.1f}x "
        f"({'meets' if ours >= plain else 'MISSES'} the target of >= 1x)"
    )
    hyp_card = rows[len(KIND_NAMES)][2] or 0.0
    if peer_rate:
        print(
            f"Hypothesis card strategy vs hypothesis-jsonschema card: "
            f"{hyp_card / peer_rate:.1f}x "
            f"({'meets' if hyp_card >= 10 * peer_rate else 'MISSES'} the target of >= 10x)"
        )
    print(f"hypothesis-jsonschema peer: {peer_note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
