"""The JSON report format, as documented in docs/report.md, checked on real reports."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def _validator() -> Any:
    import jsonschema

    text = resources.files("contracttk.conformance").joinpath("report.schema.json").read_text()
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def report_problems(doc: Any) -> list[str]:
    """Every way ``doc`` departs from the report's JSON Schema (empty when it conforms)."""
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message[:200]}"
        for err in _validator().iter_errors(doc)
    ]
