"""A conformance run's state, from settings to the final report: the front ends' shared core.

:class:`RunState` knows nothing of pytest. The pytest adapter (``contracttk.plugins``) calls
it from its hooks: :meth:`RunState.preflight` once (controller), :meth:`RunState.run_item`
per item (wherever the item runs), :meth:`RunState.add_record` for every finished item
(controller), :meth:`RunState.finish` at the end. ``contracttk fuzz`` hands a RunState to
pytest and reads :attr:`RunState.exit_code` and :attr:`RunState.doc` afterwards: no report
file round trip. Exit codes: 0 clean, 1 findings, 3 not testable, 130 interrupted.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from contracttk.defaults import EXIT_FAILURES, EXIT_INTERRUPTED, EXIT_OK, EXIT_TARGET

from .findings import Finding, build_findings, cause_of, finding_id
from .preflight import preflight
from .repro import example_record
from .results import ItemResult
from .runner import Limits
from .settings import Settings, SettingsError
from .suite import item_names, run_item
from .transport import Target

__all__ = ["RunState"]


class RunState:
    """Settings, per-item records and the verdict of one run."""

    def __init__(
        self, settings: Settings, *, app: Any = None, cache_dir: Path | None = None
    ) -> None:
        self.settings = settings
        self.cache_dir = cache_dir
        """pytest's cache folder for this run's derived cases (None: nothing kept)."""
        self.target = Target(settings.url, app=app)
        self.limits = Limits(settings)
        self.records: dict[str, dict[str, Any]] = {}
        self.outcomes: dict[str, str] = {}
        self.durations: dict[str, float] = {}
        self.status = "completed"
        self.detail: str | None = None
        self.hint: str | None = None
        self.started = datetime.now(timezone.utc)
        self._t0 = time.monotonic()
        self.baseline_ids: frozenset[str] = frozenset()
        self.findings: list[Finding] = []
        self.doc: dict[str, Any] | None = None
        self.exit_code: int | None = None
        self.write_errors: list[str] = []

    # -- before the run (controller) ----------------------------------------------------------

    def load_baseline(self) -> None:
        """Read ``--baseline``: its finding ids do not fail this run."""
        if not self.settings.baseline:
            return
        from .report import ReportError, load_report

        try:
            doc = load_report(self.settings.baseline)
        except ReportError as err:
            raise SettingsError("baseline", str(err)) from None
        self.baseline_ids = frozenset(
            f["id"] for f in doc.get("findings", []) if isinstance(f, dict) and "id" in f
        )

    def preflight(self) -> None:
        """Probe the target once; raises :class:`TargetUnavailable` when it cannot be tested."""
        preflight(self.settings, self.target)

    def item_names(self) -> list[str]:
        """The suite's items, in order."""
        return item_names(self.settings)

    # -- items (wherever they run) --------------------------------------------------------------

    def run_item(
        self, name: str, progress: Callable[[ItemResult], None] | None = None
    ) -> tuple[ItemResult, dict[str, Any]]:
        """Run one item; returns its result and its (redacted) record."""
        result = run_item(
            name,
            self.settings,
            self.target,
            limits=self.limits,
            progress=progress,
            cache_dir=self.cache_dir,
        )
        from .minimise import minimise_examples

        minimise_examples(result, self.settings, self.target, deadline=self.limits.deadline)
        record = result.to_record(lambda f: example_record(f, self.settings))
        for rec in (*record["failures"], *record["warnings"]):
            rec["finding"] = finding_id(cause_of(rec))
        record["new_hard"] = sum(
            1 for rec in record["failures"] if rec["finding"] not in self.baseline_ids
        )
        return result, record

    # -- collecting (controller) ------------------------------------------------------------------

    def add_record(
        self, name: str, record: Mapping[str, Any] | None, outcome: str, duration: float
    ) -> None:
        """Keep a finished item's record and outcome (also for items run by xdist workers)."""
        # Recorded once when the item ends in this process and again from its pytest
        # report: the same values, so the second call changes nothing.
        self.outcomes[name] = outcome
        self.durations[name] = max(self.durations.get(name, 0.0), duration)
        if record is not None:
            self.records[name] = dict(record)
            if record.get("target_down") and self.status == "completed":
                self.not_testable(
                    f"the target stopped answering mid-run: {record['target_down']}",
                    "the findings so far are in the report",
                )
            elif record.get("stopped") and self.status == "completed":
                self.status, self.detail = "stopped", str(record["stopped"])

    def not_testable(self, reason: str, hint: str | None = None) -> None:
        """Mark the run as not testable (exit 3)."""
        self.status, self.detail, self.hint = "not_testable", reason, hint

    def interrupted(self) -> None:
        """Mark the run as interrupted (exit 130): it did not run everything."""
        self.status, self.detail = "interrupted", "the run was interrupted before it ran every item"

    # -- the end (controller) -----------------------------------------------------------------------

    def finish(self) -> dict[str, Any]:
        """Findings, status, exit code; the report and JUnit files written. Returns the report."""
        from .report import build_report, write_report

        records = [self.records[n] for n in self.item_names() if n in self.records]
        self.findings = build_findings(
            records, kinds=self.settings.kinds, baseline=self.baseline_ids
        )
        if self.status == "completed":
            self._check_testable(records)
        run = {
            "status": self.status,
            "detail": self.detail,
            "hint": self.hint,
            "target": self.settings.url,
            "seed": self.settings.seed,
            "max_examples": self.settings.max_examples,
            "kinds": list(self.settings.kinds),
            "enabled_checks": sorted(self.settings.checks) or "all",
            "baseline": self.settings.baseline,
            "started_at": self.started.isoformat(timespec="seconds"),
            "duration_s": round(time.monotonic() - self._t0, 3),
        }
        self.exit_code = self._exit_code()
        run["exit_code"] = self.exit_code
        doc = build_report(
            records,
            self.findings,
            run=run,
            outcomes={n: self.outcomes.get(n, "not run") for n in self.item_names()},
            durations=self.durations,
            secrets=self.settings.secrets(),
        )
        self.doc = doc
        for path, write in (
            (self.settings.report, write_report),
            (self.settings.junit_xml, _junit),
        ):
            if not path:
                continue
            try:
                write(path, doc)
            except OSError as err:
                self.write_errors.append(f"could not write {path}: {err.strerror or err}")
        return doc

    def _check_testable(self, records: list[Mapping[str, Any]]) -> None:
        positive = sum(r.get("positive", 0) for r in records)
        created = sum(r.get("positive_created", 0) for r in records)
        valid_ran = any(
            n.endswith("::valid") and self.outcomes.get(n) in ("passed", "failed")
            for n in self.outcomes
        )
        if not valid_ran or created or not positive:
            return
        answers: Counter[int] = Counter()
        for rec in records:
            for f in rec.get("failures", ()):
                if f["check"] == "positive_acceptance":
                    answers[(f.get("answer") or {}).get("status")] += int(f.get("occurrences", 1))
        common = answers.most_common(1)[0][0] if answers else None
        if common == 404:
            hint = (
                "every POST /v1/tokens got 404: is the URL's path prefix right? "
                "Give the base URL without /v1 (e.g. http://host:8080, not http://host:8080/v1)"
            )
        elif common in (401, 403):
            hint = "every valid payload was refused as unauthorized: check the API key"
        else:
            hint = f"every valid payload was refused (most often with {common})"
        self.not_testable(
            f"no valid payload created a token ({positive} tried): this is not a conformance run",
            hint,
        )

    def _exit_code(self) -> int:
        if self.status == "interrupted":
            return EXIT_INTERRUPTED
        if self.status == "not_testable":
            return EXIT_TARGET
        if any(f.strength == "hard" and not f.baseline for f in self.findings):
            return EXIT_FAILURES
        return EXIT_OK


def _junit(path: str, doc: Mapping[str, Any]) -> None:
    from .junit import write_junit

    write_junit(path, doc)
