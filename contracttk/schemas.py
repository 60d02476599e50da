"""OpenAPI 3.1 and JSON Schema (2020-12) documents derived from the contract model.

Nothing here is written by hand twice: every request property, type, required flag,
enum, maxLength and every response field comes from :mod:`contracttk.contract`
(``param_tree``, ``shared_params``, ``response_fields``, ``kinds``). Standard library
only, so importing this module stays cheap (no jsonschema, no schemathesis).

Choices (decided here, documented once):

* **Logical types, not wire strings.** Request schemas describe the payloads our
  generators build in Python: integer leaves are ``{"type": "integer"}``, booleans
  ``{"type": "boolean"}``. That is Stripe's own shape, and schemathesis turns ``5`` into
  ``5`` on the wire anyway. A body decoded from the wire has only strings; validate it
  with ``params_json_schema(kind, wire=True)``, where integer/number/boolean leaves
  also accept their wire spellings (``"5"``, ``"true"``).
* **The empty string.** ``""`` unsets a field and is refused where the field cannot be
  unset [SDK]. An ``empty_ok`` node is ``anyOf: [<schema>,
  {"const": ""}]`` (plain strings already admit ``""``); other strings get
  ``minLength: 1``. Because ``encoding.encode`` sends ``{}`` and ``[]`` as ``""``, a
  hash or array that cannot be unset needs at least one key/item (``minProperties`` /
  ``minItems``) and array items that cannot be empty get ``minLength: 1``, so positive data
  never turns into an empty-string error on the wire.
* **Alternatives.** ``card`` may also be the ID of a customer's card
  (``anyOf`` object | string); the model ties that form to the top-level ``customer``
  (Connect cloning), so a string ``card`` requires ``customer`` (``if``/``then``).
* **Objects are closed** (``additionalProperties: false``) except string maps
  (metadata: at most 50 keys of at most 40 characters, values of at most 500, per
  [DOC: Metadata]); sensitive inputs (PAN, CVC, account/ID numbers) are ``writeOnly``.
* **Responses are open** (``additionalProperties: true``: Stripe adds fields in newer API
  versions); required non-nullable fields are required, nullable ones admit ``null``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import __version__
from .contract import (
    KIND_NAMES,
    METADATA_MAX_KEY_LENGTH,
    METADATA_MAX_KEYS,
    METADATA_MAX_VALUE_LENGTH,
    WIRE_PATTERNS,
    Param,
    get_kind,
    kinds,
    param_tree,
    response_fields,
    shared_params,
)

__all__ = [
    "JSON_SCHEMA_DIALECT",
    "RESPONSE_OBJECTS",
    "json_schemas",
    "openapi_document",
    "params_json_schema",
    "response_json_schema",
]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
RESPONSE_OBJECTS: tuple[str, ...] = ("token", "card", "bank_account", "error", "account", "person")
"""Objects :func:`response_json_schema` knows (account/person: minimal shapes only)."""

_EMPTY = {"const": ""}

Ref = Callable[[str], str]


def _id(name: str) -> str:
    return f"urn:contracttk:schema:{name}"


# --- request side --------------------------------------------------------------------------


def _scalar(param: Param, *, wire: bool) -> dict[str, Any]:
    if param.type == "string":
        s: dict[str, Any] = {"type": "string"}
        if param.enum:
            s["enum"] = list(param.enum)
        elif not param.empty_ok:
            s["minLength"] = 1
        if param.max_length is not None:
            s["maxLength"] = param.max_length
        return s
    if param.type == "boolean":
        return {"enum": [True, False, "true", "false"]} if wire else {"type": "boolean"}
    if wire:
        # Form bodies carry digits as text; the oracle reads the same patterns.
        return {"type": [param.type, "string"], "pattern": f"^{WIRE_PATTERNS[param.type]}$"}
    return {"type": param.type}


def _array(param: Param) -> dict[str, Any]:
    items: dict[str, Any] = {"type": param.items.type if param.items else "string"}
    if param.items and param.items.enum:
        items["enum"] = list(param.items.enum)
    elif not (param.items and param.items.empty_ok):
        items["minLength"] = 1  # an empty item is refused like any empty string
    if param.items and param.items.max_length is not None:
        items["maxLength"] = param.items.max_length
    s: dict[str, Any] = {"type": "array", "items": items}
    if not param.empty_ok:
        s["minItems"] = 1
    return s


def _map(param: Param) -> dict[str, Any]:
    s: dict[str, Any] = {
        "type": "object",
        "additionalProperties": {"type": "string", "maxLength": METADATA_MAX_VALUE_LENGTH},
        "maxProperties": METADATA_MAX_KEYS,
        # Keys cannot be empty or hold brackets: they could not be form-encoded.
        "propertyNames": {
            "minLength": 1,
            "maxLength": METADATA_MAX_KEY_LENGTH,
            "pattern": "^[^\\[\\]]+$",
        },
    }
    if not param.empty_ok:
        s["minProperties"] = 1
    return s


def _hash(param: Param, *, wire: bool) -> dict[str, Any]:
    s: dict[str, Any] = {
        "type": "object",
        "properties": {c.name: _param_schema(c, wire=wire) for c in param.children},
        "additionalProperties": False,
    }
    required = [c.name for c in param.children if c.required]
    if required:
        s["required"] = required
    elif not param.empty_ok:
        s["minProperties"] = 1
    return s


def _param_schema(param: Param, *, wire: bool = False) -> dict[str, Any]:
    """The JSON Schema of one parameter node (recursively)."""
    if param.is_map:
        s = _map(param)
    elif param.is_object:
        s = _hash(param, wire=wire)
    elif param.type == "array":
        s = _array(param)
    else:
        s = _scalar(param, wire=wire)
    if param.sensitive:
        s["writeOnly"] = True
    admits_empty = s.get("type") == "string" and "enum" not in s and "minLength" not in s
    branches = [s]
    if param.empty_ok and not admits_empty:
        branches.append(dict(_EMPTY))
    for alt in param.alternatives:
        branch: dict[str, Any] = {"type": alt["type"]}
        if alt["type"] == "string":
            branch["minLength"] = 1  # an ID; "" would be the empty-string error
        if alt.get("maxLength") is not None:
            branch["maxLength"] = alt["maxLength"]
        if alt.get("meaning"):
            branch["description"] = alt["meaning"]
        branches.append(branch)
    return s if len(branches) == 1 else {"anyOf": branches}


def _string_alternative_needs_customer(kind_names: list[str]) -> list[dict[str, Any]]:
    """``card`` as a string names a customer's card: only meaningful with ``customer``."""
    rules = []
    for name in kind_names:
        if param_tree(name).alternatives and "customer" in get_kind(name).shared_params:
            rules.append(
                {
                    "if": {"properties": {name: {"type": "string"}}, "required": [name]},
                    "then": {"required": ["customer"]},
                }
            )
    return rules


