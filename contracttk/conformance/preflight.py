"""Pre-flight: can the target be tested at all? Run once per run, by the controller.

Two probes (``POST /v1/tokens`` without a body, ``GET`` of an unissued token): unreachable,
not HTTP, hanging, or non-JSON answers to both make the target untestable, and so does a
401 to both (a refused key would fail every item). Each probe is one bounded exchange of
the run's transport, so a target that trickles bytes forever still ends the probe.
"""

from __future__ import annotations

from contracttk.contract import TOKENS_PATH, make_token_id

from .exchange import INVALID_JSON
from .settings import Settings
from .transport import Target, TransportError, open_transport

__all__ = ["PREFLIGHT_TIMEOUT", "TargetUnavailable", "preflight"]

PREFLIGHT_TIMEOUT = 5.0


class TargetUnavailable(Exception):
    """The target cannot be tested; ``str()`` says why (one line), ``hint`` what to try."""

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(" ".join(reason.split()))
        self.hint = hint


def preflight(settings: Settings, target: Target) -> None:
    """Raise :class:`TargetUnavailable` unless ``target`` answers like a JSON API."""
    timeout = min(PREFLIGHT_TIMEOUT, settings.timeout) if target.app is None else settings.timeout
    transport = open_transport(target, timeout=timeout, max_response_bytes=64 * 1024)
    base = target.url
    shown = settings.url
    headers = [("Authorization", f"Bearer {settings.api_key}")]
    probes = (
        ("POST", TOKENS_PATH),
        ("GET", f"{TOKENS_PATH}/{make_token_id('card', 'contracttkProbe')}"),
    )
    last = ""
    refused = 0
    try:
        for method, path in probes:
            try:
                resp = transport.send(
                    method, base + path, headers, b"" if method == "POST" else None
                )
            except TransportError as err:
                if err.kind == "connect":
                    raise TargetUnavailable(
                        f"{shown} is unreachable ({err})", hint=_connect_hint(str(err), shown)
                    ) from None
                if err.kind == "timeout":
                    raise TargetUnavailable(f"{shown} did not answer: {err}") from None
                raise TargetUnavailable(f"{shown} does not speak HTTP ({err})") from None
            answered_json = resp.is_json_type and resp.json is not INVALID_JSON
            if answered_json and resp.status == 401:
                refused += 1
                continue
            if answered_json:
                return
            last = f"{method} {path} answered {resp.status} {resp.content_type or 'without a content type'}"
    finally:
        transport.close()
    if refused == len(probes):
        from contracttk.contract import mask_key

        hint = (
            "no --api-key was given, so the reference server's test key was tried: "
            "pass the target's secret key with --api-key"
            if settings.key_defaulted
            else "check the key, and that it belongs to this target"
        )
        raise TargetUnavailable(
            f"the target refuses the API key {mask_key(settings.api_key)} (401 on every request)",
            hint=hint,
        )
    if refused:
        return
    raise TargetUnavailable(
        f"{shown} does not answer JSON ({last})",
        hint="is it a Stripe-like /v1/tokens API, and is the URL's path prefix right?",
    )


def _connect_hint(error: str, url: str) -> str | None:
    if "TLS" in error and url.startswith("https:"):
        return "the target did not speak TLS: if it serves plain HTTP, use an http:// URL"
    if "refused" in error.lower():
        return "is the server running, and is the port right?"
    return None
