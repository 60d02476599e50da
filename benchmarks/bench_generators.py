"""Payloads per second of contracttk's generators, beside their peers, as a markdown table.

One command, from the repository root::

    python benchmarks/bench_generators.py --pinned-venv [--quick] [--rounds R]

``--pinned-venv`` builds (once, then reuses: see ``_benchlib.cache_dir``) a venv from
``benchmarks/requirements-generators.txt`` plus contracttk itself (editable, ``--no-deps``)
and reruns this script in it. Why a venv of its own: hypothesis-jsonschema 0.23.1 (the
newest) breaks on Hypothesis >= 6.170.10, whose ``conjecture.utils.many`` no longer has
``.more()``, so that file pins Hypothesis 6.170.9, the newest it runs on. Every row of the
table, ours and the peers', is measured in that one venv. Without ``--pinned-venv`` the
script runs in the current interpreter; when hypothesis-jsonschema is missing or fails
there, its row says "not measured" and a line below the table says why.

Rows (each the median of ``--rounds`` interleaved rounds, with the range beside it):

* ours: the Faker provider (``fake.stripe_<kind>_params`` / ``stripe_invalid_<kind>_params``)
  and the Hypothesis strategies (``<kind>_params`` / ``invalid_<kind>_params``), six kinds;
* peer, plain Faker card: ``{"card": {"number": fake.credit_card_number(), "name":
  fake.name(), "address": fake.address()}}``, every value built by Faker on each call;
* peer, pooled Faker card: the same three fields, each drawn with ``fake.random.choice``
  from a 64-entry pool built from those Faker calls before timing. This is the advantage
  our provider takes (its names and addresses come from 64-entry locale pools built
  before timing, its numbers from a fixed list of Stripe test cards), given to the peer;
* peer, pooled Faker full card: every field our card payload can carry (number, expiry
  month and year, CVC, name, the five address fields), numbers, names and addresses from
  64-entry pools built before timing, expiry and CVC drawn per call: the same pools and
  at least as many fields as ours, without the Stripe rules (brand, networks, currency);
* peer, ``hypothesis_jsonschema.from_schema`` on our card JSON Schema
  (``contracttk.schemas.params_json_schema("card")``), drawn like our strategies.

Not the same job, so read the ratios with this in mind: our card payload carries a Stripe
test number, expiry month and year, and a random subset of CVC, name, address fields,
currency and networks (consistent with the number's brand); the Faker peers carry three
fields, with numbers that are not Stripe test cards.

The Hypothesis rows draw through a real ``@given`` (``max_examples=N``, ``database=None``,
``derandomize=True``, ``phases=[generate]``), so engine overhead is included, as in a test.
Every timed loop runs after a warm-up, and all locale pools are built before the first.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import REPO, cached_venv, header

REQUIREMENTS = REPO / "benchmarks" / "requirements-generators.txt"
# The Hypothesis that hypothesis-jsonschema 0.23.1 last runs on; keep equal to the pin in
# benchmarks/requirements-generators.txt.
PINNED_HYPOTHESIS = "6.170.9"
POOL_SIZE = 64  # as contracttk.strategies._pools.POOL_SIZE, asserted in main()


def pinned_venv() -> Path:
    """The cached venv of requirements-generators.txt + contracttk (editable, no deps)."""
    key = [
        "generators",
        REQUIREMENTS.read_text(),
        str(REPO),  # an editable install points at this checkout
        hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest(),
    ]
    return cached_venv(
        "generators",
        key,
        [["-r", str(REQUIREMENTS)], ["--no-deps", "-e", str(REPO)]],
    )


def faker_rate(make: Callable[[], Any], n: int) -> float:
    """Calls of ``make`` per second over ``n`` calls (after 100 warm-up calls)."""
    for _ in range(100):
        make()
    start = time.perf_counter()
    for _ in range(n):
        make()
    return n / (time.perf_counter() - start)


def hypothesis_rate(strategy: Any, n: int) -> tuple[float, int]:
    """(examples per second, examples drawn) of a ``@given`` test over ``strategy``."""
    from hypothesis import HealthCheck, Phase, given, settings

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

    run(5)  # warm-up: strategy caches
    drawn = 0
    elapsed = run(n)
    return drawn / elapsed, drawn


def jsonschema_strategy() -> tuple[Any | None, str]:
    """(hypothesis-jsonschema strategy for our card schema, note); None when unavailable."""
    try:
        import hypothesis_jsonschema
        from hypothesis_jsonschema import from_schema
    except ImportError:
        return None, (
            f"hypothesis-jsonschema is not installed in {sys.prefix}; run with --pinned-venv "
            "(or pip install -r benchmarks/requirements-generators.txt)"
        )
    from contracttk.schemas import params_json_schema

    version = getattr(hypothesis_jsonschema, "__version__", "?")
    return from_schema(params_json_schema("card")), (
        f"hypothesis-jsonschema {version} on contracttk.schemas.params_json_schema('card')"
    )


class Rows:
    """Rates per row over rounds: ``{(name, kind): ([valid...], [invalid...])}``."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], tuple[list[float], list[float]]] = {}

    def add(self, name: str, kind: str, valid: float | None, invalid: float | None) -> None:
        """Record one round's rates of a row (None: not measured)."""
        v, i = self.data.setdefault((name, kind), ([], []))
        if valid is not None:
            v.append(valid)
        if invalid is not None:
            i.append(invalid)