def _body_schema(kind_names: list[str], *, wire: bool, require_kind: bool) -> dict[str, Any]:
    shared = shared_params()
    props: dict[str, Any] = {
        name: _param_schema(param_tree(name), wire=wire) for name in kind_names
    }
    wanted = {s for name in kind_names for s in get_kind(name).shared_params}
    for name, param in shared.items():
        if name in wanted:
            props[name] = _param_schema(param, wire=wire)
    s: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if require_kind:
        s["required"] = list(kind_names)
    rules = _string_alternative_needs_customer(kind_names)
    if len(rules) == 1:
        s.update(rules[0])
    elif rules:
        s["allOf"] = rules
    return s


def params_json_schema(kind: str, *, wire: bool = False) -> dict[str, Any]:
    """JSON Schema (2020-12) of a ``POST /v1/tokens`` body creating a ``kind`` token.

    ``{kind: <tree>, expand: [...]}`` (plus ``customer`` for card and bank_account),
    ``kind`` required, every non-map object closed. ``wire=True`` also accepts the
    string spellings of integers, numbers and booleans, as in a decoded form body.
    Raises :class:`contracttk.contract.UnknownKindError` for an unknown kind.
    """
    get_kind(kind)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": _id(f"params_{kind}" + ("_wire" if wire else "")),
        "title": f"POST /v1/tokens body: {kind} token" + (" (decoded wire form)" if wire else ""),
        **_body_schema([kind], wire=wire, require_kind=True),
    }


# --- response side -------------------------------------------------------------------------


