"""Reproductions: a failure's example as a JSON record and a curl line that runs as printed.

Stripe's published test values are public test data: test card numbers (and the CVCs sent
with them), test bank and ID numbers are shown in full, so the line reproduces. Keys never
are: the curl line reads them from the environment variables contracttk itself reads
(``CONTRACTTK_API_KEY``...), so it runs once they are exported. Anything else secret (a
number that is not a published test value) is masked, and the example says it will not
replay exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .checks.secrets import sent_secrets
from .exchange import INVALID_JSON, RequestInfo, ResponseInfo
from .failures import Failure
from .redact import is_public_value, redact, redact_headers, redact_params, redact_text
from .settings import Settings

__all__ = [
    "KEY_ENV",
    "curl_line",
    "example_record",
    "is_public_value",
    "key_role",
    "public_values",
]

KEY_ENV = {
    "secret": "CONTRACTTK_API_KEY",
    "publishable": "CONTRACTTK_PUBLISHABLE_KEY",
    "live": "CONTRACTTK_LIVE_KEY",
}
MAX_BODY_SHOWN = 2000
MAX_REPLAY_BODY = 64 * 1024
"""Request bodies above this are summarised, not stored: such an example (a 1 MiB body sent
to test a size limit) is about the size, and a curl line of it helps nobody."""
_SKIP_HEADERS = frozenset(
    {
        "authorization",
        "content-length",
        "host",
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
    }
)
_SHORT = re.compile(r"[0-9]{3,4}")


def public_values(request: RequestInfo) -> frozenset[str]:
    """The secrets of ``request`` that may be shown: published test values, and CVCs (of any
    shape: a ``bad_shape`` example must replay with its ``99``) when every long number in the
    request is a published one. A CVC alone identifies nobody; next to a real card number it
    would, so then it is masked too."""
    found = [(w, v) for w, v in sent_secrets(request) if w != "API key"]
    public = {v for _, v in found if is_public_value(v)}
    long_private = [v for _, v in found if v not in public and len(v) >= 8]
    if not long_private:
        public |= {v for w, v in found if _is_cvc(w) or _SHORT.fullmatch(v)}
    return frozenset(public)


def _is_cvc(where: str) -> bool:
    """A secret sent at a ``cvc`` parameter (``card[cvc]``, ``cvc_update[cvc]``)."""
    return where.split(" (")[0].endswith(("[cvc]", "cvc"))


def key_role(request: RequestInfo, settings: Settings) -> str:
    """Which key the request carried: secret, publishable, live, none, or other."""
    key = request.api_key
    if key is None:
        return "none"
    return settings.role_of(key) or "other"


def _shell_quote(text: str) -> str:
    """Single-quoted for a POSIX shell; bash's ``$'...'`` with escapes for control bytes."""
    return _shell_bytes(text.encode("utf-8", "surrogateescape"))


def _shell_bytes(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() for c in text):
        return "'" + text.replace("'", "'\"'\"'") + "'"
    out = []
    for byte in data:
        ch = chr(byte)
        if ch == "'":
            out.append("\\'")
        elif ch == "\\":
            out.append("\\\\")
        elif 32 <= byte < 127:
            out.append(ch)
        else:
            out.append(f"\\x{byte:02x}")
    return "$'" + "".join(out) + "'"


def curl_line(
    request: RequestInfo, settings: Settings, public: Iterable[str] = ()
) -> tuple[str, bool]:
    """A curl command reproducing ``request``, and whether it reproduces exactly.

    Known keys become ``$CONTRACTTK_...`` references; the unknown-key placeholder of the
    auth items is public; any other secret is masked (and the line then cannot reproduce).
    """
    from .redact import scrub
    from .suite_protocol import UNKNOWN_KEY

    secrets = [v for _, v in sent_secrets(request)]
    pub = frozenset(public)
    exact = True
    if request.body and len(request.body) > MAX_REPLAY_BODY:
        shown = (
            f"curl -sS -X {request.method.upper()} {_shell_quote(scrub(request.url))} "
            f"--data-binary @body.bin   # a {len(request.body)}-byte body, not stored"
        )
        return shown, False
    parts = [
        "curl",
        "-sS",
        "-X",
        request.method.upper(),
        _shell_quote(redact_text(request.url, secrets, pub)),
    ]
    auth = request.header("authorization")
    role = key_role(request, settings)
    if auth:
        scheme = auth.split(" ", 1)[0].lower()
        if role in KEY_ENV:
            ref = f"${KEY_ENV[role]}"
            parts += (
                ["-u", f'"{ref}:"']
                if scheme == "basic"
                else ["-H", f'"Authorization: Bearer {ref}"']
            )
        elif request.api_key == UNKNOWN_KEY:
            parts += (
                ["-u", f"'{UNKNOWN_KEY}:'"]
                if scheme == "basic"
                else ["-H", f"'Authorization: Bearer {UNKNOWN_KEY}'"]
            )
        else:
            parts += [
                "-H",
                _shell_quote("Authorization: " + redact_text(auth, [request.api_key or ""])),
            ]
            exact = False
    for name, value in request.headers.items():
        if name.lower() in _SKIP_HEADERS:
            continue
        shown = redact_text(value, secrets, pub)
        exact = exact and shown == value
        parts += ["-H", _shell_quote(f"{name}: {shown}")]
    if request.body:
        text = request.body.decode("utf-8", "surrogateescape")
        shown = redact_text(text, secrets, pub)
        exact = exact and shown == text
        parts += ["--data-binary", _shell_bytes(shown.encode("utf-8", "surrogateescape"))]
    line = " ".join(parts)
    # What every output's last pass would still mask (a key-shaped or card-shaped fuzz value)
    # makes the printed line differ from what was sent: not exact then.
    final = scrub(line, settings.secrets())
    return final, exact and final == line


