"""Tests for ``contracttk.schemas`` and ``contracttk schema``.

The schemas are checked against things they were not built from: the OpenAPI 3.1
validator, schemathesis itself, the SDK harvest (``tests/data/token-params.json``, read
directly), Stripe's published example objects (``tests/data/stripe-examples.json``), hand-written negative cases, and
the oracle (what the schema accepts, the oracle must not reject for structure; what the
catalogue calls structurally broken, the schema must reject).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from support.facts import data_file

from contracttk.cli import main
from contracttk.contract import (
    KIND_NAMES,
    UnknownKindError,
    catalogue,
    evaluate_create,
    param_tree,
    sample_params,
    violations_for,
)
from contracttk.encoding import decode, encode
from contracttk.schemas import (
    json_schemas,
    openapi_document,
    params_json_schema,
    response_json_schema,
)

REPO = Path(__file__).resolve().parents[2]
D = date(2025, 6, 15)

# Rules the catalogue derives from the parameter trees (shape), as opposed to domain
# rules (Luhn, expiry, routing...) that no JSON Schema can express.
STRUCTURAL_RULES = frozenset(
    {
        "missing",
        "unknown_param",
        "empty",
        "scalar_for_hash",
        "hash_for_scalar",
        "scalar_for_array",
        "wrong_type",
        "too_long",
        "not_in_enum",
        "too_many_keys",
        "key_too_long",
        "value_too_long",
        "no_kind",
        "two_kinds",
    }
)


def body_schema(doc: dict[str, Any]) -> dict[str, Any]:
    content = doc["paths"]["/v1/tokens"]["post"]["requestBody"]["content"]
    return content["application/x-www-form-urlencoded"]["schema"]


def is_structural(name: str) -> bool:
    # person[additional_tos_acceptances][account][date|ip]:missing is a domain rule (the
    # pair becomes required once the hash is sent), not a required flag of the tree.
    if "[additional_tos_acceptances]" in name and name.endswith(":missing"):
        return False
    return name.rpartition(":")[2] in STRUCTURAL_RULES


# --- the OpenAPI document ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [None, *KIND_NAMES])
def test_openapi_document_is_valid_openapi_31(kind: str | None) -> None:
    from openapi_spec_validator import validate

    doc = openapi_document(kind)
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises on any violation of the 3.1 meta-schema


def test_openapi_document_has_stripe_shape() -> None:
    doc = openapi_document()
    post = doc["paths"]["/v1/tokens"]["post"]
    get = doc["paths"]["/v1/tokens/{token}"]["get"]
    assert (post["operationId"], get["operationId"]) == ("PostTokens", "GetTokensToken")
    assert post["requestBody"]["required"] is False
    media = post["requestBody"]["content"]["application/x-www-form-urlencoded"]
    props = media["schema"]["properties"]
    assert set(props) == {*KIND_NAMES, "customer", "expand"}
    assert "required" not in media["schema"]
    assert media["encoding"] == {n: {"style": "deepObject", "explode": True} for n in props}
    link = post["responses"]["200"]["links"]["GetTokensToken"]
    assert link == {"operationId": "GetTokensToken", "parameters": {"token": "$response.body#/id"}}
    params = {p["name"]: p for p in get["parameters"]}
    assert params["token"]["in"] == "path" and params["token"]["schema"]["maxLength"] == 5000
    assert params["expand"]["style"] == "deepObject"
    assert params["expand"]["schema"]["type"] == "array"
    assert set(doc["components"]["schemas"]) == {"token", "card", "bank_account", "error"}
    schemes = doc["components"]["securitySchemes"]
    assert schemes["basicAuth"] == {**schemes["basicAuth"], "type": "http", "scheme": "basic"}
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert doc["security"] == [{"basicAuth": []}, {"bearerAuth": []}]
    assert doc["x-contracttk-version"]


def test_openapi_document_for_one_kind_narrows_the_body() -> None:
    props = body_schema(openapi_document("pii"))["properties"]
    assert set(props) == {"pii", "expand"}
    with pytest.raises(UnknownKindError):
        openapi_document("nosuchkind")


def test_schemathesis_loads_it_without_warnings_and_builds_cases() -> None:
    import schemathesis

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schema = schemathesis.openapi.from_dict(openapi_document())
        post = schema["/v1/tokens"]["POST"]
        get = schema["/v1/tokens/{token}"]["GET"]
        seen: dict[str, int] = {"post": 0, "get": 0}

        @given(post.as_strategy())
        @settings(max_examples=15, deadline=None, database=None)
        def build_post(case: Any) -> None:
            assert case.method == "POST" and case.path == "/v1/tokens"
            seen["post"] += 1

        @given(get.as_strategy())
        @settings(max_examples=15, deadline=None, database=None)
        def build_get(case: Any) -> None:
            assert isinstance(case.path_parameters["token"], str)
            seen["get"] += 1

        build_post()
        build_get()
        # The create -> retrieve link makes a state machine possible (stateful phase).
        assert schema.as_state_machine() is not None
    assert seen["post"] > 0 and seen["get"] > 0


# --- request schemas against the SDK harvest (tests/data/token-params.json) ---------------------


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a node, without the ``{"const": ""}`` unset branch."""
    if "anyOf" in schema:
        return [b for b in schema["anyOf"] if b != {"const": ""}]
    return [schema]


