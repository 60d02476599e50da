"""The reference ``/v1/tokens`` server (``contracttk serve``), built from the contract model.

``create_app`` gives the ASGI app (also loadable in-process by schemathesis with
``schemathesis.openapi.from_asgi("/openapi.json", app)``); ``running_server`` runs it on a free
loopback port in a background thread; ``serve`` runs it in the foreground. uvicorn is imported
only when a socket is actually served.
"""

from __future__ import annotations

from .app import DEFAULT_BODY_LIMIT, ApiError, Request, Response, TokenService
from .asgi import TokenApp, create_app
from .runner import PortInUseError, running_server, serve
from .storage import StorageError, TokenStore

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "ApiError",
    "PortInUseError",
    "Request",
    "Response",
    "StorageError",
    "TokenApp",
    "TokenService",
    "TokenStore",
    "create_app",
    "running_server",
    "serve",
]
