"""``contracttk replay REPORT [FINDING...]``: are a report's findings fixed?

Re-sends the stored examples of every finding (or of the ids given) against the report's
target or ``--url``, re-judges them, and says per finding: fixed, still failing, or not
replayable. Exit codes: 0 every finding fixed, 1 otherwise, 2 usage error (a bad report
file, a bad flag), 3 the target gave no answer.
"""

from __future__ import annotations

from typing import Any

import click

from .defaults import EXIT_FAILURES, EXIT_OK
from .errors import BadInputError, TargetUnavailableError

_FLAGS = {
    "url": "--url",
    "api_key": "--api-key",
    "publishable_key": "--publishable-key",
    "live_key": "--live-key",
    "timeout": "--timeout",
}


@click.command("replay")
@click.argument("report", metavar="REPORT")
@click.argument("findings", nargs=-1, metavar="[FINDING]...")
@click.option(
    "--url", metavar="URL", help="Target to replay against [default: the report's target]."
)
@click.option(
    "--api-key",
    envvar="CONTRACTTK_API_KEY",
    metavar="KEY",
    help="Secret key [env CONTRACTTK_API_KEY].",
)
@click.option(
    "--publishable-key",
    envvar="CONTRACTTK_PUBLISHABLE_KEY",
    metavar="KEY",
    help="Publishable key [env CONTRACTTK_PUBLISHABLE_KEY].",
)
@click.option(
    "--live-key",
    envvar="CONTRACTTK_LIVE_KEY",
    metavar="KEY",
    help="Live secret key (needs --allow-live-keys).",
)
@click.option("--allow-live-keys", is_flag=True, default=None, help="Accept live-mode keys.")
@click.option("--timeout", metavar="SECONDS", help="Seconds for one whole request [default: 10].")
def replay(report: str, findings: tuple[str, ...], **options: Any) -> None:
    """Re-send the examples of REPORT's findings and say which are fixed."""
    from .errors import require_extra

    require_extra("contracttk replay", ("jsonschema",))
    from .conformance.replay import replay_findings
    from .conformance.report import ReportError, load_report
    from .conformance.settings import SettingsError, resolve

    try:
        doc = load_report(report)
    except ReportError as err:
        raise BadInputError(str(err)) from None
    if doc.get("status") == "not_testable" and not doc.get("findings"):
        # "0 of 0 fixed" would read as a pass: the run it records tested nothing.
        raise BadInputError(
            f"{report} holds no findings to replay: its run was not testable ({doc.get('detail')})"
        )
    known = {f["id"] for f in doc.get("findings", [])}
    unknown = [f for f in findings if f not in known]
    if unknown:
        raise BadInputError(f"no finding {', '.join(unknown)} in {report}")
    raw = {k: v for k, v in options.items() if v is not None}
    raw.setdefault("url", doc.get("target"))
    raw["seed"] = doc.get("seed", 0)
    try:
        settings = resolve(raw)
    except SettingsError as err:
        raise BadInputError(f"{_FLAGS.get(err.setting, err.setting)}: {err.problem}") from None
    results = replay_findings(doc, settings, only=findings)
    if any(r.status == "no answer" for r in results):
        notes = next(r.notes for r in results if r.status == "no answer")
        raise TargetUnavailableError(f"{settings.url} gave no answer: {notes[-1] if notes else ''}")
    from .conformance.redact import scrub

    for r in results:
        click.echo(scrub(f"{r.id} {r.status}: {r.title}", settings.secrets()))
        for note in dict.fromkeys(r.notes):
            click.echo(f"    {note}")
        for ex in r.examples[:1]:
            got = (ex.get("response") or {}).get("status")
            click.echo(scrub(f"    got {got}: {ex['request']['curl'][:400]}", settings.secrets()))
    fixed = sum(1 for r in results if r.status == "fixed")
    click.echo(f"{fixed} of {len(results)} finding(s) fixed")
    raise SystemExit(EXIT_OK if fixed == len(results) else EXIT_FAILURES)
