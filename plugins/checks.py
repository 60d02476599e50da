"""The conformance checks: plain functions judging one exchange (or two) against the model.

Every check here is usable without schemathesis: ``check(request, response) -> list[Failure]``
where ``request`` is a :class:`RequestInfo` and ``response`` a :class:`ResponseInfo`
(checks that compare two exchanges, like idempotent replay, take both). A :class:`Failure`
carries its strength: ``HARD`` fails the run, ``WARNING`` is reported but never fails.

The strength of every model-derived assertion comes from the model (``ExpectedError``
field strengths, ``FieldRule.strength``, ``Evaluation.must_reject`` and ``acceptance``). The
protocol rules (no 5xx, the error envelope, replay, consistency, id uniqueness) are the
model's :data:`PROTOCOL_RULES`, each with its basis.

Checks are kept in a name-keyed registry (:data:`CHECKS`, filled by :func:`check`);
:func:`register_schemathesis_checks` registers the single-exchange ones with schemathesis
(lazily: importing this module never imports schemathesis).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property
from typing import Any
from urllib.parse import unquote, urlsplit

from contracttk.contract import (
    KIND_NAMES,
    PROTOCOL_RULES,
    ApiKey,
    Evaluation,
    ExpectedError,
    Strength,
    evaluate_create,
    idempotency_mismatch,
    invalid_api_key,
    key_from_authorization,
    kinds,
    malformed_body,
    mask_key,
    no_api_key,
    no_such_token,
    parse_key,
    publishable_key_forbidden,
    sensitive_values,
    token_rules,
)

from .redact import redact, redact_headers, redact_params, redact_text

__all__ = [
    "CHECKS",
    "CREATE_CHECKS",
    "GENERIC_CHECKS",
    "PROTOCOL_RULES",
    "Check",
    "Failure",
    "RequestInfo",
    "ResponseInfo",
    "UniqueIds",
    "auth_bad_key",
    "auth_no_key",
    "auth_publishable_retrieve",
    "check",
    "error_envelope",
    "expected_error",
    "idempotency_mismatch_check",
    "idempotency_replay",
    "judge",
    "no_secret_echo",
    "not_a_server_error",
    "positive_acceptance",
    "register_schemathesis_checks",
    "response_schema",
    "retrieve_consistency",
    "retrieve_unknown_id",
    "token_semantics",
]

TOKENS_PATH = "/v1/tokens"
MAX_CURL_SHOWN = 1500  # characters of a curl command printed on the terminal / in JUnit
MAX_CURL_STORED = 20000  # ... and kept in the JSON report
H, W = Strength.HARD, Strength.WARNING

# PROTOCOL_RULES (check name -> strength, basis) is defined in the contract model and
# re-exported here.


# --- exchange records ----------------------------------------------------------------------


def _header_map(headers: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        out[str(name).lower()] = str(value)
    return out


@dataclass
class RequestInfo:
    """One request as sent, plus what the suite knows about it.

    ``headers`` keep their original names (curl reproduction); lookups are case-blind via
    :meth:`header`. ``kind``/``violation`` are the generator's labels (reporting only: the
    verdict always comes from the oracle). ``authorized`` is False for requests built to
    test authentication, so the create oracle does not judge them.
    """

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    kind: str | None = None
    violation: str | None = None
    authorized: bool = True
    today: date | None = None

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (case-insensitive), or None."""
        name = name.lower()
        for key, value in self.headers.items():
            if key.lower() == name:
                return value
        return None

    @property
    def path(self) -> str:
        """The URL path, percent-decoded as a server routes it."""
        return unquote(urlsplit(self.url).path)

    @property
    def is_create(self) -> bool:
        """True for ``POST /v1/tokens``."""
        return self.method.upper() == "POST" and self.path.rstrip("/") == TOKENS_PATH

    @property
    def is_retrieve(self) -> bool:
        """True for ``GET /v1/tokens/{id}``."""
        return self.method.upper() == "GET" and self.path.startswith(TOKENS_PATH + "/")

    @property
    def token_id(self) -> str | None:
        """The id in a retrieve path."""
        return self.path[len(TOKENS_PATH) + 1 :] if self.is_retrieve else None

    @cached_property
    def api_key(self) -> str | None:
        """The raw API key carried by ``Authorization`` (Bearer or Basic)."""
        return key_from_authorization(self.header("authorization"))

    @cached_property
    def parsed_key(self) -> ApiKey | None:
        """The API key parsed (role, mode), when it is Stripe-shaped."""
        return parse_key(self.api_key) if self.api_key else None

    @cached_property
    def params(self) -> Any:
        """The body decoded as the server should decode it; ``_UNDECODABLE`` if malformed."""
        from contracttk.encoding import EncodingError, decode

        if not self.body:
            return {}
        try:
            return decode(self.body)
        except EncodingError:
            return _UNDECODABLE

    @cached_property
    def evaluation(self) -> Evaluation | None:
        """The oracle's verdict on a create request (None when the body cannot be decoded)."""
        if self.params is _UNDECODABLE:
            return None
        return evaluate_create(self.params, key=self.parsed_key, today=self.today)

    def kinds_present(self) -> list[str]:
        """The token kinds whose hash is present in the body."""
        params = self.params
        if not isinstance(params, Mapping):
            return []
        return [k for k in KIND_NAMES if k in params]

    def secrets(self) -> list[tuple[str, str]]:
        """``(where, value)`` of every secret this request carries (model paths + the key)."""
        return list(self._secrets)

    @cached_property
    def _secrets(self) -> tuple[tuple[str, str], ...]:
        # Cached: every curl line, report record and failure text of the request asks.
        out: list[tuple[str, str]] = []
        params = self.params
        if isinstance(params, Mapping):
            for kind in self.kinds_present():
                out.extend(sensitive_values(kind, params))
        if self.api_key:
            out.append(("API key", self.api_key))
        return tuple(out)

    def curl(self) -> str:
        """A reproducing curl command with every secret masked."""
        parts = ["curl", "-sS", "-X", self.method.upper(), _sq(self.url)]
        for name, value in self.headers.items():
            if name.lower() in ("content-length", "host", "user-agent", "accept-encoding"):
                continue
            if name.lower() in ("accept", "connection") and value in ("*/*", "keep-alive"):
                continue
            parts += ["-H", _sq(f"{name}: {value}")]
        if self.body:
            text = self.body.decode("utf-8", "replace")
            parts += ["--data-raw", _sq(text)]
        return redact_text(" ".join(parts), [v for _, v in self.secrets()])

    def to_json(self) -> dict[str, Any]:
        """The request for a report, redacted."""
        secrets = [v for _, v in self.secrets()]
        params = self.params
        return {
            "method": self.method.upper(),
            "url": redact_text(self.url, secrets),
            "headers": redact_headers(self.headers, secrets),
            "body": redact_text(self.body.decode("utf-8", "replace"), secrets)[:4000]
            if self.body
            else None,
            "params": redact_params(params) if isinstance(params, Mapping) else None,
            "curl": self.curl()[:MAX_CURL_STORED],
        }


