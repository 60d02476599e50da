"""contracttk's checks and Stripe's form encoding inside your own schemathesis runs.

    import schemathesis
    from contracttk.plugins.schemathesis_checks import register

    handle = register(warning_sink=my_list.append)   # once, e.g. in conftest.py
    schema = schemathesis.openapi.from_url(...)

    @schema.parametrize()
    def test_api(case):
        case.call_and_validate()   # contracttk's single-exchange checks run with the others

Hard failures raise ``AssertionError`` (schemathesis reports them with its curl line);
warnings go to every registered sink and never fail. :func:`register` returns a handle:
each call adds its own sink (none is silently ignored) and ``handle.close()`` removes it.
The checks themselves are registered with schemathesis once per process (schemathesis has
no way to unregister a check).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Registration", "exchange_from_schemathesis", "register"]

_SINKS: list[Callable[[Any], None]] = []
_REGISTERED: list[Callable[..., None]] = []


@dataclass
class Registration:
    """What :func:`register` did: the check functions, and this caller's warning sink."""

    checks: list[Callable[..., None]] = field(default_factory=list)
    sink: Callable[[Any], None] | None = None

    def close(self) -> None:
        """Stop sending warnings to this registration's sink."""
        if self.sink is not None and self.sink in _SINKS:
            _SINKS.remove(self.sink)


def exchange_from_schemathesis(case: Any, response: Any) -> tuple[Any, Any]:
    """Our exchange records from a schemathesis ``Case`` and ``Response`` (the wire request)."""
    from contracttk.conformance.exchange import RequestInfo, ResponseInfo
    from contracttk.contract import KIND_NAMES

    prepared = response.request
    body = prepared.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    kind = None
    if isinstance(getattr(case, "body", None), dict):
        present = [k for k in KIND_NAMES if k in case.body]
        kind = present[0] if len(present) == 1 else None
    request = RequestInfo(
        method=prepared.method or case.method,
        url=prepared.url,
        headers=dict(prepared.headers),
        body=body or None,
        kind=kind,
        base=_base_url(case, prepared.url),
    )
    resp = ResponseInfo(
        status=response.status_code,
        headers=dict(response.headers.items()),
        body=response.content or b"",
        elapsed=float(getattr(response, "elapsed", 0.0) or 0.0),
    )
    return request, resp


def _base_url(case: Any, url: str) -> str | None:
    """The base URL the case was sent under (``http://h/api``): routes are read below it."""
    try:
        from schemathesis.transport.prepare import base_url_from_request_url

        return str(base_url_from_request_url(case, url))
    except Exception:  # another schemathesis: routes are then read from the root
        return None


def _make(name: str) -> Callable[..., None]:
    from contracttk.conformance.registry import CHECKS

    chk = CHECKS[name]

    def run(ctx: Any, response: Any, case: Any) -> None:
        request, resp = exchange_from_schemathesis(case, response)
        if not chk.applies(request, resp):
            return
        found = chk(request, resp)
        for f in found:
            if f.is_warning:
                for sink in list(_SINKS):
                    sink(f)
        hard = [f for f in found if not f.is_warning]
        if hard:
            from contracttk.conformance.redact import scrub

            raise AssertionError(scrub("\n".join(f"{f.check}: {f.message}" for f in hard)))

    run.__name__ = run.__qualname__ = f"contracttk_{name}"
    run.__doc__ = chk.fn.__doc__ if chk.fn else None
    return run


def register(*, warning_sink: Callable[[Any], None] | None = None) -> Registration:
    """Register the Stripe form serializer and contracttk's checks with schemathesis.

    After this, schemathesis bodies go out as Stripe's clients send them (``card[number]=``,
    ``expand[0]=``, ``true``/``false``).
    """
    import schemathesis

    from contracttk.conformance.checks import CREATE_CHECKS, GENERIC_CHECKS
    from contracttk.encoding import encode_loose

    if not _REGISTERED:

        @schemathesis.serializer("application/x-www-form-urlencoded")
        def stripe_form(ctx: Any, value: Any) -> bytes | None:
            # `value` was already flattened per the OpenAPI `encoding`; the case body was not.
            body = ctx.case.body
            return None if body is None else encode_loose(body)

        for name in (*GENERIC_CHECKS, *CREATE_CHECKS):
            _REGISTERED.append(schemathesis.check(_make(name)))
    if warning_sink is not None:
        _SINKS.append(warning_sink)
    return Registration(checks=list(_REGISTERED), sink=warning_sink)
