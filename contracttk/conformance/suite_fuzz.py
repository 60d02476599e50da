"""Items driven by schemathesis: its fuzzing and coverage phases over the bundled OpenAPI document.

What the strategies did not think of: schemathesis draws cases (positive and negative) and
derives boundary cases from the schema; every case is sent by our runner (Stripe form
encoding, the run's key, bounded transport) and judged by the oracle like any other.

``POST /v1/tokens`` is fuzzed and covered one token kind at a time (the document narrowed by
``openapi_document(kind)``, for each kind under test): over the whole document almost every
case carries several kinds and is refused for that alone (2,374 of the coverage phase's
2,400), whatever value it was made to try; narrowed, each value meets its kind's rules, a
positive case can create a token, and ``--kind`` scopes the phases too. Several kinds in one
body stay covered by the catalogue's own violation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any
from urllib.parse import quote

from contracttk._files import write_atomic
from contracttk.encoding import encode_loose

from .coverage_cache import PlainCase, cache_key, cached_cases, plain_case
from .runner import Runner, SuiteItem

__all__ = ["COVERAGE_CASES_PER_EXAMPLE", "FUZZ_SHARE", "ITEMS", "MAX_PATH_ID", "MAX_URL"]

COVERAGE_CASES_PER_EXAMPLE = 40
"""The coverage phase sends at most this many cases per ``--max-examples`` (60 -> 2,400, more
than the ~1,700 of ``POST /v1/tokens``'s six kinds), so ``--max-examples`` bounds every phase."""
MAX_DERIVED = 5000
"""A cap on the cases derived for one operation (and kind): a safety bound, far above need."""
FUZZ_SHARE = 2
"""The fuzz items draw ``max_examples // FUZZ_SHARE`` cases (see ``_fuzz``)."""
MAX_PATH_ID = 512
"""Generated path ids longer than this are cut: multi-kilobyte URLs meet the HTTP layer's
limits (414/431), not the API contract, and a dropped case would leave the item empty."""
MAX_URL = 4096
"""Generated URLs longer than this (a fuzzed query) are not sent but counted as unsent: server
libraries refuse them before the API sees them (uvicorn resets the connection or answers a
plain-text 400), which says nothing about the contract."""


def _schema(r: Runner, kind: str | None = None) -> Any:
    return _load_schema(r.target.url, kind)


@cache
def _document(kind: str | None) -> dict[str, Any]:
    """The bundled OpenAPI document; with ``kind``, ``POST /v1/tokens`` takes that kind only."""
    from contracttk.schemas import openapi_document

    return openapi_document(kind)


UTF8_TABLE = [[[0, 0xD7FF], [0xE000, 0x10FFFF]], []]
"""What UTF-8 encodes (every code point but the surrogates) and what of it does not round-trip
(nothing), in the shape of Hypothesis's ``codec-v2-utf-8`` table."""


def _prime_utf8_table() -> None:
    """Give Hypothesis its UTF-8 table before schemathesis asks for it.

    schemathesis draws strings with ``codec="utf-8"``; Hypothesis finds out which characters
    that codec encodes by encoding all 1,114,112 code points (~3 s, once per storage
    folder: on a fresh CI machine, every run). The answer is a fact of UTF-8, so it is
    written where Hypothesis keeps the table it would compute: the same content, checked
    against the codec here. A later format gets a new file name and ignores this one.
    """
    import gzip
    import json
    import sys

    from hypothesis.internal import charmap

    try:
        path = charmap.charmap_file("codec-v2-utf-8")
        if path.exists() or sys.maxunicode != 0x10FFFF:
            return
        for lo, hi in UTF8_TABLE[0]:
            (chr(lo) + chr(hi)).encode("utf-8")
        for surrogate in (0xD800, 0xDFFF):
            try:
                chr(surrogate).encode("utf-8")
            except UnicodeEncodeError:
                continue
            return
        raw = json.dumps(UTF8_TABLE).encode()
        write_atomic(path, gzip.compress(raw, mtime=1))
    except (OSError, AttributeError, TypeError):
        pass  # Hypothesis computes the table itself, as it would without us


@cache
def _load_schema(base_url: str, kind: str | None = None) -> Any:
    """A document of :func:`_document` as a schemathesis schema: loaded once per process
    (building it and its strategies costs about a second; several items use it)."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    _prime_utf8_table()
    # schemathesis's defaults, explicitly: left to itself it reads a schemathesis.toml found
    # in the working folder or above it, and a seed must replay the same run anywhere.
    schema = schemathesis.openapi.from_dict(_document(kind), config=SchemathesisConfig())
    schema.config.update(base_url=base_url)
    return schema


def _send_case(r: Runner, path: str, case: PlainCase) -> None:
    """Send one generated case (any method) for the operation at ``path`` and judge it."""
    body = case.body
    if case.path_parameters:
        for k, v in case.path_parameters.items():
            value = str(v)[:MAX_PATH_ID] if v is not None else ""
            path = path.replace("{" + k + "}", quote(value, safe=""))
    # Encoded once: measured here, sent as it is (the runner takes a ready query string).
    query = encode_loose(dict(case.query)).decode("ascii") if case.query else None
    if len(path) + len(query or "") > MAX_URL:
        r.result.unsent += 1
        return
    r.exchange_later(
        case.method,
        path,
        body=body if case.method == "POST" else None,
        query=query if case.method != "POST" else None,
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


def _kinds(r: Runner, method: str, path: str) -> tuple[str | None, ...]:
    """The kinds whose narrowed documents an operation is generated from (None: whole)."""
    if method == "POST" and path == "/v1/tokens":
        return tuple(r.settings.kinds)
    return (None,)


def _fuzz(method: str, path: str) -> Callable[[Runner], None]:
    def run(r: Runner) -> None:
        from hypothesis import strategies as st
        from schemathesis import GenerationMode

        ops = [_schema(r, kind)[path][method] for kind in _kinds(r, method, path)]
        strategy = st.one_of(
            *(
                op.as_strategy(generation_mode=mode)
                for op in ops
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            )
        )
        # Positive and negative cases share half the item budget: schemathesis draws a case
        # in 10-50 ms (and builds its strategies once per kind and mode), where the rest of
        # a case costs ~1 ms. More would make the fuzz items most of a default
        # run's time for a few dozen cases; --max-examples raises them with the rest.
        with _schemathesis_buffer():
            r.run_examples(
                strategy,
                lambda case: _send_case(r, path, plain_case(case)),
                max_examples=max(1, r.max_examples // FUZZ_SHARE),
            )

    return run


def _coverage(method: str, path: str) -> Callable[[Runner], None]:
    """schemathesis's coverage phase: boundary values, missing/extra keys, other methods.

    ``POST /v1/tokens`` one kind at a time, in turn (see the module's docstring); its
    bodies are ~0.3-7 KB, not the whole document's ~10 KB. The cases are deterministic (derived from the schema, not from the seed) and kept in the
    run's cache folder between runs (:mod:`.coverage_cache`); every one is judged by the
    oracle, the envelope and secret checks.
    """

    def run(r: Runner) -> None:
        streams = [_coverage_cases(r, method, path, kind) for kind in _kinds(r, method, path)]
        # Round robin: a small budget still reaches every kind.
        turns = itertools.zip_longest(*streams)
        every = (case for turn in turns for case in turn if case is not None)
        for case in itertools.islice(every, COVERAGE_CASES_PER_EXAMPLE * r.max_examples):
            _send_case(r, path, case)

    return run


def _coverage_cases(r: Runner, method: str, path: str, kind: str | None) -> list[PlainCase]:
    schema = _schema(r, kind)
    op = schema[path][method]
    config = schema.config.generation_for(operation=op)

    def derive() -> Iterator[PlainCase]:
        from schemathesis import GenerationMode

        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        cases = schema.iter_coverage_cases(op, generation_modes=modes, generation_config=config)
        return (plain_case(case) for case in itertools.islice(cases, MAX_DERIVED))

    return cached_cases(r.cache_dir, cache_key(method, path, _document(kind), config), derive)


ITEMS: tuple[SuiteItem, ...] = (
    SuiteItem("fuzz::POST /v1/tokens", _fuzz("POST", "/v1/tokens")),
    SuiteItem("fuzz::GET /v1/tokens/{token}", _fuzz("GET", "/v1/tokens/{token}")),
    SuiteItem("coverage::POST /v1/tokens", _coverage("POST", "/v1/tokens")),
    SuiteItem("coverage::GET /v1/tokens/{token}", _coverage("GET", "/v1/tokens/{token}")),
)
