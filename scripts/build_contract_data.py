"""Regenerate ``contracttk/contract/data/params.json`` from the shared reference.

The shared ``token-params.json`` is the raw harvest (SDK annotations, historic
spec overlay, provenance notes). contracttk carries its own compact contract
description so that a fresh machine needs nothing from ``../shared``. Run:

    python scripts/build_contract_data.py ../shared/reference/token-params.json

The output is committed; ``tests/test_contract_params.py`` checks it against the
shared file whenever that file is present.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "contracttk" / "contract" / "data" / "params.json"


def _node(raw: dict) -> dict:
    node: dict = {"name": raw["name"], "type": raw["type"], "required": bool(raw.get("required"))}
    if raw.get("maxLength") is not None:
        node["maxLength"] = raw["maxLength"]
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
        "(API 2026-10-28.endive) and the 2022 historic spec for maxLength",
        "kinds": kinds,
        "shared": shared,
        "responses": responses,
    }


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else Path("../shared/reference/token-params.json")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(source), indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