def _types(branch: dict[str, Any]) -> set[str]:
    t = branch.get("type")
    return set(t) if isinstance(t, list) else {t} if t else set()


def _main(schema: dict[str, Any], want: str) -> dict[str, Any]:
    matching = [b for b in _branches(schema) if want in _types(b)]
    assert len(matching) == 1, f"expected one {want} branch in {schema}"
    return matching[0]


def _compare(node: dict[str, Any], schema: dict[str, Any], problems: list[str]) -> int:
    """Compare one harvest node with its schema node; returns how many nodes were checked."""
    path, want = node["path"], node["type"]
    main_branch = _main(schema, want)
    alt_types = {a["type"] for a in node.get("alternatives", ())}
    if {t for b in _branches(schema) for t in _types(b)} != {want} | alt_types:
        problems.append(f"{path}: types {_branches(schema)} vs {want} + {alt_types}")
    if node.get("enum") and main_branch.get("enum") != node["enum"]:
        problems.append(f"{path}: enum {main_branch.get('enum')} vs {node['enum']}")
    if not node.get("enum") and "enum" in main_branch:
        problems.append(f"{path}: enum {main_branch['enum']} not in the harvest")
    if node.get("maxLength") is not None and main_branch.get("maxLength") != node["maxLength"]:
        problems.append(f"{path}: maxLength {main_branch.get('maxLength')} vs {node['maxLength']}")
    # Empty string: admitted exactly where the harvest says it may unset the field.
    admits_empty = Draft202012Validator(schema).is_valid("")
    if admits_empty != bool(node.get("empty_string_allowed")):
        problems.append(f"{path}: admits '' = {admits_empty}")
    if want == "array":
        items, want_items = main_branch["items"], node["items"]
        if items.get("type") != want_items["type"]:
            problems.append(f"{path}: items type {items.get('type')}")
        if items.get("maxLength") != want_items.get("maxLength"):
            problems.append(f"{path}: items maxLength {items.get('maxLength')}")
        if items.get("enum") != want_items.get("enum"):
            problems.append(f"{path}: items enum {items.get('enum')}")
    checked = 1
    if want == "object" and node.get("map_of"):
        if main_branch.get("additionalProperties") in (None, False, True):
            problems.append(f"{path}: a map needs a value schema")
        if main_branch.get("properties"):
            problems.append(f"{path}: a map has no fixed properties")
    elif want == "object":
        children = node.get("children", [])
        props = main_branch.get("properties", {})
        if main_branch.get("additionalProperties") is not False:
            problems.append(f"{path}: object not closed")
        if set(props) != {c["name"] for c in children}:
            problems.append(f"{path}: properties {sorted(props)} vs harvest")
        required = set(main_branch.get("required", []))
        for child in children:
            if (child["name"] in required) != child["required"]:
                problems.append(f"{child['path']}: required flag differs")
            if child["name"] in props:
                checked += _compare(child, props[child["name"]], problems)
    return checked


def test_request_body_covers_every_harvested_parameter() -> None:
    harvest = json.loads(data_file("token-params.json").read_text("utf-8"))["request_params"]
    body = body_schema(openapi_document())
    problems: list[str] = []
    checked = 0
    for kind in KIND_NAMES:
        node = harvest["token_types"][kind]["param"]
        checked += _compare(node, body["properties"][kind], problems)
        # The harvest marks the six hashes required "for this token type"; in the shared
        # body each is optional (Stripe's shape), and the per-kind schema requires its own.
        assert node["required"] is True and "required" not in body
        assert params_json_schema(kind)["required"] == [kind]
    for name, node in harvest["shared_top_level"].items():
        checked += _compare(node, body["properties"][name], problems)
    assert problems == []
    total = sum(
        1 for _ in _walk_harvest([t["param"] for t in harvest["token_types"].values()])
    ) + len(harvest["shared_top_level"])
    assert checked == total


