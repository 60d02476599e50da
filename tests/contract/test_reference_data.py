"""The repository's copies of the reference material are intact and self-consistent."""

from __future__ import annotations

import hashlib
import json
import re

from support.facts import DATA, data_file, nodes, table


def test_copies_match_the_recorded_sums() -> None:
    readme = (DATA / "README.md").read_text("utf-8")
    recorded = dict(re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", readme, re.M))
    assert set(recorded) == {"stripe-tokens.md", "token-params.json", "stripe-examples.json"}
    for name, digest in recorded.items():
        assert hashlib.sha256(data_file(name).read_bytes()).hexdigest() == digest, name


def test_the_facts_document_keeps_its_source_tags() -> None:
    text = data_file("stripe-tokens.md").read_text("utf-8")
    for tag in ("[SDK", "[FIX]", "[DOC", "[ISSUE", "[INF]", "[3P]", "[HSPEC]"):
        assert tag in text, tag
    assert "parameter_invalid_empty" in text and "invalid_expiry_month" in text


def test_the_harvest_has_the_six_kinds_and_expand() -> None:
    raw = json.loads(data_file("token-params.json").read_text("utf-8"))
    kinds = raw["request_params"]["token_types"]
    assert list(kinds) == ["card", "bank_account", "pii", "account", "person", "cvc_update"]
    assert {"card[number]", "expand", "person[dob][day]"} <= set(nodes())


def test_the_table_names_only_harvested_paths() -> None:
    for row in table()["entries"]:
        path = row["name"].rpartition(":")[0]
        assert path == "request" or path in nodes(), row["name"]
