"""``contracttk fixtures dump|verify``: thin front ends on :mod:`contracttk.fixtures_dump`.

Flag values are parsed here rather than by click types so that every bad value ends
as one ``Error:`` line with exit code 2 (click's own usage errors print four lines). The
library raises :class:`~contracttk.errors.FixtureError`s that name no flag; this module
words them for its flags and maps them to exit codes:

* ``dump``: 0 written; 2 bad flag, count over its cap, refused or unwritable folder;
  130 interrupted (SIGINT or SIGTERM), with nothing left behind.
* ``verify``: 0 matches; 1 problems (one line each on stdout: a changed, missing or
  extra file; with ``--regenerate`` a file that does not reproduce); 2 manifest missing,
  malformed or over the caps; 130 interrupted.
"""

from __future__ import annotations

import re
import secrets
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from types import FrameType

import click

from .defaults import EXIT_FAILURES
from .errors import (
    BadInputError,
    ContractTkError,
    FixtureError,
    FixtureOptionError,
    FixtureTargetError,
)

# The flag that sets each DumpOptions field: library errors name the field, we name the flag.
_FLAGS = {
    "kinds": "--type",
    "valid": "--valid",
    "invalid": "--invalid",
    "seed": "--seed",
    "format": "--format",
    "locale": "--locale",
    "as_of": "--as-of",
}


def _worded(err: FixtureError) -> ContractTkError:
    """The one line (and exit code) a library error becomes on this command line."""
    if isinstance(err, FixtureOptionError):
        return BadInputError(f"{_FLAGS.get(err.option, err.option)}: {err.detail}")
    if isinstance(err, FixtureTargetError):
        if err.reason == "not_empty":
            return BadInputError(f"{err} (use --force to replace an earlier dump)")
        if err.reason == "foreign":
            return BadInputError(
                f"--force replaces only an earlier contracttk dump, and {err}; nothing was touched"
            )
    # Unwritable folders, unusable manifests: usage errors too (exit 2).
    return BadInputError(str(err))


@contextmanager
def _as_cli_errors() -> Iterator[None]:
    try:
        yield
    except FixtureError as err:
        raise _worded(err) from None


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While the command runs, SIGTERM interrupts it as Ctrl-C does (cleanup, exit 130).

    Why: by default SIGTERM ends the process at once, leaving a half-written temporary
    folder; as an interrupt it goes through the same cleanup as SIGINT. An inherited
    "ignore" (SIG_IGN) is kept, as a shell's background job keeps it for SIGINT.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _shown(raw: str) -> str:
    return repr(raw) if len(raw) <= 40 else repr(raw[:20]) + "..."


def _count(flag: str, raw: str | None, cap: str) -> int | None:
    if raw is None:
        return None
    text = raw.strip()
    if not (text.isascii() and text.isdigit()):
        raise BadInputError(f"{flag}: must be a non-negative integer, not {_shown(raw)}")
    digits = text.lstrip("0") or "0"
    # Why here: int() refuses strings over 4,300 digits; the library names the cap below that.
    if len(digits) > 100:
        raise BadInputError(f"{flag}: a {len(digits)}-digit number is over the cap of {cap}")
    return int(digits)


def _as_of(raw: str | None) -> date:
    if raw is None:
        return date.today()
    # Strict YYYY-MM-DD: fromisoformat alone also takes 20261127 and week dates (3.11+).
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise BadInputError(f"--as-of: must be a date YYYY-MM-DD, not {_shown(raw)}")


def _kinds(raw: tuple[str, ...]) -> tuple[str, ...] | None:
    # `--type card --type pii` and `--type card,pii` both work.
    kinds = tuple(k.strip() for item in raw for k in item.split(",") if k.strip())
    if raw and not kinds:  # `--type ,` or `--type ""`: a selection of nothing, not "all"
        raise BadInputError("--type: no token kind given")
    return kinds or None


@click.group("fixtures")
def fixtures() -> None:
    """Dump or verify fixture files for QA."""


