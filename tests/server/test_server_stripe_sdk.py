"""The official ``stripe`` SDK against the reference server: it must feel like Stripe.

The SDK picks its exception class from the status and error body (``_api_requestor.py``),
so these tests show the server's answers are shaped the way real clients expect.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import stripe

from contracttk.contract import KIND_NAMES, sample_params
from contracttk.defaults import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from contracttk.server import running_server

# stripe is in the [test] extra: a missing SDK is a broken set-up, not a reason to skip.
pytestmark = pytest.mark.loopback

TODAY = date.today()  # the SDK cannot pin our clock; sample_params follows the same date


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running_server() as url:
        yield url


def client_for(base_url: str, key: str = DEFAULT_SECRET_KEY) -> Any:
    # No retries (a 409 would otherwise be retried) and no telemetry headers.
    stripe.enable_telemetry = False
    return stripe.StripeClient(key, base_addresses={"api": base_url}, max_network_retries=0)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_sdk_creates_and_retrieves_every_kind(base_url: str, kind: str) -> None:
    client = client_for(base_url)
    token = client.v1.tokens.create(sample_params(kind, today=TODAY))
    assert token.object == "token"
    assert token.type == kind
    assert token.livemode is False
    assert token.used is False
    again = client.v1.tokens.retrieve(token.id)
    assert again.id == token.id
    assert again.to_dict() == token.to_dict()
    assert token.last_response.headers["request-id"].startswith("req_")


def test_sdk_sees_the_card_object(base_url: str) -> None:
    token = client_for(base_url).v1.tokens.create(sample_params("card", today=TODAY))
    assert token.card.last4 == "4242"
    assert token.card.brand == "Visa"
    assert token.card.id.startswith("card_")


def test_sdk_card_error_for_402(base_url: str) -> None:
    params = sample_params("card", today=TODAY)
    params["card"]["number"] = "4242424242424241"  # Luhn failure
    with pytest.raises(stripe.CardError) as info:
        client_for(base_url).v1.tokens.create(params)
    assert info.value.http_status == 402
    assert info.value.code == "incorrect_number"
    assert info.value.param == "number"


def test_sdk_invalid_request_error_for_400_and_404(base_url: str) -> None:
    client = client_for(base_url)
    params = sample_params("card", today=TODAY)
    del params["card"]["exp_month"]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.tokens.create(params)
    assert info.value.http_status == 400
    assert info.value.code == "parameter_missing"
    assert info.value.param == "card[exp_month]"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.tokens.retrieve("tok_missing")
    assert info.value.http_status == 404
    assert info.value.code == "resource_missing"


def test_sdk_authentication_error_for_401(base_url: str) -> None:
    with pytest.raises(stripe.AuthenticationError) as info:
        client_for(base_url, "sk_test_notAKeyThisServerKnows").v1.tokens.create(
            sample_params("pii")
        )
    assert info.value.http_status == 401
    token = client_for(base_url, DEFAULT_PUBLISHABLE_KEY).v1.tokens.create(sample_params("pii"))
    with pytest.raises(stripe.AuthenticationError):
        client_for(base_url, DEFAULT_PUBLISHABLE_KEY).v1.tokens.retrieve(token.id)


def test_sdk_idempotency(base_url: str) -> None:
    client = client_for(base_url)
    options = {"idempotency_key": "sdk-idem-1"}
    first = client.v1.tokens.create(sample_params("pii"), options)
    again = client.v1.tokens.create(sample_params("pii"), options)
    assert again.id == first.id
    assert again.last_response.headers["idempotent-replayed"] == "true"
    with pytest.raises(stripe.IdempotencyError) as info:
        client.v1.tokens.create(sample_params("cvc_update"), options)
    assert info.value.http_status == 400