def _request_record(
    request: RequestInfo, settings: Settings, public: frozenset[str]
) -> dict[str, Any]:
    secrets = [v for _, v in sent_secrets(request)]
    base = settings.url.rstrip("/")
    url = request.url
    path = url[len(base) :] if url.startswith(base) else url.split("://", 1)[-1].partition("/")[2]
    if not path.startswith("/"):
        path = "/" + path
    params = request.params
    curl, exact = curl_line(request, settings, public)
    body, body_b64 = None, None
    if request.body and len(request.body) > MAX_REPLAY_BODY:
        body = f"({len(request.body)}-byte body, not stored)"
    elif request.body:
        try:
            body = redact_text(request.body.decode("utf-8"), secrets, public)
        except UnicodeDecodeError:
            # Bytes a text redaction cannot read: kept only when nothing secret was sent.
            if exact:
                import base64

                body_b64 = base64.b64encode(request.body).decode("ascii")
            else:
                body = "(binary body withheld: it carried a value that is not public test data)"
    return {
        "method": request.method.upper(),
        "path": redact_text(path, secrets, public),
        "key": key_role(request, settings),
        "auth_scheme": (request.header("authorization") or " ").split(" ", 1)[0].lower() or None,
        "headers": redact_headers(
            {k: v for k, v in request.headers.items() if k.lower() not in _SKIP_HEADERS},
            secrets,
            public,
        ),
        "body": body,
        "body_base64": body_b64,
        "params": redact_params(params, (), public) if isinstance(params, Mapping) else None,
        "curl": curl,
        "replayable": exact,
    }


def _response_record(
    response: ResponseInfo, secrets: list[str], public: frozenset[str]
) -> dict[str, Any]:
    body: Any = response.json
    if body is INVALID_JSON:
        body = redact_text(response.text[: 2 * MAX_BODY_SHOWN], secrets, public)[:MAX_BODY_SHOWN]
    else:
        body = redact(body, secrets, public)
    keep = ("content-type", "idempotent-replayed", "request-id")
    return {
        "status": response.status,
        "headers": redact_headers(
            {k: v for k, v in response.headers.items() if k in keep}, secrets, public
        ),
        "body": body,
        "truncated": response.truncated,
    }


def example_record(failure: Failure, settings: Settings) -> dict[str, Any]:
    """A failure as a report record: what was expected, what came back, how to reproduce it."""
    req, resp = failure.request, failure.response
    public = public_values(req) if req is not None else frozenset()
    secrets = [v for _, v in sent_secrets(req)] if req is not None else []
    secrets += list(settings.secrets())
    status, etype, code = failure.answer
    return {
        "check": failure.check,
        "strength": failure.strength.value,
        "kind": failure.kind,
        "violation": failure.violation,
        "param": failure.param,
        "family": failure.family,
        "signature": redact_text(failure.signature or "", secrets, public),
        "answer": {"status": status, "type": etype, "code": code},
        "expected": _expected(failure),
        "message": redact_text(failure.message, secrets, public),
        "request": _request_record(req, settings, public) if req is not None else None,
        "response": _response_record(resp, secrets, public) if resp is not None else None,
    }


def _expected(failure: Failure) -> dict[str, Any] | None:
    """The error the model expects for the failure's violation (status, type, code, param)."""
    req = failure.request
    if req is None or failure.violation is None or not req.is_create:
        return None
    ev = req.evaluation
    if ev is None:
        return None
    for f in ev.findings:
        if f.violation == failure.violation:
            e = f.error
            return {"status": e.status, "type": e.type, "code": e.code, "param": e.param}
    return None
