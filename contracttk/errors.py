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


# --- the fixture library's own errors -----------------------------------------------------------
# Why separate from ContractTkError: these are raised by the library (contracttk.fixtures_dump)
# for any caller, so they carry no exit code and name no command-line flag; the CLI
# (contracttk._cli_fixtures) words them for its flags and maps them to exit codes.


class FixtureError(Exception):
    """Base of every error :mod:`contracttk.fixtures_dump` raises on purpose."""


class FixtureOptionError(FixtureError, ValueError):
    """A dump option is out of range.

    ``option`` is the :class:`~contracttk.fixtures_dump.DumpOptions` field (``"valid"``,
    ``"invalid"``, ``"seed"``, ``"kinds"``, ``"format"``, ``"locale"``, ``"as_of"``) and
    ``detail`` the problem without the field's name; ``str(err)`` is ``"option: detail"``.
    """

    def __init__(self, option: str, detail: str) -> None:
        super().__init__(f"{option}: {detail}")
        self.option = option
        self.detail = detail


class FixtureCapError(FixtureOptionError):
    """A record count or seed above its cap (``cap``): refused before anything is written."""

    def __init__(self, option: str, detail: str, *, cap: int) -> None:
        super().__init__(option, detail)
        self.cap = cap


class FixtureTargetError(FixtureError):
    """The output folder is refused; nothing was touched.

    ``reason`` is one of ``"not_a_folder"``, ``"not_empty"`` (replacing needs ``force``),
    ``"foreign"`` (not an earlier contracttk dump, so ``force`` does not apply) and
    ``"holds_cwd"``; ``path`` is the folder as given.
    """

    def __init__(self, path: str, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.path = path
        self.reason = reason


class FixtureWriteError(FixtureError):
    """Writing the dump failed (permissions, full disk); nothing was left behind."""


class ManifestError(FixtureError):
    """A fixture folder's manifest is missing, unreadable or malformed (or over the caps)."""


def require_extra(command: str, modules: tuple[str, ...]) -> None:
    """A usage error (exit 2) naming the extra to install when ``modules`` are missing.

    The default install is the test authors' half; the conformance suite, the reference
    server and replay come with ``contracttk[conformance]``.
    """
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise BadInputError(
            f"{command} needs {', '.join(missing)} (the conformance extra)",
            hint="pip install 'contracttk[conformance]'",
        )
