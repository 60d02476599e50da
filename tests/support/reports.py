"""The JSON report format, as documented in docs/report.md, checked on real reports.

The schema is ``contracttk/conformance/report.schema.json`` (the documented format);
``report_problems`` validates a document against it with jsonschema.
"""

from __future__ import annotations

from contracttk.conformance.report import report_problems

__all__ = ["report_problems"]
