"""``contracttk fuzz``: run the conformance suite against a URL, or the reference server.

A thin front end: it gathers the raw settings from its flags, hands them to the suite's
pytest plugin object (which resolves them once, with the seed ``last`` from pytest's cache),
runs pytest in-process in an empty temporary folder (the user's own tests, conftest files
and ini settings stay out of it), and reads the outcome from that object. Exit codes: 0
clean, 1 findings, 2 usage error, 3 target not testable, 130 interrupted.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from .defaults import DEFAULT_LIVE_SECRET_KEY, EXIT_USAGE
from .errors import BadInputError, ContractTkError, require_extra

CACHE_DIR = ".contracttk_cache"
# pytest's exit codes, named here to keep pytest out of `--help`.
_PYTEST_USAGE = 4
_FLAGS = {
    "url": "URL",
    "api_key": "--api-key",
    "publishable_key": "--publishable-key",
    "live_key": "--live-key",
    "allow_live_keys": "--allow-live-keys",
    "seed": "--seed",
    "max_examples": "--max-examples",
    "timeout": "--timeout",
    "max_response_bytes": "--max-response-bytes",
    "kind": "--kind",
    "include_check": "--include-check",
    "exclude_check": "--exclude-check",
    "max_time": "--max-time",
    "max_failures": "--max-failures",
    "report": "--report",
    "junit_xml": "--junit-xml",
    "baseline": "--baseline",
}


def _flag(setting: str) -> str:
    return _FLAGS.get(setting, setting)


def _cache_dir() -> Path:
    """``.contracttk_cache`` in the working folder, or a new temp folder if it is unwritable.

    It keeps the last seed (pytest's cache) and Hypothesis's files: an unwritable working
    folder (a read-only checkout, a CI image) must not stop the run.
    """
    cache = Path(CACHE_DIR).resolve()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        if os.access(cache, os.W_OK):
            return cache
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="contracttk-cache-"))


def _sigterm_as_interrupt() -> None:
    """SIGTERM ends the run like Ctrl-C: the report says "interrupted", nothing is left behind."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (embedded in another program)
        pass


_KEY_HELP = "[env {}] (stripped and checked; live keys need --allow-live-keys)"


def _opt(flag: str, help_text: str, metavar: str | None = None, **kwargs: Any) -> Any:
    """An option read from the flag or its CONTRACTTK_* environment variable (as the plugin)."""
    env = "CONTRACTTK_" + flag.lstrip("-").upper().replace("-", "_")
    return click.option(
        flag, envvar=env, metavar=metavar, help=f"{help_text} [env {env}]", **kwargs
    )


@click.command("fuzz")
@click.argument("url", required=False, envvar="CONTRACTTK_URL")
@_opt("--api-key", "Secret API key (default: the reference server's test key).", "KEY")
@_opt("--publishable-key", "Publishable key (enables the publishable-key items).", "KEY")
@_opt("--live-key", "Live secret key for the live-mode rules (needs --allow-live-keys).", "KEY")
@_opt("--allow-live-keys", "Accept sk_live_/pk_live_/rk_live_ keys.", is_flag=True, default=None)
@_opt(
    "--max-examples", "Generated cases per generated item; bounds every phase [default: 60].", "N"
)
@_opt("--seed", "Integer seed, or 'last' to repeat the previous run's.", "SEED")
@_opt(
    "--workers",
    "Parallel worker processes (needs pytest-xdist: contracttk[xdist]).",
    "N",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
)
@_opt("--kind", "Only these token kinds, comma-separated (e.g. card,bank_account).", "KINDS")
@_opt("--include-check", "Only these checks or check groups, comma-separated.", "CHECKS")
@_opt("--exclude-check", "Not these checks or check groups, comma-separated.", "CHECKS")
@_opt("--max-time", "Stop generating new cases after this many seconds.", "SECONDS")
@_opt("--max-failures", "Stop after this many hard failures.", "N")
@_opt("--baseline", "Fail only on findings this earlier report does not have.", "REPORT")
@_opt("--junit-xml", "Write a JUnit XML file (one test case per finding).", "PATH")
@_opt("--report", "Write the JSON report (findings, counts, seed).", "PATH")
@_opt("--timeout", "Seconds for one whole request [default: 10].", "SECONDS")
@_opt("--max-response-bytes", "Largest answer read; larger is a finding [default: 4 MiB].", "BYTES")
def fuzz(url: str | None, workers: int, **options: Any) -> None:
    """Run the conformance suite against URL (default: the embedded reference server).

    Valid and invalid payloads of the token kinds, schemathesis fuzzing and coverage of the
    bundled OpenAPI document, auth, retrieve, idempotency and id checks. Failures are
    grouped into findings, each with reproducing curl lines (keys read from
    $CONTRACTTK_API_KEY...). Exit codes: 0 clean, 1 findings, 2 usage error, 3 target not
    testable, 130 interrupted.
    """
    require_extra("contracttk fuzz", ("schemathesis", "jsonschema", "uvicorn"))
    if workers > 1:
        import importlib.util

        if importlib.util.find_spec("xdist") is None:
            raise BadInputError(
                "--workers needs pytest-xdist", hint="pip install 'contracttk[xdist]'"
            )
    for name in ("api_key", "publishable_key", "live_key"):
        env = f"CONTRACTTK_{name.upper()}"
        # click drops an empty variable; a key that is set but empty is refused like --api-key "".
        if options.get(name) is None and os.environ.get(env) == "":
            raise BadInputError(f"{env} is set but empty (unset it, or give the key)")
    raw = {k: v for k, v in options.items() if v is not None}
    if url is not None:
        raw["url"] = url
    _check_settings(raw)
    _sigterm_as_interrupt()
    if url is not None:
        raise SystemExit(_run(raw, workers))
    from .server import running_server

    click.echo("contracttk fuzz: no URL given, testing the embedded reference server", err=True)
    raw.setdefault("live_key", DEFAULT_LIVE_SECRET_KEY)
    raw["allow_live_keys"] = True
    with running_server() as base:
        raw["url"] = base
        code = _run(raw, workers)
    raise SystemExit(code)


def _check_settings(raw: dict[str, Any]) -> None:
    """Every setting checked as the run will check it, before anything starts (the
    embedded server, pytest, the cache folder): a bad flag is one line and exit 2.

    The user's keys go through the key policy as given; the embedded server's live
    placeholder is added only after. ``--seed last`` is read from pytest's cache by the run
    itself, so only its spelling is checked here.
    """
    from .conformance.settings import SettingsError, resolve

    probe = {**raw, "url": raw.get("url") or "http://127.0.0.1"}
    if str(probe.get("seed", "")).strip() == "last":
        del probe["seed"]
    try:
        resolve(probe)
    except SettingsError as err:
        raise BadInputError(f"{_flag(err.setting)}: {err.problem}") from None


def _run(raw: dict[str, Any], workers: int) -> int:
    """Run the suite through pytest in an empty temp folder; return the exit code."""
    import pytest

    from .plugins.suite_plugin import SuitePlugin

    cache_dir = _cache_dir()
    try:
        from hypothesis.configuration import set_hypothesis_home_dir

        # Hypothesis's files go to the tool's cache folder, not the user's working folder.
        set_hypothesis_home_dir(str(cache_dir / "hypothesis"))
    except ImportError:  # pragma: no cover - hypothesis is a dependency
        pass
    plugin = SuitePlugin(raw, flag=_flag, progress=True)
    with tempfile.TemporaryDirectory(prefix="contracttk-fuzz-") as tmp:
        root = Path(tmp)
        ini = root / "pytest.ini"
        # An empty config of our own: the user's pytest.ini / pyproject settings and
        # conftest files must not change what the suite does.
        ini.write_text("[pytest]\n", encoding="utf-8")
        args = [
            str(root),
            "-c",
            str(ini),
            # rootdir = where the user stands; the config file and the (empty) collection
            # folder are ours.
            "--rootdir",
            str(Path.cwd()),
            # The suite's items hold no assert statements to rewrite.
            "--assert=plain",
            # Item progress goes to stderr while items run: pytest must not capture it.
            "--capture=no",
            "-p",
            "contracttk",
            "-o",
            f"cache_dir={cache_dir}",
            # We print the findings ourselves: pytest's per-item output is noise here.
            "-p",
            "no:terminal",
            # Plugins that would reorder items or litter the folder have no part in it.
            "-p",
            "no:randomly",
            "-p",
            "no:benchmark",
            "-p",
            "no:faker",
        ]
        if workers > 1:
            args += ["-n", str(workers)]
        ret = int(pytest.main(args, plugins=[plugin]))
    state = plugin.state
    if state is None or (ret == _PYTEST_USAGE and state.doc is None):
        return EXIT_USAGE  # pytest printed the usage error (one line)
    if state.doc is None:
        raise ContractTkError(f"the conformance run ended abnormally (pytest exit code {ret})")
    from .conformance.report import summary_lines

    if state.status == "not_testable" and not state.records:
        # Nothing ran (the pre-flight probe failed): one line, one hint, exit 3.
        from .errors import TargetUnavailableError

        # (A report that could not be written was said by the plugin, on stderr.)
        raise TargetUnavailableError(f"target not testable: {state.detail}", hint=state.hint)
    for line in summary_lines(state.doc):
        click.echo(line)
    if state.settings.report and not state.write_errors:
        click.echo(f"report: {state.settings.report}")
    sys.stdout.flush()
    return int(state.exit_code if state.exit_code is not None else 1)
