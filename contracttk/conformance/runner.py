"""The runner: sends one item's requests, judges each exchange, accumulates the item's result.

Items call :meth:`Runner.send` / :meth:`Runner.create` and friends; the runner builds the
wire request (Stripe form encoding, the key for the role asked), sends it through the
transport (bounded: :mod:`.transport`), judges the exchange with the registered checks the
run enables, and records failures and counts in the item's :class:`ItemResult`.
Generated items draw their cases from Hypothesis with an explicit per-item seed, without
shrinking (failures are collected, not raised: a run lists all that is wrong).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from contracttk.contract import TOKENS_PATH
from contracttk.encoding import encode_loose

from .checks import CREATE_CHECKS, GENERIC_CHECKS
from .checks.protocol import UniqueIds
from .exchange import RequestInfo, ResponseInfo
from .failures import Failure, verdict
from .pipe import Pipe
from .registry import CHECKS, judge
from .results import ItemResult
from .settings import Settings
from .transport import (
    Target,
    Transport,
    TransportError,
    Unsendable,
    check_request,
    open_transport,
)

__all__ = [
    "FORM",
    "MAX_TRANSPORT_ERRORS",
    "Limits",
    "RunLimitReached",
    "Runner",
    "SuiteItem",
    "TargetDownError",
]

FORM = "application/x-www-form-urlencoded"
MAX_TRANSPORT_ERRORS = 3
"""Consecutive requests without an answer after which the target is declared down."""
MAX_UNANSWERED = 10
"""Requests without an answer, in all, after which an item declares the target down: a target
that answers every other request never trips the consecutive limit, and each miss costs a
whole deadline."""
_KEEP: Any = object()


class TargetDownError(Exception):
    """The target stopped answering (connection refused, reset, timeouts)."""


class RunLimitReached(Exception):
    """``--max-time`` or ``--max-failures`` was reached: the item stops early."""


class Limits:
    """Run-wide limits shared by the items of one process (deadline, failure budget)."""

    def __init__(self, settings: Settings, started: float | None = None) -> None:
        self.started = time.monotonic() if started is None else started
        self.deadline = self.started + settings.max_time if settings.max_time else None
        self.max_failures = settings.max_failures
        self.failures = 0
        self.reason: str | None = None

    def check(self) -> None:
        """Raise :class:`RunLimitReached` once a limit is passed."""
        if self.reason is None:
            if self.deadline is not None and time.monotonic() >= self.deadline:
                self.reason = "the --max-time limit was reached"
            elif self.max_failures is not None and self.failures >= self.max_failures:
                self.reason = f"{self.failures} hard failures reached the --max-failures limit"
        if self.reason is not None:
            raise RunLimitReached(self.reason)


@dataclass(frozen=True)
class SuiteItem:
    """One pytest item: its name, the kind it is about, what it needs from the target."""

    name: str
    run: Callable[[Runner], None]
    kind: str | None = None
    """The token kind the item tests (skipped when the run's ``--kind`` leaves it out)."""
    needs: str | None = None
    """``publishable`` / ``live``: skipped when the run has no such key."""
    description: str = ""


class Runner:
    """Sends, judges and records the exchanges of one suite item."""

    def __init__(
        self,
        settings: Settings,
        target: Target,
        result: ItemResult,
        *,
        limits: Limits | None = None,
        transport: Transport | None = None,
        progress: Callable[[ItemResult], None] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.cache_dir = cache_dir
        """Where derived, seed-independent cases may be kept between runs (None: nowhere)."""
        self.target = target
        self.result = result
        self.limits = limits or Limits(settings)
        self.transport = transport or open_transport(
            target, timeout=settings.timeout, max_response_bytes=settings.max_response_bytes
        )
        self.progress = progress
        # Overlap only over a real connection: an in-process app shares this process anyway.
        self._pipe = Pipe(self.transport) if target.app is None else None
        self.unique = UniqueIds()
        self._transport_errors = 0
        self._unanswered = 0
        self._enabled = settings.checks or None

    @property
    def max_examples(self) -> int:
        """Generated cases per generated item."""
        return self.settings.max_examples

    @property
    def seed(self) -> int:
        """This item's Hypothesis seed: the run seed mixed with the item's name."""
        return (self.settings.seed ^ zlib.crc32(self.result.name.encode())) & 0xFFFFFFFF

    def close(self) -> None:
        """Release the transport (a request still travelling is abandoned, not judged)."""
        if self._pipe is not None:
            self._pipe.stop()  # the sender thread closes the transport when it is done
        else:
            self.transport.close()

    def key_for(self, role: str) -> str | None:
        """The configured key for ``role`` (``secret``, ``publishable``, ``live``)."""
        return self.settings.key_for(role)

    def role_of(self, key: str) -> str | None:
        """``secret``/``publishable``/``live`` for a configured key, else None."""
        return self.settings.role_of(key)

    # -- sending ----------------------------------------------------------------------------

    def _build(
        self,
        method: str,
        path: str,
        *,
        key: Any = _KEEP,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | str | None = None,
        kind: str | None = None,
        violation: str | None = None,
        authorized: bool = True,
        content_type: str = FORM,
    ) -> RequestInfo:
        self.limits.check()
        api_key = self.settings.api_key if key is _KEEP else key
        hdrs: dict[str, str] = {}
        if api_key is not None:
            hdrs["Authorization"] = f"Bearer {api_key}"
        data = encode_loose(body) if body is not None else None
        if data is not None:
            hdrs["Content-Type"] = content_type
        hdrs.update(headers or {})
        url = self.target.url + path
        if query:
            qs = query if isinstance(query, str) else encode_loose(dict(query)).decode("ascii")
            url += "?" + qs
        check_request(method.upper(), url, hdrs)
        return RequestInfo(
            method=method.upper(),
            url=url,
            headers=hdrs,
            body=data,
            kind=kind,
            violation=violation,
            authorized=authorized,
            base=self.target.url,
            source=body if type(body) is dict else None,
        )

    def send(self, method: str, path: str, **kw: Any) -> tuple[RequestInfo, ResponseInfo | None]:
        """Send one request; the response is None on a transport error (already recorded).

        ``key`` defaults to the secret key; None sends no ``Authorization``. ``body`` may be a
        mapping (Stripe form-encoded), bytes or str. Raises :class:`Unsendable` for a request
        that cannot be put on the wire, :class:`RunLimitReached` past a run limit.
        """
        self.flush()
        req = self._build(method, path, **kw)
        self.result.sent += 1
        try:
            resp = self.transport.send(req.method, req.url, list(req.headers.items()), req.body)
        except TransportError as err:
            self._transport_error(req, err)
            return req, None
        return req, self._answered(resp)

    def _answered(self, resp: ResponseInfo) -> ResponseInfo:
        self._transport_errors = 0
        self.result.cases += 1
        return resp

    def exchange_later(self, method: str, path: str, **kw: Any) -> None:
        """Send and judge with the default checks, without waiting for the answer.

        For generated cases, whose caller does not look at the answer: over HTTP the request
        travels on a background thread while the next case is generated and the previous one
        judged, so the client's work and the target's overlap instead of adding up. The
        answer is judged (in this thread) when the next request goes out, or at
        :meth:`flush`. In-process targets are served at once (one process, nothing to overlap).
        """
        if self._pipe is None:
            self.exchange(method, path, **kw)
            return
        req = self._build(method, path, **kw)
        previous = self._pipe.swap(None)
        if previous is not None and previous[2] is not None:
            # A request without an answer is settled before the next goes out: a target
            # that stopped answering gets no more requests than the synchronous path sends.
            self._settle(*previous)
            previous = None
        self.result.sent += 1
        self._pipe.swap(req)
        if previous is not None:
            self._settle(*previous)

    def create_later(self, params: Any, **kw: Any) -> None:
        """``POST /v1/tokens`` with ``params``, judged when its answer is in (see above)."""
        self.exchange_later("POST", TOKENS_PATH, body=params, **kw)

    def flush(self) -> None:
        """Judge the request still travelling (after this, every sent request is judged)."""
        if self._pipe is not None:
            previous = self._pipe.swap(None)
            if previous is not None:
                self._settle(*previous)

    def _settle(
        self, req: RequestInfo, resp: ResponseInfo | None, err: BaseException | None
    ) -> None:
        if isinstance(err, TransportError):
            self._transport_error(req, err)
            return
        if err is not None:
            raise err
        assert resp is not None
        self.judge(req, self._answered(resp))

    def _transport_error(self, req: RequestInfo, err: TransportError) -> None:
        self._transport_errors += 1
        self._unanswered += 1
        self.result.add(
            [
                Failure(
                    "responds",
                    f"no complete HTTP answer: {err}",
                    kind=req.kind,
                    violation=req.violation,
                    request=req,
                    signature=f"no answer ({err.kind})",
                )
            ],
            {"responds": "failed"},
        )
        if self._unanswered >= MAX_UNANSWERED:
            raise TargetDownError(
                f"the target left {self._unanswered} requests without an answer ({err})"
            )
        if self._transport_errors >= MAX_TRANSPORT_ERRORS:
            raise TargetDownError(
                f"the target stopped answering ({err} on {MAX_TRANSPORT_ERRORS} requests in a row)"
            )

    # -- judging ----------------------------------------------------------------------------

    def judge(
        self,
        req: RequestInfo,
        resp: ResponseInfo | None,
        names: Iterable[str] = (*GENERIC_CHECKS, *CREATE_CHECKS),
        *,
        extra: Iterable[str] = (),
        unique: bool = True,
    ) -> list[Failure]:
        """Judge one exchange with the checks ``names`` + ``extra`` the run enables."""
        if resp is None:
            return []
        failures, verdicts = judge(req, resp, (*names, *extra), self._enabled)
        if unique and req.is_create and resp.ok and self._on("unique_ids"):
            found = self.unique.observe(req, resp)
            failures += found
            verdicts["unique_ids"] = verdict(found)
        if req.authorized and req.api_key is not None:
            role = self.role_of(req.api_key)
            if role is not None:
                self.result.key_sent[role] += 1
                if resp.status == 401:
                    self.result.key_refused[role] += 1
        ev = req.evaluation if req.is_create and req.authorized else None
        if ev is not None and ev.accepted and ev.kind is not None and _hard_accept(ev):
            self.result.positive += 1
            self.result.positive_by_kind[ev.kind] += 1
            if resp.ok:
                self.result.positive_created += 1
                self.result.created_by_kind[ev.kind] += 1
        self.record(failures, verdicts)
        return failures

    def record(self, failures: list[Failure], verdicts: Mapping[str, str]) -> None:
        """Add failures found outside :meth:`judge` (two-exchange checks) to the result."""
        failures = [f for f in failures if self._on(f.check)]
        self.result.add(failures, {k: v for k, v in verdicts.items() if self._on(k)})
        self.limits.failures += sum(1 for f in failures if not f.is_warning)
        if self.progress is not None:
            self.progress(self.result)

    def _on(self, name: str) -> bool:
        return self._enabled is None or name in self._enabled or name not in CHECKS

    def exchange(self, method: str, path: str, **kw: Any) -> tuple[RequestInfo, Any]:
        """Send and judge with the default checks; returns the exchange."""
        req, resp = self.send(method, path, **kw)
        self.judge(req, resp)
        return req, resp

    def create(self, params: Any, **kw: Any) -> tuple[RequestInfo, Any]:
        """``POST /v1/tokens`` with ``params``, judged by the generic and create checks."""
        return self.exchange("POST", TOKENS_PATH, body=params, **kw)

    @staticmethod
    def retrieve_path(token_id: str) -> str:
        """The path of ``GET /v1/tokens/{token_id}``."""
        return TOKENS_PATH + "/" + quote(token_id, safe="")

    # -- Hypothesis -------------------------------------------------------------------------

    def run_examples(
        self, strategy: Any, fn: Callable[[Any], None], *, max_examples: int | None = None
    ) -> None:
        """Run ``fn`` on ``max_examples`` values of ``strategy``, seeded, without shrinking."""
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import seed as hseed

        @hseed(self.seed)
        @settings(
            max_examples=max_examples or self.max_examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            # No shrinking: failures are collected (not raised), each kept with its
            # smallest reproduction; only a dead target or a run limit stops the loop.
            phases=[Phase.explicit, Phase.generate],
            report_multiple_bugs=False,
            print_blob=False,
        )
        @given(strategy)
        def loop(value: Any) -> None:
            try:
                fn(value)
            except Unsendable:
                self.result.unsent += 1

        loop()


def _hard_accept(ev: Any) -> bool:
    from contracttk.contract import Strength

    return getattr(ev, "acceptance", Strength.HARD) is Strength.HARD
