"""A strict clone of the reference server: it refuses every value outside the documented domain.

The reference server accepts whatever the oracle does not reject. A Stripe-faithful clone may
be stricter: refuse a country that is not an ISO code, an ``expand`` path it cannot expand,
an impossible date, a percentage over 100, a card number that is not a test card in test
mode. Both are faithful readings of the facts, and the conformance suite must fail neither.

This clone answers such payloads with a proper 400 ``invalid_request_error`` naming the
value's bracket path, and answers them *before* the oracle's own findings on other values:
Stripe's precedence between rules is not established, so the suite must accept either order.
Values a finding is already about get the oracle's answer (a Luhn failure stays a 402
``incorrect_number``, never "not a test card").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from contracttk.contract import ApiKey, ExpectedError, Strength, evaluate_create
from contracttk.server import ApiError, TokenApp, TokenService, create_app
from contracttk.server.storage import TokenStore

__all__ = ["StrictTokenService", "create_strict_app", "domain_error"]


def domain_error(problem: str) -> ExpectedError:
    """The 400 this clone answers for one ``"<path>: <reason>"`` domain problem."""
    path, _, reason = problem.partition(": ")
    return ExpectedError(
        400,
        "invalid_request_error",
        None,
        path,
        f"Invalid {path}: {reason}",
        basis="[INF] strict clone",
    ).with_strength(warn="status type param", reject=Strength.WARNING)


class StrictTokenService(TokenService):
    """The reference :class:`TokenService` with the domain test as an extra validation step."""

    def validate(self, params: Mapping[str, Any], key: ApiKey) -> str:
        """Refuse values outside the understood domain first, then the oracle's findings."""
        evaluation = evaluate_create(params, key=key, today=self.today())
        if evaluation.outside_domain:
            raise ApiError(domain_error(evaluation.outside_domain[0]))
        first = evaluation.first
        if first is not None:
            raise ApiError(first.error)
        assert evaluation.kind is not None  # accepted payloads always name one kind
        return evaluation.kind


def create_strict_app(
    *,
    db: str | TokenStore = ":memory:",
    keys: Iterable[str] | None = None,
    today: date | None = None,
) -> TokenApp:
    """The strict clone as an ASGI app (same options as :func:`create_app`)."""
    extra: dict[str, Any] = {} if keys is None else {"keys": keys}
    return create_app(db=db, service_cls=StrictTokenService, today=today, **extra)
