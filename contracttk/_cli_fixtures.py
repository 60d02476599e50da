"""``contracttk fixtures dump|verify``: thin front ends on :mod:`contracttk.fixtures_dump`.

Flag values are parsed here rather than by click types so that every bad value ends
as one ``Error:`` line with exit code 2 (click's own usage errors print four lines).
"""

from __future__ import annotations

import re
import secrets
import sys
from datetime import date

import click

from .defaults import EXIT_FAILURES
from .errors import BadInputError


def _count(name: str, raw: str | None) -> int | None:
    if raw is None:
        return None
    if not re.fullmatch(r"\s*\d+\s*", raw):
        raise BadInputError(f"--{name} must be a non-negative integer, not {raw!r}")
    return int(raw)


def _as_of(raw: str | None) -> date:
    if raw is None:
        return date.today()
    # Strict YYYY-MM-DD: fromisoformat alone also takes 20261127 and week dates (3.11+).
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise BadInputError(f"--as-of must be a date YYYY-MM-DD, not {raw!r}")


def _kinds(raw: tuple[str, ...]) -> tuple[str, ...] | None:
    # `--type card --type pii` and `--type card,pii` both work.
    kinds = tuple(k.strip() for item in raw for k in item.split(",") if k.strip())
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
@click.option("--force", is_flag=True, help="Replace a non-empty output folder.")
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
    from .fixtures_dump import DumpOptions, preflight
    from .fixtures_dump import dump as run_dump

    kinds = _kinds(types)
    options = DumpOptions(
        **({"kinds": kinds} if kinds is not None else {}),
        valid=_count("valid", valid) or 0,
        invalid=_count("invalid", invalid),
        seed=secrets.randbelow(2**32) if seed is None else _count("seed", seed) or 0,
        format=fmt,
        locale=locale,
        as_of=_as_of(as_of),
    )
    preflight(out, options, force=force)
    click.echo(f"seed: {options.seed}", err=True)
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
    missing or malformed.
    """
    from .fixtures_dump import regenerate_problems
    from .fixtures_dump import verify as run_verify

    problems = run_verify(directory)
    if regenerate and not problems:
        problems = regenerate_problems(directory)
    for line in problems:
        click.echo(line)
    if problems:
        click.secho(f"{directory}: {len(problems)} problem(s)", fg="red", err=True)
        sys.exit(EXIT_FAILURES)
    click.echo(f"{directory}: all files match the manifest", err=True)