def cell(rates: list[float]) -> str:
    """``median (min-max)`` of a row's rates, or a dash when not measured."""
    if not rates:
        return "not measured"
    med = f"{statistics.median(rates):,.0f}"
    if len(rates) == 1:
        return med
    return f"{med} ({min(rates):,.0f}-{max(rates):,.0f})"


def one_round(
    fake: Any,
    peers: dict[str, Callable[[], Any]],
    jss: dict[str, Any],
    args: Any,
    rows: Rows,
    short: list[str],
) -> None:
    """Measure every row once, in a fixed order (ours, then the peers)."""
    from contracttk.strategies import invalid_params, params

    from contracttk.contract import KIND_NAMES

    for kind in KIND_NAMES:
        rows.add(
            "ours: Faker provider",
            kind,
            faker_rate(getattr(fake, f"stripe_{kind}_params"), args.faker_n),
            faker_rate(getattr(fake, f"stripe_invalid_{kind}_params"), args.faker_n),
        )
    for kind in KIND_NAMES:
        valid, n_valid = hypothesis_rate(params(kind), args.hypothesis_n)
        invalid, n_invalid = hypothesis_rate(invalid_params(kind), args.hypothesis_n)
        for label, drawn in ((f"{kind} valid", n_valid), (f"{kind} invalid", n_invalid)):
            if drawn != args.hypothesis_n:
                short.append(f"{label}: {drawn} of {args.hypothesis_n}")
        rows.add("ours: Hypothesis strategies", kind, valid, invalid)
    for name, make in peers.items():
        rows.add(name, "card", faker_rate(make, args.faker_n), None)
    if jss["strategy"] is not None:
        try:
            rate, drawn = hypothesis_rate(jss["strategy"], args.hypothesis_n)
        except Exception as exc:
            # Kept as a result, not hidden: the peer does not run on this Hypothesis.
            first = f"{type(exc).__name__}: {exc}".splitlines()[0]
            jss["strategy"], jss["note"] = None, f"{jss['note']}: FAILED with {first}"
            return
        if drawn != args.hypothesis_n:
            short.append(f"hypothesis-jsonschema card: {drawn} of {args.hypothesis_n}")
        rows.add("peer: hypothesis_jsonschema.from_schema", "card", rate, None)


def ratio_line(label: str, ours: list[float], peer: list[float]) -> str:
    """Median of the per-round ratios ours/peer, with their range."""
    if not ours or not peer:
        return f"- {label}: not measured"
    per_round = [o / p for o, p in zip(ours, peer, strict=False)]
    spread = ", ".join(f"{r:.2f}x" for r in per_round)
    return f"- {label}: **{statistics.median(per_round):.2f}x** (per round: {spread})"


