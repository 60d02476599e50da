"""Tests for ``contracttk fixtures dump``: the records, determinism, formats and manifest.

Verify and the committed sample are in ``test_fixtures_verify.py``, bad input and
``--force`` in ``test_fixtures_cli_errors.py``, interrupts in ``test_fixtures_interrupts.py``,
memory in ``test_fixtures_memory.py``; hostile cases in ``tests/security/``.

Records are judged by the contract model, not by the dump's own code: a valid record
must be accepted by the oracle (``evaluate_create`` with the dump's ``as_of``), an
invalid one must earn exactly its catalogue entry as the first finding, and its
``expect`` must be that entry's ``ExpectedError.to_json()``. Files are read back with the
standard ``json`` module and checksums recomputed with ``hashlib``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from contracttk.cli import main
from contracttk.contract import (
    KIND_NAMES,
    evaluate_create,
    get_violation,
    violations_for,
)
from contracttk.encoding import decode, encode
from contracttk.fixtures_dump import DumpOptions, dump

AS_OF = date(2026, 11, 27)


# --- helpers ------------------------------------------------------------------------------------


def run(*args: str) -> Any:
    """Invoke ``contracttk`` in-process (stdout and stderr kept apart)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def folder_sha(folder: Path) -> str:
    """sha256 over every file's relative path and bytes."""
    sha = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            sha.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def full_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All kinds, the whole catalogue once each, two valid records per kind (jsonl)."""
    out = tmp_path_factory.mktemp("full") / "dump"
    dump(out, DumpOptions(valid=3, seed=7, as_of=AS_OF))
    return out


# --- records ------------------------------------------------------------------------------------


def test_records_have_the_documented_fields(full_dump: Path) -> None:
    for kind in KIND_NAMES:
        for rec in read_jsonl(full_dump / f"{kind}.jsonl"):
            assert rec["token_type"] == kind
            assert rec["body"] == encode(rec["params"])
            assert decode(rec["body"]) == decode(encode(rec["params"]))
            keys = ["id", "token_type", "valid", "params", "body", "expect"]
            if not rec["valid"]:
                keys[3:3] = ["violation", "description"]
            assert list(rec) == keys


def test_valid_records_are_accepted_by_the_oracle(full_dump: Path) -> None:
    for kind in KIND_NAMES:
        valid = [r for r in read_jsonl(full_dump / f"{kind}.jsonl") if r["valid"]]
        assert len(valid) == 3
        for rec in valid:
            assert list(rec["params"]) == [kind]
            verdict = evaluate_create(rec["params"], today=AS_OF)
            assert verdict.accepted, (rec["id"], verdict.findings)
            # ...and after the round trip through the wire format.
            assert evaluate_create(decode(rec["body"]), today=AS_OF).accepted
            assert rec["expect"] == {"status": 200}


def test_invalid_records_earn_their_catalogue_error(full_dump: Path) -> None:
    for kind in KIND_NAMES:
        for rec in read_jsonl(full_dump / f"{kind}.jsonl"):
            if rec["valid"]:
                continue
            violation = get_violation(rec["violation"])
            assert violation.kind in (None, kind)
            assert rec["description"] == violation.description
            assert rec["expect"] == violation.expected.to_json()
            first = evaluate_create(decode(rec["body"]), today=AS_OF).first
            assert first is not None and first.violation == rec["violation"], rec["id"]


@settings(max_examples=12, deadline=None)
@given(
    kind=st.sampled_from(KIND_NAMES),
    seed=st.integers(0, 2**64),
    locale=st.sampled_from(["en_US", "de_DE", "ja_JP", "fr_FR"]),
    as_of=st.dates(date(2000, 1, 1), date(2090, 12, 31)),
)
def test_any_seed_locale_and_day_gives_oracle_consistent_records(
    tmp_path_factory: pytest.TempPathFactory, kind: str, seed: int, locale: str, as_of: date
) -> None:
    out = tmp_path_factory.mktemp("prop") / "d"
    # The whole catalogue of the kind (invalid=None) on a base drawn from this seed.
    dump(out, DumpOptions(kinds=(kind,), valid=4, seed=seed, locale=locale, as_of=as_of))
    for rec in read_jsonl(out / f"{kind}.jsonl"):
        verdict = evaluate_create(decode(rec["body"]), today=as_of)
        if rec["valid"]:
            assert verdict.accepted, (rec["id"], verdict.findings)
        else:
            assert verdict.first is not None and verdict.first.violation == rec["violation"]


def test_every_catalogue_entry_appears_in_catalogue_order(full_dump: Path) -> None:
    for kind in KIND_NAMES:
        names = [r["violation"] for r in read_jsonl(full_dump / f"{kind}.jsonl") if not r["valid"]]
        assert names == [v.name for v in violations_for(kind)]
        # Key-rule entries (live keys) are not payload properties: left out.
        assert all(get_violation(n).requires is None for n in names)


@settings(max_examples=15, deadline=None)
@given(kind=st.sampled_from(["pii", "cvc_update", "bank_account"]), n=st.integers(0, 60))
def test_invalid_counts_round_robin(
    tmp_path_factory: pytest.TempPathFactory, kind: str, n: int
) -> None:
    out = tmp_path_factory.mktemp("rr") / "d"
    dump(out, DumpOptions(kinds=(kind,), valid=0, invalid=n, seed=3, as_of=AS_OF))
    names = [r["violation"] for r in read_jsonl(out / f"{kind}.jsonl")]
    catalogue = [v.name for v in violations_for(kind)]
    assert len(names) == n
    # No entry repeats before every entry has appeared once; counts differ by at most one.
    assert len(set(names[: len(catalogue)])) == min(n, len(catalogue))
    counts = Counter(names)
    if n >= len(catalogue):
        assert set(counts) == set(catalogue)
    assert max(counts.values(), default=0) - min(counts.values(), default=0) <= 1


def test_as_of_pins_card_expiry(tmp_path: Path) -> None:
    far = date(2071, 3, 1)
    dump(tmp_path / "a", DumpOptions(kinds=("card",), valid=8, invalid=0, seed=1, as_of=far))
    for rec in read_jsonl(tmp_path / "a" / "card.jsonl"):
        assert evaluate_create(rec["params"], today=far).accepted
        # Judged on another day the same cards expire too far ahead, or (two-digit years) in the past.
        verdict = evaluate_create(rec["params"], today=date(2010, 1, 1))
        assert not verdict.accepted
        assert verdict.first is not None and verdict.first.violation.startswith("card[exp_year]")
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["as_of"] == "2071-03-01"


# --- determinism --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "jsonl", "form"])
def test_same_seed_same_bytes(tmp_path: Path, fmt: str) -> None:
    args = [*"--seed 42 --valid 3 --invalid 12 --as-of 2030-01-01 --format".split(), fmt]
    for name in ("a", "b"):
        assert run("fixtures", "dump", "--out", str(tmp_path / name), *args).exit_code == 0
    assert folder_sha(tmp_path / "a") == folder_sha(tmp_path / "b")


def test_other_seed_other_valid_payloads(tmp_path: Path) -> None:
    for seed in ("1", "2"):
        run("fixtures", "dump", "--out", str(tmp_path / seed), "--seed", seed, "--type", "card",
            "--valid", "5", "--invalid", "0", "--as-of", "2030-01-01")  # fmt: skip
    assert (tmp_path / "1" / "card.jsonl").read_bytes() != (
        tmp_path / "2" / "card.jsonl"
    ).read_bytes()


def test_kind_files_do_not_depend_on_other_kinds(tmp_path: Path, full_dump: Path) -> None:
    dump(tmp_path / "one", DumpOptions(kinds=("person",), valid=3, seed=7, as_of=AS_OF))
    assert (tmp_path / "one" / "person.jsonl").read_bytes() == (
        full_dump / "person.jsonl"
    ).read_bytes()


def test_random_seed_is_printed_and_reproduces(tmp_path: Path) -> None:
    result = run("fixtures", "dump", "--out", str(tmp_path / "a"), "--type", "pii", "--valid", "4",
                 "--as-of", "2030-01-01")  # fmt: skip
    assert result.exit_code == 0, result.output
    seed = re.search(r"^seed: (\d+)$", result.stderr, re.M)
    assert seed and result.stdout == ""
    run("fixtures", "dump", "--out", str(tmp_path / "b"), "--type", "pii", "--valid", "4",
        "--as-of", "2030-01-01", "--seed", seed.group(1))  # fmt: skip
    assert folder_sha(tmp_path / "a") == folder_sha(tmp_path / "b")


# --- formats and manifest -----------------------------------------------------------------------


def test_formats_hold_the_same_records(tmp_path: Path) -> None:
    common = DumpOptions(kinds=("card", "cvc_update"), valid=2, invalid=5, seed=5, as_of=AS_OF)
    outs = {}
    for fmt in ("json", "jsonl", "form"):
        outs[fmt] = tmp_path / fmt
        dump(outs[fmt], DumpOptions(**{**common.__dict__, "format": fmt}))
    for kind in ("card", "cvc_update"):
        lines = read_jsonl(outs["jsonl"] / f"{kind}.jsonl")
        raw = (outs["json"] / f"{kind}.json").read_text(encoding="utf-8")
        assert json.loads(raw) == lines
        for rec in lines:
            body = (outs["form"] / kind / f"{rec['id']}.form").read_bytes()
            assert body == rec["body"].encode()
    index = json.loads((outs["form"] / "index.json").read_text())
    assert [e["id"] for e in index] == [
        r["id"] for k in ("card", "cvc_update") for r in read_jsonl(outs["jsonl"] / f"{k}.jsonl")
    ]
    for entry in index:
        assert (outs["form"] / entry["file"]).is_file()
        assert ("violation" in entry) is (not entry["valid"])
        assert (
            entry["expect"]["status"] == 200 if entry["valid"] else entry["expect"]["status"] >= 400
        )


def test_empty_json_array(tmp_path: Path) -> None:
    dump(
        tmp_path / "d", DumpOptions(kinds=("pii",), valid=0, invalid=0, format="json", as_of=AS_OF)
    )
    assert json.loads((tmp_path / "d" / "pii.json").read_text()) == []


def test_manifest_lists_every_file_with_its_sha256(tmp_path: Path) -> None:
    out = tmp_path / "d"
    dump(
        out,
        DumpOptions(kinds=("pii", "card"), valid=1, invalid=3, seed=9, format="form", as_of=AS_OF),
    )
    raw = (out / "manifest.json").read_text()
    manifest = json.loads(raw)
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(manifest["files"]) == on_disk - {"manifest.json"}
    for rel, sha in manifest["files"].items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == sha
        assert not rel.startswith("/") and ".." not in rel.split("/")
    assert manifest["seed"] == 9 and manifest["as_of"] == "2026-11-27"
    assert manifest["counts"] == {
        "card": {"valid": 1, "invalid": 3, "total": 4},
        "pii": {"valid": 1, "invalid": 3, "total": 4},
    }
    # Paths in order, laid out as json.dumps(indent=2) lays them out (the form format's
    # digests are streamed into the manifest rather than held in a dict).
    assert list(manifest["files"]) == sorted(manifest["files"])
    assert raw == json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    assert str(tmp_path) not in raw  # no absolute paths
    assert not re.search(r"\d{2}:\d{2}:\d{2}", raw)  # no timestamps


def test_form_manifest_of_many_files_is_complete_and_sorted(tmp_path: Path) -> None:
    # Over a thousand files per kind: the digests go through spill files, in batches.
    out = tmp_path / "d"
    options = DumpOptions(
        kinds=("pii", "cvc_update"), valid=1100, invalid=50, seed=2, format="form", as_of=AS_OF
    )
    dump(out, options)
    raw = (out / "manifest.json").read_text()
    files = json.loads(raw)["files"]
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert list(files) == [rel for rel in on_disk if rel != "manifest.json"]
    assert len(files) == 2 * 1150 + 1  # every body file and index.json
    for rel in on_disk[:: len(on_disk) // 50]:
        if rel != "manifest.json":
            assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == files[rel]
    assert raw == json.dumps(json.loads(raw), indent=2, ensure_ascii=False) + "\n"
    # Nothing of the scratch space (spill files, marker) is left beside or inside.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


_LOCALE_DUMP = """
import sys
from datetime import date
from pathlib import Path
from contracttk.fixtures_dump import DumpOptions, dump
out = Path(sys.argv[1])
if sys.argv[2] == "after-en_US":
    dump(out / "first", DumpOptions(kinds=("person",), valid=2, invalid=0, as_of=date(2027, 1, 1)))
