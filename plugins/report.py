"""The run report: one JSON document and the summary table printed at the end of a run.

Input is the per-item records the engine produces (``ItemResult.to_json()``, already
redacted; they travel on pytest reports, also from xdist workers). This module only
aggregates, formats and writes; it runs a last redaction pass over everything it emits
so nothing unmasked can leave through it even if a record was built carelessly.
Standard library only.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .redact import redact, redact_text

__all__ = [
    "REPORT_VERSION",
    "build_report",
    "output_path_problem",
    "summary_lines",
    "write_report",
]

REPORT_VERSION = 1


def build_report(
    items: Iterable[Mapping[str, Any]],
    *,
    target: str,
    seed: int,
    max_examples: int,
    status: str = "completed",
    outcomes: Mapping[str, str] | None = None,
    durations: Mapping[str, float] | None = None,
    detail: str | None = None,
    secrets: Iterable[str] = (),
) -> dict[str, Any]:
    """Aggregate item records into the report document (see the README for the format).

    ``status`` is ``completed``, ``target_unavailable`` (nothing could be tested) or
    ``target_down`` (the target stopped answering mid-run); ``outcomes`` maps item names
    to pytest outcomes; ``secrets`` are extra strings to mask (the keys in use).
    """
    from contracttk import __version__

    items = list(items)
    outcomes = outcomes or {}
    durations = durations or {}
    checks: dict[str, Counter[str]] = {}
    failures: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    cases = positive = created = 0
    for rec in items:
        cases += rec.get("cases", 0)
        positive += rec.get("positive", 0)
        created += rec.get("positive_created", 0)
        for name, counts in rec.get("checks", {}).items():
            checks.setdefault(name, Counter()).update(counts)
        failures.extend(rec.get("failures", ()))
        warnings.extend(rec.get("warnings", ()))
    doc: dict[str, Any] = {
        "report_version": REPORT_VERSION,
        "tool": "contracttk",
        "version": __version__,
        "status": status,
        "target": target,
        "seed": seed,
        "max_examples": max_examples,
        "counts": {
            "items": len(items),
            "items_failed": sum(1 for v in outcomes.values() if v == "failed"),
            "items_skipped": sum(1 for v in outcomes.values() if v == "skipped"),
            "cases": cases,
            "positive_cases": positive,
            "positive_created": created,
            "positive_created_share": round(created / positive, 4) if positive else None,
            "failures": len(failures),
            "failure_occurrences": sum(f.get("occurrences", 1) for f in failures),
            "warnings": len(warnings),
        },
        "checks": {
            name: {k: counts.get(k, 0) for k in ("passed", "failed", "warned")}
            for name, counts in sorted(checks.items())
        },
        "items": [
            {
                "name": rec["name"],
                "outcome": outcomes.get(rec["name"], "passed"),
                "duration_s": round(durations.get(rec["name"], 0.0), 3),
                "cases": rec.get("cases", 0),
                "positive_cases": rec.get("positive", 0),
                "positive_created": rec.get("positive_created", 0),
                "failures": len(rec.get("failures", ())),
                "warnings": len(rec.get("warnings", ())),
                "skipped": rec.get("skipped"),
                "seed": rec.get("seed"),
            }
            for rec in items
        ],
        "failures": failures,
        "warnings": warnings,
    }
    if detail:
        doc["detail"] = detail
    return redact(doc, tuple(secrets))


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
    """Write ``doc`` as indented JSON, atomically (a temp file renamed over ``path``)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".contracttk-report-", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2, sort_keys=False)
            fh.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def summary_lines(doc: Mapping[str, Any], *, max_warnings: int = 20) -> list[str]:
    """The end-of-run table (per check: passed / failed / warned) and the headline counts."""
    counts = doc["counts"]
    checks: Mapping[str, Mapping[str, int]] = doc["checks"]
    width = max([len("check"), *(len(n) for n in checks)])
    lines = [f"{'check':<{width}}  {'passed':>7}  {'failed':>7}  {'warned':>7}"]
    lines.append("-" * len(lines[0]))
    for name, c in checks.items():
        lines.append(f"{name:<{width}}  {c['passed']:>7}  {c['failed']:>7}  {c['warned']:>7}")
    share = counts["positive_created_share"]
    share_text = f"{share:.1%}" if share is not None else "n/a"
    lines.append("")
    lines.append(
        f"cases: {counts['cases']}   valid payloads: {counts['positive_cases']} "
        f"(created a token: {counts['positive_created']}, {share_text})"
    )
    lines.append(
        f"failures: {counts['failures']} distinct ({counts['failure_occurrences']} occurrences)"
        f"   warnings: {counts['warnings']}   seed: {doc['seed']}   target: {doc['target']}"
    )
    warnings = doc.get("warnings") or []
    if warnings:
        lines.append("")
        lines.append("warnings (WARNING-strength expectations, never fail the run):")
        for w in warnings[:max_warnings]:
            where = ", ".join(x for x in (w.get("kind"), w.get("violation")) if x)
            lines.append(
                f"  {w['check']}{f' ({where})' if where else ''}: {w['message']}"
                f"  [x{w.get('occurrences', 1)}]"
            )
        if len(warnings) > max_warnings:
            lines.append(f"  ... and {len(warnings) - max_warnings} more (see the JSON report)")
    return [redact_text(line) for line in lines]
