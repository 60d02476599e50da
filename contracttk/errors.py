"""Errors that the CLI turns into one clear line and a documented exit code."""

from __future__ import annotations

from .defaults import EXIT_TARGET, EXIT_USAGE


class ContractTkError(Exception):
    """Base class: ``str(err)`` is the one-line headline; ``hint`` an optional second line."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class BadInputError(ContractTkError):
    """Bad flag value, unreadable or malformed file, unwritable folder: exit 2."""

    exit_code = EXIT_USAGE


class TargetUnavailableError(ContractTkError):
    """The target could not be tested (unreachable, not HTTP, refuses everything): exit 3."""

    exit_code = EXIT_TARGET
