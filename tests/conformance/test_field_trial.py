"""Field trial: ``contracttk fuzz`` against localstripe finds its known deviations from Stripe.

localstripe (a fake Stripe server, see ``docs/field-trial-localstripe.md``) is started on a
loopback port by ``tests/localstripe_launcher.py`` with its state kept in memory, then
``contracttk fuzz <url> --api-key sk_test_...`` runs against it in a child process. Every
deviation listed in :data:`KNOWN_DEVIATIONS` must still be reported (by check name, kind,
catalogue violation or message), so a change to the engine that loses one shows up here.

The committed report is regenerated with ``python tests/test_field_trial.py --write-docs``
(default max-examples, seed :data:`DOCS_SEED`); it is condensed (one representative per
distinct finding, occurrences summed) because the raw report is several megabytes. The
fast tests at the bottom check the committed files: no unmasked card number or key, every
known deviation present in the report and explained in the markdown.

Skipped, with the reason shown, only when localstripe cannot be imported.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from contracttk.contract.domain import luhn_valid
from contracttk.defaults import EXIT_FAILURES

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs"
REPORT_DOC = DOCS / "field-trial-localstripe-report.json"
MARKDOWN_DOC = DOCS / "field-trial-localstripe.md"
# Not a Stripe key: localstripe accepts any key that starts with sk_ (deviation D10).
API_KEY = "sk_test_contracttkFieldTrial"
DOCS_SEED = "1"
TEST_MAX_EXAMPLES = "10"
HARD_TIMEOUT_S = 300


def _load_launcher() -> ModuleType:
    # --import-mode=importlib keeps tests/ off sys.path: load the sibling module by path.
    name = "contracttk_tests_localstripe_launcher"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "localstripe_launcher.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


launcher = _load_launcher()

Failure = Mapping[str, Any]
NON_CARD_KINDS = ("bank_account", "pii", "account", "person", "cvc_update")


@dataclass(frozen=True)
class Deviation:
    """One way localstripe differs from Stripe, and how the report shows it."""

    id: str
    check: str
    summary: str
    kinds: tuple[str | None, ...] | None = None
    violation: str | None = None
    """Exact catalogue violation name, or a ``*:rule`` suffix pattern."""
    message: str | None = None
    """A regular expression the failure message must match."""
    response: str | None = None
    """A regular expression the (redacted) response body text must match."""

    def matches(self, failure: Failure) -> bool:
        """True when ``failure`` (a report record) is an instance of this deviation."""
        if failure.get("check") != self.check:
            return False
        if self.kinds is not None and failure.get("kind") not in self.kinds:
            return False
        if self.violation is not None:
            got = failure.get("violation") or ""
            if self.violation.startswith("*:"):
                if not got.endswith(self.violation[1:]):
                    return False
            elif got != self.violation:
                return False
        if self.message is not None and not re.search(self.message, failure.get("message", "")):
            return False
        if self.response is not None:
            resp = failure.get("response") or {}
            if not re.search(self.response, json.dumps(resp.get("body"))):
                return False
        return True


# Every entry is explained (localstripe vs Stripe, with the source tag) in
# docs/field-trial-localstripe.md under its id.
KNOWN_DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        "D1",
        "positive_acceptance",
        "only card tokens exist: every other kind is refused with 'Unexpected <kind>'",
        kinds=NON_CARD_KINDS,
        response=r"Unexpected (bank_account|pii|account|person|cvc_update)",
    ),
    Deviation(
        "D2",
        "positive_acceptance",
        "valid cards refused: CVC required, 16 digits only",
        kinds=("card",),
        response="Bad request",
    ),
    Deviation("D3", "token_semantics", "token has no 'used' field", message=r"^used is missing"),
    Deviation(
        "D4",
        "token_semantics",
        "every card is a US Visa credit card (brand, funding, country are constants)",
        kinds=("card",),
        message=r"^card\.(brand|funding): expected",
    ),
    Deviation(
        "D5",
        "expected_error",
        "Luhn-invalid card number accepted",
        violation="card[number]:luhn",
        message="was accepted",
    ),
    Deviation(
        "D6",
        "expected_error",
        "expiry year in the past accepted",
        violation="card[exp_year]:past",
        message="was accepted",
    ),
    Deviation(
        "D7",
        "expected_error",
        "card errors are 400 invalid_request_error, not 402 card_error",
        violation="card[exp_month]:out_of_range",
        message=r"^status: expected 402, got 400",
    ),
    Deviation(
        "D8",
        "expected_error",
        "errors carry no code and no param",
        violation="*:missing",
        message=r"^code: expected 'parameter_missing', got None",
    ),
    Deviation(
        "D9",
        "expected_error",
        "optional card fields and nested unknown keys are not validated",
        kinds=("card",),
        violation="card[name]:empty",
        message="was accepted",
    ),
    Deviation(
        "D10",
        "auth_bad_key",
        "any key starting with sk_ is accepted",
        message=r"expected 401 invalid_request_error, got 200",
    ),
    Deviation(
        "D11",
        "retrieve_unknown_id",
        "unknown token id: 404 without code resource_missing",
        message=r"^code: expected 'resource_missing', got None",
    ),
    Deviation(
        "D12",
        "idempotency_replay",
        "Idempotency-Key ignored: a retry mints a new token",
        message="new token id",
    ),
    Deviation(
        "D13",
        "idempotency_mismatch",
        "Idempotency-Key reused with other params: 200 instead of 400 idempotency_error",
        message=r"expected 400 idempotency_error, got 200",
    ),
    Deviation(
        "D14",
        "not_a_server_error",
        "conflicting form keys (card[number] and card[number][x]) crash with 500",
        message="server error 500",
    ),
    Deviation(
        "D15",
        "error_envelope",
        "unknown routes and methods answer plain text, not the JSON error envelope",
        message="is not JSON",
    ),
)


def run_trial(
    url: str, workdir: Path, *, max_examples: str | None, seed: str
) -> tuple[int, dict[str, Any], str]:
    """``contracttk fuzz url --api-key API_KEY --seed seed --report ...`` in a child process."""
    report = workdir / "report.json"
    cmd = [sys.executable, "-m", "contracttk.cli", "fuzz", url, "--api-key", API_KEY]
    cmd += ["--seed", seed, "--report", str(report)]
    if max_examples is not None:
        cmd += ["--max-examples", max_examples]
    proc = subprocess.run(
        cmd, cwd=workdir, capture_output=True, text=True, timeout=HARD_TIMEOUT_S, check=False
    )
    tail = proc.stdout[-2000:] + proc.stderr[-2000:]
    assert report.exists(), f"no report written (exit {proc.returncode})\n{tail}"
    return proc.returncode, json.loads(report.read_text(encoding="utf-8")), tail


def missing_deviations(failures: Iterable[Failure]) -> list[str]:
    """Ids of the known deviations that no failure in ``failures`` matches."""
    failures = list(failures)
    return [d.id for d in KNOWN_DEVIATIONS if not any(d.matches(f) for f in failures)]


# --- condensing the committed report --------------------------------------------------------

_QUOTED = re.compile(r"'[^']*'")
_NUMBER = re.compile(r"\d+")


def _finding_key(failure: Failure) -> tuple[str, str, str]:
    violation = failure.get("violation") or ""
    rule = violation.rsplit(":", 1)[-1] if violation else ""
    # The same message with other values (ids, paths, counts) is the same finding.
    text = _NUMBER.sub("N", _QUOTED.sub("'…'", failure.get("message", "")))[:90]
    return (failure.get("check", ""), failure.get("kind") or "", f"{rule}|{text}")


def _shorten(value: Any, limit: int) -> Any:
    """``value`` with every string over ``limit`` characters cut (and the cut noted)."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"…[+{len(value) - limit} chars]"
    if isinstance(value, dict):
        return {k: _shorten(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v, limit) for v in value]
    return value