dump(out / "d", DumpOptions(kinds=("person",), valid=4, invalid=0, seed=3, locale=sys.argv[3],
                            as_of=date(2027, 1, 1)))
"""


@pytest.mark.parametrize("locale", ["ar_AA", "de"])
def test_locale_output_does_not_depend_on_what_ran_before(tmp_path: Path, locale: str) -> None:
    """Locales whose Faker address provider falls back to another locale's.

    Through the Faker facade, such a dump's names came from whichever pool the process had
    built first; the builders take the dump's own locale, so the bytes are the same
    whether or not another locale was dumped before in the same process.
    """
    for history in ("alone", "after-en_US"):
        subprocess.run(
            [sys.executable, "-c", _LOCALE_DUMP, str(tmp_path / history), history, locale],
            check=True,
            timeout=120,
        )
    assert (tmp_path / "alone" / "d" / "person.jsonl").read_bytes() == (
        tmp_path / "after-en_US" / "d" / "person.jsonl"
    ).read_bytes()


def test_default_invalid_count_is_the_catalogue_size(tmp_path: Path) -> None:
    result = run("fixtures", "dump", "--out", str(tmp_path / "d"), "--type", "cvc_update",
                 "--valid", "0", "--seed", "1")  # fmt: skip
    assert result.exit_code == 0
    assert len(read_jsonl(tmp_path / "d" / "cvc_update.jsonl")) == len(violations_for("cvc_update"))


# --- replay against the reference server --------------------------------------------------------


@pytest.mark.loopback
def test_replay_full_dump_against_reference_server(full_dump: Path) -> None:
    from http.client import HTTPConnection
    from urllib.parse import urlsplit

    from contracttk.contract import Strength
    from contracttk.defaults import DEFAULT_SECRET_KEY
    from contracttk.server.runner import running_server

    headers = {
        "Authorization": f"Bearer {DEFAULT_SECRET_KEY}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    failures: list[str] = []
    sent = 0
    with running_server(today=AS_OF) as base_url:
        url = urlsplit(base_url)
        conn = HTTPConnection(url.hostname, url.port, timeout=30)
        for kind in KIND_NAMES:
            for rec in read_jsonl(full_dump / f"{kind}.jsonl"):
                # The body file's exact bytes, as a QA tool would send them.
                conn.request("POST", "/v1/tokens", body=rec["body"].encode(), headers=headers)
                resp = conn.getresponse()
                status, body = resp.status, json.loads(resp.read())
                sent += 1
                if rec["valid"]:
                    if status != 200:
                        failures.append(f"{rec['id']}: {status} {body}")
                    continue
                # The expectation comes from the catalogue, not from the record.
                expected = get_violation(rec["violation"]).expected
                hard = [m for m in expected.mismatches(status, body) if m[1] is Strength.HARD]
                if hard:
                    failures.append(f"{rec['id']} {rec['violation']}: {hard}")
        conn.close()
    assert sent == sum(len(violations_for(k)) + 3 for k in KIND_NAMES)
    assert failures == []


def test_same_seed_in_two_processes_gives_identical_bytes(tmp_path: Path) -> None:
    """Determinism across processes (different hash seeds), not only within one."""
    digests = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"run{hash_seed}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        cmd = [
            sys.executable,
            "-m",
            "contracttk.cli",
            "fixtures",
            "dump",
            "--out",
            str(out),
            "--seed",
            "7",
            "--valid",
            "3",
            "--invalid",
            "15",
            "--as-of",
            "2026-11-27",
            "--format",
            "jsonl",
        ]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        h = hashlib.sha256()
        for f in sorted(out.rglob("*")):
            if f.is_file():
                h.update(f.relative_to(out).as_posix().encode() + b"\0" + f.read_bytes())
        digests.append(h.hexdigest())
    assert digests[0] == digests[1]
