"""What the ``contracttk_target`` fixture gives test authors: the configured target and keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ClientTarget"]


@dataclass
class ClientTarget:
    """The target of ``--contracttk-url``, its keys and seed, and a ready HTTP session."""

    base_url: str
    api_key: str
    publishable_key: str | None
    live_key: str | None
    seed: int
    session: Any
    """A ``requests.Session`` that sends ``Authorization: Bearer <api_key>``."""
    timeout: float = 10.0

    def url(self, path: str) -> str:
        """``base_url`` + ``path``."""
        return self.base_url.rstrip("/") + path
