"""``contracttk fuzz``: run the conformance suite against a URL, or the reference server.

A thin front on the pytest plugin: it checks the flags, probes the target, then runs
``pytest -p contracttk --contracttk-url ...`` in-process in an empty temporary folder
(so the user's own tests and conftest files stay out of it) and maps the outcome to the
documented exit codes: 0 clean, 1 conformance failures, 2 usage error, 3 target not
testable (unreachable, not HTTP, non-JSON answers, hangs, or stopped answering mid-run).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import click

from .defaults import (
    DEFAULT_LIVE_SECRET_KEY,
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_SECRET_KEY,
    EXIT_FAILURES,
    EXIT_OK,
)
from .errors import BadInputError, ContractTkError, TargetUnavailableError
from .plugins.engine import DEFAULT_MAX_EXAMPLES, timeout_problem, url_problem
from .plugins.report import output_path_problem

# pytest's exit codes (pytest.ExitCode), named here to keep pytest out of `--help`.
_PYTEST_OK, _PYTEST_FAILED, _PYTEST_INTERRUPTED, _PYTEST_USAGE, _PYTEST_NO_TESTS = 0, 1, 2, 4, 5
CACHE_DIR = ".contracttk_cache"


def _check_output_path(flag: str, path: str | None) -> Path | None:
    """The output file ``path`` as a Path, or a usage error when it cannot be written."""
    if path is None:
        return None
    problem = output_path_problem(path)
    if problem is not None:
        raise BadInputError(f"{flag} {path}: {problem}")
    return Path(path).expanduser().resolve()


def _check_url(url: str) -> str:
    problem = url_problem(url)
    if problem is not None:
        raise BadInputError(problem, hint="e.g. contracttk fuzz http://127.0.0.1:12111")
    return url.rstrip("/")


def _check_seed(seed: str | None) -> None:
    if seed is None:
        return
    if seed == "last":
        # Checked before anything starts: the plugin would only find out inside pytest,
        # after the embedded server came up. pytest's cache keeps a value for the key
        # `a/b` as JSON in `<cache_dir>/v/a/b`. (Imported here: the plugin imports pytest.)
        from .plugins.pytest_plugin import SEED_CACHE_KEY

        try:
            int(json.loads((Path(CACHE_DIR) / "v" / SEED_CACHE_KEY).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            raise BadInputError(
                f"--seed last: no previous seed recorded in {CACHE_DIR} here "
                "(run once without --seed, or with --seed N, in this folder first)"
            ) from None
        return
    try:
        int(seed)
    except ValueError:
        raise BadInputError(f"--seed {seed!r}: expected an integer or 'last'") from None


def _cache_dir() -> Path:
    """``.contracttk_cache`` in the working folder, or a new temp folder if it is unwritable.

    The cache only keeps the last seed and report: an unwritable working folder (a
    read-only checkout, a CI image) must not stop the run. The fallback is kept after
    the run, so the report path printed at the end stays readable.
    """
    cache = Path(CACHE_DIR).resolve()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        if os.access(cache, os.W_OK):
            return cache
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="contracttk-cache-"))


def _refuse_live(keys: dict[str, str | None], allow: bool) -> None:
    from .contract import is_live_key, mask_key

    for flag, key in keys.items():
        if key and is_live_key(key) and not allow:
            raise BadInputError(
                f"{flag} {mask_key(key)} is a live-mode key; refusing to fuzz with it",
                hint="pass --allow-live-keys if you really mean to test live mode",
            )


@click.command("fuzz")
@click.argument("url", required=False)
@click.option(
    "--api-key",
    envvar="CONTRACTTK_API_KEY",
    metavar="KEY",
    help="Secret API key [env CONTRACTTK_API_KEY]. Default: the reference server's test key.",
)
@click.option(
    "--publishable-key",
    envvar="CONTRACTTK_PUBLISHABLE_KEY",
    metavar="KEY",
    help="Publishable key (enables the publishable-key checks) [env CONTRACTTK_PUBLISHABLE_KEY].",
)
@click.option(
    "--live-key",
    envvar="CONTRACTTK_LIVE_KEY",
    metavar="KEY",
    help="Live secret key for the live-mode rules (needs --allow-live-keys).",
)
@click.option(
    "--max-examples",
    type=click.IntRange(min=1),
    default=None,
    help=f"Generated cases per generated item [default: {DEFAULT_MAX_EXAMPLES}].",
)
@click.option(
    "--seed", metavar="SEED", help="Integer seed, or 'last' to repeat the previous run's."
)
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Parallel worker processes (pytest-xdist).",
)
@click.option("--junit-xml", metavar="PATH", help="Write a JUnit XML report.")
@click.option("--report", metavar="PATH", help="Write the JSON report (failures, counts, seed).")
@click.option("--allow-live-keys", is_flag=True, help="Accept sk_live_/pk_live_/rk_live_ keys.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Per-request timeout in seconds.",
)
def fuzz(
    url: str | None,
    api_key: str | None,
    publishable_key: str | None,
    live_key: str | None,
    max_examples: int | None,
    seed: str | None,
    workers: int,
    junit_xml: str | None,
    report: str | None,
    allow_live_keys: bool,
    timeout: float,
) -> None:
    """Run the conformance suite against URL (default: the embedded reference server).

    Valid and invalid payloads of all six token kinds, schemathesis fuzzing of the bundled
    OpenAPI document, auth, retrieve, idempotency and id checks; every failure comes
    with a redacted curl command. Exit codes: 0 clean, 1 failures, 2 usage error,
    3 target not testable.
    """
    _check_seed(seed)
    # click's FloatRange lets nan and inf through
    if (problem := timeout_problem(timeout)) is not None:
        raise BadInputError(f"--timeout: {problem}")
    report_path = _check_output_path("--report", report)
    junit_path = _check_output_path("--junit-xml", junit_xml)
    if workers > 1:
        try:
            import xdist  # noqa: F401
        except ImportError:
            raise BadInputError(
                "--workers needs pytest-xdist", hint="pip install pytest-xdist"
            ) from None
    _refuse_live(
        {"--api-key": api_key, "--publishable-key": publishable_key, "--live-key": live_key},
        allow_live_keys,
    )
    if url is not None:
        url = _check_url(url)
        if api_key is None:
            # No key given: assume a reference-like server (`contracttk serve`).
            api_key = DEFAULT_SECRET_KEY
            publishable_key = publishable_key or DEFAULT_PUBLISHABLE_KEY
        from .plugins.engine import preflight

        problem = preflight(url, api_key)
        if problem is not None:
            raise TargetUnavailableError(problem)
        code = _run(
            url,
            api_key,
            publishable_key,
            live_key,
            allow_live_keys,
            max_examples,
            seed,
            workers,
            junit_path,
            report_path,
            timeout,
        )
    else:
        from .server import running_server

        click.echo("contracttk fuzz: no URL given, testing the embedded reference server", err=True)
        with running_server() as base:
            code = _run(
                base,
                api_key or DEFAULT_SECRET_KEY,
                publishable_key or DEFAULT_PUBLISHABLE_KEY,
                # The reference server's live placeholder key creates nothing real.
                live_key or DEFAULT_LIVE_SECRET_KEY,
                True,
                max_examples,
                seed,
                workers,
                junit_path,
                report_path,
                timeout,
            )
    raise SystemExit(code)


def _run(
    url: str,
    api_key: str,
    publishable_key: str | None,
    live_key: str | None,
    allow_live: bool,
    max_examples: int | None,
    seed: str | None,
    workers: int,
    junit_path: Path | None,
    report_path: Path | None,
    timeout: float,
) -> int:
    """Run the suite through pytest in an empty temp folder; return the exit code."""
    import pytest

    with tempfile.TemporaryDirectory(prefix="contracttk-fuzz-") as tmp:
        root = Path(tmp)
        cache_dir = _cache_dir()
        ini = root / "pytest.ini"
        # An empty config of our own: the user's pytest.ini / pyproject settings and
        # conftest files must not change what the suite does.
        ini.write_text("[pytest]\n", encoding="utf-8")
        # Without --report the run's report still exists: the last one is kept in the cache.
        report_file = report_path or cache_dir / "last-report.json"
        args = [
            str(root),
            "-c",
            str(ini),
            # rootdir = where the user stands, so node ids print as contracttk::...; the
            # config file and the (empty) collection folder are ours.
            "--rootdir",
            str(Path.cwd()),
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",
            # The suite's items hold no assert statements to rewrite; rewriting every module
            # of the pytest11 plugins' packages (hypothesis, schemathesis...) costs seconds.
            "--assert=plain",
            "-p",
            "contracttk",
            "-o",
            f"cache_dir={cache_dir}",
            "-q",
            "--capture=sys",
            # Plugins that would reorder items or litter the folder have no part in it.
            "-p",
            "no:randomly",
            "-p",
            "no:benchmark",
            "--contracttk-url",
            url,
            "--contracttk-api-key",
            api_key,
            "--contracttk-report",
            str(report_file),
            "--contracttk-timeout",
            str(timeout),
        ]
        if publishable_key:
            args += ["--contracttk-publishable-key", publishable_key]
        if live_key:
            args += ["--contracttk-live-key", live_key]
        if allow_live:
            args.append("--contracttk-allow-live-keys")
        if max_examples is not None:
            args += ["--contracttk-max-examples", str(max_examples)]
        if seed is not None:
            args += ["--contracttk-seed", seed]
        if workers > 1:
            args += ["-n", str(workers)]
        if junit_path is not None:
            args += ["--junit-xml", str(junit_path)]
        ret = int(pytest.main(args))
        doc = _read_report(report_file)
    status = doc.get("status") if doc else None
    if status == "target_unavailable":
        raise TargetUnavailableError(str(doc.get("detail") or "the target could not be tested"))
    if status == "target_down":
        # It was tested and died under test: a conformance failure (exit 1), reported.
        click.secho(f"contracttk fuzz: {doc.get('detail')}", fg="red", err=True)
        return EXIT_FAILURES
    if ret == _PYTEST_OK:
        return EXIT_OK
    if ret == _PYTEST_FAILED:
        counts = (doc or {}).get("counts", {})
        click.secho(
            f"contracttk fuzz: {counts.get('failures', '?')} distinct conformance failure(s)"
            + (f"; report: {report_path}" if report_path else ""),
            fg="red",
            err=True,
        )
        return EXIT_FAILURES
    if ret == _PYTEST_INTERRUPTED:
        raise KeyboardInterrupt
    if ret == _PYTEST_USAGE:
        raise BadInputError("the conformance run refused its options (see above)")
    raise ContractTkError(f"the conformance run ended abnormally (pytest exit code {ret})")


def _read_report(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
