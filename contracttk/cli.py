"""The ``contracttk`` command line: a lazy click group.

Subcommands live in small ``_cli_*`` modules loaded only when invoked, so ``--help`` and
shell completion stay fast. Errors are caught once here: one red headline, an optional
hint, and the exit code documented in the README (0 clean, 1 failures, 2 usage, 3 target,
130 interrupted).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from . import __version__
from .defaults import EXIT_INTERRUPTED, EXIT_USAGE
from .errors import ContractTkError

# name -> (module, attribute, one-line help shown by `contracttk --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "fuzz": (
        "contracttk._cli_fuzz",
        "fuzz",
        "Run the conformance suite against a Stripe-like /v1/tokens API.",
    ),
    "replay": (
        "contracttk._cli_replay",
        "replay",
        "Re-send a report's examples: which findings are fixed?",
    ),
    "serve": ("contracttk._cli_serve", "serve", "Run the reference /v1/tokens server."),
    "schema": (
        "contracttk._cli_schema",
        "schema",
        "Print the bundled OpenAPI document or JSON Schemas.",
    ),
    "fixtures": ("contracttk._cli_fixtures", "fixtures", "Dump or verify fixture files for QA."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module = importlib.import_module(spec[0])
        return getattr(module, spec[1])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing must not import every subcommand just to show its help line.
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][2]) for name in sorted(COMMANDS)])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ContractTkError as err:
            fail(str(err), hint=err.hint, code=err.exit_code)
        except KeyboardInterrupt:
            click.secho("Interrupted.", fg="red", err=True)
            ctx.exit(EXIT_INTERRUPTED)


def fail(message: str, *, hint: str | None = None, code: int = EXIT_USAGE) -> None:
    """Print one red headline (and a hint) on stderr and exit with ``code``."""
    click.secho(f"Error: {message}", fg="red", err=True)
    if hint:
        click.echo(f"Hint: {hint}", err=True)
    sys.exit(code)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="contracttk")
def main() -> None:
    """contracttk: contract testing and fixtures for Stripe-like /v1/tokens APIs.

    Exit codes: 0 clean, 1 conformance failures, 2 usage error, 3 target not testable,
    130 interrupted.
    """


if __name__ == "__main__":  # pragma: no cover
    main()