def _field_schema(obj: str, field: dict[str, Any], ref: Ref) -> dict[str, Any]:
    name, ftype, nullable = field["name"], field["type"], field.get("nullable", False)
    values = list(field.get("values") or ())
    if obj == "token" and name == "type":
        # The SDK docstring lists four; the API reference examples show all six [DOC].
        values = list(KIND_NAMES)
    if obj == "token" and name in ("card", "bank_account"):
        s: dict[str, Any] = {"$ref": ref(name)}
        return {"anyOf": [s, {"type": "null"}]} if nullable else s
    if ftype == "any":
        return {}
    if ftype == "array":
        s = {"type": ["array", "null"] if nullable else "array"}
        if values:
            s["items"] = {"enum": values}
        return s
    s = {"type": [ftype, "null"] if nullable else ftype}
    if values:
        s["enum"] = [*values, None] if nullable else values
    if obj == "token" and name == "id":
        prefixes = sorted({p for k in kinds().values() for p in k.id_prefixes})
        s["pattern"] = "^(" + "|".join(prefixes) + ")"
    return s


def _object_schema(obj: str, ref: Ref) -> dict[str, Any]:
    fields = response_fields(obj)
    props = {f["name"]: _field_schema(obj, f, ref) for f in fields}
    required = [f["name"] for f in fields if f.get("required") and not f.get("nullable")]
    s: dict[str, Any] = {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": True,
    }
    if obj == "token":
        # A card token carries its card, a bank_account token its bank account [FIX][DOC].
        s["allOf"] = [
            {
                "if": {"properties": {"type": {"const": k.name}}, "required": ["type"]},
                "then": {"required": [k.embedded_object]},
            }
            for k in kinds().values()
            if k.embedded_object
        ]
    return s


def _error_schema() -> dict[str, Any]:
    inner = _object_schema("error", lambda n: n)
    return {
        "type": "object",
        "properties": {"error": inner},
        "required": ["error"],
        "additionalProperties": True,
    }


def _minimal_schema(obj: str) -> dict[str, Any]:
    # Not token responses: only here so Stripe's published account/person examples can be
    # checked for the basics. The model knows nothing more about them; neither do we.
    props: dict[str, Any] = {
        "id": {"type": "string", "minLength": 1},
        "object": {"const": obj},
        "created": {"type": "integer"},
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
    }
    if obj == "person":
        props["account"] = {"type": ["string", "null"]}
    return {
        "type": "object",
        "properties": props,
        "required": ["id", "object"],
        "additionalProperties": True,
    }


def _response(obj: str, ref: Ref) -> dict[str, Any]:
    if obj == "error":
        return _error_schema()
    if obj in ("account", "person"):
        return _minimal_schema(obj)
    if obj in ("token", "card", "bank_account"):
        s = _object_schema(obj, ref)
        s["properties"]["object"] = {"const": obj}
        return s
    raise ValueError(
        f"unknown response object {obj!r}; expected one of: {', '.join(RESPONSE_OBJECTS)}"
    )


def response_json_schema(obj: str) -> dict[str, Any]:
    """Standalone JSON Schema (2020-12) of a response object.

    ``obj`` is ``token``, ``card``, ``bank_account``, ``error`` (the ``{"error": {...}}``
    envelope), or ``account`` / ``person`` (minimal: id, object, a few basics). The
    token schema carries the embedded card and bank_account schemas in ``$defs``.
    """
    s = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": _id(obj),
        **_response(obj, lambda n: f"#/$defs/{n}"),
    }
    if obj == "token":
        s["$defs"] = {n: _response(n, lambda m: f"#/$defs/{m}") for n in ("card", "bank_account")}
    return s


def json_schemas(kind: str | None = None) -> dict[str, Any]:
    """All JSON Schemas in one bundle (``$defs``), or only those one kind needs.

    Keys in ``$defs``: ``params_<kind>`` (request bodies) and the response objects.
    For one kind: its request, ``token``, its embedded object if any, and ``error``.
    """
    if kind is None:
        names = list(KIND_NAMES)
        objects = list(RESPONSE_OBJECTS)
    else:
        embedded = get_kind(kind).embedded_object
        names = [kind]
        objects = ["token", *([embedded] if embedded else []), "error"]
    defs: dict[str, Any] = {f"params_{k}": params_json_schema(k) for k in names}
    defs.update({o: response_json_schema(o) for o in objects})
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": _id("bundle" if kind is None else f"bundle_{kind}"),
        "x-contracttk-version": __version__,
        "$defs": defs,
    }


# The OpenAPI document is assembled next door from the schemas above; part of this module's
# public surface.
from ._openapi import openapi_document  # noqa: E402
