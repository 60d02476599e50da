"""Bad input for ``contracttk fixtures dump``: exit 2, one line, nothing written or touched.

Also errors by layer (issue 10.4): the library raises :class:`FixtureError` subclasses
that name no command-line flag; only the CLI words them with its flags.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from contracttk.cli import main
from contracttk.errors import (
    FixtureCapError,
    FixtureError,
    FixtureOptionError,
    FixtureTargetError,
    FixtureWriteError,
    ManifestError,
)
from contracttk.fixtures_dump import (
    MAX_RECORDS_PER_KIND,
    DumpOptions,
    dump,
    load_manifest,
    options_from_manifest,
)

AS_OF = date(2026, 11, 27)


def run(*args: str) -> Any:
    """Invoke ``contracttk`` in-process (stdout and stderr kept apart)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def one_error_line(result: Any) -> str:
    """The single ``Error: ...`` line of a refused command (asserting there is only one)."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


# --- flags --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "cheque"], "Error: --type: unknown token kind 'cheque' (choose from "),
        (["--type", ","], "Error: --type: no token kind given"),
        (["--valid", "-1"], "Error: --valid: must be a non-negative integer, not '-1'"),
        (["--invalid", "-3"], "Error: --invalid: must be a non-negative integer, not '-3'"),
        (["--invalid", "ten"], "Error: --invalid: must be a non-negative integer, not 'ten'"),
        (["--valid", "٣"], "Error: --valid: must be a non-negative integer"),  # Arabic-Indic 3
        (["--seed", "x"], "Error: --seed: must be a non-negative integer, not 'x'"),
        (
            ["--format", "xml"],
            "Error: --format: unknown format 'xml' (choose from json, jsonl, form)",
        ),
        (["--as-of", "27/11/2026"], "Error: --as-of: must be a date YYYY-MM-DD"),
        (["--as-of", "2026-02-30"], "Error: --as-of: must be a date YYYY-MM-DD"),
        (["--locale", "xx_YY"], "Error: --locale: unknown Faker locale 'xx_YY'"),
    ],
)
def test_bad_flags(tmp_path: Path, args: list[str], message: str) -> None:
    result = run("fixtures", "dump", "--out", str(tmp_path / "d"), *args)
    assert result.exit_code == 2
    assert one_error_line(result).startswith(message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--valid", "10000001"], "Error: --valid: 10,000,001 is over the cap of 10,000,000 "),
        (["--invalid", "99999999999999999999"], "Error: --invalid: 99,999,999,999,999,999,999 is over the cap of 10,000,000 records per kind"),
        (["--valid", "9" * 5000], "Error: --valid: a 5000-digit number is over the cap of 10,000,000"),
        (["--seed", str(2**128)], "Error: --seed: "),
        (["--seed", "1" * 5000], "Error: --seed: a 5000-digit number is over the cap of "),
    ],
)  # fmt: skip
def test_counts_over_the_cap(tmp_path: Path, args: list[str], message: str) -> None:
    result = run("fixtures", "dump", "--out", str(tmp_path / "d"), *args)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert line.startswith(message) and "over the cap" in line
    assert len(line) < 200  # a 5000-digit value is not echoed back
    assert list(tmp_path.iterdir()) == []


def test_the_cap_itself_is_allowed() -> None:
    # The boundary, checked without writing ten million records: the options accept it.
    opts = DumpOptions(valid=MAX_RECORDS_PER_KIND, invalid=MAX_RECORDS_PER_KIND, as_of=AS_OF)
    assert opts.total == 6 * 2 * 10_000_000


# --- the output folder --------------------------------------------------------------------------


def test_unwritable_folder(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = run("fixtures", "dump", "--out", str(tmp_path / "afile" / "d"), "--seed", "1")
    assert result.exit_code == 2
    assert "cannot" in one_error_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_target_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "d").write_text("mine")
    result = run("fixtures", "dump", "--out", str(tmp_path / "d"), "--force", "--type", "pii")
    assert result.exit_code == 2 and "exists and is not a folder" in one_error_line(result)
    assert (tmp_path / "d").read_text() == "mine"


def test_read_only_parent(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        parent = tmp_path / "ro"
        parent.mkdir()
        parent.chmod(0o500)
    else:
        # root ignores permission bits; nobody, root included, can create a folder in /proc
        parent = Path("/proc/self")
    try:
        result = run("fixtures", "dump", "--out", str(parent / "contracttk-d"), "--seed", "1")
    finally:
        if parent != Path("/proc/self"):
            parent.chmod(0o700)
    assert result.exit_code == 2, result.stderr
    assert not (parent / "contracttk-d").exists()


def test_non_empty_folder_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "d"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run("fixtures", "dump", "--out", str(out), "--seed", "1", "--type", "pii")
    assert result.exit_code == 2 and "--force" in one_error_line(result)
    assert "seed:" not in result.stderr  # refused before any work
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_force_replaces_an_earlier_dump(tmp_path: Path) -> None:
    out = tmp_path / "d"
    assert run("fixtures", "dump", "--out", str(out), "--seed", "1", "--type", "card,pii",
               "--format", "form").exit_code == 0  # fmt: skip
    result = run("fixtures", "dump", "--out", str(out), "--seed", "2", "--type", "pii", "--force")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "pii.jsonl"]
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]  # no temporary folder left


def test_force_refuses_a_folder_with_more_than_the_dump(tmp_path: Path) -> None:
    out = tmp_path / "d"
    assert run("fixtures", "dump", "--out", str(out), "--seed", "1", "--type", "pii").exit_code == 0
    (out / "notes.txt").write_text("my notes")
    before = sorted(p.name for p in out.iterdir())
    result = run("fixtures", "dump", "--out", str(out), "--seed", "2", "--type", "pii", "--force")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "--force replaces only an earlier contracttk dump" in line and "'notes.txt'" in line
    assert sorted(p.name for p in out.iterdir()) == before
    assert (out / "notes.txt").read_text() == "my notes"
    assert "seed:" not in result.stderr


def test_empty_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    assert run("fixtures", "dump", "--out", str(tmp_path / "d"), "--type", "pii").exit_code == 0
    assert (tmp_path / "d" / "manifest.json").is_file()


@pytest.mark.parametrize("keep", [True, False])
def test_force_refuses_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: bool
) -> None:
    if keep:
        (tmp_path / "keep.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    result = run("fixtures", "dump", "--out", ".", "--force", "--type", "pii")
    assert result.exit_code == 2 and "holds the current folder" in one_error_line(result)
    assert [p.name for p in tmp_path.iterdir()] == (["keep.txt"] if keep else [])


def _cli(*args: str, **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "contracttk.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_subprocess_unknown_format(tmp_path: Path) -> None:
    proc = _cli("fixtures", "dump", "--out", str(tmp_path / "d"), "--format", "yaml", cwd=tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and out == ""
    assert err.splitlines() == [
        "Error: --format: unknown format 'yaml' (choose from json, jsonl, form)"
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE")
def test_full_disk_leaves_nothing(tmp_path: Path) -> None:
    import resource

    def small_disk() -> None:
        # Files over 64 KiB fail with EFBIG, as writes on a full disk fail with ENOSPC.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))

    proc = _cli("fixtures", "dump", "--out", str(tmp_path / "d"), "--seed", "1", "--type",
                "account", "--valid", "50", cwd=tmp_path, preexec_fn=small_disk)  # fmt: skip
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 2, err
    lines = [line for line in err.splitlines() if not line.startswith("seed: ")]
    assert (
        len(lines) == 1
        and "cannot write fixtures" in lines[0]
        and "nothing was written" in lines[0]
    )
    assert list(tmp_path.iterdir()) == []


# --- errors by layer ----------------------------------------------------------------------------


def _library_errors(tmp_path: Path) -> list[FixtureError]:
    """One instance of every error the library raises on purpose, raised through its API."""
    raised: list[FixtureError] = []

    def catch(call: Any) -> None:
        with pytest.raises(FixtureError) as info:
            call()
        raised.append(info.value)

    catch(lambda: DumpOptions(kinds=("cheque",)))
    catch(lambda: DumpOptions(kinds=()))
    catch(lambda: DumpOptions(valid=-1))
    catch(lambda: DumpOptions(invalid=MAX_RECORDS_PER_KIND + 1))
    catch(lambda: DumpOptions(seed=2**200))
    catch(lambda: DumpOptions(format="xml"))
    catch(lambda: DumpOptions(locale="xx_YY"))
    catch(lambda: DumpOptions(as_of="2026-01-01"))  # type: ignore[arg-type]
    small = DumpOptions(kinds=("pii",), valid=1, invalid=0, as_of=AS_OF)
    (tmp_path / "file").write_text("x")
    catch(lambda: dump(tmp_path / "file", small))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    catch(lambda: dump(tmp_path / "full", small))
    catch(lambda: dump(tmp_path / "full", small, force=True))
    catch(lambda: dump(tmp_path / "file" / "below", small))
    catch(lambda: load_manifest(tmp_path / "full"))
    dump(tmp_path / "ok", small)
    manifest = json.loads((tmp_path / "ok" / "manifest.json").read_text())
    manifest["options"]["valid"] = MAX_RECORDS_PER_KIND + 1
    catch(lambda: options_from_manifest(manifest))
    return raised


def test_library_errors_name_no_flag(tmp_path: Path) -> None:
    errors = _library_errors(tmp_path)
    kinds = {type(e) for e in errors}
    assert {
        FixtureOptionError,
        FixtureCapError,
        FixtureTargetError,
        FixtureWriteError,
        ManifestError,
    } <= kinds
    for err in errors:
        assert "--" not in str(err), f"{type(err).__name__}: {err}"
        assert "\n" not in str(err)
    caps = [e for e in errors if isinstance(e, FixtureCapError)]
    assert {(e.option, e.cap) for e in caps} == {
        ("invalid", MAX_RECORDS_PER_KIND),
        ("seed", 2**128 - 1),
    }
    reasons = {e.reason for e in errors if isinstance(e, FixtureTargetError)}
    assert reasons == {"not_a_folder", "not_empty", "foreign"}


def test_option_errors_are_value_errors() -> None:
    # Callers that treat bad options as ValueError (as the strategies do) keep working.
    with pytest.raises(ValueError, match=r"^valid: must be a non-negative integer, not -1$"):
        DumpOptions(valid=-1)
