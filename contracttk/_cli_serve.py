"""``contracttk serve``: run the reference /v1/tokens server in the foreground."""

from __future__ import annotations

import click

from .defaults import (
    DEFAULT_KEYS,
    DEFAULT_LIVE_PUBLISHABLE_KEY,
    DEFAULT_LIVE_SECRET_KEY,
    DEFAULT_PORT,
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_SECRET_KEY,
)
from .errors import BadInputError

# Kept in step with contracttk.server.runner.DEFAULT_REQUEST_TIMEOUT; not imported from
# there so that `contracttk serve --help` does not import the server.
_REQUEST_TIMEOUT = 10.0


@click.command(
    "serve",
    epilog=(
        "Keys accepted by default (placeholders of this reference server, not Stripe keys): "
        f"{DEFAULT_SECRET_KEY} (test secret), {DEFAULT_PUBLISHABLE_KEY} (test publishable), "
        f"{DEFAULT_LIVE_SECRET_KEY} (live secret), {DEFAULT_LIVE_PUBLISHABLE_KEY} "
        "(live publishable). Example: curl -u "
        f"{DEFAULT_SECRET_KEY}: -d 'card[number]=4242424242424242' -d 'card[exp_month]=12' "
        f"-d 'card[exp_year]=2034' -d 'card[cvc]=123' http://127.0.0.1:{DEFAULT_PORT}/v1/tokens"
    ),
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535), help="Port."
)
@click.option(
    "--db",
    "db",
    default=":memory:",
    show_default=True,
    help="SQLite file for tokens (kept across restarts); ':memory:' keeps nothing.",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY",
    help="An API key the server accepts (repeatable); replaces the default placeholder "
    "keys listed below.",
)
@click.option(
    "--request-timeout",
    default=_REQUEST_TIMEOUT,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    metavar="SECONDS",
    help="Time a client has to send a whole request (headers and body); slower or "
    "stalled connections get 408 and are closed.",
)
def serve(host: str, port: int, db: str, api_keys: tuple[str, ...], request_timeout: float) -> None:
    """Run the reference server: POST /v1/tokens and GET /v1/tokens/{id}.

    Prints its URL and accepted keys at start (keys you pass are shown masked), then one
    log line per request (method, path, status, time, request id); request bodies and
    headers are never logged, and numbers in paths are masked. Stop with Ctrl-C (exit 130)
    or SIGTERM (exit 143); either closes the database cleanly.
    """
    from .errors import require_extra

    require_extra("contracttk serve", ("uvicorn",))
    from .contract import mask_key, parse_key
    from .server import PortInUseError, StorageError
    from .server import serve as run_server
    from .server.runner import Terminated

    for raw in api_keys:
        if parse_key(raw) is None:
            raise BadInputError(
                f"--api-key {mask_key(raw)!r} is not an sk_/pk_/rk_ test or live key"
            )
    # Errors are one line each (no hint): the message already says what to change.
    try:
        run_server(host, port, db, keys=api_keys or DEFAULT_KEYS, request_timeout=request_timeout)
    except PortInUseError as err:
        raise BadInputError(f"{err.strerror}; choose another --port") from None
    except StorageError as err:
        raise BadInputError(f"--db: {err}") from None
    except Terminated:
        click.echo("Stopped (SIGTERM).", err=True)
        raise
