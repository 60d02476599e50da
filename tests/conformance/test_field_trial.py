"""Field trial: a default ``contracttk fuzz`` run against localstripe 1.15.10 (issue 11's judgement).

localstripe (a fake Stripe server, see ``docs/field-trial-localstripe.md``) is started on
127.0.0.1 by ``tests/support/localstripe_launcher.py`` (state in memory only: nothing is
written), and ``contracttk fuzz URL --report r.json`` runs against it as a child process with
the default settings and a pinned seed. The test asserts issue 11's judgement:

* at most 40 findings on the console, and no hard finding hidden behind "... more";
* every deviation of ``support.field_trial.KNOWN_DEVIATIONS`` (the docs' list) still found, on the
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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script (--write-docs): make tests/support importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest
from support.field_trial import (
    API_KEY,
    KNOWN_DEVIATIONS,
    MAX_CONSOLE_FINDINGS,
    check_judgement,
    console_findings,
    merged_findings,
    missing_deviations,
    run_trial,
    shows,
    unmasked_secrets,
)
from support.localstripe_launcher import localstripe_available, running_localstripe

DOCS = Path(__file__).resolve().parents[2] / "docs"
REPORT_DOC = DOCS / "field-trial-localstripe-report.json"
MARKDOWN_DOC = DOCS / "field-trial-localstripe.md"
CONSOLE_START = "<!-- console:start -->"
CONSOLE_END = "<!-- console:end -->"


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
    assert shows(d1, both)


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
    console = _portless(stdout.rstrip("\n").replace("report: " + str(Path(tmp)) + "/", "report: "))
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
