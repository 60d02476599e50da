"""The coverage phase: one token kind at a time, its derived cases kept between runs exactly.

The cache file is read back into the very cases that were derived (types and order kept, a
damaged file ignored, a partial derivation never kept), and a run reading the cache sends
the same requests as one that derived them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracttk.conformance.coverage_cache import PlainCase, _dump, _read, cached_cases
from contracttk.conformance.session import RunState
from contracttk.conformance.settings import resolve
from contracttk.contract import KIND_NAMES
from contracttk.server import TokenService, create_app

KEY = "k" * 64


def strictly_equal(a: Any, b: Any) -> bool:
    """``==`` that also tells True from 1 from 1.0, -0.0 from 0.0, and dict key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(strictly_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(strictly_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return repr(a) == repr(b)
    return bool(a == b)


def keep_and_read(tmp_path: Path, cases: list[PlainCase]) -> list[PlainCase] | None:
    path = tmp_path / "c.json"
    path.write_text(_dump(KEY, cases), encoding="utf-8")
    return _read(path, KEY)


leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()  # lone surrogates included: JSON escapes them
)
trees = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
cases_st = st.lists(
    st.builds(
        PlainCase,
        st.sampled_from(["POST", "GET"]),
        st.none() | st.dictionaries(st.text(max_size=3), st.text(max_size=5), max_size=2),
        st.none() | st.dictionaries(st.text(max_size=3), trees, max_size=2),
        trees,
    ),
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(cases_st)
def test_kept_cases_read_back_exactly(tmp_path_factory: pytest.TempPathFactory, cases: Any) -> None:
    back = keep_and_read(tmp_path_factory.mktemp("c"), cases)
    assert back is not None
    assert len(back) == len(cases)
    for got, want in zip(back, cases, strict=True):
        assert strictly_equal(list(got), list(want)), (got, want)


def test_shared_subtrees_are_stored_once(tmp_path: Path) -> None:
    person = {"first_name": "Jo", "address": {"line1": "x" * 500, "city": "Y"}}
    cases = [PlainCase("POST", None, None, {"person": person, "n": str(i)}) for i in range(200)]
    text = _dump(KEY, cases)
    assert text.count("x" * 500) == 1
    assert len(text) < 20_000  # 200 bodies of ~550 bytes each: the table holds one copy
    assert keep_and_read(tmp_path, cases) == cases


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: "not json",
        lambda d: json.dumps({**d, "key": "other"}),
        lambda d: json.dumps({**d, "format": 99}),
        lambda d: json.dumps({**d, "table": [["l", [0]]]}),  # refers to itself
        lambda d: json.dumps({**d, "table": [["x", 1]]}),
        lambda d: json.dumps({**d, "cases": [len(d["table"])]}),
        lambda d: json.dumps({**d, "cases": [0]}),  # a leaf, not a case row
        lambda d: json.dumps({**d, "table": {"a": 1}}),
    ],
)
def test_a_damaged_file_is_ignored(tmp_path: Path, damage: Any) -> None:
    cases = [PlainCase("POST", None, None, {"card": {"number": "4242424242424242"}})]
    doc = json.loads(_dump(KEY, cases))
    path = tmp_path / "c.json"
    path.write_text(damage(doc), encoding="utf-8")
    assert _read(path, KEY) is None


@pytest.mark.parametrize(
    "body",
    [b"raw bytes", {"x": math.nan}, {"x": math.inf}, {1: "int key"}, {"x": ("tuple",)}],
)
def test_values_json_would_change_are_not_kept(tmp_path: Path, body: Any) -> None:
    cases = [PlainCase("POST", None, None, body)]
    assert cached_cases(tmp_path, KEY, lambda: iter(cases)) == cases
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_derivation_keeps_nothing(tmp_path: Path) -> None:
    def derive() -> Any:
        yield PlainCase("POST", None, None, {"a": "1"})
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cached_cases(tmp_path, KEY, derive)
    assert list(tmp_path.iterdir()) == []


def test_a_kept_list_is_read_instead_of_derived(tmp_path: Path) -> None:
    cases = [PlainCase("GET", {"token": "tok_1"}, {"expand": ["card"]}, None)]
    assert cached_cases(tmp_path, KEY, lambda: iter(cases)) == cases

    def must_not_derive() -> Any:
        raise AssertionError("derived again although a kept list exists")

    assert cached_cases(tmp_path, KEY, must_not_derive) == cases


class Recording(TokenService):
    """The reference service, noting the token kinds of every create it validates."""

    seen: ClassVar[list[tuple[str, ...]]] = []

    def validate(self, params: Any, key: Any) -> str:
        Recording.seen.append(tuple(k for k in KIND_NAMES if k in params))
        return super().validate(params, key)


def coverage_run(tmp_path: Path, **raw: Any) -> tuple[list[tuple[str, ...]], dict[str, Any]]:
    Recording.seen = []
    settings_ = resolve({"url": "http://testserver", "seed": 3, "max_examples": 60, **raw})
    state = RunState(settings_, app=create_app(service_cls=Recording), cache_dir=tmp_path)
    result, record = state.run_item("coverage::POST /v1/tokens")
    assert result.hard == [] and result.cases > 0
    return list(Recording.seen), record


def test_coverage_sends_one_kind_at_a_time_and_a_kept_run_sends_the_same(tmp_path: Path) -> None:
    derived, _ = coverage_run(tmp_path)
    assert sorted(p.name.startswith("coverage-") for p in tmp_path.iterdir()) == [True] * 6
    # Every kind is covered, and no case carries two kinds (over the whole document almost
    # every case did, and was refused for that alone).
    assert {kinds[0] for kinds in derived if len(kinds) == 1} == set(KIND_NAMES)
    assert all(len(kinds) <= 1 for kinds in derived)
    kept, _ = coverage_run(tmp_path)
    assert kept == derived


def test_kind_scope_covers_only_that_kind(tmp_path: Path) -> None:
    seen, _ = coverage_run(tmp_path, kind="bank_account")
    assert seen and {k for kinds in seen for k in kinds} == {"bank_account"}


def test_a_schemathesis_toml_in_the_working_folder_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """schemathesis reads schemathesis.toml from the working folder up; a seed must replay
    the same run wherever it is started, so the items use schemathesis's defaults."""
    from contracttk.conformance.suite_fuzz import _load_schema

    (tmp_path / ".git").mkdir()  # where schemathesis stops looking upwards
    (tmp_path / "schemathesis.toml").write_text(
        '[generation]\ncodec = "ascii"\nallow-x00 = false\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    schema = _load_schema.__wrapped__("http://testserver", "card")
    op = schema["/v1/tokens"]["POST"]
    generation = schema.config.generation_for(operation=op)
    assert (generation.codec, generation.allow_x00) == ("utf-8", True)