def _walk_harvest(nodes: list[dict[str, Any]]) -> Any:
    for node in nodes:
        yield node
        yield from _walk_harvest(node.get("children", []))


def test_retrieve_expand_matches_the_harvest() -> None:
    harvest = json.loads(data_file("token-params.json").read_text("utf-8"))
    (want,) = harvest["endpoints"]["retrieve"]["query_params"]
    params = openapi_document()["paths"]["/v1/tokens/{token}"]["get"]["parameters"]
    (expand,) = [p for p in params if p["name"] == want["name"]]
    assert expand["required"] is want["required"]
    assert expand["schema"]["type"] == want["type"]
    assert expand["schema"]["items"]["maxLength"] == want["items"]["maxLength"]


# --- request schemas against the model's own payloads and the oracle --------------------------------


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_sample_params_validate(kind: str) -> None:
    payload = sample_params(kind, today=D)
    payload["expand"] = [kind]
    Draft202012Validator.check_schema(params_json_schema(kind))
    Draft202012Validator(params_json_schema(kind)).validate(payload)
    # Decoded from the wire, integers and booleans are strings: only wire=True takes them.
    wire_payload = decode(encode(payload))
    Draft202012Validator(params_json_schema(kind, wire=True)).validate(wire_payload)
    Draft202012Validator(params_json_schema(kind, wire=True)).validate(payload)


def test_wire_strings_need_the_wire_schema() -> None:
    wire_payload = decode(encode(sample_params("person", today=D)))
    assert wire_payload["person"]["dob"]["day"] == "1"
    assert not Draft202012Validator(params_json_schema("person")).is_valid(wire_payload)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_structural_violations_are_rejected_by_the_schema(kind: str) -> None:
    """Whatever the catalogue calls structurally broken, the schema refuses too."""
    logical = Draft202012Validator(params_json_schema(kind))
    wire = Draft202012Validator(params_json_schema(kind, wire=True))
    base = sample_params(kind, today=D)
    checked = 0
    for v in violations_for(kind):
        if not is_structural(v.name):
            continue
        bad = v.apply(base, today=D)
        assert not logical.is_valid(bad), v.name
        assert not wire.is_valid(decode(encode(bad))), v.name
        checked += 1
    assert checked > 10


def _oracle_structural_findings(body: dict[str, Any]) -> list[str]:
    names = [f.violation for f in evaluate_create(body, today=D).findings]
    # request:no_kind is expected: the shared body (Stripe's) makes every hash optional.
    return [n for n in names if is_structural(n) and not n.startswith("request:")]


def _has_exponent_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_exponent_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_exponent_float(v) for v in value)
    return isinstance(value, float) and "e" in str(value)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_schema_valid_bodies_pass_the_oracle_structurally(kind: str) -> None:
    """Bodies schemathesis generates from our document break no structural rule,
    neither as built nor after a trip through the wire encoding."""
    import schemathesis

    post = schemathesis.openapi.from_dict(openapi_document(kind))["/v1/tokens"]["POST"]

    @given(post.as_strategy())
    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    def check(case: Any) -> None:
        if not isinstance(case.body, dict):  # optional body: NOT_SET
            return
        if _has_exponent_float(case.body):
            # Known gap, reported: str(1e+108) is '1e+108', which the oracle's decimal
            # pattern refuses; JSON Schema cannot describe a float's spelling.
            return
        assert _oracle_structural_findings(case.body) == []
        assert _oracle_structural_findings(decode(encode(case.body))) == []

    check()


# --- response schemas ---------------------------------------------------------------------------


@pytest.mark.parametrize("obj", ["token", "card", "bank_account", "account", "person"])
def test_stripe_published_examples_validate(obj: str) -> None:
    examples = json.loads(data_file("stripe-examples.json").read_text("utf-8"))
    schema = response_json_schema(obj)
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(examples[obj])


def test_embedded_token_card_validates_as_card() -> None:
    examples = json.loads(data_file("stripe-examples.json").read_text("utf-8"))
    Draft202012Validator(response_json_schema("card")).validate(examples["token"]["card"])


