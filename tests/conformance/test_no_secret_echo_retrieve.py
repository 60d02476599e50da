"""``no_secret_echo`` on ``GET /v1/tokens/{id}``: quoting the id in "No such token" is no leak.

Found by the card-only gateway run (test_card_only_gateway.py): schemathesis drew a token id
starting with a published test card number, the server answered Stripe's
``No such token: '<id>'`` and the check reported the digit run as an echoed card number.
Any Stripe-like server, Stripe included, would have "failed" the same way.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from contracttk.conformance.checks.secrets import no_secret_echo
from contracttk.conformance.exchange import RequestInfo
from contracttk.conformance.transport import Target, open_transport
from contracttk.contract import no_such_token
from contracttk.defaults import DEFAULT_SECRET_KEY
from contracttk.server import Response, TokenService, create_app

URL = "http://testserver"


class QuotesTheId(TokenService):
    """Answers an unknown id the way Stripe does, the id quoted in full.

    (The reference server stars long digit runs in what it echoes; Stripe quotes ids as
    they came, and a conforming server may too.)
    """

    def error_response(self, expected: object) -> Response:
        if getattr(expected, "code", None) == "resource_missing":
            expected = no_such_token(self.current_id)
        return super().error_response(expected)

    async def retrieve(self, request: object, token_id: str) -> Response:
        self.current_id = token_id
        return await super().retrieve(request, token_id)


@pytest.mark.parametrize(
    "token_id",
    [
        "3566002020360505\x91\x91",  # a JCB test card, then bytes a fuzzer adds
        "tok_4242424242424242",
        "4000056655665556",
    ],
)
def test_unknown_id_quoted_in_the_answer_is_not_an_echo(token_id: str) -> None:
    app = create_app(service_cls=QuotesTheId)
    transport = open_transport(Target(URL, app=app), timeout=5, max_response_bytes=65536)
    try:
        url = f"{URL}/v1/tokens/{quote(token_id, safe='')}"
        headers = {"Authorization": f"Bearer {DEFAULT_SECRET_KEY}"}
        request = RequestInfo(method="GET", url=url, headers=headers)
        response = transport.send("GET", url, list(headers.items()), None)
    finally:
        transport.close()
    digits = "".join(ch for ch in token_id if ch.isdigit())
    # The premise: the server quotes the id, digit run and all.
    assert response.status == 404 and digits in response.text
    assert no_secret_echo(request, response) == []