def _sq(text: str) -> str:
    """Single-quote for a POSIX shell, always (curl lines read the same for every request)."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


class _Undecodable:
    def __repr__(self) -> str:
        return "<undecodable form body>"


_UNDECODABLE: Any = _Undecodable()


@dataclass
class ResponseInfo:
    """One HTTP answer: status, lower-case header names, raw body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0

    def __post_init__(self) -> None:
        self.headers = _header_map(self.headers)

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        """The body as text (undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_json_type(self) -> bool:
        """True for ``application/json`` and ``+json`` media types."""
        ct = self.content_type
        return ct == "application/json" or ct.endswith("+json")

    @cached_property
    def json(self) -> Any:
        """The parsed JSON body, or ``INVALID_JSON``."""
        try:
            return json.loads(self.body)
        except ValueError:
            return INVALID_JSON

    def to_json(self, secrets: Iterable[str] = ()) -> dict[str, Any]:
        """The response for a report, redacted (body cut at 4000 characters)."""
        secrets = tuple(secrets)
        body: Any = self.json
        if body is INVALID_JSON:
            # Redact, then cut: a cut through a PAN would leave digits no rule recognises.
            body = redact_text(self.text, secrets)[:4000]
        else:
            body = redact(body, secrets)
        return {
            "status": self.status,
            "headers": redact_headers(self.headers, secrets),
            "body": body,
        }


class _InvalidJson:
    def __repr__(self) -> str:
        return "<not JSON>"


INVALID_JSON: Any = _InvalidJson()


@dataclass
class Failure:
    """One broken expectation. ``strength`` HARD fails the run; WARNING is only reported."""

    check: str
    message: str
    strength: Strength = Strength.HARD
    kind: str | None = None
    violation: str | None = None
    request: RequestInfo | None = field(default=None, repr=False)
    response: ResponseInfo | None = field(default=None, repr=False)
    signature: str | None = None
    """What makes two failures 'the same' for de-duplication (defaults to the message)."""

    @property
    def is_warning(self) -> bool:
        """True for WARNING-strength findings."""
        return self.strength is not Strength.HARD

    @property
    def key(self) -> tuple[str, str | None, str | None, str]:
        """De-duplication key: check, kind, violation, signature."""
        return (self.check, self.kind, self.violation, self.signature or self.message)

    @property
    def curl(self) -> str | None:
        """The reproducing curl command (redacted)."""
        return self.request.curl() if self.request is not None else None

    def to_json(self) -> dict[str, Any]:
        """The failure as a report record, everything redacted."""
        secrets = [v for _, v in self.request.secrets()] if self.request is not None else []
        return {
            "check": self.check,
            "kind": self.kind,
            "violation": self.violation,
            "strength": self.strength.value,
            "message": redact_text(self.message, secrets),
            "curl": self.curl[:MAX_CURL_STORED] if self.curl else None,
            "request": self.request.to_json() if self.request is not None else None,
            "response": self.response.to_json(secrets) if self.response is not None else None,
        }

    def describe(self) -> str:
        """A few redacted lines for the terminal / JUnit."""
        secrets = [v for _, v in self.request.secrets()] if self.request is not None else []
        label = f"[{self.strength.value}] {self.check}"
        where = ", ".join(x for x in (self.kind, self.violation) if x)
        lines = [f"{label}{f' ({where})' if where else ''}: {redact_text(self.message, secrets)}"]
        if self.response is not None:
            lines.append(
                f"    got {self.response.status}: "
                + redact_text(self.response.text, secrets)[:300].replace("\n", " ")
            )
        if self.request is not None:
            curl = self.curl or ""
            if len(curl) > MAX_CURL_SHOWN:
                curl = (
                    curl[:MAX_CURL_SHOWN]
                    + f"... ({len(curl) - MAX_CURL_SHOWN} more characters in the JSON report)"
                )
            lines.append(f"    reproduce: {curl}")
        return "\n".join(lines)


def _fail(
    name: str,
    message: str,
    request: RequestInfo | None,
    response: ResponseInfo | None,
    *,
    strength: Strength | None = None,
    violation: str | None = None,
    signature: str | None = None,
) -> Failure:
    strength = strength or PROTOCOL_RULES.get(name, (H, ""))[0]
    kind = None
    if request is not None:
        kind = request.kind
        if kind is None:
            present = request.kinds_present()
            kind = present[0] if len(present) == 1 else None
        violation = violation or request.violation
    return Failure(
        name, message, strength, kind, violation, request, response, signature or message
    )


# --- registry ----------------------------------------------------------------------------

CheckFn = Callable[[RequestInfo, ResponseInfo], list[Failure]]


@dataclass(frozen=True)
class Check:
    """A registered single-exchange check and the exchanges it applies to."""

    name: str
    fn: CheckFn
    applies: Callable[[RequestInfo, ResponseInfo], bool]

    def __call__(self, request: RequestInfo, response: ResponseInfo) -> list[Failure]:
        return self.fn(request, response)


CHECKS: dict[str, Check] = {}


def check(
    name: str | None = None, *, applies: Callable[[RequestInfo, ResponseInfo], bool] | None = None
) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` under ``name`` (default: its function name) in :data:`CHECKS`."""

    def deco(fn: CheckFn) -> CheckFn:
        key = name or fn.__name__
        CHECKS[key] = Check(key, fn, applies or (lambda req, resp: True))
        return fn

    return deco