def _valid_token() -> dict[str, Any]:
    return {
        "id": "tok_1Pgc7BB7WZ01zgkWptnajzKJ",
        "object": "token",
        "type": "card",
        "created": 1234567890,
        "livemode": False,
        "used": False,
        "client_ip": None,
        "redaction": None,  # newer API versions add keys: tolerated
        "card": {
            "id": "card_1",
            "object": "card",
            "brand": "Visa",
            "exp_month": 8,
            "exp_year": 2030,
            "funding": "credit",
            "last4": "4242",
            "cvc_check": None,
        },
    }


def _without(d: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != key}


def test_hand_written_token_cases() -> None:
    v = Draft202012Validator(response_json_schema("token"))
    good = _valid_token()
    assert v.is_valid(good)
    assert not v.is_valid(_without(good, "id"))
    assert not v.is_valid({**good, "id": "card_123"})  # not a token id prefix
    assert not v.is_valid({**good, "object": "card"})
    assert not v.is_valid({**good, "type": "bogus"})
    assert not v.is_valid({**good, "created": "1234567890"})
    assert not v.is_valid({**good, "livemode": None})
    assert not v.is_valid(_without(good, "card"))  # a card token carries its card
    assert not v.is_valid({**good, "card": {**good["card"], "brand": 4242}})
    assert not v.is_valid({**good, "card": _without(good["card"], "last4")})
    for kind, prefix in [("pii", "pii_"), ("person", "cpt_"), ("cvc_update", "cvctok_")]:
        bare = {**_without(good, "card"), "type": kind, "id": prefix + "abc"}
        assert v.is_valid(bare), kind


def test_hand_written_card_bank_account_and_error_cases() -> None:
    card = Draft202012Validator(response_json_schema("card"))
    good_card = _valid_token()["card"]
    assert card.is_valid(good_card)
    assert not card.is_valid({**good_card, "brand": 1})
    assert not card.is_valid({**good_card, "brand": "visa"})  # the legacy object capitalises
    assert not card.is_valid({**good_card, "exp_month": "8"})
    assert not card.is_valid({**good_card, "cvc_check": "maybe"})
    bank = Draft202012Validator(response_json_schema("bank_account"))
    good_bank = {
        "id": "ba_1",
        "object": "bank_account",
        "country": "US",
        "currency": "usd",
        "last4": "6789",
        "status": "new",
    }
    assert bank.is_valid(good_bank)
    assert not bank.is_valid({**good_bank, "status": "fresh"})
    assert not bank.is_valid(_without(good_bank, "currency"))
    error = Draft202012Validator(response_json_schema("error"))
    assert error.is_valid({"error": {"type": "invalid_request_error", "param": "card[number]"}})
    assert not error.is_valid({"type": "invalid_request_error"})  # no envelope
    assert not error.is_valid({"error": {"code": "parameter_missing"}})  # no type
    assert not error.is_valid({"error": {"type": "authentication_failure"}})
    assert not error.is_valid({"error": {"type": "card_error", "code": 402}})


def test_every_expected_error_body_fits_the_error_schema() -> None:
    validator = Draft202012Validator(response_json_schema("error"))
    for v in catalogue():
        validator.validate(v.expected.body())


def test_unknown_response_object() -> None:
    with pytest.raises(ValueError, match="unknown response object"):
        response_json_schema("charge")


def test_json_schema_bundles() -> None:
    everything = json_schemas()
    assert set(everything["$defs"]) == {
        *(f"params_{k}" for k in KIND_NAMES),
        "token",
        "card",
        "bank_account",
        "error",
        "account",
        "person",
    }
    Draft202012Validator.check_schema(everything)
    assert set(json_schemas("card")["$defs"]) == {"params_card", "token", "card", "error"}
    assert set(json_schemas("pii")["$defs"]) == {"params_pii", "token", "error"}
    # The bundle is one document: its members resolve their own $refs inside it.
    via_bundle = Draft202012Validator({**everything, "$ref": "#/$defs/token"})
    via_bundle.validate(_valid_token())
    assert not via_bundle.is_valid({**_valid_token(), "card": {"brand": 1}})


# --- the command line ----------------------------------------------------------------------------


def run(*args: str) -> Any:
    return CliRunner().invoke(main, ["schema", *args])


