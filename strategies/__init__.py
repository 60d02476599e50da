"""Generators of valid and invalid ``POST /v1/tokens`` payloads: Hypothesis and Faker.

Both front-ends build payloads with the same builders over the contract model, and label
invalid ones from its violation catalogue (:class:`InvalidPayload`)::

    from contracttk.strategies import card_params, invalid_card_params

    @given(card_params(brand="amex"))
    def test_amex(params): ...

    from faker import Faker
    from contracttk.strategies import add_providers

    fake = add_providers(Faker("de_DE"))
    fake.stripe_card_params()
    fake.stripe_invalid_bank_account_params("bank_account[account_number]:bad_iban")

Helpers for sending payloads and judging answers (see ``docs/testing-your-gateway.md``):
:func:`encode` (the form body), :func:`as_requests_data` (``requests.post(url, data=...)``),
:func:`judge` and ``bad.matches(response)`` (strength applied).

Names are loaded on first use: importing this package costs neither Hypothesis nor Faker
until one of their halves is asked for (the pytest plugin imports contracttk eagerly).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contracttk.encoding import as_requests_data, encode

    from ._faker import StripeProvider, add_providers
    from ._hypothesis import (
        account_params,
        any_invalid_params,
        any_valid_params,
        bank_account_params,
        card_params,
        cvc_update_params,
        invalid_account_params,
        invalid_bank_account_params,
        invalid_card_params,
        invalid_cvc_update_params,
        invalid_params,
        invalid_person_params,
        invalid_pii_params,
        params,
        person_params,
        pii_params,
    )
    from ._payload import InvalidPayload, judge

__all__ = [
    "InvalidPayload",
    "StripeProvider",
    "account_params",
    "add_providers",
    "any_invalid_params",
    "any_valid_params",
    "as_requests_data",
    "bank_account_params",
    "card_params",
    "cvc_update_params",
    "encode",
    "invalid_account_params",
    "invalid_bank_account_params",
    "invalid_card_params",
    "invalid_cvc_update_params",
    "invalid_params",
    "invalid_person_params",
    "invalid_pii_params",
    "judge",
    "params",
    "person_params",
    "pii_params",
]

_HOME = {
    "InvalidPayload": "._payload",
    "StripeProvider": "._faker",
    "add_providers": "._faker",
    "as_requests_data": "contracttk.encoding",
    "encode": "contracttk.encoding",
    "judge": "._payload",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(_HOME.get(name, "._hypothesis"), __name__)
    value = getattr(module, name)
    globals()[name] = value  # later look-ups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
