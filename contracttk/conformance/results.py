"""What one suite item found: distinct failures with counts, check verdicts, case counts.

An :class:`ItemResult` lives in the process that ran the item and holds raw exchanges;
:meth:`ItemResult.to_record` turns it into the JSON record that travels to the pytest
controller (also across xdist) and into the report, redacted on the way out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .failures import Failure

__all__ = ["ItemResult", "slim"]


def _request_size(f: Failure) -> int:
    req = f.request
    if req is None:
        return 0
    return len(req.url) + len(req.body or b"") + sum(len(str(v)) for v in req.headers.values())


_KEPT_BODY = 64 * 1024


def slim(f: Failure) -> Failure:
    """``f`` with a cut answer's body cut further: a kept example is printed, never re-judged.

    Only answers the transport already cut (their JSON is unreadable either way): dozens of
    distinct failures each holding a 4 MiB body made a hostile target cost 300 MB.
    """
    r = f.response
    if r is not None and r.truncated and len(r.body) > _KEPT_BODY:
        f.response = replace(r, body=r.body[:_KEPT_BODY])
    return f


@dataclass
class ItemResult:
    """Distinct failures (smallest example of each), verdict counts and case counts."""

    name: str
    failures: dict[tuple[Any, ...], Failure] = field(default_factory=dict)
    occurrences: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    checks: dict[str, Counter[str]] = field(default_factory=dict)
    cases: int = 0
    """Requests that got an answer."""
    sent: int = 0
    """Requests put on the wire (answered or not)."""
    positive: int = 0
    """Create requests the model says must succeed (hard acceptance)."""
    positive_created: int = 0
    """... of which the target created a token."""
    created_by_kind: Counter[str] = field(default_factory=Counter)
    positive_by_kind: Counter[str] = field(default_factory=Counter)
    key_sent: Counter[str] = field(default_factory=Counter)
    """Answers per key role (secret, publishable, live) of requests meant to be authorized..."""
    key_refused: Counter[str] = field(default_factory=Counter)
    """... and how many of them were a 401 (a refused key)."""
    unsent: int = 0
    """Generated cases that could not be put on the wire at all (not the target's fault)."""
    skipped: str | None = None
    seed: int | None = None
    down: str | None = None
    """Set when the target stopped answering during this item (the run stops)."""
    stopped: str | None = None
    """Set when a run limit (``--max-time``, ``--max-failures``) cut the item short."""

    def add(self, failures: list[Failure], verdicts: Mapping[str, str]) -> None:
        """Record one exchange's failures and check verdicts."""
        for name, verdict in verdicts.items():
            self.checks.setdefault(name, Counter())[verdict] += 1
        for f in failures:
            key = f.key
            self.occurrences[key] += 1
            old = self.failures.get(key)
            # Keep the smallest reproduction of each distinct failure.
            if old is None or _request_size(f) < _request_size(old):
                self.failures[key] = slim(f)

    @property
    def hard(self) -> list[Failure]:
        """Distinct hard failures."""
        return [f for f in self.failures.values() if not f.is_warning]

    @property
    def warnings(self) -> list[Failure]:
        """Distinct warnings."""
        return [f for f in self.failures.values() if f.is_warning]

    @property
    def hard_count(self) -> int:
        """Occurrences of hard failures (what ``--max-failures`` counts)."""
        return sum(self.occurrences[f.key] for f in self.hard)

    def to_record(self, example: Any) -> dict[str, Any]:
        """The JSON record of this item; ``example(failure)`` renders one failure (redacted)."""

        def rec(f: Failure) -> dict[str, Any]:
            d = example(f)
            d["item"] = self.name
            d["occurrences"] = self.occurrences[f.key]
            return d

        return {
            "name": self.name,
            "cases": self.cases,
            "sent": self.sent,
            "unsent": self.unsent,
            "positive": self.positive,
            "positive_created": self.positive_created,
            "positive_by_kind": dict(self.positive_by_kind),
            "created_by_kind": dict(self.created_by_kind),
            "key_sent": dict(self.key_sent),
            "key_refused": dict(self.key_refused),
            "checks": {k: dict(v) for k, v in sorted(self.checks.items())},
            "failures": [rec(f) for f in self.hard],
            "warnings": [rec(f) for f in self.warnings],
            "skipped": self.skipped,
            "target_down": self.down,
            "stopped": self.stopped,
            "seed": self.seed,
        }
