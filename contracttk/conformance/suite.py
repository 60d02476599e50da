"""The suite: which items exist, and the generated items of every token kind.

Every :data:`SUITE` entry becomes one pytest item (``contracttk::<name>``). An item is a
function ``run(runner)``; :func:`run_item` runs one against a target and returns what it
found. The protocol items live in :mod:`.suite_protocol`, the schemathesis-driven ones in
:mod:`.suite_fuzz`; here are the per-kind items:

* ``<kind>::valid``: every documented test value of the kind, then payloads drawn from
  :mod:`contracttk.strategies` (built from the contract model, so they mint tokens);
* ``<kind>::invalid``: every catalogue entry once on the kind's sample payload, then
  Hypothesis-drawn invalid payloads labelled from the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from contracttk.contract import KIND_NAMES, sample_params

from .results import ItemResult
from .runner import Limits, RunLimitReached, Runner, SuiteItem, TargetDownError
from .settings import Settings
from .transport import Target

__all__ = ["SUITE", "SuiteItem", "item_names", "run_item"]


def keys_for_create(r: Runner) -> list[str]:
    """The keys a create may use: the secret key, and the publishable one when given."""
    keys = [r.settings.api_key]
    if r.settings.publishable_key:
        keys.append(r.settings.publishable_key)
    return keys


def documented_payloads(kind: str) -> list[dict[str, Any]]:
    """Valid payloads carrying every documented test value of ``kind`` (the contract's
    ``documented_params``), plus for cards one with non-ASCII holder data: a classic crash
    of legacy ASCII-only fields, sent whatever the seed."""
    from contracttk.contract import documented_params

    out = documented_params(kind)
    if kind == "card":
        unicode_card = sample_params("card")
        unicode_card["card"].update(
            name="José Jäggi-斉藤",
            address_line1="Straße 1",
            address_city="Zürich",
            address_country="CH",
        )
        out.append(unicode_card)
    return out


def _valid(kind: str) -> Callable[[Runner], None]:
    def run(r: Runner) -> None:
        from hypothesis import strategies as st

        from contracttk import strategies as S

        for params in documented_payloads(kind):
            r.create_later(params, kind=kind)
        strategy = st.tuples(S.params(kind), st.sampled_from(keys_for_create(r)))

        def one(value: tuple[Any, str]) -> None:
            payload, key = value
            r.create_later(payload, key=key, kind=kind)

        r.run_examples(strategy, one)

    return run


def _invalid(kind: str) -> Callable[[Runner], None]:
    def run(r: Runner) -> None:
        from hypothesis import strategies as st

        from contracttk import strategies as S
        from contracttk.contract import violations_for

        # Every catalogue entry once, on the kind's sample payload: deterministic coverage
        # of the whole catalogue; then Hypothesis varies the base payloads and entries.
        base = sample_params(kind)
        for v in violations_for(kind):
            r.create_later(v.apply(base), kind=kind, violation=v.name)
        strategy = st.tuples(S.invalid_params(kind), st.sampled_from(keys_for_create(r)))

        def one(value: tuple[Any, str]) -> None:
            bad, key = value
            r.create_later(bad.params, key=key, kind=kind, violation=bad.violation)

        r.run_examples(strategy, one)

    return run


def _suite() -> tuple[SuiteItem, ...]:
    from . import suite_fuzz, suite_protocol

    per_kind = tuple(
        item
        for kind in KIND_NAMES
        for item in (
            SuiteItem(f"{kind}::valid", _valid(kind), kind, description=f"valid {kind} payloads"),
            SuiteItem(
                f"{kind}::invalid", _invalid(kind), kind, description=f"invalid {kind} payloads"
            ),
        )
    )
    return (*per_kind, *suite_protocol.ITEMS, *suite_fuzz.ITEMS)


SUITE: tuple[SuiteItem, ...] = _suite()


def item_names(settings: Settings | None = None) -> list[str]:
    """Every item name in suite order (identical on every xdist worker)."""
    return [item.name for item in SUITE]


def run_item(
    name: str,
    settings: Settings,
    target: Target,
    *,
    limits: Limits | None = None,
    progress: Callable[[ItemResult], None] | None = None,
    cache_dir: Path | None = None,
) -> ItemResult:
    """Run the suite item ``name`` against ``target`` and return what it found.

    When the target stops answering mid-item, ``down`` says so; when a run limit is
    reached, ``stopped`` does; an item that applies but sent no request at all is marked
    with ``skipped=None`` and ``cases == 0`` (the front end makes that an error).
    """
    item = next(i for i in SUITE if i.name == name)
    result = ItemResult(name, seed=settings.seed)
    if item.kind is not None and item.kind not in settings.kinds:
        result.skipped = f"{item.kind} is not among the kinds under test (--kind)"
        return result
    if item.needs == "publishable" and not settings.publishable_key:
        result.skipped = "no publishable key given"
        return result
    if item.needs == "live" and not settings.live_key:
        result.skipped = "no live secret key given"
        return result
    runner = Runner(settings, target, result, limits=limits, progress=progress, cache_dir=cache_dir)
    try:
        item.run(runner)
        runner.flush()
    except TargetDownError as err:
        result.down = str(err)
    except RunLimitReached as err:
        result.stopped = str(err)
    except Exception as err:
        # Hypothesis may wrap ours (e.g. in a flaky-failure group when the target died
        # mid-example); anything else is a bug of ours and propagates.
        found = _find(err, (TargetDownError, RunLimitReached))
        if found is None:
            raise
        if isinstance(found, TargetDownError):
            result.down = str(found)
        else:
            result.stopped = str(found)
    finally:
        runner.close()
    return result


def _find(err: BaseException, types: tuple[type[BaseException], ...], depth: int = 0) -> Any:
    if isinstance(err, types):
        return err
    if depth > 5:
        return None
    for sub in (*getattr(err, "exceptions", ()), err.__cause__, err.__context__):
        if isinstance(sub, BaseException):
            found = _find(sub, types, depth + 1)
            if found is not None:
                return found
    return None
