"""The reference facts the contract model is tested against, read from ``tests/data/``.

``tests/data/expected_errors.json`` is written by hand from ``tests/data/stripe-tokens.md``;
``tests/data/token-params.json`` is the SDK parameter harvest. Nothing here imports
contracttk: what the tests expect must not come from the code under test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data"
FIELDS = ("status", "type", "code", "param")
SAFE_IDS: frozenset[str] = frozenset(
    {
        "000000000",
        "111111111",
        "222222222",
        "000000001",
        "111111112",
        *(f"22222100{i}" for i in range(6)),
        "0000",
    }
)
"""§10.4 of ``stripe-tokens.md``: identity test values (id numbers, tax ids, ssn_last_4)."""
US_TEST_ACCOUNTS: frozenset[str] = frozenset(
    {
        "000123456789",
        "000111111116",
        "000111111113",
        "000222222227",
        "000333333335",
        "000444444440",
        "000888888883",
        "000999999991",
        "000999999992",
    }
)
"""§10.3 of ``stripe-tokens.md``: Stripe's US test bank account numbers."""
USE_TIME_CARDS: tuple[str, ...] = (
    "4000000000000002",
    "4000000000009995",
    "4000000000009987",
    "4000000000009979",
    "4000000000000069",
    "4000000000000127",
    "4000000000000119",
    "4000000000006975",
    "4000000000000341",
    "4100000000000019",
    "4000000000000101",
    "4000000000000036",
    "4000000000000028",
    "4000000000000010",
    "4000000000000044",
    "4000000000000259",
)
"""§10.2 of ``stripe-tokens.md``: test cards that tokenize and fail only when used."""


def data_file(name: str) -> Path:
    """A file of ``tests/data`` (the repository's own copies of the reference material)."""
    return DATA / name


@cache
def harvest() -> dict[str, Any]:
    """``token-params.json`` → ``request_params`` (shared_top_level, token_types)."""
    raw = json.loads(data_file("token-params.json").read_text("utf-8"))
    return raw["request_params"]


def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A harvest node and all its descendants, depth first."""
    yield node
    for child in node.get("children", ()):
        yield from walk(child)


@cache
def nodes() -> dict[str, dict[str, Any]]:
    """Every harvest node by bracket path (``card[number]``, ``expand``, ...)."""
    out: dict[str, dict[str, Any]] = {}
    for kind in harvest()["token_types"].values():
        out.update((n["path"], n) for n in walk(kind["param"]))
    out.update(harvest()["shared_top_level"])
    return out


def kinds() -> tuple[str, ...]:
    """The six token kinds, in the harvest's order."""
    return tuple(harvest()["token_types"])


def keys_of(path: str) -> tuple[str, ...]:
    """``account[individual][dob]`` -> ``("account", "individual", "dob")``."""
    head, _, rest = path.partition("[")
    return (head, *rest.rstrip("]").split("][")) if rest else (head,)


def bracket(keys: tuple[str, ...]) -> str:
    """``("account", "individual", "dob")`` -> ``account[individual][dob]``."""
    return keys[0] + "".join(f"[{k}]" for k in keys[1:])


@dataclass(frozen=True)
class Row:
    """One row of the hand-written table: Stripe's answer(s) and what is established."""

    label: str
    answers: tuple[dict[str, Any], ...]
    hard: frozenset[str]
    reject: str | None
    source: str

    def answers_for(self, path: str | None, key: str | None = None) -> list[dict[str, Any]]:
        """The answers with ``{path}`` / ``{key}`` filled in; absent fields are None."""
        out = []
        for answer in self.answers:
            filled: dict[str, Any] = dict.fromkeys(FIELDS)
            for name, value in answer.items():
                if isinstance(value, str):
                    value = value.replace("{path}", path or "").replace("{key}", key or "")
                filled[name] = value
            out.append(filled)
        return out

    @property
    def varying(self) -> frozenset[str]:
        """Fields whose value differs between the answers (hard only as 'one of them')."""
        return frozenset(f for f in FIELDS if len({a.get(f) for a in self.answers}) > 1)


def _row(raw: dict[str, Any], label: str) -> Row:
    return Row(
        label=label,
        answers=tuple(raw["answers"]),
        hard=frozenset(raw["hard"]),
        reject=raw.get("reject"),
        source=raw["source"],
    )


@cache
def table() -> dict[str, Any]:
    """The parsed ``expected_errors.json``."""
    return json.loads(data_file("expected_errors.json").read_text("utf-8"))


@cache
def entry_rows() -> dict[str, Row]:
    """Rows written for one catalogue entry, by its name."""
    return {raw["name"]: _row(raw, raw["name"]) for raw in table()["entries"]}


def _matches(node: dict[str, Any], want: dict[str, Any]) -> bool:
    if "type" in want and node["type"] != want["type"]:
        return False
    return not ("map" in want and bool(node.get("map_of")) != want["map"])


def row_for(name: str) -> Row | None:
    """The row for catalogue entry ``name`` (``<path>:<rule>``): by name, else by family."""
    if name in entry_rows():
        return entry_rows()[name]
    path, _, rule = name.rpartition(":")
    node = nodes().get(path)
    if node is None:
        return None
    for raw in table()["families"]:
        if raw["rule"] == rule and _matches(node, raw["node"]):
            return _row(raw, f"family {rule} {raw['node']}")
    return None


def family(rule: str, node_filter: dict[str, Any] | None = None) -> Row:
    """The family row for ``rule`` (the first whose node filter equals ``node_filter``)."""
    for raw in table()["families"]:
        if raw["rule"] == rule and (node_filter is None or raw["node"] == node_filter):
            return _row(raw, f"family {rule} {raw['node']}")
    raise KeyError(rule)