def main(argv: list[str] | None = None) -> int:
    """Measure, print the header, the table and the ratios; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, one round")
    parser.add_argument(
        "--pinned-venv",
        action="store_true",
        help="run in the cached venv of requirements-generators.txt (built on first use)",
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 3, quick 1)")
    parser.add_argument("--faker-n", type=int, default=None, help="calls per Faker row")
    parser.add_argument("--hypothesis-n", type=int, default=None, help="examples per row")
    raw = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(raw)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.faker_n = args.faker_n or (2_000 if args.quick else 20_000)
    args.hypothesis_n = args.hypothesis_n or (100 if args.quick else 500)

    venv_note = f"current interpreter ({sys.prefix})"
    if args.pinned_venv:
        try:
            venv = pinned_venv()
        except (RuntimeError, OSError) as exc:
            venv_note = f"PINNED VENV NOT AVAILABLE ({exc}); measured in {sys.prefix}"
        else:
            if Path(sys.prefix).resolve() != venv.resolve():
                python = str(venv / "bin" / "python")
                sys.stdout.flush()
                os.execv(python, [python, str(Path(__file__).resolve()), *raw])
            venv_note = f"pinned venv {venv}"

    import faker
    import hypothesis
    from contracttk.strategies import _pools, add_providers
    from faker import Faker

    assert _pools.POOL_SIZE == POOL_SIZE, "keep the peer's pool size equal to ours"
    # Build every locale pool before any timing: a one-off per process that would otherwise
    # land in whichever timed row first draws that locale.
    _pools.warm_pools(_pools.DEFAULT_LOCALES)

    fake = add_providers(Faker("en_US"))
    fake.seed_instance(0)
    choice = fake.random.choice

    def plain() -> dict[str, Any]:
        return {
            "card": {
                "number": fake.credit_card_number(),
                "name": fake.name(),
                "address": fake.address(),
            }
        }

    # The pooled peer's pools, built before timing like ours.
    numbers = [fake.credit_card_number() for _ in range(POOL_SIZE)]
    names = [fake.name() for _ in range(POOL_SIZE)]
    addresses = [fake.address() for _ in range(POOL_SIZE)]

    randint = fake.random.randint
    this_year = time.gmtime().tm_year
    split = [
        {
            "address_line1": fake.street_address(),
            "address_city": fake.city(),
            "address_state": fake.state_abbr(),
            "address_zip": fake.postcode(),
            "address_country": "US",
        }
        for _ in range(POOL_SIZE)
    ]

    def pooled_full() -> dict[str, Any]:
        return {
            "card": {
                "number": choice(numbers),
                "exp_month": f"{randint(1, 12):02d}",
                "exp_year": str(this_year + randint(1, 10)),
                "cvc": f"{randint(0, 999):03d}",
                "name": choice(names),
                **choice(split),
            }
        }

    def pooled() -> dict[str, Any]:
        return {
            "card": {"number": choice(numbers), "name": choice(names), "address": choice(addresses)}
        }

    full_row = f"peer: pooled Faker full card (10 fields, {POOL_SIZE}-entry pools)"
    plain_row = "peer: plain Faker card (number+name+address, built per call)"
    pooled_row = (
        f"peer: pooled Faker card (same 3 fields, {POOL_SIZE}-entry pools built before timing)"
    )
    strategy, note = jsonschema_strategy()
    jss: dict[str, Any] = {"strategy": strategy, "note": note}

    rows, short = Rows(), []
    for _ in range(args.rounds):
        one_round(
            fake,
            {plain_row: plain, pooled_row: pooled, full_row: pooled_full},
            jss,
            args,
            rows,
            short,
        )

    pin = (
        ""
        if hypothesis.__version__ == PINNED_HYPOTHESIS
        else (f" (NOT the pinned {PINNED_HYPOTHESIS}: see requirements-generators.txt)")
    )
    print(
        header(
            "Generators: payloads per second",
            ["hypothesis", "faker", "contracttk", "hypothesis-jsonschema"],
            raw,
        )
    )
    print(
        f"- Environment: {venv_note}; Hypothesis {hypothesis.__version__}{pin}, "
        f"Faker {faker.VERSION}"
    )
    print(
        f"- Counts: {args.faker_n:,} calls per Faker row, {args.hypothesis_n:,} examples per "
        f"Hypothesis row, {args.rounds} round(s); each cell is the median over rounds "
        "(the middle value), range in brackets"
    )
    print()
    print("| generator | kind | valid payloads/s | invalid payloads/s |")
    print("|---|---|---:|---:|")
    for (name, kind), (valid, invalid) in rows.data.items():
        print(f"| {name} | {kind} | {cell(valid)} | {cell(invalid) if invalid else '—'} |")
    if ("peer: hypothesis_jsonschema.from_schema", "card") not in rows.data:
        print("| peer: hypothesis_jsonschema.from_schema | card | not measured | — |")
    print()
    ours_faker = rows.data[("ours: Faker provider", "card")][0]
    ours_hyp = rows.data[("ours: Hypothesis strategies", "card")][0]
    print(
        ratio_line(
            "Faker provider card vs plain Faker card (peer builds every value)",
            ours_faker,
            rows.data[(plain_row, "card")][0],
        )
    )
    print(
        ratio_line(
            "Faker provider card vs pooled Faker card (peer given our pools)",
            ours_faker,
            rows.data[(pooled_row, "card")][0],
        )
    )
    print(
        ratio_line(
            "Faker provider card vs pooled Faker full card (our pools, our field set)",
            ours_faker,
            rows.data[(full_row, "card")][0],
        )
    )
    jss_rates = rows.data.get(("peer: hypothesis_jsonschema.from_schema", "card"), ([], []))[0]
    print(ratio_line("Hypothesis card_params vs hypothesis-jsonschema card", ours_hyp, jss_rates))
    if jss["strategy"] is None:
        print(f"- **hypothesis-jsonschema peer NOT MEASURED**: {jss['note']}")
    else:
        print(f"- hypothesis-jsonschema peer: {jss['note']}")
    if short:
        # Hypothesis stops early once it has exhausted a small input space (pii's valid
        # payloads): the rate is then over fewer examples, which the reader should know.
        seen = {entry: short.count(entry) for entry in short}
        listed = "; ".join(f"{e} (in {n} of {args.rounds} rounds)" for e, n in seen.items())
        print(f"- Rows that drew fewer examples than asked (Hypothesis ran out): {listed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
