"""The conformance checks, by family; importing this package registers them all.

* :mod:`.generic`: every answer (no 5xx, the JSON error envelope, the response schema, size);
* :mod:`.secrets`: nothing secret that was sent comes back;
* :mod:`.create`: the oracle on ``POST /v1/tokens`` (acceptance, semantics, expected errors);
* :mod:`.protocol`: auth, retrieve, id uniqueness, idempotency.
"""

from __future__ import annotations

from . import create, generic, protocol, secrets

GENERIC_CHECKS: tuple[str, ...] = (
    "not_a_server_error",
    "response_size",
    "error_envelope",
    "response_schema",
    "no_secret_echo",
)
"""Single-exchange checks every answer is judged by."""

CREATE_CHECKS: tuple[str, ...] = ("positive_acceptance", "token_semantics", "expected_error")
"""Single-exchange checks of the create oracle."""

__all__ = ["CREATE_CHECKS", "GENERIC_CHECKS", "create", "generic", "protocol", "secrets"]
