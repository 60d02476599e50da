"""Field trial: a default ``contracttk fuzz`` run against localstripe 1.15.10 (issue 11's judgement).

localstripe (a fake Stripe server, see ``docs/field-trial-localstripe.md``) is started on
127.0.0.1 by ``tests/support/localstripe_launcher.py`` (state in memory only: nothing is
written), and ``contracttk fuzz URL --report r.json`` runs against it as a child process with
the default settings and a pinned seed. The test asserts issue 11's judgement:

* at most 40 findings on the console, and no hard finding hidden behind "... more";
* every deviation of :data:`KNOWN_DEVIATIONS` (the list of the docs) still found, and on the
  console, none merged with another (no finding matches two deviations);
* the "does not support <kind> tokens" cascade: one finding per kind localstripe lacks,
  nothing else reported for those kinds;
* no secret in the output: public test values are shown (reproductions reproduce), keys are
  not, and no other card number is.

The committed docs (an example run's console output in the markdown, the JSON report
condensed) are regenerated with ``python tests/conformance/test_field_trial.py --write-docs``;
the fast tests at the bottom check them against the same deviation list.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script (--write-docs): make tests/support importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest
from support import run_cli
from support.localstripe_launcher import localstripe_available, running_localstripe

from contracttk.contract.domain import LUHN_FAILING_TEST_NUMBER, is_test_card
from contracttk.defaults import EXIT_FAILURES

DOCS = Path(__file__).resolve().parents[2] / "docs"
REPORT_DOC = DOCS / "field-trial-localstripe-report.json"
MARKDOWN_DOC = DOCS / "field-trial-localstripe.md"
# Not a Stripe key: localstripe accepts any key that starts with sk_ (deviation D10).
API_KEY = "sk_test_contracttkFieldTrial"
SEED = "1"
MAX_CONSOLE_FINDINGS = 40
RUN_TIMEOUT_S = 1200
NON_CARD_KINDS = ("bank_account", "pii", "account", "person", "cvc_update")
CONSOLE_START = "<!-- console:start -->"
CONSOLE_END = "<!-- console:end -->"
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
        hits = [d.id for d in KNOWN_DEVIATIONS if d.matches(f) or _partial(d, f)]
        if len(hits) > 1:
            out[f["id"]] = hits
    return out


def _partial(d: Deviation, f: Finding) -> bool:
    # A per-kind / per-status deviation matches a single finding for one of its values.
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
    return found + [m.group(0) for m in _KEY.finditer(text)]


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


# --- the live run -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.loopback
def test_default_run_against_localstripe(tmp_path: Path) -> None:
    reason = localstripe_available()
    assert reason is None, reason  # localstripe is in the [test] extra: never a skip
    with running_localstripe() as url:
        code, doc, stdout = run_trial(url, tmp_path)
    check_judgement(code, doc, stdout)
    # Published test values are shown in full: the example curl lines reproduce.
    assert "4242424242424242" in stdout


# --- the committed docs ---------------------------------------------------------------------------


def _committed_report() -> dict[str, Any]:
    return json.loads(REPORT_DOC.read_text(encoding="utf-8"))


def _committed_console() -> str:
    text = MARKDOWN_DOC.read_text(encoding="utf-8")
    start, end = text.index(CONSOLE_START), text.index(CONSOLE_END)
    return text[start:end]


def test_committed_report_shows_every_known_deviation_unmerged() -> None:
    doc = _committed_report()
    assert doc["tool"] == "contracttk" and doc["status"] == "completed"
    assert missing_deviations(doc["findings"]) == []
    assert merged_findings(doc["findings"]) == {}


def test_committed_docs_have_no_unmasked_secrets() -> None:
    # The tool's output, not the prose around it (which names the made-up key it used).
    for name, text in (
        (REPORT_DOC.name, REPORT_DOC.read_text(encoding="utf-8")),
        ("the console block", _committed_console()),
    ):
        assert unmasked_secrets(text) == [], name
        assert API_KEY not in text, name


def test_committed_console_matches_the_committed_report() -> None:
    shown = console_findings(_committed_console())
    doc = _committed_report()
    assert 0 < len(shown) <= MAX_CONSOLE_FINDINGS
    assert [fid for _, _, fid, _ in shown] == [f["id"] for f in doc["findings"]][: len(shown)]
    assert [n for n, _, _, _ in shown] == list(range(1, len(shown) + 1))


def test_every_known_deviation_is_explained_in_the_markdown() -> None:
    text = MARKDOWN_DOC.read_text(encoding="utf-8")
    for d in KNOWN_DEVIATIONS:
        assert re.search(rf"^### {d.id}\b", text, re.M), f"{d.id} is not explained"
        assert f"`{d.check}`" in text, d.check


@pytest.mark.parametrize(
    ("text", "leaks"),
    [
        ("a test card 4242424242424242 is public", []),
        ("a debit test card 4000056655665556, and 4532015112830366", ["4532015112830366"]),
        ("masked ************4242", []),
        ("created 1795824585 id 1234567890123", []),  # not Luhn-valid
        ("key sk_test_abc123 and sk_test_****1234", ["sk_test_abc123"]),
    ],
)
def test_secret_scanner(text: str, leaks: list[str]) -> None:
    # The guard of the committed docs must itself be able to fail.
    assert unmasked_secrets(text) == leaks


def test_deviation_matcher_is_specific() -> None:
    d = next(x for x in KNOWN_DEVIATIONS if x.id == "D5")
    hit = {
        "id": "Fx",
        "check": "expected_error",
        "family": "luhn",
        "answer": {"status": 200},
        "kinds": ["card"],
        "parameters": ["card[number]"],
        "title": "accepts card numbers failing the Luhn check",
    }
    assert d.matches(hit)
    assert not d.matches({**hit, "answer": {"status": 400}})
    assert not d.matches({**hit, "check": "token_semantics"})
    assert not d.matches({**hit, "family": "not_digits"})
    # A finding matching two deviations is a merge.
    d1 = next(x for x in KNOWN_DEVIATIONS if x.id == "D1")
    both = {
        **hit,
        "check": "kind_support",
        "title": "does not support pii tokens",
        "kinds": ["pii"],
    }
    assert d1.found([both]) == []  # one kind is not all of them
    assert _partial(d1, both)


# --- regenerating the committed docs ---------------------------------------------------------------


def condense(doc: Mapping[str, Any], *, max_string: int = 400) -> dict[str, Any]:
    """The report without per-instance lists and with one example per finding, strings cut."""
    out = {k: v for k, v in doc.items() if k not in ("findings", "items")}
    out["items"] = [
        {k: i[k] for k in ("name", "outcome", "cases", "failures", "warnings", "skipped")}
        for i in doc["items"]
    ]
    findings = []
    for f in doc["findings"]:
        g = {k: v for k, v in f.items() if k not in ("instances", "examples")}
        # Which items and kinds showed it (the deviation list matches on them), not each case.
        seen = {(i.get("item"), i.get("kind")) for i in f["instances"]}
        g["instances"] = [{"item": it, "kind": k} for it, k in sorted(seen, key=str)]
        g["example"] = _shorten(_example(f["examples"][0]), max_string) if f["examples"] else None
        findings.append(g)
    out["findings"] = findings
    out["condensed"] = (
        "instances: the distinct items and kinds, not every case; one example per finding (request, status, error); "
        f"strings over {max_string} characters cut: see tests/conformance/test_field_trial.py"
    )
    return out


def _example(ex: Mapping[str, Any]) -> dict[str, Any]:
    req, resp = ex.get("request") or {}, ex.get("response") or {}
    body = resp.get("body")
    error = body.get("error") if isinstance(body, dict) else None
    return {
        "item": ex.get("item"),
        "kind": ex.get("kind"),
        "violation": ex.get("violation"),
        "message": ex.get("message"),
        "curl": req.get("curl"),
        "replayable": req.get("replayable"),
        "status": resp.get("status"),
        "error": error if error is not None else (body if isinstance(body, str) else None),
    }


def _shorten(value: Any, limit: int) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"…[+{len(value) - limit} chars]"
    if isinstance(value, dict):
        return {k: _shorten(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v, limit) for v in value]
    return value


def _portless(text: str) -> str:
    # The port changes per run; it says nothing about localstripe.
    return re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:<port>", text)


def write_docs() -> None:
    """Re-run the trial (default settings, seed SEED) and rewrite the committed docs."""
    reason = localstripe_available()
    if reason:
        raise SystemExit(reason)
    with tempfile.TemporaryDirectory(prefix="contracttk-field-trial-") as tmp:
        with running_localstripe() as url:
            code, doc, stdout = run_trial(url, Path(tmp))
    check_judgement(code, doc, stdout)
    report = _portless(json.dumps(condense(doc), indent=1, ensure_ascii=False)) + "\n"
    console = _portless(stdout.rstrip("\n").replace("report: " + str(Path(tmp)), "report: "))
    for text in (report, console):
        if unmasked_secrets(text):
            raise SystemExit(f"refusing to write: unmasked secrets {unmasked_secrets(text)[:3]}")
    REPORT_DOC.write_text(report, encoding="utf-8")
    md = MARKDOWN_DOC.read_text(encoding="utf-8")
    start, end = md.index(CONSOLE_START), md.index(CONSOLE_END)
    block = f"{CONSOLE_START}\n```\n{console}\n```\n"
    MARKDOWN_DOC.write_text(md[:start] + block + md[end:], encoding="utf-8")
    c = doc["counts"]
    print(
        f"wrote {REPORT_DOC.name} ({len(report)} bytes) and the console block of "
        f"{MARKDOWN_DOC.name}: {c['findings']} findings ({c['hard_findings']} hard), "
        f"{c['blocked_failures']} blocked, {c['cases']} cases, {doc['duration_s']:.0f} s"
    )


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Regenerate the committed field-trial docs.")
    parser.add_argument("--write-docs", action="store_true", required=True)
    parser.parse_args(argv)
    write_docs()


if __name__ == "__main__":
    _main()