def test_cli_prints_the_openapi_document() -> None:
    result = run()
    assert result.exit_code == 0, result.output
    assert result.output.endswith("}\n")
    assert json.loads(result.output) == json.loads(json.dumps(openapi_document()))
    # Stable text: sorted keys, two-space indent.
    assert (
        result.output
        == json.dumps(openapi_document(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    )


def test_cli_prints_json_schemas_for_one_kind() -> None:
    result = run("--format", "jsonschema", "--type", "card")
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)["$defs"]) == {"params_card", "token", "card", "error"}


@pytest.mark.parametrize(
    "args",
    [
        ("--type", "nosuchkind"),
        ("--violations", "--type", "nosuchkind"),
        ("--format", "markdown"),
        ("--violations", "--format", "openapi"),
    ],
)
def test_cli_usage_errors_are_one_line_exit_2(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


def test_cli_unknown_kind_names_the_valid_ones() -> None:
    result = run("--type", "nosuchkind")
    assert "nosuchkind" in result.stderr and "cvc_update" in result.stderr


def test_cli_violations_table_lists_every_entry() -> None:
    result = run("--violations")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["name", "strength", "status", "type", "code", "param", "basis"]
    names = {line.split()[0] for line in lines[1:] if line and not line.endswith("violations")}
    assert names == {v.name for v in catalogue()}
    assert lines[-1] == f"{len(catalogue())} violations"


def test_cli_violations_json_and_filter() -> None:
    result = run("--violations", "--format", "json")
    rows = json.loads(result.output)
    assert len(rows) == len(catalogue()) > 700
    by_name = {r["name"]: r for r in rows}
    luhn = by_name["card[number]:luhn"]
    assert (luhn["status"], luhn["type"], luhn["code"], luhn["param"]) == (
        402,
        "card_error",
        "incorrect_number",
        "number",
    )
    assert luhn["strength"] == "hard" and luhn["basis"]
    only = json.loads(run("--violations", "--format", "json", "--type", "pii").output)
    assert {r["kind"] for r in only} == {None, "pii"}
    assert len(only) == len(violations_for("pii", include_key_rules=True))


def test_cli_output_file_is_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    target.write_text("old", "utf-8")
    result = run("--output", str(target))
    assert result.exit_code == 0 and result.output == ""
    assert json.loads(target.read_text("utf-8"))["openapi"] == "3.1.0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["openapi.json"]  # no temp left


def test_cli_output_into_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run("--output", str(tmp_path / "nope" / "x.json"))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_docs_violations_md_is_up_to_date() -> None:
    docs = REPO / "docs" / "violations.md"
    result = run("--violations", "--format", "markdown")
    assert result.exit_code == 0
    assert docs.is_file(), (
        "run: contracttk schema --violations --format markdown -o docs/violations.md"
    )
    assert docs.read_text("utf-8") == result.output, (
        "docs/violations.md is stale; regenerate it with "
        "`contracttk schema --violations --format markdown --output docs/violations.md`"
    )
    assert f"Total: {len(catalogue())} entries." in result.output


# --- import cost ----------------------------------------------------------------------------------


def test_importing_schemas_stays_light() -> None:
    # What is measured is what gets imported, not how long it takes (no timing assertion).
    code = (
        "import sys; import contracttk.schemas; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'jsonschema', 'schemathesis', 'hypothesis', 'click', 'requests', 'yaml'}))"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()
    assert out == "[]", out


def test_param_tree_and_schema_agree_on_node_count() -> None:
    """Every node of the model's trees becomes exactly one schema node (no invented ones)."""

    def count(schema: dict[str, Any]) -> int:
        branches = _branches(schema)
        total = 1
        for b in branches:
            if b.get("type") == "object" and isinstance(b.get("properties"), dict):
                total += sum(count(s) for s in b["properties"].values())
        return total

    for kind in KIND_NAMES:
        nodes = sum(1 for _ in param_tree(kind).walk())
        assert count(params_json_schema(kind)["properties"][kind]) == nodes


def test_card_as_a_saved_card_id_needs_customer() -> None:
    """The documented alternative (Connect cloning) agrees with the oracle's verdicts."""
    validator = Draft202012Validator(params_json_schema("card"))
    assert not validator.is_valid({"card": "card_123"})
    assert validator.is_valid({"card": "card_123", "customer": "cus_1"})
    assert not validator.is_valid({"card": "", "customer": "cus_1"})
    names = [f.violation for f in evaluate_create({"card": "card_123"}, today=D).findings]
    assert names == ["card:scalar_for_hash"]
