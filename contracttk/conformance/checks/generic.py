"""Checks every answer is judged by: no 5xx, the JSON error envelope, the response schema."""

from __future__ import annotations

from functools import cache
from typing import Any

from contracttk.contract import TOKENS_PATH

from ..exchange import INVALID_JSON, RequestInfo, ResponseInfo
from ..failures import Failure, fail
from ..registry import check

__all__ = ["error_envelope", "not_a_server_error", "response_schema", "response_size"]


@check(group="generic")
def not_a_server_error(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """Never a 5xx, whatever was sent."""
    if response.status < 500:
        return []
    return [
        fail(
            "not_a_server_error",
            f"server error {response.status}",
            request,
            response,
            signature=f"{request.method.upper()} {_route(request)}",
        )
    ]


def _route(request: RequestInfo) -> str:
    """The route a request hit, without ids (``/v1/tokens`` or ``/v1/tokens/{id}``)."""
    if request.is_create:
        return TOKENS_PATH
    if request.path.startswith(TOKENS_PATH + "/"):
        return TOKENS_PATH + "/{id}"
    return "other routes"


@check(
    group="generic",
    basis="a conformance client must be able to read an answer: bounded size",
    applies=lambda req, resp: resp.truncated,
)
def response_size(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """An answer larger than the transport's limit is a finding; it is not read further."""
    if not response.truncated:
        return []
    return [
        fail(
            "response_size",
            f"answer larger than {len(response.body)} bytes (not read further)",
            request,
            response,
            signature="response too large",
        )
    ]


@check(group="generic", applies=lambda req, resp: not resp.ok)
def error_envelope(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """Every non-2xx answer is JSON ``{"error": {"type": "...", ...}}`` with a JSON content type."""
    if response.ok or response.truncated:
        return []
    problems = []
    if not response.is_json_type:
        problems.append(f"content type {response.content_type or '(none)'!r} is not JSON")
    body = response.json
    if body is INVALID_JSON:
        problems.append("body is not JSON")
    elif not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        problems.append('body has no "error" object')
    elif not isinstance(body["error"].get("type"), str):
        problems.append('"error" has no string "type"')
    if not problems:
        return []
    return [
        fail(
            "error_envelope",
            f"error answer {response.status}: " + "; ".join(problems),
            request,
            response,
            signature="; ".join(problems),
        )
    ]


@cache
def _validator(obj: str) -> Any:
    import jsonschema

    from contracttk.schemas import response_json_schema

    schema = response_json_schema(obj)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@cache
def _fast_validator(obj: str) -> Any:
    """jsonschema-rs (a schemathesis dependency) when present: a yes/no ~50x faster.

    Most answers conform; the pure-Python validator then only runs to word a violation.
    """
    try:
        import jsonschema_rs
    except ImportError:
        return None
    from contracttk.schemas import response_json_schema

    try:
        return jsonschema_rs.validator_for(response_json_schema(obj))
    except Exception:  # a schema the Rust validator does not take: fall back
        return None


def schema_errors(obj: str, body: Any) -> list[tuple[str, str]]:
    """``(where, message)`` of every violation of ``body`` against the bundled ``obj`` schema."""
    fast = _fast_validator(obj)
    if fast is not None:
        try:
            if fast.is_valid(body):
                return []
        except Exception:  # e.g. numbers beyond its range: let the reference validator judge
            pass
    out = []
    for err in sorted(_validator(obj).iter_errors(body), key=lambda e: list(e.absolute_path)):
        where = _path(err)
        inner = _deepest(err)
        # The message names the field at fault; ``where`` (what findings group by) stays the
        # object the schema refused, so one broken embedded object is one cause.
        said = inner.message if inner is err else f"{_path(inner)}: {inner.message}"
        out.append((where, said[:200]))
    return out


def _path(err: Any) -> str:
    return "/".join(str(p) for p in err.absolute_path) or "(root)"


def _deepest(err: Any) -> Any:
    """For "one of these shapes" (``anyOf``: a card object or null), the alternative that got
    furthest into the value: it names the field at fault, where the error itself quotes the
    whole object."""
    while err.context:
        err = max(err.context, key=lambda e: len(e.absolute_path))
    return err


def _schema_applies(req: RequestInfo, resp: ResponseInfo) -> bool:
    return (
        (req.is_create or req.is_retrieve)
        and not resp.truncated
        and (resp.ok or resp.json is not INVALID_JSON)
    )


@check(group="generic", applies=_schema_applies)
def response_schema(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """Answers of the token routes conform to the bundled response schemas (2xx: JSON token).

    A non-JSON error answer is the business of ``error_envelope``; a non-JSON 2xx is ours.
    """
    if not _schema_applies(request, response):
        return []
    if response.json is INVALID_JSON:
        return [
            fail(
                "response_schema",
                f"{response.status} answer is not JSON ({response.content_type or 'no content type'})",
                request,
                response,
                signature="not JSON",
            )
        ]
    which = "token" if response.ok else "error"
    return [
        fail(
            "response_schema",
            f"{which} response does not match the schema: {where}: {message}",
            request,
            response,
            # The schema path, with array indexes folded: one wrong field is one cause.
            signature=f"{which}: "
            + "/".join("*" if part.isdigit() else part for part in where.split("/")),
        )
        for where, message in schema_errors(which, response.json)[:3]
    ]
