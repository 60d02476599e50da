"""The OpenAPI 3.1 document of the two token routes, from the schemas of :mod:`contracttk.schemas`.

Re-exported by :mod:`contracttk.schemas` (use it from there); split out only to keep each
module to one concern: the JSON Schemas of requests and responses there, how they are laid
out as an API description here.
"""

from __future__ import annotations

import copy
from typing import Any

from . import __version__
from .contract import KIND_NAMES, get_kind, shared_params
from .schemas import _body_schema, _param_schema, _response

__all__ = ["openapi_document"]


def _component(name: str) -> str:
    return f"#/components/schemas/{name}"


def openapi_document(kind: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1.0 document of ``POST /v1/tokens`` and ``GET /v1/tokens/{token}``.

    Stripe's shape: an optional form body whose properties are the six token hashes plus
    ``customer`` and ``expand``, each ``deepObject``-encoded; a link from the create
    response to the retrieve operation (for stateful testing); basic and bearer auth.
    ``kind`` narrows the body to one token kind.
    """
    kind_names = list(KIND_NAMES) if kind is None else [get_kind(kind).name]
    body = _body_schema(kind_names, wire=False, require_kind=False)
    expand = _param_schema(shared_params()["expand"])
    error_response = {
        "description": "Error response.",
        "content": {"application/json": {"schema": {"$ref": _component("error")}}},
    }
    token_content = {"application/json": {"schema": {"$ref": _component("token")}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Stripe Tokens API (contracttk contract model)",
            "version": __version__,
            "description": (
                "Derived from contracttk's contract model of Stripe's /v1/tokens endpoints "
                "(parameter trees from the stripe package's parameter classes, maxLength "
                "from Stripe's historic OpenAPI spec)."
            ),
        },
        "x-contracttk-version": __version__,
        "security": [{"basicAuth": []}, {"bearerAuth": []}],
        "paths": {
            "/v1/tokens": {
                "post": {
                    "operationId": "PostTokens",
                    "summary": "Create a token",
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": body,
                                "encoding": {
                                    name: {"style": "deepObject", "explode": True}
                                    for name in body["properties"]
                                },
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Successful response.",
                            "content": copy.deepcopy(token_content),
                            "links": {
                                "GetTokensToken": {
                                    "operationId": "GetTokensToken",
                                    "parameters": {"token": "$response.body#/id"},
                                }
                            },
                        },
                        "default": copy.deepcopy(error_response),
                    },
                }
            },
            "/v1/tokens/{token}": {
                "get": {
                    "operationId": "GetTokensToken",
                    "summary": "Retrieve a token",
                    "parameters": [
                        {
                            "name": "token",
                            "in": "path",
                            "required": True,
                            "style": "simple",
                            "schema": {"type": "string", "maxLength": 5000},
                        },
                        {
                            "name": "expand",
                            "in": "query",
                            "required": False,
                            "style": "deepObject",
                            "explode": True,
                            "description": "Specifies which fields in the response should be expanded.",
                            "schema": expand,
                        },
                    ],
                    "responses": {
                        "200": {"description": "Successful response.", "content": token_content},
                        "default": error_response,
                    },
                }
            },
        },
        "components": {
            "schemas": {
                name: _response(name, _component)
                for name in ("token", "card", "bank_account", "error")
            },
            "securitySchemes": {
                "basicAuth": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "The API key as user name, empty password.",
                },
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Authorization: Bearer <API key>.",
                },
            },
        },
    }
