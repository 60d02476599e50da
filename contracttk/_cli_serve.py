"""``contracttk serve``: run the reference /v1/tokens server in the foreground."""

from __future__ import annotations

import click

from .defaults import DEFAULT_KEYS, DEFAULT_PORT
from .errors import BadInputError


@click.command("serve")
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
    help="An API key the server accepts (repeatable). Default: contracttk's test and live "
    "placeholder keys.",
)
def serve(host: str, port: int, db: str, api_keys: tuple[str, ...]) -> None:
    """Run the reference server: POST /v1/tokens and GET /v1/tokens/{id}.

    One log line per request (method, path, status, time, request id); request bodies and
    API keys are never logged. Stop with Ctrl-C.
    """
    from .contract import mask_key, parse_key
    from .server import PortInUseError, StorageError
    from .server import serve as run_server

    for raw in api_keys:
        if parse_key(raw) is None:
            raise BadInputError(
                f"--api-key {mask_key(raw)!r} is not an sk_/pk_/rk_ test or live key"
            )
    # Errors are one line each (no hint): the message already says what to change.
    try:
        run_server(host, port, db, keys=api_keys or DEFAULT_KEYS)
    except PortInUseError as err:
        raise BadInputError(f"{err.strerror}; choose another --port") from None
    except StorageError as err:
        raise BadInputError(f"--db: {err}") from None
