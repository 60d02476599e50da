"""JUnit XML: one test case per finding, so a CI dashboard shows causes, not symptoms.

Hard findings are failures (baseline ones pass with a note), warnings pass with their text
in ``system-out``; a run that was interrupted or could not test the target adds an
``error`` case saying so, so a partial run never looks green.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import quoteattr

from .._files import write_atomic
from .redact import scrub

__all__ = ["junit_xml", "write_junit"]


def _text(value: str) -> str:
    # XML 1.0 cannot carry most control characters, even escaped.
    clean = "".join(ch if ch in "\t\n\r" or ord(ch) >= 32 else f"\\x{ord(ch):02x}" for ch in value)
    return clean.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def junit_xml(doc: Mapping[str, Any]) -> str:
    """The JUnit document of a report document."""
    findings = doc.get("findings", [])
    cases: list[str] = []
    failures = errors = 0
    status = doc.get("status")
    if status not in ("completed", None):
        errors += 1
        detail = doc.get("detail") or status
        cases.append(
            f'  <testcase classname="contracttk.run" name={quoteattr(f"run {status}")}>\n'
            f"    <error message={quoteattr(scrub(str(detail)))}>{_text(scrub(str(doc.get('hint') or '')))}</error>\n"
            "  </testcase>"
        )
    for f in findings:
        name = quoteattr(f"{f['id']} {f['title']}"[:300])
        body = [
            f"{f['cases']} case(s); parameters: {', '.join(f.get('parameters', [])[:20]) or '-'}"
        ]
        for ex in f.get("examples", []):
            req = ex.get("request") or {}
            resp = ex.get("response") or {}
            body.append(f"{ex.get('item', '')}: {ex.get('message', '')}")
            body.append(f"  got {resp.get('status')}; reproduce: {req.get('curl', '')}")
        text = _text(scrub("\n".join(body)))
        classname = f"contracttk.{f['check']}"
        if f["strength"] == "hard" and not f.get("baseline"):
            failures += 1
            cases.append(
                f"  <testcase classname={quoteattr(classname)} name={name}>\n"
                f"    <failure message={quoteattr(scrub(f['title'])[:500])}>{text}</failure>\n"
                "  </testcase>"
            )
        else:
            cases.append(
                f"  <testcase classname={quoteattr(classname)} name={name}>\n"
                f"    <system-out>{text}</system-out>\n"
                "  </testcase>"
            )
    if not findings and status == "completed":
        cases.append('  <testcase classname="contracttk.run" name="no findings"/>')
    head = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n'
        f'<testsuite name="contracttk" tests="{len(cases)}" failures="{failures}" '
        f'errors="{errors}" skipped="0">\n'
    )
    return head + "\n".join(cases) + "\n</testsuite>\n</testsuites>\n"


def write_junit(path: str | os.PathLike[str], doc: Mapping[str, Any]) -> None:
    """Write the JUnit document of ``doc`` atomically."""
    write_atomic(path, junit_xml(doc))
