"""The contract model of Stripe's Tokens API: the bottom layer of contracttk.

Everything else (schemas, strategies, Faker providers, checks, the reference server,
fixture files) is derived from what is defined here. This package depends on nothing
else of ours and imports only the standard library (and python-stdnum, lazily).
"""

from __future__ import annotations

from ._documented import documented_params
from ._errors import (
    ExpectedError,
    Strength,
    body_too_large,
    idempotency_in_use,
    idempotency_mismatch,
    invalid_api_key,
    malformed_body,
    no_api_key,
    no_such_token,
    publishable_key_forbidden,
    unrecognized_url,
)
from ._kinds import (
    KIND_NAMES,
    ApiKey,
    TokenKind,
    UnknownKindError,
    get_kind,
    is_live_key,
    key_from_authorization,
    kinds,
    mask_key,
    parse_key,
)
from ._oracle import Evaluation, Finding, evaluate_create, normalise_exp_year, wire
from ._params import Param, bracket_path, find_param, param_tree, response_fields, shared_params
from ._protocol import (
    ID_ALPHABET,
    ID_RANDOM_LENGTH,
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    MUTABLE_ON_RETRIEVE,
    PROTOCOL_RULES,
    REPLAY_HEADER,
    TOKENS_PATH,
    is_object_id,
    is_token_id,
    make_id,
    make_token_id,
)
from ._semantics import FieldRule, sensitive_values, token_rules
from ._sources import BASIS_TAGS, HARD_TAGS, basis_tags, has_hard_source
from ._violations import (
    Violation,
    catalogue,
    get_violation,
    minimal,
    sample_leaf,
    sample_params,
    violations_for,
)

__all__ = [
    "BASIS_TAGS",
    "HARD_TAGS",
    "IDEMPOTENCY_KEY_HEADER",
    "IDEMPOTENCY_KEY_MAX_LENGTH",
    "ID_ALPHABET",
    "ID_RANDOM_LENGTH",
    "KIND_NAMES",
    "MUTABLE_ON_RETRIEVE",
    "PROTOCOL_RULES",
    "REPLAY_HEADER",
    "TOKENS_PATH",
    "ApiKey",
    "Evaluation",
    "ExpectedError",
    "FieldRule",
    "Finding",
    "Param",
    "Strength",
    "TokenKind",
    "UnknownKindError",
    "Violation",
    "basis_tags",
    "body_too_large",
    "bracket_path",
    "catalogue",
    "documented_params",
    "evaluate_create",
    "find_param",
    "get_kind",
    "get_violation",
    "has_hard_source",
    "idempotency_in_use",
    "idempotency_mismatch",
    "invalid_api_key",
    "is_live_key",
    "is_object_id",
    "is_token_id",
    "key_from_authorization",
    "kinds",
    "make_id",
    "make_token_id",
    "malformed_body",
    "mask_key",
    "minimal",
    "no_api_key",
    "no_such_token",
    "normalise_exp_year",
    "param_tree",
    "parse_key",
    "publishable_key_forbidden",
    "response_fields",
    "sample_leaf",
    "sample_params",
    "sensitive_values",
    "shared_params",
    "token_rules",
    "unrecognized_url",
    "violations_for",
    "wire",
]
