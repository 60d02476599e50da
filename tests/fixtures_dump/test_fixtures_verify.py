"""``contracttk fixtures verify`` and the committed sample in ``fixtures/``.

Checksums are recomputed with ``hashlib``; expected problem lines are written by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from contracttk.cli import main
from contracttk.fixtures_dump import DumpOptions, dump

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "fixtures"
# The command that made the committed sample (see fixtures/manifest.json).
SAMPLE_ARGS = [
    "--seed", "1", "--valid", "2", "--invalid", "20", "--format", "jsonl",
    "--as-of", "2026-11-27",
]  # fmt: skip
AS_OF = date(2026, 11, 27)


def run(*args: str) -> Any:
    """Invoke ``contracttk`` in-process (stdout and stderr kept apart)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- verify -------------------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Path:
    out = tmp_path / "small"
    dump(out, DumpOptions(kinds=("pii",), valid=2, invalid=2, seed=1, format="form", as_of=AS_OF))
    return out


def test_verify_clean(small: Path) -> None:
    result = run("fixtures", "verify", str(small))
    assert result.exit_code == 0 and result.stdout == ""


def test_verify_reports_each_problem(small: Path) -> None:
    (small / "pii" / "pii-valid-0001.form").write_bytes(b"pii%5Bid_number%5D=1")
    (small / "pii" / "pii-invalid-0002.form").unlink()
    (small / "notes.txt").write_text("x")
    result = run("fixtures", "verify", str(small))
    assert result.exit_code == 1
    assert sorted(result.stdout.splitlines()) == [
        "checksum mismatch: pii/pii-valid-0001.form",
        "missing: pii/pii-invalid-0002.form",
        "unexpected file: notes.txt",
    ]


@pytest.mark.parametrize(
    "manifest",
    [
        None,
        "{not json",
        '{"files": ["a"]}',
        '{"files": {"/etc/passwd": "00"}}',
        '{"files": {"../x": "00"}}',
        '{"tool": "not-contracttk", "format_version": 1, "files": {}}',
        '{"tool": "contracttk", "format_version": 99, "files": {}}',
        '{"tool": "contracttk", "format_version": 1, "files": {}}',  # no options
        "[" * 100_000,  # nesting that would overflow the parser's recursion
        "symlink",
    ],
)
def test_verify_bad_manifest_exits_2(small: Path, manifest: str | None) -> None:
    if manifest is None:
        (small / "manifest.json").unlink()
    elif manifest == "symlink":
        # A manifest that is a link to another dump's manifest: not this folder's own.
        real = small.parent / "elsewhere.json"
        (small / "manifest.json").rename(real)
        (small / "manifest.json").symlink_to(real)
    else:
        (small / "manifest.json").write_text(manifest)
    result = run("fixtures", "verify", str(small))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("Error: ")


def test_verify_does_not_follow_a_symlinked_data_file(small: Path) -> None:
    # The link points at a copy with the right bytes: following it would hide the swap.
    rel = "pii/pii-valid-0001.form"
    copy = small.parent / "copy.form"
    copy.write_bytes((small / rel).read_bytes())
    (small / rel).unlink()
    (small / rel).symlink_to(copy)
    result = run("fixtures", "verify", str(small))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"not a regular file: {rel}"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_verify_does_not_open_a_fifo(small: Path) -> None:
    # Opening a FIFO for reading blocks until a writer comes: verify must not even try.
    from support import run_cli

    rel = "pii/pii-invalid-0001.form"
    (small / rel).unlink()
    os.mkfifo(small / rel)
    result = run_cli("fixtures", "verify", str(small), timeout=60)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"not a regular file: {rel}"]


def test_verify_regenerate(small: Path) -> None:
    assert run("fixtures", "verify", "--regenerate", str(small)).exit_code == 0
    # Tamper consistently (file and manifest agree): only regeneration can tell.
    target = small / "pii" / "pii-valid-0002.form"
    target.write_bytes(b"pii%5Bid_number%5D=000000001")
    manifest = json.loads((small / "manifest.json").read_text())
    manifest["files"]["pii/pii-valid-0002.form"] = hashlib.sha256(target.read_bytes()).hexdigest()
    (small / "manifest.json").write_text(json.dumps(manifest))
    assert run("fixtures", "verify", str(small)).exit_code == 0
    result = run("fixtures", "verify", "--regenerate", str(small))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["not reproducible: pii/pii-valid-0002.form"]


# --- the committed sample -----------------------------------------------------------------------


def test_committed_sample_regenerates_byte_for_byte(tmp_path: Path) -> None:
    from importlib.metadata import version

    manifest = json.loads((SAMPLE / "manifest.json").read_text())
    # Not a skip: the [test] extra pins Faker to the sample's version (pyproject.toml).
    assert manifest["faker_version"] == version("faker"), (
        f"fixtures/ was made with Faker {manifest['faker_version']}, installed is "
        f"{version('faker')}: install the [test] extra (it pins Faker) or regenerate fixtures/"
    )
    result = run("fixtures", "dump", "--out", str(tmp_path / "s"), *SAMPLE_ARGS)
    assert result.exit_code == 0, result.output
    fresh = {
        p.relative_to(tmp_path / "s").as_posix(): p.read_bytes()
        for p in (tmp_path / "s").rglob("*")
    }
    committed = {p.relative_to(SAMPLE).as_posix(): p.read_bytes() for p in SAMPLE.rglob("*")}
    assert fresh.keys() == committed.keys()
    for rel, data in fresh.items():
        assert data == committed[rel], (
            f"fixtures/{rel} differs; regenerate: contracttk fixtures dump --out fixtures --force "
            + " ".join(SAMPLE_ARGS)
        )


def test_committed_sample_verifies() -> None:
    assert run("fixtures", "verify", "--regenerate", str(SAMPLE)).exit_code == 0
