"""schemathesis's coverage cases, kept on disk between runs.

The coverage phase derives its cases from the schema alone, not from the seed: the same
schemathesis, the same bundled document and the same case budget give the same cases in the
same order (checked across processes). Deriving them takes 1-2 s for ``POST /v1/tokens``'s
~1,700 cases (its six kinds), about as long as sending and judging them, so a run keeps them
in pytest's cache folder
(``.contracttk_cache/`` for ``contracttk fuzz``, ``.pytest_cache/`` under the plugin) and the
next run reads them back in a fraction of that.

The file is JSON, never pickle: a cache folder can come from a restored CI cache or a
checkout, and reading it must not run code. The cases share most of their subtrees, so the
file is a table of distinct nodes (each list or hash refers to earlier entries by index) and
the cases are indexes into it (for the whole document's 2,400 cases, 1.3 MB instead of
13 MB), read in well under a second. A file
that does not parse or has another shape is ignored and the cases are derived again; a case
that JSON would change (a non-str key, a bytes body) makes the list not kept at all.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from contracttk._files import write_atomic

__all__ = ["PlainCase", "cached_cases", "plain_case"]

FORMAT = 1
KEEP_FILES = 24
"""Older cache files (another schemathesis, another budget) beyond this many are removed."""
_LEAVES = (str, int, float, bool, type(None))


class PlainCase(NamedTuple):
    """A generated case as the runner sends it: nothing of schemathesis left in it."""

    method: str
    path_parameters: dict[str, Any] | None
    query: dict[str, Any] | None
    body: Any


def plain_case(case: Any) -> PlainCase:
    """A schemathesis ``Case`` reduced to what the runner sends (body: a JSON-like value)."""
    body = case.body if isinstance(case.body, (dict, list, str, bytes, int, float)) else None
    if isinstance(body, (int, float)) and not isinstance(body, bool):
        body = str(body)
    query = dict(case.query) if isinstance(case.query, dict) and case.query else None
    params = dict(case.path_parameters) if case.path_parameters else None
    return PlainCase(case.method.upper(), params, query, body)


class _NotKept(Exception):
    """A value the JSON table cannot hold exactly."""


def cache_key(method: str, path: str, document: Any, config: Any) -> str:
    """What the cases depend on: schemathesis's version, the document, the operation."""
    from importlib.metadata import version

    basis = [FORMAT, version("schemathesis"), document, method, path, repr(config)]
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=repr).encode()).hexdigest()


def cached_cases(
    folder: Path | None, key: str, derive: Callable[[], Iterable[PlainCase]]
) -> list[PlainCase]:
    """The cases kept under ``key`` in ``folder``, or else ``derive()``'s (then kept there).

    An interrupted derivation keeps nothing: a partial list must not stand for the whole.
    """
    path = folder / f"coverage-{key[:32]}.json" if folder is not None else None
    if path is not None:
        kept = _read(path, key)
        if kept is not None:
            return kept
    cases = list(derive())
    if path is not None:
        _write(path, key, cases)
    return cases


def _write(path: Path, key: str, cases: list[PlainCase]) -> None:
    try:
        text = _dump(key, cases)
    except _NotKept:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
        old = sorted(path.parent.glob("coverage-*.json"), key=lambda p: p.stat().st_mtime)
        for stale in old[:-KEEP_FILES]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass  # an unwritable cache costs the next run time, never this run its result


def _dump(key: str, cases: list[PlainCase]) -> str:
    table: list[list[Any]] = []
    index: dict[Any, int] = {}
    by_id: dict[int, int] = {}

    def node(value: Any) -> int:
        # Identity first: schemathesis hands out the same subtree objects again and again.
        known = by_id.get(id(value))
        if known is not None:
            return known
        tp = type(value)
        if tp is dict:
            if not all(type(k) is str for k in value):
                raise _NotKept
            pairs = tuple((k, node(v)) for k, v in value.items())
            ident: Any = ("d", pairs)
            entry: list[Any] = ["d", [list(p) for p in pairs]]
        elif tp is list:
            items = tuple(node(v) for v in value)
            ident, entry = ("l", items), ["l", list(items)]
        elif tp in _LEAVES:
            if tp is float and not math.isfinite(value):
                raise _NotKept
            # The type keeps True, 1 and 1.0 apart; repr keeps -0.0 apart from 0.0.
            ident, entry = ("v", tp, repr(value)), ["v", value]
        else:
            raise _NotKept
        at = index.get(ident)
        if at is None:
            at = index[ident] = len(table)
            table.append(entry)
        if tp is dict or tp is list:
            by_id[id(value)] = at
        return at

    # The row lists stay alive until the end: a freed one's id could be handed to the next.
    rows = [list(case) for case in cases]
    roots = [node(row) for row in rows]
    return json.dumps({"format": FORMAT, "key": key, "table": table, "cases": roots})


def _read(path: Path, key: str) -> list[PlainCase] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT or doc.get("key") != key:
            return None
        built: list[Any] = []
        for tag, value in doc["table"]:
            # Only earlier entries may be referred to: a file cannot make a cycle.
            if tag == "d":
                built.append({str(k): built[_ref(i, len(built))] for k, i in value})
            elif tag == "l":
                built.append([built[_ref(i, len(built))] for i in value])
            elif tag == "v" and isinstance(value, _LEAVES):
                built.append(value)
            else:
                return None
        out = []
        for root in doc["cases"]:
            method, params, query, body = built[_ref(root, len(built))]
            if not (
                isinstance(method, str)
                and isinstance(params, (dict, type(None)))
                and isinstance(query, (dict, type(None)))
            ):
                return None
            out.append(PlainCase(method, params, query, body))
        return out
    except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None


def _ref(i: Any, bound: int) -> int:
    if type(i) is not int or not 0 <= i < bound:
        raise ValueError("bad reference")
    return i