# --- generic checks: every exchange --------------------------------------------------------


@check()
def not_a_server_error(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """Never a 5xx, whatever was sent."""
    if response.status >= 500:
        return [
            _fail(
                "not_a_server_error",
                f"server error {response.status}",
                request,
                response,
                signature=f"{request.method} {request.path.split('/')[2:3]} {response.status}",
            )
        ]
    return []


@check(applies=lambda req, resp: not resp.ok)
def error_envelope(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """Every non-2xx answer is JSON ``{"error": {"type": "...", ...}}`` with a JSON content type."""
    if response.ok:
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
        _fail(
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


def _schema_errors(obj: str, body: Any) -> list[str]:
    """Readable schema violations of ``body`` against the bundled ``obj`` response schema."""
    out = []
    for err in sorted(_validator(obj).iter_errors(body), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        out.append(f"{where}: {err.message[:200]}")
    return out


@check(
    applies=lambda req, resp: (
        (req.is_create or req.is_retrieve) and (resp.ok or resp.json is not INVALID_JSON)
    )
)
def response_schema(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """Answers of the token routes conform to the bundled response schemas (2xx: JSON token).

    A non-JSON error answer is the business of ``error_envelope``; a non-JSON 2xx is ours.
    """
    if not (request.is_create or request.is_retrieve):
        return []
    if response.json is INVALID_JSON:
        if not response.ok:
            return []
        return [
            _fail(
                "response_schema",
                f"{response.status} answer is not JSON ({response.content_type or 'no content type'})",
                request,
                response,
                signature="not JSON",
            )
        ]
    which = "token" if response.ok else "error"
    errors = _schema_errors(which, response.json)
    return [
        _fail(
            "response_schema",
            f"{which} response does not match the schema: {err}",
            request,
            response,
            signature=f"{which}: {err.split(':')[0]}",
        )
        for err in errors[:3]
    ]


_DIGITS_RE = re.compile(r"[0-9]+")
_STANDALONE_DIGITS_RE = re.compile(r"(?<![A-Za-z0-9])[0-9]+(?![A-Za-z0-9])")
# Headers whose value the server sets whatever the request held (dates, versions, sizes):
# a fuzzed value equal to one of them is a coincidence, not an echo.
_SERVER_HEADERS = frozenset(
    {
        "content-length",
        "content-type",
        "date",
        "server",
        "stripe-version",
        "cache-control",
        "connection",
        "keep-alive",
        "vary",
        "expires",
        "last-modified",
        "age",
        "etag",
        "strict-transport-security",
        "x-content-type-options",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-max-age",
        "access-control-expose-headers",
    }
)
SHORT_SECRET = 5  # up to this many characters a secret is matched as a whole value only


def _leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _leaves(v, (*path, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, str(i)))
    else:
        yield path, value


def _submitted_plain_values(request: RequestInfo) -> set[str]:
    """Values the request sent in non-secret fields (an echo of those is not a leak)."""
    from contracttk.encoding import encode_pairs

    params = request.params
    if not isinstance(params, Mapping):
        return set()
    secrets = {v for _, v in request.secrets()}
    try:
        pairs = encode_pairs(params)
    except ValueError:
        return set()
    return {v for _, v in pairs if v not in secrets}


def _model_texts(request: RequestInfo) -> list[str]:
    """The messages and params of the errors the model expects for this request.

    A fuzzer's "secret" that happens to be a word of the expected answer (a CVC of
    ``bank_account`` next to "You may only specify one of: card, bank_account, ...") is
    not a leak: the text would be there whatever was sent.
    """
    ev = request.evaluation if request.is_create else None
    if ev is None:
        return []
    return [
        t
        for f in ev.findings
        for t in (f.error.message, f.error.param, f.error.type, f.error.code)
        if t
    ]


def _expected_values(request: RequestInfo, response: ResponseInfo) -> dict[tuple[str, ...], Any]:
    """Response paths whose exact value the model pins (e.g. ``card.last4``)."""
    ev = request.evaluation if request.is_create else None
    if not (response.ok and ev is not None and ev.accepted and ev.kind):
        return {}
    livemode = bool(request.parsed_key and request.parsed_key.livemode)
    rules = token_rules(ev.kind, request.params, livemode=livemode, today=request.today)
    return {r.path: r.equals for r in rules if r.has_value}


def _contains_digits(text: str, digits: str) -> bool:
    if len(digits) <= SHORT_SECRET:
        # A 3-4 digit CVC turns up by chance inside random alphanumeric ids and fingerprints
        # ("…Xa123b…"); only a run standing alone (bounded by non-alphanumerics) is an echo.
        return any(m.group(0) == digits for m in _STANDALONE_DIGITS_RE.finditer(text))
    return any(m.group(0) == digits for m in _DIGITS_RE.finditer(text))


@check()
def no_secret_echo(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """No submitted PAN, CVC, account number, ID number or API key comes back anywhere.

    Long values are searched as substrings (digit-only ones as whole digit runs); short
    values (a 3-digit CVC, ssn_last_4) only as whole JSON values or digit runs bounded by
    non-digits, skipping values the model says the response holds (``card.last4``) and
    values the request also sent in a non-secret field.
    """
    # Real PANs, CVCs, account, ID and tax numbers all carry digits; a fuzzer's word in a
    # secret field ("bank_account", "token") is no secret and would match the answer's own
    # vocabulary.
    secrets = [
        (w, v)
        for w, v in request.secrets()
        if len(v) >= 3 and (w == "API key" or sum(ch.isdigit() for ch in v) >= 3)
    ]
    if not secrets:
        return []
    plain = _submitted_plain_values(request)
    model_texts = _model_texts(request)
    expected = _expected_values(request, response)
    body = response.json
    leaves = list(_leaves(body)) if body is not INVALID_JSON else None
    text = response.text
    out: list[Failure] = []
    for where, value in secrets:
        if where != "API key" and (value in plain or any(value in t for t in model_texts)):
            continue
        digits = value.isascii() and value.isdigit()
        short = len(value) <= SHORT_SECRET
        places: list[str] = []
        if leaves is not None:
            for path, leaf in leaves:
                if isinstance(leaf, bool) or leaf is None:
                    continue
                leaf_text = str(leaf)
                if expected.get(path, object()) == leaf:
                    continue
                if digits:
                    hit = _contains_digits(leaf_text, value)
                elif short:
                    hit = leaf_text == value
                else:
                    hit = value in leaf_text
                if hit:
                    places.append("body at " + (".".join(path) or "(root)"))
            # JSON escapes can hide a value from the leaf scan; the raw text catches long ones.
            if not places and not short and not digits and value in text:
                places.append("body")
        elif digits:
            if _contains_digits(text, value):
                places.append("body")
        elif short:
            if text.strip() == value:
                places.append("body")
        elif value in text:
            places.append("body")
        for name, header in response.headers.items():
            if name in _SERVER_HEADERS:
                continue
            if short or digits:
                hit = header.strip() == value or (not short and _contains_digits(header, value))
            else:
                hit = value in header
            if hit:
                places.append(f"header {name}")
        if places:
            out.append(
                _fail(
                    "no_secret_echo",
                    f"the submitted {where} comes back in the {', '.join(places)}",
                    request,
                    response,
                    signature=f"{where} in {places[0].split(' at ')[0]}",
                )
            )
    return out


GENERIC_CHECKS: tuple[str, ...] = (
    "not_a_server_error",
    "error_envelope",
    "response_schema",
    "no_secret_echo",
)


# --- create oracle checks --------------------------------------------------------------------


# Refusals by size, before any parameter is read: the server's policy, not the contract's.
_SIZE_REFUSALS = frozenset({413, 414, 431})


def _create_applies(request: RequestInfo, response: ResponseInfo) -> bool:
    return (
        request.is_create
        and request.authorized
        and response.status < 500
        and response.status not in _SIZE_REFUSALS
    )


def _accepted(request: RequestInfo) -> bool:
    ev = request.evaluation
    return ev is not None and ev.accepted


@check(applies=lambda req, resp: _create_applies(req, resp) and _accepted(req))
def positive_acceptance(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """A payload the contract accepts gets a 2xx token.

    Hard only when the model understands every value of the payload (``acceptance``); for
    any other accepted payload a refusal is unexplained, not wrong: a warning.
    """
    ev = request.evaluation
    if response.ok or ev is None:
        return []
    err = response.json.get("error") if isinstance(response.json, dict) else None
    detail = ""
    if isinstance(err, dict):
        detail = " ".join(
            f"{k}={err[k]!r}" for k in ("type", "code", "param") if err.get(k) is not None
        )
    why = ""
    if ev.outside_domain:
        why = f" (outside the understood domain: {'; '.join(ev.outside_domain[:3])})"
    return [
        _fail(
            "positive_acceptance",
            f"a valid payload was refused with {response.status} {detail}".rstrip() + why,
            request,
            response,
            strength=ev.acceptance,
            signature=f"{response.status} {detail}",
        )
    ]


@check(applies=lambda req, resp: _create_applies(req, resp) and _accepted(req) and resp.ok)
def token_semantics(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """The token answers a valid payload as the model's ``token_rules`` say."""
    ev = request.evaluation
    if not response.ok or ev is None or not ev.accepted or ev.kind is None:
        return []
    body = response.json
    if not isinstance(body, dict):
        return [_fail("token_semantics", "2xx answer is not a JSON object", request, response)]
    livemode = bool(request.parsed_key and request.parsed_key.livemode)
    out = []
    rules = token_rules(
        ev.kind, request.params, livemode=livemode, today=request.today, understood=ev.understood
    )
    for rule in rules:
        problem = rule.check(body)
        if problem is None or rule.strength is Strength.NOT_ASSERTED:
            continue
        out.append(
            _fail(
                "token_semantics",
                f"{problem} ({rule.basis})",
                request,
                response,
                strength=rule.strength,
                signature=".".join(rule.path),
            )
        )
    return out


def _best_match(
    findings: list[tuple[str, ExpectedError]], status: int, body: Any
) -> tuple[str, ExpectedError, list[tuple[str, Strength, str]]]:
    """The finding whose error the answer matches best (fewest hard, then warning misses)."""
    scored = []
    for name, error in findings:
        misses = error.mismatches(status, body)
        hard = sum(1 for _, s, _ in misses if s is Strength.HARD)
        scored.append(((hard, len(misses) - hard), name, error, misses))
    scored.sort(key=lambda t: t[0])
    _, name, error, misses = scored[0]
    return name, error, misses


@check(
    applies=lambda req, resp: (
        _create_applies(req, resp) and (req.evaluation is None or not req.evaluation.accepted)
    )
)
def expected_error(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """An invalid payload gets the catalogue's error (any finding's, when several rules break).

    A 2xx is judged by ``must_reject``; a non-2xx by the best-matching finding's
    ``mismatches``: hard fields fail, warning fields warn, unasserted fields are ignored.
    """
    ev = request.evaluation
    if ev is None:
        # A body the model's decoder refuses (bad brackets, bad UTF-8, conflicting keys).
        return _expect("expected_error", malformed_body("undecodable form body"), request, response)
    if ev.accepted:
        return []
    findings = [(f.violation, f.error) for f in ev.findings]
    if response.ok:
        strength = ev.must_reject
        if strength is Strength.NOT_ASSERTED:
            return []
        names = ", ".join(n for n, e in findings if e.reject is strength)
        return [
            _fail(
                "expected_error",
                f"an invalid payload ({names}) was accepted with {response.status}",
                request,
                response,
                strength=strength,
                violation=findings[0][0],
                signature=f"accepted {names}",
            )
        ]
    name, error, misses = _best_match(findings, response.status, response.json)
    # Stripe's precedence between rules is not established: when another value of the
    # payload lies outside the understood domain, a well-formed 4xx invalid_request_error
    # may be the answer to that value. Then a mismatch is a warning at most.
    demote = (
        any(strength is Strength.HARD for _, strength, _ in misses)
        and _is_invalid_request_error(response)
        and bool(ev.outside_domain)  # computed last: the domain test walks the whole payload
    )
    out = []
    for fld, strength, text in misses:
        if demote and strength is Strength.HARD:
            strength = Strength.WARNING
            text += f" (the payload is outside the understood domain: {ev.outside_domain[0]})"
        alternatives = ""
        if len(findings) > 1:
            alternatives = f" (payload breaks {len(findings)} rules; none matched)"
        out.append(
            _fail(
                "expected_error",
                f"{text} [{error.basis}]{alternatives}",
                request,
                response,
                strength=strength,
                violation=name,
                signature=f"{name} {fld}",
            )
        )
    return out


def _is_invalid_request_error(response: ResponseInfo) -> bool:
    """A 4xx answer with a JSON ``{"error": {"type": "invalid_request_error", ...}}`` body."""
    body = response.json
    err = body.get("error") if isinstance(body, dict) else None
    return (
        400 <= response.status < 500
        and isinstance(err, dict)
        and err.get("type") == "invalid_request_error"
    )


CREATE_CHECKS: tuple[str, ...] = ("positive_acceptance", "token_semantics", "expected_error")


# --- protocol checks with a fixed expectation --------------------------------------------------


def _expect(
    name: str, expected: ExpectedError, request: RequestInfo, response: ResponseInfo
) -> list[Failure]:
    out = []
    if response.ok and expected.reject is not Strength.NOT_ASSERTED:
        out.append(
            _fail(
                name,
                f"expected {expected.status} {expected.type}, got {response.status} "
                f"[{expected.basis}]",
                request,
                response,
                strength=expected.reject,
                signature="accepted",
            )
        )
        return out
    for fld, strength, text in expected.mismatches(response.status, response.json):
        out.append(
            _fail(
                name,
                f"{text} [{expected.basis}]",
                request,
                response,
                strength=strength,
                signature=fld,
            )
        )
    return out


def auth_no_key(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """No API key: 401 invalid_request_error."""
    return _expect("auth_no_key", no_api_key(), request, response)


def auth_bad_key(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """Unknown API key: 401 invalid_request_error (the key masked: see ``no_secret_echo``)."""
    masked = mask_key(request.api_key or "")
    return _expect("auth_bad_key", invalid_api_key(masked), request, response)


def auth_publishable_retrieve(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """A publishable key cannot retrieve a token: 401 or 403 (warning strength in the model)."""
    return _expect("auth_publishable_retrieve", publishable_key_forbidden(), request, response)


def retrieve_unknown_id(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """An id that was never issued: 404 resource_missing."""
    return _expect("retrieve_unknown_id", no_such_token(request.token_id or ""), request, response)


def idempotency_mismatch_check(request: RequestInfo, response: ResponseInfo) -> list[Failure]:
    """The same Idempotency-Key with other parameters: 400 idempotency_error."""
    key = request.header("idempotency-key") or ""
    return _expect("idempotency_mismatch", idempotency_mismatch(key), request, response)


def idempotency_replay(
    first: tuple[RequestInfo, ResponseInfo], second: tuple[RequestInfo, ResponseInfo]
) -> list[Failure]:
    """A replay with the same key and params: same status, body and id, ``Idempotent-Replayed: true``."""
    (_, r1), (req2, r2) = first, second
    out = []
    if r1.status != r2.status:
        out.append(
            _fail(
                "idempotency_replay",
                f"replay status {r2.status} differs from the first answer's {r1.status}",
                req2,
                r2,
                signature="status",
            )
        )
    b1, b2 = r1.json, r2.json
    if b1 is INVALID_JSON or b2 is INVALID_JSON or b1 != b2:
        id1 = b1.get("id") if isinstance(b1, dict) else None
        id2 = b2.get("id") if isinstance(b2, dict) else None
        what = f"a new token id ({id2!r} instead of {id1!r})" if id1 != id2 else "a different body"
        out.append(
            _fail(
                "idempotency_replay",
                f"replay returned {what}",
                req2,
                r2,
                signature="id" if id1 != id2 else "body",
            )
        )
    if r1.ok and r2.headers.get("idempotent-replayed", "").strip().lower() != "true":
        out.append(
            _fail(
                "idempotency_replayed_header",
                "replay lacks the header Idempotent-Replayed: true",
                req2,
                r2,
            )
        )
    return out


# Fields a retrieve may legitimately change: `used` flips once a token is consumed (§3).
_MUTABLE_FIELDS = frozenset({"used"})


def retrieve_consistency(
    created: tuple[RequestInfo, ResponseInfo], retrieved: tuple[RequestInfo, ResponseInfo]
) -> list[Failure]:
    """``GET /v1/tokens/{id}`` returns the token ``POST`` returned."""
    (_, r1), (req2, r2) = created, retrieved
    if not r2.ok:
        return [
            _fail(
                "retrieve_consistency",
                f"retrieving a token just created answered {r2.status}",
                req2,
                r2,
                signature=f"status {r2.status}",
            )
        ]
    b1, b2 = r1.json, r2.json
    if not isinstance(b1, dict) or not isinstance(b2, dict):
        return [_fail("retrieve_consistency", "retrieve body is not a JSON object", req2, r2)]
    diffs = [
        k
        for k in sorted(set(b1) | set(b2))
        if k not in _MUTABLE_FIELDS and b1.get(k, _MISSING) != b2.get(k, _MISSING)
    ]
    if not diffs:
        return []
    return [
        _fail(
            "retrieve_consistency",
            "retrieve differs from create in: " + ", ".join(diffs[:10]),
            req2,
            r2,
            signature=",".join(diffs[:10]),
        )
    ]


_MISSING = object()


@cache
def _embedded_objects() -> tuple[str, ...]:
    """The objects a token may embed (``card``, ``bank_account``), from the model."""
    return tuple(sorted({k.embedded_object for k in kinds().values() if k.embedded_object}))


class UniqueIds:
    """Run-level check: no two created tokens (or embedded objects) share an id."""

    name = "unique_ids"

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def observe(self, request: RequestInfo, response: ResponseInfo) -> list[Failure]:
        """Record the ids of a 2xx create answer; fail on one seen before."""
        if not (request.is_create and response.ok and isinstance(response.json, dict)):
            return []
        body = response.json
        ids = [("id", body.get("id"))]
        for obj in _embedded_objects():
            if isinstance(body.get(obj), dict):
                ids.append((f"{obj}.id", body[obj].get("id")))
        out = []
        for where, value in ids:
            if not isinstance(value, str):
                continue
            if value in self.seen:
                out.append(
                    _fail(
                        "unique_ids",
                        f"{where} {value!r} was already issued (as {self.seen[value]})",
                        request,
                        response,
                        signature=where,
                    )
                )
            else:
                self.seen[value] = where
        return out


# --- running checks ------------------------------------------------------------------------


def judge(
    request: RequestInfo, response: ResponseInfo, names: Iterable[str] | None = None
) -> tuple[list[Failure], dict[str, str]]:
    """Run the applicable registered checks on one exchange.

    Returns the failures and ``{check name: "passed"|"failed"|"warned"}`` for each check
    that applied (the per-check counts of the summary table).
    """
    failures: list[Failure] = []
    verdicts: dict[str, str] = {}
    for name in names if names is not None else (*GENERIC_CHECKS, *CREATE_CHECKS):
        chk = CHECKS[name]
        if not chk.applies(request, response):
            continue
        found = chk(request, response)
        failures.extend(found)
        verdicts[name] = verdict(found)
    return failures, verdicts


def verdict(found: list[Failure]) -> str:
    """``failed`` if any hard failure, ``warned`` if only warnings, else ``passed``."""
    if any(not f.is_warning for f in found):
        return "failed"
    return "warned" if found else "passed"


# --- schemathesis integration ----------------------------------------------------------------

_REGISTERED = False


def exchange_from_schemathesis(case: Any, response: Any) -> tuple[RequestInfo, ResponseInfo]:
    """Build our records from a schemathesis ``Case`` and ``Response`` (the wire request)."""
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
    )
    resp = ResponseInfo(
        status=response.status_code,
        headers={k: v for k, v in response.headers.items()},
        body=response.content or b"",
        elapsed=float(getattr(response, "elapsed", 0.0) or 0.0),
    )
    return request, resp


def register_schemathesis_checks(
    warning_sink: Callable[[Failure], None] | None = None,
) -> list[Callable[..., None]]:
    """Register the single-exchange checks with schemathesis (``contracttk_<name>``); idempotent.

    A hard failure raises ``AssertionError`` (schemathesis reports it with a curl line);
    warnings go to ``warning_sink`` when given and never fail. Returns the check functions.
    """
    global _REGISTERED
    import schemathesis

    created: list[Callable[..., None]] = []
    if _REGISTERED:
        return [_SCHEMATHESIS_FUNCS[n] for n in _SCHEMATHESIS_FUNCS]
    for name in (*GENERIC_CHECKS, *CREATE_CHECKS):
        fn = _make_schemathesis_check(name, warning_sink)
        created.append(schemathesis.check(fn))
        _SCHEMATHESIS_FUNCS[name] = fn
    _REGISTERED = True
    return created


_SCHEMATHESIS_FUNCS: dict[str, Callable[..., None]] = {}


def _make_schemathesis_check(
    name: str, warning_sink: Callable[[Failure], None] | None
) -> Callable[..., None]:
    chk = CHECKS[name]

    def run(ctx: Any, response: Any, case: Any) -> None:
        request, resp = exchange_from_schemathesis(case, response)
        if not chk.applies(request, resp):
            return
        found = chk(request, resp)
        hard = [f for f in found if not f.is_warning]
        if warning_sink is not None:
            for f in found:
                if f.is_warning:
                    warning_sink(f)
        if hard:
            raise AssertionError("\n".join(f.describe() for f in hard))

    run.__name__ = f"contracttk_{name}"
    run.__qualname__ = run.__name__
    run.__doc__ = chk.fn.__doc__
    return run