def condense(records: Iterable[Failure], *, max_string: int = 600) -> list[dict[str, Any]]:
    """One representative per distinct finding (the one with the shortest curl line), with
    occurrences summed, example violations, and strings over ``max_string`` cut."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for rec in records:
        key = _finding_key(rec)
        group = groups.setdefault(
            key, {"rep": rec, "occurrences": 0, "merged_failures": 0, "example_violations": []}
        )
        if len(rec.get("curl") or "") < len(group["rep"].get("curl") or ""):
            group["rep"] = rec
        group["occurrences"] += rec.get("occurrences", 1)
        group["merged_failures"] += 1
        violation = rec.get("violation")
        if violation and violation not in group["example_violations"]:
            if len(group["example_violations"]) < 8:
                group["example_violations"].append(violation)
    out = []
    for group in groups.values():
        rep = _shorten(dict(group.pop("rep")), max_string)
        rep.update(group)
        out.append(rep)
    return sorted(out, key=lambda g: (g["check"], g.get("kind") or "", -g["occurrences"]))


def condense_report(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The report with ``failures``/``warnings`` condensed; everything else unchanged."""
    out = dict(doc)
    out["failures"] = condense(doc["failures"])
    out["warnings"] = condense(doc["warnings"])
    out["condensed"] = {
        "note": "one representative per distinct finding (check, kind, rule, message "
        "pattern), the one with the shortest curl line; strings over 600 characters cut; "
        "see tests/test_field_trial.py condense()",
        "distinct_failures_in_raw_report": len(doc["failures"]),
        "distinct_warnings_in_raw_report": len(doc["warnings"]),
    }
    return out


_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{12,19}(?![0-9])")
# A masked key (sk_test_****1234) has a star right after the prefix: not matched.
_KEY = re.compile(r"\b(?:sk|pk|rk)_(?:test|live)_[A-Za-z0-9_]+")


