"""Regenerate ``contracttk/contract/data/params.json`` from a parameter harvest.

The harvest (``token-params.json``; a copy is ``tests/data/token-params.json``) holds the [SDK] parameter
classes with [HSPEC] maxLengths from the 2022 spec and provenance notes. contracttk carries
its own compact contract description so that a fresh machine needs nothing else. Run:

    python scripts/build_contract_data.py path/to/token-params.json

Parameters added to the API after the 2022 spec have no maxLength in the harvest; the ones
below are taken from stripe/openapi ``latest/openapi.spec3.json`` at commit 18fa2cc7 (the
[HSPEC] tag covers both copies) and written into the output by :data:`SPEC_OVERLAY`. The
output is committed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "contracttk" / "contract" / "data" / "params.json"

# maxLength of parameters newer than the 2022 spec, from stripe/openapi latest/openapi.spec3.json
# @ 18fa2cc7: the address_specs of registered_address (city 100, line1/line2 200, other 5000),
# id_number_secondary and the export fields (5000).
_ADDRESS_SPECS = {
    "city": 100,
    "country": 5000,
    "line1": 200,
    "line2": 200,
    "postal_code": 5000,
    "state": 5000,
}
SPEC_OVERLAY: dict[str, dict] = {
    "account[company][export_license_id]": {"maxLength": 5000},
    "account[company][export_purpose_code]": {"maxLength": 5000},
    "account[individual][id_number_secondary]": {"maxLength": 5000},
    "person[id_number_secondary]": {"maxLength": 5000},
    **{
        f"{owner}[registered_address][{name}]": {"maxLength": limit}
        for owner in ("account[individual]", "person")
        for name, limit in _ADDRESS_SPECS.items()
    },
    # documents[*][files] items are `anyOf: [string maxLength 500, enum [""]]`: empty allowed.
    **{
        f"person[documents][{doc}][files]": {"items_empty_ok": True}
        for doc in ("company_authorization", "passport", "visa")
    },
}


def _node(raw: dict) -> dict:
    node: dict = {"name": raw["name"], "type": raw["type"], "required": bool(raw.get("required"))}
    overlay = SPEC_OVERLAY.get(raw.get("path", ""), {})
    max_length = (
        raw.get("maxLength") if raw.get("maxLength") is not None else overlay.get("maxLength")
    )
    if max_length is not None:
        node["maxLength"] = max_length
    if raw.get("enum"):
        node["enum"] = list(raw["enum"])
    if raw.get("empty_string_allowed"):
        node["empty_ok"] = True
    if raw.get("sensitive"):
        node["sensitive"] = True
    if raw.get("map_of"):
        node["map_of"] = raw["map_of"]
    if raw.get("items"):
        items = {"type": raw["items"]["type"]}
        if raw["items"].get("maxLength") is not None:
            items["maxLength"] = raw["items"]["maxLength"]
        if raw["items"].get("enum"):
            items["enum"] = list(raw["items"]["enum"])
        if overlay.get("items_empty_ok"):
            items["empty_ok"] = True
        node["items"] = items
    if raw.get("alternatives"):
        node["alternatives"] = [
            {k: v for k, v in alt.items() if k in ("type", "maxLength", "meaning")}
            for alt in raw["alternatives"]
        ]
    if raw.get("children"):
        node["children"] = [_node(child) for child in raw["children"]]
    return node


def _response_type(raw_type: str) -> str:
    """Map the harvest's prose types to JSON types (expandable fields become 'any')."""
    if raw_type.startswith(("string (ID)",)):
        return "any"
    if raw_type.startswith("object"):
        return "object"
    if raw_type.startswith("array"):
        return "array"
    return raw_type


def build(source: Path) -> dict:
    raw = json.loads(source.read_text(encoding="utf-8"))
    kinds = {}
    for kind, spec in raw["request_params"]["token_types"].items():
        kinds[kind] = {
            "id_prefixes": spec["observed_id_prefixes"],
            "embedded_object": spec["embedded_object"],
            "shared_params": spec["shared_params"],
            "param": _node(spec["param"]),
        }
    shared = {name: _node(p) for name, p in raw["request_params"]["shared_top_level"].items()}
    responses = {}
    for obj in ("token", "card", "bank_account", "error"):
        fields = []
        for f in raw["response_objects"][obj]["fields"]:
            entry = {
                "name": f["name"],
                "type": _response_type(f["type"]),
                "required": not f.get("sdk_optional", True),
                "nullable": bool(f.get("nullable_or_absent")),
            }
            values = f.get("enum") or f.get("documented_values") or f.get("item_enum")
            if values:
                entry["values"] = [v for v in values if v is not True]
            if f.get("in_token_fixture_embedded"):
                entry["in_token"] = True
            fields.append(entry)
        responses[obj] = fields
    return {
        "source": "derived from the stripe package 16.1.0 parameter classes "
        "(API 2026-10-28.endive), the 2022 historic spec for maxLength, and "
        "stripe/openapi latest/openapi.spec3.json @ 18fa2cc7 for parameters added since",
        "kinds": kinds,
        "shared": shared,
        "responses": responses,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: build_contract_data.py path/to/token-params.json", file=sys.stderr)
        return 2
    source = Path(argv[1])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(source), indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
