"""The run report: one JSON document (format in docs/report.md) and the console summary.

Input: the per-item records (already redacted where they were made) and the run's state.
Everything that leaves through here passes one last redaction with the run's keys, so a
carelessly built record still cannot print a key. Files are written atomically.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from .._files import load_tool_document, write_atomic
from .findings import Finding
from .redact import scrub, scrub_all

__all__ = [
    "MAX_CONSOLE_FINDINGS",
    "REPORT_VERSION",
    "ReportError",
    "build_report",
    "load_report",
    "output_path_problem",
    "report_problems",
    "summary_lines",
    "write_atomic",
    "write_report",
]

REPORT_VERSION = 2
MAX_CONSOLE_FINDINGS = 40
MAX_CONSOLE_CURL = 400


def build_report(
    items: Iterable[Mapping[str, Any]],
    findings: list[Finding],
    *,
    run: Mapping[str, Any],
    outcomes: Mapping[str, str],
    durations: Mapping[str, float],
    secrets: Iterable[str] = (),
) -> dict[str, Any]:
    """The report document: ``run`` holds status, detail, hint, target, seed and settings."""
    from contracttk import __version__

    items = list(items)
    checks: dict[str, Counter[str]] = {}
    cases = positive = created = 0
    for rec in items:
        cases += rec.get("cases", 0)
        positive += rec.get("positive", 0)
        created += rec.get("positive_created", 0)
        for name, counts in rec.get("checks", {}).items():
            checks.setdefault(name, Counter()).update(counts)
    hard = [f for f in findings if f.strength == "hard"]
    doc: dict[str, Any] = {
        "report_version": REPORT_VERSION,
        "tool": "contracttk",
        "version": __version__,
        **run,
        "counts": {
            "items": len(outcomes),
            "items_failed": sum(1 for v in outcomes.values() if v == "failed"),
            "items_skipped": sum(1 for v in outcomes.values() if v == "skipped"),
            "cases": cases,
            "positive_cases": positive,
            "positive_created": created,
            "positive_created_share": round(created / positive, 4) if positive else None,
            "findings": len(findings),
            "hard_findings": len(hard),
            "new_hard_findings": sum(1 for f in hard if not f.baseline),
            "warnings": len(findings) - len(hard),
            "failure_cases": sum(f.cases for f in hard),
            "blocked_failures": sum(len(f.blocked) for f in findings),
        },
        "checks": {
            name: {k: counts.get(k, 0) for k in ("passed", "failed", "warned")}
            for name, counts in sorted(checks.items())
        },
        "items": [
            {
                "name": rec["name"],
                "outcome": outcomes.get(rec["name"], "not run"),
                "duration_s": round(durations.get(rec["name"], 0.0), 3),
                "cases": rec.get("cases", 0),
                "positive_cases": rec.get("positive", 0),
                "positive_created": rec.get("positive_created", 0),
                "failures": len(rec.get("failures", ())),
                "warnings": len(rec.get("warnings", ())),
                "skipped": rec.get("skipped"),
                "stopped": rec.get("stopped"),
                "seed": rec.get("seed"),
            }
            for rec in items
        ],
        "findings": [f.to_json() for f in findings],
    }
    return scrub_all(doc, tuple(secrets))


def output_path_problem(path: str | os.PathLike[str]) -> str | None:
    """Why an output file (report, JUnit) cannot be written at ``path``, or None if it can.

    Checked before a run starts, so a typo costs nothing; a missing parent folder is
    created (CI steps write into a fresh ``out/``).
    """
    p = Path(path).expanduser()
    if p.is_dir():
        return "is a directory"
    parent = p.parent
    if not parent.is_dir():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            return f"cannot create folder {parent} ({err.strerror or err})"
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        return "not writable"
    return None


def write_report(path: str | os.PathLike[str], doc: Mapping[str, Any]) -> None:
    """Write ``doc`` as indented JSON, atomically."""
    write_atomic(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


class ReportError(ValueError):
    """A report file that cannot be read back (missing, not JSON, not a contracttk report)."""


def load_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a report written by :func:`write_report` (for ``--baseline`` and ``replay``)."""
    doc = load_tool_document(
        path, error=ReportError, what="report", version_key="report_version", version=REPORT_VERSION
    )
    problem = next(iter(report_problems(doc)), None)
    if problem is not None:
        raise ReportError(f"{path} is not a complete contracttk report ({problem})")
    return doc


def report_problems(doc: Any) -> list[str]:
    """Every way ``doc`` departs from the report's JSON Schema (``report.schema.json``)."""
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message[:200]}"
        for err in _report_validator().iter_errors(doc)
    ]


@cache
def _report_validator() -> Any:
    import jsonschema

    schema = json.loads((Path(__file__).parent / "report.schema.json").read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema)


def summary_lines(doc: Mapping[str, Any], *, max_findings: int = MAX_CONSOLE_FINDINGS) -> list[str]:
    """The end-of-run summary: findings most severe first, one example each, then counts."""
    counts = doc["counts"]
    findings: list[Mapping[str, Any]] = doc.get("findings", [])
    lines: list[str] = []
    if doc.get("status") == "not_testable" and not counts.get("cases"):
        # Nothing was sent beyond the probe: the reason and the hint are all there is to say.
        lines.append(f"status: not_testable ({doc.get('detail')})")
        if doc.get("hint"):
            lines.append(f"hint: {doc['hint']}")
        return [scrub(line) for line in lines]
    blocked = counts.get("blocked_failures", 0)
    head = (
        f"{counts['findings']} finding(s): {counts['hard_findings']} hard, "
        f"{counts['warnings']} warning(s), from {counts['cases']} cases"
    )
    if blocked:
        head += f"; {blocked} more failure(s) explained by a root cause above them"
    lines.append(head)
    for n, f in enumerate(findings[:max_findings], 1):
        tag = "hard" if f["strength"] == "hard" else "warn"
        if f.get("baseline"):
            tag += ", in baseline"
        extra = f"; blocks {f['blocked']}" if f.get("blocked") else ""
        lines.append(f"{n:>3}. [{tag}] {f['id']} {f['title']} ({f['cases']} case(s){extra})")
        ex = (f.get("examples") or [None])[0]
        if ex and ex.get("request"):
            got = (ex.get("response") or {}).get("status")
            lines.append(
                f"       e.g. {ex.get('item', '')}: got {got}: {ex['request']['curl'][:600]}"
            )
    if len(findings) > max_findings:
        lines.append(f"  ... and {len(findings) - max_findings} more finding(s) in the JSON report")
    share = counts.get("positive_created_share")
    share_text = f"{share:.1%}" if share is not None else "n/a"
    lines.append(
        f"valid payloads: {counts['positive_cases']} (created a token: "
        f"{counts['positive_created']}, {share_text})   seed: {doc['seed']}   target: {doc['target']}"
    )
    status = doc.get("status")
    line = f"status: {status}"
    if doc.get("detail"):
        line += f" ({doc['detail']})"
    lines.append(line)
    if doc.get("hint"):
        lines.append(f"hint: {doc['hint']}")
    return [scrub(line) for line in lines]
