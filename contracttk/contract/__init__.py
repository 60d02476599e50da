"""The contract model of Stripe's Tokens API: the bottom layer of contracttk.

Everything else (schemas, strategies, Faker providers, checks, the reference server,
fixture files) is derived from what is defined here. This package depends on nothing
else of ours and imports only the standard library (and python-stdnum, lazily).

Names are loaded on first use (PEP 562): ``from contracttk.contract import mask_key``
imports the key helpers only, not the catalogue, the oracle or the test-value tables. The
CLI and the pytest plugin import this package on every start, so that keeps them cheap.
The basis tags every rule cites are defined in :mod:`contracttk.contract._sources`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # ._documented
    "documented_params": "._documented",
    # ._domain_check
    "domain_problems": "._domain_check",
    # ._errors
    "ExpectedError": "._errors",
    "Judgement": "._errors",
    "Strength": "._errors",
    # ._kinds
    "ApiKey": "._kinds",
    "KIND_NAMES": "._kinds",
    "TokenKind": "._kinds",
    "UnknownKindError": "._kinds",
    "get_kind": "._kinds",
    "is_live_key": "._kinds",
    "key_from_authorization": "._kinds",
    "kinds": "._kinds",
    "mask_key": "._kinds",
    "parse_key": "._kinds",
    # ._oracle
    "Evaluation": "._oracle",
    "Finding": "._oracle",
    "evaluate_create": "._oracle",
    # ._params
    "METADATA_MAX_KEYS": "._params",
    "METADATA_MAX_KEY_LENGTH": "._params",
    "METADATA_MAX_VALUE_LENGTH": "._params",
    "Param": "._params",
    "WIRE_PATTERNS": "._params",
    "bracket_path": "._params",
    "find_param": "._params",
    "param_tree": "._params",
    "response_fields": "._params",
    "shared_params": "._params",
    # ._protocol
    "IDEMPOTENCY_KEY_HEADER": "._protocol",
    "IDEMPOTENCY_KEY_MAX_LENGTH": "._protocol",
    "ID_ALPHABET": "._protocol",
    "ID_RANDOM_LENGTH": "._protocol",
    "MUTABLE_ON_RETRIEVE": "._protocol",
    "PROTOCOL_RULES": "._protocol",
    "REPLAY_HEADER": "._protocol",
    "TOKENS_PATH": "._protocol",
    "is_object_id": "._protocol",
    "is_token_id": "._protocol",
    "make_id": "._protocol",
    "make_token_id": "._protocol",
    # ._protocol_errors
    "body_too_large": "._protocol_errors",
    "idempotency_in_use": "._protocol_errors",
    "idempotency_key_invalid": "._protocol_errors",
    "idempotency_mismatch": "._protocol_errors",
    "invalid_api_key": "._protocol_errors",
    "malformed_body": "._protocol_errors",
    "no_api_key": "._protocol_errors",
    "no_such_token": "._protocol_errors",
    "publishable_key_forbidden": "._protocol_errors",
    "unrecognized_url": "._protocol_errors",
    # ._shown
    "HIDDEN": "._shown",
    "is_name_like": "._shown",
    "shown_key": "._shown",
    # ._semantics
    "FieldRule": "._semantics",
    "SHORT_SECRET": "._semantics",
    "sensitive_values": "._semantics",
    "token_rules": "._semantics",
    # ._sources
    "BASIS_TAGS": "._sources",
    "HARD_TAGS": "._sources",
    "basis_tags": "._sources",
    "has_hard_source": "._sources",
    # ._violations
    "Violation": "._violations",
    "catalogue": "._violations",
    "get_violation": "._violations",
    "minimal": "._violations",
    "sample_leaf": "._violations",
    "sample_params": "._violations",
    "violations_for": "._violations",
    # ._wire
    "normalise_exp_year": "._wire",
    "wire": "._wire",
    # .domain
    "is_public_test_value": ".domain",
}
"""Public name -> the submodule defining it."""

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