@fixtures.command("dump", short_help="Write fixture files (valid + every violation).")
@click.option(
    "--out", default="fixtures", show_default=True, metavar="DIR", help="Folder to create."
)
@click.option(
    "--type",
    "types",
    multiple=True,
    metavar="KIND",
    help="Token kind (repeat or comma-separate); default: all six.",
)
@click.option(
    "--valid", default="10", show_default=True, metavar="N", help="Valid records per kind."
)
@click.option(
    "--invalid",
    default=None,
    metavar="N",
    help="Invalid records per kind; default: the kind's catalogue size (each entry once).",
)
@click.option("--seed", default=None, metavar="S", help="Random seed; default: random, printed.")
@click.option(
    "--format",
    "fmt",
    default="jsonl",
    show_default=True,
    metavar="json|jsonl|form",
    help="One JSON array / JSON Lines file per kind, or one body file per record.",
)
@click.option("--locale", default="en_US", show_default=True, metavar="L", help="Faker locale.")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="YYYY-MM-DD",
    help="The 'today' for card expiry dates; default: today. Recorded in the manifest.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace an earlier contracttk dump (a folder holding only its manifest's files).",
)
def dump(
    out: str,
    types: tuple[str, ...],
    valid: str,
    invalid: str | None,
    seed: str | None,
    fmt: str,
    locale: str,
    as_of: str | None,
    force: bool,
) -> None:
    """Write valid and invalid /v1/tokens payloads with their expected answers.

    Invalid records cover every catalogue entry of a kind before repeating any. Same
    seed, version and --as-of: byte-identical files. A manifest.json lists checksums.
    """
    from .fixtures_dump import MAX_RECORDS_PER_KIND, DumpOptions, preflight, remove_stale_temps
    from .fixtures_dump import dump as run_dump

    with _sigterm_interrupts(), _as_cli_errors():
        kinds = _kinds(types)
        per_kind = f"{MAX_RECORDS_PER_KIND:,} records per kind"
        options = DumpOptions(
            **({"kinds": kinds} if kinds is not None else {}),
            valid=_count("--valid", valid, per_kind) or 0,
            invalid=_count("--invalid", invalid, per_kind),
            seed=secrets.randbelow(2**32)
            if seed is None
            else _count("--seed", seed, "2**128 - 1") or 0,
            format=fmt,
            locale=locale,
            as_of=_as_of(as_of),
        )
        preflight(out, options, force=force)
        click.echo(f"seed: {options.seed}", err=True)
        for stale in remove_stale_temps(out):
            click.echo(f"removed {stale.name}, left behind by a killed dump", err=True)
        total = options.total
        # A bar only for a person watching: a terminal, and enough records to wait for.
        if total >= 5000 and sys.stderr.isatty():
            with click.progressbar(length=total, label="dumping", file=sys.stderr) as bar:
                manifest = run_dump(out, options, force=force, progress=bar.update)
        else:
            manifest = run_dump(out, options, force=force)
    per_kind = ", ".join(f"{k} {c['total']}" for k, c in manifest["counts"].items())
    click.echo(f"wrote {manifest['total']} records ({per_kind}) to {out}", err=True)


@fixtures.command("verify", short_help="Check a fixture folder against its manifest.")
@click.argument("directory", metavar="DIR")
@click.option(
    "--regenerate",
    is_flag=True,
    help="Also regenerate the dump from the manifest's options and compare the bytes.",
)
def verify(directory: str, regenerate: bool) -> None:
    """Check DIR against its manifest.json: every file present with its sha256, no extras.

    Exit 0 when it matches, 1 with one line per problem, 2 when the manifest is
    missing, malformed or over the count caps (--regenerate never writes to disk).
    """
    from .fixtures_dump import load_manifest, options_from_manifest, regenerate_problems
    from .fixtures_dump import verify as run_verify

    with _sigterm_interrupts(), _as_cli_errors():
        manifest = load_manifest(directory)
        options = options_from_manifest(manifest)
        # Also the progress signal a watcher (or a test) can wait for.
        click.echo(f"verifying {directory}: {len(manifest['files'])} file(s)", err=True)
        problems = run_verify(directory, manifest=manifest)
        if regenerate and not problems:
            click.echo(f"regenerating {options.total} record(s) to compare", err=True)
            problems = regenerate_problems(directory, manifest=manifest)
    for line in problems:
        click.echo(line)
    if problems:
        click.secho(f"{directory}: {len(problems)} problem(s)", fg="red", err=True)
        sys.exit(EXIT_FAILURES)
    click.echo(f"{directory}: all files match the manifest", err=True)
