"""Errors of the protocol around the parameters: authentication, live-mode key rules,
retrieval, idempotency, routing, body limits. Built like every other expected error (see
:mod:`._errors`), so the server and the checks say the same thing."""

from __future__ import annotations

from ._errors import IRE, ExpectedError, Strength, card_error
from ._protocol import IDEMPOTENCY_KEY_MAX_LENGTH

__all__ = [
    "body_too_large",
    "idempotency_in_use",
    "idempotency_key_invalid",
    "idempotency_mismatch",
    "invalid_api_key",
    "live_mode_test_card",
    "live_secret_key_forbidden",
    "malformed_body",
    "no_api_key",
    "no_such_token",
    "publishable_key_forbidden",
    "unrecognized_url",
]


def no_api_key() -> ExpectedError:
    """No key at all: 401 invalid_request_error [ISSUE: gadelkareem/skeleton#20]."""
    return ExpectedError(
        401,
        IRE,
        None,
        None,
        "You did not provide an API key. You need to provide your API key in the Authorization "
        "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        basis="[ISSUE: gadelkareem/skeleton#20, stripe/stripe-node#1694]",
    ).with_strength(hard="status type")


def invalid_api_key(masked: str) -> ExpectedError:
    """Unknown key: 401, message shows only prefix + last 4 [ISSUE: stripe/stripe-node#361]."""
    return ExpectedError(
        401,
        IRE,
        None,
        None,
        f"Invalid API Key provided: {masked}",
        basis="[ISSUE: stripe/stripe-node#361]",
    ).with_strength(hard="status type")


def publishable_key_forbidden() -> ExpectedError:
    """Publishable key on a secret-only call (GET of a token is [INF]): 401 or 403."""
    return ExpectedError(
        401,
        IRE,
        "secret_key_required",
        None,
        "This API call cannot be made with a publishable API key. Please use a secret API key. "
        "You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
        basis="[ISSUE: getlago/lago-api#3650] [INF: GET is secret-only]",
        alt_statuses=(403,),
    ).with_strength(warn="status type", reject=Strength.WARNING)


def live_secret_key_forbidden(kind: str) -> ExpectedError:
    """A live secret key may not create account/person tokens [DOC]; the error shape is [INF]."""
    return ExpectedError(
        400,
        IRE,
        None,
        None,
        f"In live mode, {kind} tokens can only be created with a publishable key.",
        basis=f"[DOC: Create an {kind} token] [INF: error shape]",
    ).with_strength(warn="status type", reject=Strength.HARD)


def live_mode_test_card() -> ExpectedError:
    """A known test card in live mode [ISSUE: mitchgavan/serverless-shop-tutorial#7].

    That response carries ``param: ""``; a newer one leaves ``param`` out, so ``param`` is
    not asserted (status, type and code are).
    """
    return card_error(
        "card_declined",
        "",
        "Your card was declined. Your request was in live mode, but used a known test card.",
        basis="[ISSUE: mitchgavan/serverless-shop-tutorial#7] (param not asserted)",
        hard="status type code",
        decline_code="live_mode_test_card",
    )


def no_such_token(token_id: str) -> ExpectedError:
    """Unknown id on GET: 404 resource_missing [ISSUE][DOC: Errors status table]."""
    return ExpectedError(
        404,
        IRE,
        "resource_missing",
        "token",
        f"No such token: '{token_id}'",
        basis="[ISSUE: drastik/com.drastikbydesign.stripe#76] [DOC: Errors]",
    ).with_strength(hard="status type code", warn="param")


def idempotency_mismatch(key: str) -> ExpectedError:
    """Same Idempotency-Key, other parameters: 400 idempotency_error [DOC]."""
    return ExpectedError(
        400,
        "idempotency_error",
        None,
        None,
        "Keys for idempotent requests can only be used with the same parameters they were first "
        f"used with. Try using a key other than '{key}' if you meant to execute a different request.",
        basis="[DOC: Idempotent requests]",
    ).with_strength(hard="status type")


def idempotency_key_invalid(length: int) -> ExpectedError:
    """An ``Idempotency-Key`` outside 1-255 characters: 400 invalid_request_error.

    The limit is [DOC: Idempotent requests] (``IDEMPOTENCY_KEY_MAX_LENGTH``). The message
    is Stripe's as quoted in [ISSUE: cartalyst/stripe#65] ("Idempotent key length is 0,
    which is outside accepted lengths. Idempotent Keys must be 1-255 characters long.
    ..."); the type is [INF] (the thread quotes only the message); no code is established.
    """
    return ExpectedError(
        400,
        IRE,
        None,
        None,
        f"Idempotent key length is {length}, which is outside accepted lengths. Idempotent "
        f"Keys must be 1-{IDEMPOTENCY_KEY_MAX_LENGTH} characters long. If you're looking for a "
        "decent generator, try using a UUID defined by IETF RFC 4122.",
        basis="[DOC: Idempotent requests] [ISSUE: cartalyst/stripe#65] [INF: type]",
    ).with_strength(hard="status", warn="type")


def idempotency_in_use() -> ExpectedError:
    """Same key while the first request still runs: 409 idempotency_key_in_use [DOC][SDK]."""
    return ExpectedError(
        409,
        IRE,
        "idempotency_key_in_use",
        None,
        "There is currently another in-progress request using this Idempotent Key "
        "(that probably means you submitted twice, and the other request is still "
        "going through). Please try again later.",
        basis="[DOC: Errors 409 row] [SDK enum]",
    ).with_strength(hard="status code")


def unrecognized_url(method: str, path: str) -> ExpectedError:
    """Unknown route or method. Only 'JSON error, no 5xx' is asserted (shape not established)."""
    return ExpectedError(
        404,
        IRE,
        None,
        None,
        f"Unrecognized request URL ({method}: {path[:200]}). Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        basis="[INF]",
    ).with_strength(reject=Strength.NOT_ASSERTED)


def body_too_large(limit: int) -> ExpectedError:
    """Request body over the server's limit (our reference server's own rule)."""
    return ExpectedError(
        413,
        IRE,
        None,
        None,
        f"Request body too large: the limit is {limit} bytes.",
        basis="[INF: contracttk reference server]",
    ).with_strength(reject=Strength.NOT_ASSERTED)


def malformed_body(detail: str) -> ExpectedError:
    """A form body that cannot be parsed (bad key syntax, bad UTF-8, conflicting keys)."""
    return ExpectedError(
        400, IRE, None, None, f"Invalid request body: {detail}", basis="[INF]"
    ).with_strength(warn="status type", reject=Strength.WARNING)