def unmasked_secrets(text: str) -> list[str]:
    """Card-number-like digit runs (Luhn-valid, 12-19 digits) and unmasked API keys in text."""
    found = [m.group(0) for m in _DIGIT_RUN.finditer(text) if luhn_valid(m.group(0))]
    found += [m.group(0) for m in _KEY.finditer(text)]
    return found


def write_docs(seed: str = DOCS_SEED) -> dict[str, Any]:
    """Re-run the trial with default settings and write the condensed committed report."""
    reason = launcher.localstripe_available()
    if reason:
        raise SystemExit(reason)
    with tempfile.TemporaryDirectory(prefix="contracttk-field-trial-") as tmp:
        with launcher.running_localstripe() as url:
            code, doc, tail = run_trial(url, Path(tmp), max_examples=None, seed=seed)
    if code != EXIT_FAILURES:
        raise SystemExit(f"expected exit 1 against localstripe, got {code}\n{tail}")
    condensed = condense_report(doc)
    # The port changes per run; it says nothing about localstripe.
    condensed["target"] = re.sub(r":\d+$", ":<port>", condensed["target"])
    text = json.dumps(condensed, indent=2, ensure_ascii=False) + "\n"
    text = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:<port>", text)
    leaks = unmasked_secrets(text)
    if leaks:
        raise SystemExit(f"refusing to write: unmasked secrets in the report: {leaks[:3]}")
    REPORT_DOC.write_text(text, encoding="utf-8")
    missing = missing_deviations(condensed["failures"])
    print(f"wrote {REPORT_DOC} ({len(text)} bytes); missing deviations: {missing or 'none'}")
    return condensed


# --- tests ----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.loopback
def test_known_deviations_are_still_found(tmp_path: Path) -> None:
    reason = launcher.localstripe_available()
    if reason:
        pytest.skip(reason)
    with launcher.running_localstripe() as url:
        code, doc, tail = run_trial(url, tmp_path, max_examples=TEST_MAX_EXAMPLES, seed=DOCS_SEED)
    assert code == EXIT_FAILURES, tail
    assert doc["status"] == "completed"
    assert missing_deviations(doc["failures"]) == []
    # Every failure is hard (warnings are reported apart and never fail a run).
    assert {f["strength"] for f in doc["failures"]} == {"hard"}
    # localstripe never echoes a PAN or CVC: a secret-echo finding would be a false alarm.
    assert not [f for f in doc["failures"] if f["check"] == "no_secret_echo"]
    # The raw report is already redacted by contracttk.
    assert unmasked_secrets(json.dumps(doc)) == []


def _committed_report() -> dict[str, Any]:
    if not REPORT_DOC.exists():
        pytest.skip(
            f"{REPORT_DOC.name} not generated yet (python tests/test_field_trial.py --write-docs)"
        )
    return json.loads(REPORT_DOC.read_text(encoding="utf-8"))


def test_committed_report_has_no_unmasked_secrets() -> None:
    text = REPORT_DOC.read_text(encoding="utf-8") if REPORT_DOC.exists() else ""
    if not text:
        pytest.skip(f"{REPORT_DOC.name} not generated yet")
    assert unmasked_secrets(text) == []
    # Card numbers do appear, masked to their last four.
    assert re.search(r"\*{12}4242", text)


def test_committed_report_shows_every_known_deviation() -> None:
    doc = _committed_report()
    assert doc["tool"] == "contracttk" and doc["status"] == "completed"
    assert missing_deviations(doc["failures"]) == []


def test_every_known_deviation_is_explained_in_the_markdown() -> None:
    text = MARKDOWN_DOC.read_text(encoding="utf-8")
    for d in KNOWN_DEVIATIONS:
        assert re.search(rf"^### {d.id}\b", text, re.M), f"{d.id} is not explained"
        assert f"`{d.check}`" in text, d.check


@pytest.mark.parametrize(
    ("text", "leaks"),
    [
        ("card 4242424242424242 here", ["4242424242424242"]),
        ("masked ************4242", []),
        ("created 1795824585 id 1234567890123", []),  # not Luhn-valid
        ("key sk_test_abc123 and sk_test_****1234", ["sk_test_abc123"]),
    ],
)
def test_secret_scanner(text: str, leaks: list[str]) -> None:
    # The guard of the committed report must itself be able to fail.
    assert unmasked_secrets(text) == leaks


def test_deviation_matcher_is_specific() -> None:
    d = next(x for x in KNOWN_DEVIATIONS if x.violation == "card[number]:luhn")
    hit = {"check": "expected_error", "kind": "card", "violation": "card[number]:luhn"}
    assert d.matches({**hit, "message": "an invalid payload (card[number]:luhn) was accepted"})
    assert not d.matches({**hit, "message": "status: expected 402, got 400"})
    assert not d.matches({**hit, "check": "token_semantics", "message": "was accepted"})


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Regenerate the committed field-trial report.")
    parser.add_argument("--write-docs", action="store_true", required=True)
    parser.add_argument("--seed", default=DOCS_SEED)
    args = parser.parse_args(argv)
    write_docs(args.seed)


if __name__ == "__main__":
    _main()
