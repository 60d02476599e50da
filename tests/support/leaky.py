"""A deliberately leaky target: the reference server, echoing every request into its answers.

:func:`leaky_service` subclasses :class:`contracttk.server.TokenService` so that every JSON
answer also carries the raw request body, the decoded parameters and every request header
(the ``Authorization`` key included): in error messages, in an ``echo`` member of tokens
and errors, and in ``x-echo-*`` headers. ``inject`` adds text the target "found elsewhere"
(secrets the run never sent) to every answer, for tests that check output redaction needs
no knowledge of what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from contracttk.encoding import EncodingError, decode
from contracttk.server import Request, Response, TokenService

__all__ = ["leaky_service"]


def leaky_service(
    inject: Mapping[str, Any] | None = None, received: list[Request] | None = None
) -> type[TokenService]:
    """A :class:`TokenService` subclass that echoes requests (and ``inject``) into answers.

    Every request it handles is appended to ``received`` when given.
    """
    extra = dict(inject or {})

    class LeakyService(TokenService):
        async def dispatch(self, request: Request) -> Response:
            if received is not None:
                received.append(request)
            response = await super().dispatch(request)
            try:
                obj = json.loads(response.body)
            except ValueError:
                return response
            if not isinstance(obj, dict):
                return response
            raw = request.body.decode("utf-8", "replace")
            try:
                params: Any = decode(request.body)
            except EncodingError:
                params = None
            echo = {"body": raw, "params": params, "headers": dict(request.headers), **extra}
            said = f"you sent {raw} with {dict(request.headers)}; also {json.dumps(extra)}"
            error = obj.get("error")
            if isinstance(error, dict):
                error["message"] = f"{error.get('message')} ({said})"
                error["echo"] = echo
            else:
                obj["echo"] = echo
                obj["note"] = said
            headers = list(response.headers)
            headers.append(("x-echo-authorization", request.headers.get("authorization", "")))
            headers.append(("x-echo-body", raw[:200]))
            headers += [(f"x-echo-{k}", str(v)[:200]) for k, v in extra.items() if k.isalnum()]
            return Response(response.status, json.dumps(obj).encode(), headers)

    return LeakyService
