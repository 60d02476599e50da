"""The UTF-8 table we give Hypothesis is the one it would compute, at the place it reads.

schemathesis draws strings with ``codec="utf-8"``, and Hypothesis's first answer to "what does
UTF-8 encode" is a pass over every code point (~3 s per fresh storage folder). The fuzz items
write the known answer first; these tests hold it equal to Hypothesis's own computation and
show that Hypothesis reads it from that file.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis.internal import charmap

from contracttk.conformance.suite_fuzz import _prime_utf8_table

# functools.cache keeps one answer per process; the undecorated function reads or computes.
read_or_compute = charmap.intervals_from_codec.__wrapped__


def tables_in(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Path:
    monkeypatch.setattr(
        charmap, "charmap_file", lambda fname="charmap": folder / f"{fname}.json.gz"
    )
    return folder / "codec-v2-utf-8.json.gz"


def test_the_primed_table_is_what_hypothesis_computes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables_in(monkeypatch, tmp_path / "computed")
    encodable, non_roundtrip = read_or_compute("utf-8")  # no file: every code point tried

    primed = tables_in(monkeypatch, tmp_path / "primed")
    _prime_utf8_table()
    assert primed.exists()
    assert json.loads(gzip.decompress(primed.read_bytes())) == [
        [list(i) for i in encodable.intervals],
        [list(i) for i in non_roundtrip.intervals],
    ]


def test_hypothesis_reads_the_table_from_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tables_in(monkeypatch, tmp_path)
    path.write_bytes(gzip.compress(json.dumps([[[65, 90]], []]).encode()))
    encodable, _ = read_or_compute("utf-8")
    assert encodable.intervals == ((65, 90),)  # the file's content, not a computation


def test_an_existing_table_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tables_in(monkeypatch, tmp_path)
    path.write_bytes(b"whatever Hypothesis wrote")
    _prime_utf8_table()
    assert path.read_bytes() == b"whatever Hypothesis wrote"
