"""The localstripe field trial's yardsticks: its known deviations, issue 11's judgement of a run.

Shared by ``tests/conformance/test_field_trial.py`` (the live run and the committed docs)
and its ``--write-docs`` mode. See ``docs/field-trial-localstripe.md`` for each deviation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracttk.contract.domain import LUHN_FAILING_TEST_NUMBER, is_test_card
from contracttk.defaults import EXIT_FAILURES, UNKNOWN_TEST_KEY

from .proc import run_cli

__all__ = [
    "API_KEY",
    "KNOWN_DEVIATIONS",
    "MAX_CONSOLE_FINDINGS",
    "NON_CARD_KINDS",
    "SEED",
    "Deviation",
    "check_judgement",
    "console_findings",
    "merged_findings",
    "missing_deviations",
    "run_trial",
    "shows",
    "unmasked_secrets",
]

# Not a Stripe key: localstripe accepts any key that starts with sk_ (deviation D10).
API_KEY = "sk_test_contracttkFieldTrial"
SEED = "1"
MAX_CONSOLE_FINDINGS = 40
RUN_TIMEOUT_S = 1200
NON_CARD_KINDS = ("bank_account", "pii", "account", "person", "cvc_update")
_CONSOLE_LINE = re.compile(r"^\s*(\d+)\. \[(hard|warn)[^\]]*\] (F[0-9a-f]{8}) (.*)$")

Finding = Mapping[str, Any]


@dataclass(frozen=True)
class Deviation:
    """One way localstripe differs from Stripe, and the finding that shows it.

    Every given attribute must hold for a finding to match. ``each`` lists values of
    ``kinds`` / ``statuses`` that must EACH have a finding of their own (one cause per kind
    or per answer).
    """

    id: str
    check: str
    summary: str
    family: str | None = None
    status: int | None = None
    title: str | None = None
    """A regular expression the finding's title must contain."""
    kind: str | None = None
    param: str | None = None
    """A parameter the finding must list."""
    item: str | None = None
    """A suite item one of its instances must come from."""
    each_kind: tuple[str, ...] = ()
    each_status: tuple[int, ...] = ()

    def matches(
        self, finding: Finding, *, kind: str | None = None, status: int | None = None
    ) -> bool:
        """True when ``finding`` (a report record) shows this deviation."""
        if finding.get("check") != self.check:
            return False
        if self.family is not None and finding.get("family") != self.family:
            return False
        want_status = status if status is not None else self.status
        if want_status is not None and (finding.get("answer") or {}).get("status") != want_status:
            return False
        if self.title is not None and not re.search(self.title, finding.get("title", "")):
            return False
        want_kind = kind or self.kind
        if want_kind is not None and want_kind not in finding.get("kinds", ()):
            return False
        if self.param is not None and self.param not in finding.get("parameters", ()):
            return False
        if self.item is not None:
            items = {rec.get("item") for rec in finding.get("instances", ())}
            items |= {rec.get("item") for rec in finding.get("examples", ())}
            if self.item not in items:
                return False
        return True

    def found(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings showing this deviation; [] unless every kind / status has one."""
        findings = list(findings)
        if self.each_kind:
            per = [[f for f in findings if self.matches(f, kind=k)] for k in self.each_kind]
        elif self.each_status:
            per = [[f for f in findings if self.matches(f, status=s)] for s in self.each_status]
        else:
            per = [[f for f in findings if self.matches(f)]]
        if not all(per):
            return []
        return [f for group in per for f in group]


# Every entry is explained (localstripe vs Stripe, with the source tag) in
# docs/field-trial-localstripe.md under its id.
KNOWN_DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        "D1",
        "kind_support",
        "only card tokens exist: every other kind is refused ('Unexpected <kind>')",
        title=r"^does not support \w+ tokens",
        each_kind=NON_CARD_KINDS,
    ),
    Deviation(
        "D2",
        "positive_acceptance",
        "valid cards refused: CVC required, 16 digits only",
        status=400,
        kind="card",
    ),
    Deviation("D3", "token_semantics", "token has no 'used' field", title=r"used is missing"),
    Deviation(
        "D4",
        "token_semantics",
        "every card is a US Visa credit card (brand, funding are constants)",
        title=r"card\.(brand|funding): expected",
    ),
    Deviation(
        "D5",
        "expected_error",
        "Luhn-invalid card number accepted",
        family="luhn",
        status=200,
        param="card[number]",
    ),
    Deviation(
        "D6", "expected_error", "expiry year in the past accepted", family="past", status=200
    ),
    Deviation(
        "D7",
        "expected_error",
        "card errors are 400 invalid_request_error, not 402 card_error",
        family="out_of_range",
        status=400,
        title=r"where Stripe gives 402 card_error",
    ),
    Deviation(
        "D8",
        "expected_error",
        "errors carry no code and no param",
        family="missing",
        status=400,
        title=r"where Stripe gives 400 invalid_request_error parameter_missing",
    ),
    Deviation(
        "D9",
        "expected_error",
        "optional card fields and nested unknown keys are not validated",
        family="empty",
        status=200,
        param="card[name]",
    ),
    Deviation("D10", "auth_bad_key", "any key starting with sk_ is accepted", status=200),
    Deviation(
        "D11",
        "retrieve_unknown_id",
        "unknown token id: 404 without code resource_missing",
        status=404,
        title="resource_missing",
    ),
    Deviation(
        "D12",
        "idempotency_replay",
        "Idempotency-Key ignored: a retry mints a new token",
        title="new token id",
    ),
    Deviation(
        "D13",
        "idempotency_mismatch",
        "Idempotency-Key reused with other params: 200 instead of 400 idempotency_error",
        status=200,
    ),
    Deviation(
        "D14",
        "not_a_server_error",
        "conflicting form keys (card[number] and card[number][x]) crash with 500",
        status=500,
        item="protocol::malformed",
    ),
    Deviation(
        "D15",
        "error_envelope",
        "unknown routes and methods answer plain text, not the JSON error envelope",
        title="is not JSON",
        each_status=(404, 405),
    ),
)


def missing_deviations(findings: Iterable[Finding]) -> list[str]:
    """Ids of the known deviations no finding shows."""
    findings = list(findings)
    return [d.id for d in KNOWN_DEVIATIONS if not d.found(findings)]


def merged_findings(findings: Iterable[Finding]) -> dict[str, list[str]]:
    """Findings that show two known deviations at once: ``{finding id: [deviation ids]}``."""
    out: dict[str, list[str]] = {}
    for f in findings:
        hits = [d.id for d in KNOWN_DEVIATIONS if shows(d, f)]
        if len(hits) > 1:
            out[f["id"]] = hits
    return out


def shows(d: Deviation, f: Finding) -> bool:
    """True when the finding ``f`` shows ``d`` (for a per-kind / per-status deviation: one
    of its kinds or statuses)."""
    if d.matches(f):
        return True
    return any(d.matches(f, kind=k) for k in d.each_kind) or any(
        d.matches(f, status=s) for s in d.each_status
    )


def console_findings(stdout: str) -> list[tuple[int, str, str, str]]:
    """``(number, strength, id, title)`` of every finding the console lists."""
    out = []
    for line in stdout.splitlines():
        m = _CONSOLE_LINE.match(line)
        if m:
            out.append((int(m.group(1)), m.group(2), m.group(3), m.group(4)))
    return out


_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{12,19}(?![0-9])")
# A key shown masked has a star right after the prefix (sk_test_****1234): not matched.
_KEY = re.compile(r"\b(?:sk|pk|rk)_(?:test|live)_[A-Za-z0-9_]+")


def _luhn(number: str) -> bool:
    # Written here on purpose: the yardstick of a redaction test is not the redactor's code.
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def unmasked_secrets(text: str) -> list[str]:
    """Luhn-valid 12-19 digit runs that are not published test cards, and unmasked keys."""
    public = {LUHN_FAILING_TEST_NUMBER}
    found = [
        m.group(0)
        for m in _DIGIT_RUN.finditer(text)
        if _luhn(m.group(0)) and not is_test_card(m.group(0)) and m.group(0) not in public
    ]
    # The unknown-key items' placeholder is documented and no target issued it: public.
    return found + [m.group(0) for m in _KEY.finditer(text) if m.group(0) != UNKNOWN_TEST_KEY]


def run_trial(url: str, workdir: Path) -> tuple[int, dict[str, Any], str]:
    """``contracttk fuzz URL --api-key ... --seed SEED --report`` (defaults otherwise), as a child."""
    report = workdir / "report.json"
    proc = run_cli(
        "fuzz",
        url,
        "--api-key",
        API_KEY,
        "--seed",
        SEED,
        "--report",
        str(report),
        cwd=workdir,
        timeout=RUN_TIMEOUT_S,
    )
    assert report.exists(), f"no report (exit {proc.returncode})\n{proc.stderr[-2000:]}"
    return proc.returncode, json.loads(report.read_text(encoding="utf-8")), proc.stdout


def check_judgement(code: int, doc: Mapping[str, Any], stdout: str) -> None:
    """Issue 11's judgement on one run (shared by the test and ``--write-docs``)."""
    assert code == EXIT_FAILURES, stdout[-3000:]
    assert doc["status"] == "completed", doc.get("detail")
    findings = doc["findings"]
    shown = console_findings(stdout)
    shown_ids = {fid for _, _, fid, _ in shown}
    # At most 40 findings on the console, every hard one among them.
    assert 0 < len(shown) <= MAX_CONSOLE_FINDINGS
    hard = [f for f in findings if f["strength"] == "hard"]
    assert len(hard) <= MAX_CONSOLE_FINDINGS, len(hard)
    assert {f["id"] for f in hard} <= shown_ids
    # Every known deviation still found, on the console, none merged with another.
    assert missing_deviations(findings) == []
    for d in KNOWN_DEVIATIONS:
        assert {f["id"] for f in d.found(findings)} & shown_ids, f"{d.id} is not on the console"
    assert merged_findings(findings) == {}
    # The cascade: one finding per kind localstripe lacks, the rest of the kind blocked by it.
    support = {f["kinds"][0]: f for f in findings if f["check"] == "kind_support"}
    assert sorted(support) == sorted(NON_CARD_KINDS)
    for kind, f in support.items():
        assert f["title"].startswith(f"does not support {kind} tokens"), f["title"]
        assert f["blocked"] > 0, kind
    leftovers = [
        f["title"]
        for f in findings
        if f["check"] != "kind_support" and f["kinds"] and set(f["kinds"]) <= set(NON_CARD_KINDS)
    ]
    assert leftovers == []
    # localstripe echoes no secret: a secret-echo finding would be a false alarm.
    assert not [f for f in findings if f["check"] == "no_secret_echo"]
    assert unmasked_secrets(json.dumps(doc)) == []
    assert unmasked_secrets(stdout) == []
