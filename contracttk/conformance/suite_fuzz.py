"""Items driven by schemathesis: its fuzzing and coverage phases over the bundled OpenAPI document.

What the strategies did not think of: schemathesis draws cases (positive and negative) and
derives boundary cases from the schema; every case is sent by our runner (Stripe form
encoding, the run's key, bounded transport) and judged by the oracle like any other.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any
from urllib.parse import quote

from contracttk.contract import KIND_NAMES
from contracttk.encoding import encode_loose

from .runner import Runner, SuiteItem

__all__ = ["COVERAGE_CASES_PER_EXAMPLE", "FUZZ_SHARE", "ITEMS", "MAX_PATH_ID", "MAX_URL"]

COVERAGE_CASES_PER_EXAMPLE = 40
"""The coverage phase sends at most this many cases per ``--max-examples`` (60 -> 2,400, about
all of ``POST /v1/tokens``'s ~2,350), so ``--max-examples`` bounds every phase."""
FUZZ_SHARE = 2
"""The fuzz items draw ``max_examples // FUZZ_SHARE`` cases (see ``_fuzz``)."""
MAX_PATH_ID = 512
"""Generated path ids longer than this are cut: multi-kilobyte URLs meet the HTTP layer's
limits (414/431), not the API contract, and a dropped case would leave the item empty."""
MAX_URL = 4096
"""Generated URLs longer than this (a fuzzed query) are not sent but counted as unsent: server
libraries refuse them before the API sees them (uvicorn resets the connection or answers a
plain-text 400), which says nothing about the contract."""


def _schema(r: Runner) -> Any:
    return _load_schema(r.target.url)


@cache
def _load_schema(base_url: str) -> Any:
    """The bundled OpenAPI document as a schemathesis schema: loaded once per process
    (building it and its strategies costs about a second; four items use it)."""
    import schemathesis

    from contracttk.schemas import openapi_document

    schema = schemathesis.openapi.from_dict(openapi_document())
    schema.config.update(base_url=base_url)
    return schema


def _in_scope(r: Runner, body: Any) -> Any:
    """``body`` without the token kinds the run does not test (``--kind``).

    The rest of the case (its other kind, top-level oddities) is still worth sending: a
    card-only implementation is fuzzed on its card hash, not left with a handful of cases.
    """
    if not isinstance(body, Mapping) or len(r.settings.kinds) == len(KIND_NAMES):
        return body
    return {k: v for k, v in body.items() if k not in KIND_NAMES or k in r.settings.kinds}


def _send_case(r: Runner, case: Any) -> None:
    """Send one schemathesis case (any method) and judge it."""
    method = case.method.upper()
    body = case.body if isinstance(case.body, (dict, list, str, bytes, int, float)) else None
    if isinstance(body, (int, float)) and not isinstance(body, bool):
        body = str(body)
    body = _in_scope(r, body)
    query = case.query if isinstance(case.query, dict) and case.query else None
    if case.path_parameters:
        params = {
            k: (str(v)[:MAX_PATH_ID] if v is not None else "")
            for k, v in case.path_parameters.items()
        }
        path = case.operation.path
        for k, v in params.items():
            path = path.replace("{" + k + "}", quote(v, safe=""))
    else:
        path = case.operation.path
    if len(path) + (len(encode_loose(dict(query))) if query else 0) > MAX_URL:
        r.result.unsent += 1
        return
    r.exchange_later(
        method,
        path,
        body=body if method == "POST" else None,
        query=query if method != "POST" else None,
    )


@contextmanager
def _schemathesis_buffer() -> Iterator[None]:
    """Hypothesis's buffer as schemathesis sizes it, for the fuzz items only.

    schemathesis raises Hypothesis's buffer globally when its pytest plugin loads; the
    pytest adapter puts it back for everyone else's tests, so the items that draw
    schemathesis cases set it for their own duration and restore it after.
    """
    from hypothesis import core as root_core
    from hypothesis.internal.conjecture import engine
    from hypothesis.strategies._internal import collections
    from schemathesis.core import INTERNAL_BUFFER_SIZE

    modules = (root_core, engine, collections)
    before = [getattr(m, "BUFFER_SIZE", None) for m in modules]
    for m in modules:
        m.BUFFER_SIZE = INTERNAL_BUFFER_SIZE  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for m, value in zip(modules, before, strict=True):
            if value is not None:
                m.BUFFER_SIZE = value  # type: ignore[attr-defined]


def _fuzz(method: str, path: str) -> Callable[[Runner], None]:
    def run(r: Runner) -> None:
        from hypothesis import strategies as st
        from schemathesis import GenerationMode

        op = _schema(r)[path][method]
        strategy = st.one_of(
            op.as_strategy(generation_mode=GenerationMode.POSITIVE),
            op.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )
        # Positive and negative cases share half the item budget: schemathesis draws a case
        # of this schema in 30-50 ms (and builds its negative strategies once, ~1.5 s), where
        # the rest of a case costs ~1 ms. More would make the fuzz items most of a default
        # run's time for a few dozen cases; --max-examples raises them with the rest.
        with _schemathesis_buffer():
            r.run_examples(
                strategy,
                lambda case: _send_case(r, case),
                max_examples=max(1, r.max_examples // FUZZ_SHARE),
            )

    return run


def _coverage(method: str, path: str) -> Callable[[Runner], None]:
    """schemathesis's coverage phase: boundary values, missing/extra keys, other methods.

    The cases are deterministic (derived from the bundled schema, not from the seed); every
    one is judged by the oracle, the envelope and secret checks.
    """

    def run(r: Runner) -> None:
        from schemathesis import GenerationMode

        schema = _schema(r)
        op = schema[path][method]
        cases = schema.iter_coverage_cases(
            op,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=schema.config.generation_for(operation=op),
        )
        for case in itertools.islice(cases, COVERAGE_CASES_PER_EXAMPLE * r.max_examples):
            _send_case(r, case)

    return run


ITEMS: tuple[SuiteItem, ...] = (
    SuiteItem("fuzz::POST /v1/tokens", _fuzz("POST", "/v1/tokens")),
    SuiteItem("fuzz::GET /v1/tokens/{token}", _fuzz("GET", "/v1/tokens/{token}")),
    SuiteItem("coverage::POST /v1/tokens", _coverage("POST", "/v1/tokens")),
    SuiteItem("coverage::GET /v1/tokens/{token}", _coverage("GET", "/v1/tokens/{token}")),
)
