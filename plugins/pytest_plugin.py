"""contracttk's pytest plugin (entry point ``contracttk``).

Two parts, both free unless used:

* ``stripe_faker``: a seeded Faker with contracttk's Stripe provider (fixture).
* The conformance suite: ``pytest --contracttk-url URL`` (or ``$CONTRACTTK_URL``, or the
  ini key ``contracttk_url``) adds the whole suite as pytest items named
  ``contracttk::<area>::<case>`` -- no test file needed -- and the fixtures
  ``contracttk_target`` / ``contracttk_strategies`` for test authors. Without a URL the
  plugin registers its options and markers and does nothing else.

Importing this module costs almost nothing: schemathesis, Hypothesis, Faker, jsonschema
and requests are imported inside hooks that only run when the suite is asked for.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

# stripe_faker and its hooks live in faker_fixture.py; pytest registers the names imported here.
from .faker_fixture import pytest_report_header, pytest_runtest_makereport, stripe_faker  # noqa: F401

# --- the conformance suite -------------------------------------------------------------------
# Module level holds only what pytest needs before it knows whether the suite is wanted
# (options, markers, the item class); the engine is imported by the hooks of
# :class:`_ContractSession`, a plugin object registered only when a URL is given.

_ENV = {
    "url": "CONTRACTTK_URL",
    "api_key": "CONTRACTTK_API_KEY",
    "publishable_key": "CONTRACTTK_PUBLISHABLE_KEY",
    "live_key": "CONTRACTTK_LIVE_KEY",
    "max_examples": "CONTRACTTK_MAX_EXAMPLES",
    "seed": "CONTRACTTK_SEED",
    "report": "CONTRACTTK_REPORT",
    "timeout": "CONTRACTTK_TIMEOUT",
}
SEED_CACHE_KEY = "contracttk/seed"
_SEED_WORKER_KEY = "contracttk_seed"
_STATE_KEY = pytest.StashKey["_ContractSession"]()
_PLUGIN_NAME = "contracttk-suite"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options (group ``contracttk``), each with an env var and an ini key of the same name."""
    group = parser.getgroup("contracttk", "contracttk conformance suite")
    opts = [
        ("url", "URL", "base URL of the /v1/tokens API to test (enables the suite)"),
        ("api-key", "KEY", "secret API key (default: the reference server's test key)"),
        ("publishable-key", "KEY", "publishable key (enables the publishable-key items)"),
        ("live-key", "KEY", "live secret key (enables the live-mode items)"),
        ("max-examples", "N", "generated cases per generated item (default: the engine's)"),
        ("seed", "SEED", "integer seed, or 'last' to rerun the previous run's seed"),
        ("report", "PATH", "write the JSON report here"),
        ("timeout", "SECONDS", "per-request timeout (default 10)"),
    ]
    for name, metavar, text in opts:
        attr = name.replace("-", "_")
        group.addoption(
            f"--contracttk-{name}",
            dest=f"contracttk_{attr}",
            metavar=metavar,
            default=None,
            help=f"{text} [env {_ENV[attr]}, ini contracttk_{attr}]",
        )
        parser.addini(f"contracttk_{attr}", f"contracttk: {text}", default=None)
    group.addoption(
        "--contracttk-allow-live-keys",
        dest="contracttk_allow_live_keys",
        action="store_true",
        default=False,
        help="accept sk_live_/pk_live_/rk_live_ keys (refused by default)",
    )


def _setting(config: pytest.Config, attr: str) -> str | None:
    """Option, then environment variable, then ini key."""
    value = config.getoption(f"contracttk_{attr}", default=None)
    if value in (None, ""):
        value = os.environ.get(_ENV[attr]) or None
    if value in (None, ""):
        value = config.getini(f"contracttk_{attr}") or None
    return value


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; set up the suite only when a target URL is configured."""
    config.addinivalue_line("markers", "contracttk: an item of the contracttk conformance suite")
    url = _setting(config, "url")
    if not url:
        return
    session = _ContractSession(config, url)
    config.stash[_STATE_KEY] = session
    config.pluginmanager.register(session, _PLUGIN_NAME)


def _int_setting(config: pytest.Config, attr: str, default: int, low: int) -> int:
    raw = _setting(config, attr)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise pytest.UsageError(
            f"--contracttk-{attr.replace('_', '-')}: not an integer: {raw!r}"
        ) from None
    if value < low:
        raise pytest.UsageError(f"--contracttk-{attr.replace('_', '-')} must be at least {low}")
    return value


class ContractFailure(Exception):
    """Raised by an item whose checks found hard failures; carries the redacted text."""


class ContractItem(pytest.Item):
    """One entry of the suite (``contracttk::card::valid`` ...), run by the engine."""

    def __init__(self, *, suite_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite_name = suite_name
        self.contracttk_result: dict[str, Any] | None = None
        self.add_marker("contracttk")

    def runtest(self) -> None:
        """Run the item's requests and checks; fail on hard failures, skip when not applicable."""
        state = self.config.stash[_STATE_KEY]
        state.run(self)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        """Our own failure text (already redacted); anything else redacted on the way out."""
        from contracttk.plugins.redact import redact_text

        if isinstance(excinfo.value, ContractFailure):
            return str(excinfo.value)
        state = self.config.stash.get(_STATE_KEY, None)
        secrets = state.secrets() if state is not None else ()
        return redact_text(str(super().repr_failure(excinfo, style=style)), secrets)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        """Location shown by pytest: the rootdir and the item's node id."""
        return self.path, None, self.nodeid


class _ContractCollector(pytest.Collector):
    """The ``contracttk`` node holding the suite's items (not a file: nothing to import)."""

    def collect(self) -> list[pytest.Item]:
        from contracttk.plugins.engine import item_names

        return [ContractItem.from_parent(self, name=name, suite_name=name) for name in item_names()]


class _ContractSession:
    """Per-process state of an active suite run, and the hooks it needs (a plugin object)."""

    def __init__(self, config: pytest.Config, url: str) -> None:
        from contracttk.plugins.engine import timeout_problem, url_problem
        from contracttk.plugins.report import output_path_problem

        from contracttk.contract import is_live_key, mask_key
        from contracttk.defaults import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY

        self.config = config
        # A typo is a usage error, not an untestable target (same check as `contracttk fuzz`).
        problem = url_problem(url)
        if problem is not None:
            raise pytest.UsageError(f"--contracttk-url: {problem}")
        self.url = url.rstrip("/")
        given_key = _setting(config, "api_key")
        self.api_key = given_key or DEFAULT_SECRET_KEY
        # Without an explicit secret key we are talking to a reference-like server: its
        # publishable test key is the matching default. With one, only what is given.
        self.publishable_key = _setting(config, "publishable_key") or (
            None if given_key else DEFAULT_PUBLISHABLE_KEY
        )
        self.live_key = _setting(config, "live_key")
        allow_live = bool(config.getoption("contracttk_allow_live_keys", default=False))
        for label, key in (
            ("api key", self.api_key),
            ("publishable key", self.publishable_key),
            ("live key", self.live_key),
        ):
            if key and is_live_key(key) and not allow_live:
                raise pytest.UsageError(
                    f"contracttk: refusing the live-mode {label} {mask_key(key)}; "
                    "pass --contracttk-allow-live-keys to test with live keys"
                )
        self.max_examples = _int_setting(config, "max_examples", _default_max_examples(), 1)
        timeout = _setting(config, "timeout")
        try:
            self.timeout = float(timeout) if timeout else 10.0
        except ValueError:
            raise pytest.UsageError(f"--contracttk-timeout: not a number: {timeout!r}") from None
        problem = timeout_problem(self.timeout)
        if problem is not None:
            raise pytest.UsageError(f"--contracttk-timeout: {problem}")
        self.report_path = _setting(config, "report")
        # Checked now, by the controller (it writes the report): an unwritable path found
        # only at the end would cost the whole run's report.
        if self.report_path and not hasattr(config, "workerinput"):
            problem = output_path_problem(self.report_path)
            if problem is not None:
                raise pytest.UsageError(f"--contracttk-report {self.report_path}: {problem}")
        self.report_error: str | None = None
        self._doc: dict[str, Any] | None = None
        self.seed = self._seed()
        self.results: dict[str, dict[str, Any]] = {}
        self.outcomes: dict[str, str] = {}
        self.durations: dict[str, float] = {}
        self.status = "completed"
        self.detail: str | None = None
        self.down: str | None = None
        self._target: Any = None
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(_XdistHooks(self), _PLUGIN_NAME + "-xdist")

    # -- settings ---------------------------------------------------------------------------

    @property
    def is_worker(self) -> bool:
        """True inside a pytest-xdist worker."""
        return hasattr(self.config, "workerinput")

    def _seed(self) -> int:
        import random

        workerinput = getattr(self.config, "workerinput", None)
        if workerinput is not None and _SEED_WORKER_KEY in workerinput:
            return int(workerinput[_SEED_WORKER_KEY])
        raw = _setting(self.config, "seed")
        cache = getattr(self.config, "cache", None)
        if raw == "last":
            last = cache.get(SEED_CACHE_KEY, None) if cache is not None else None
            if last is None:
                raise pytest.UsageError(
                    "--contracttk-seed=last: no previous seed recorded "
                    "(first run here, or the pytest cache is disabled)"
                )
            seed = int(last)
        elif raw is None:
            seed = random.SystemRandom().randrange(2**32)
        else:
            try:
                seed = int(raw)
            except ValueError:
                raise pytest.UsageError(
                    f"--contracttk-seed: expected an integer or 'last', got {raw!r}"
                ) from None
        if cache is not None:
            cache.set(SEED_CACHE_KEY, seed)
        return seed

    def secrets(self) -> tuple[str, ...]:
        """The keys in use (masked wherever they would be printed)."""
        return tuple(k for k in (self.api_key, self.publishable_key, self.live_key) if k)

    @property
    def target(self) -> Any:
        """The engine's :class:`~contracttk.plugins.engine.Target` (built on first use)."""
        if self._target is None:
            from contracttk.plugins.engine import Target

            self._target = Target(
                self.url,
                api_key=self.api_key,
                publishable_key=self.publishable_key,
                live_key=self.live_key,
                timeout=self.timeout,
            )
        return self._target

    def headline(self) -> str:
        """One line naming the target, the key (masked) and the seed."""
        from contracttk.plugins.redact import redact_text

        return redact_text(
            f"contracttk: target {self.url} key {self.api_key} seed {self.seed} "
            f"max-examples {self.max_examples} (rerun: --contracttk-seed={self.seed})",
            self.secrets(),
        )

    # -- running ----------------------------------------------------------------------------

    def run(self, item: ContractItem) -> None:
        """Run one item through the engine and turn its result into pass / fail / skip."""
        from contracttk.plugins import engine

        if self.down is not None:
            pytest.skip(f"target down: {self.down}")
        result = engine.run_item(
            item.suite_name, self.target, max_examples=self.max_examples, seed=self.seed
        )
        item.contracttk_result = result.to_json()
        if result.skipped:
            pytest.skip(result.skipped)
        if result.down is not None:
            # A target dying under test is a finding (exit 1), not an untestable target.
            self.down = result.down
            item.session.shouldstop = f"contracttk: {result.down}"
            raise ContractFailure(
                _failure_text(result, self.secrets()) + f"\n{result.down}; stopping the run"
            )
        if result.hard:
            raise ContractFailure(_failure_text(result, self.secrets()))

    # -- hooks ------------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Controller only: probe the target once; an untestable one ends the run (exit 3)."""
        if self.is_worker:
            return
        from contracttk.plugins.engine import preflight

        problem = preflight(self.url, self.api_key)
        if problem is not None:
            from contracttk.plugins.redact import redact_text

            self.status = "target_unavailable"
            self.detail = redact_text(problem, self.secrets())
            self._write_report()
            if self.report_error is not None:
                _warn(self.config, self.report_error)
            pytest.exit(f"contracttk: target not testable: {self.detail}", returncode=3)

    def pytest_report_header(self, config: pytest.Config) -> str:
        """Target, masked key and seed at the top of the run."""
        return self.headline()

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Append the suite's items (before -k/-m deselection, which runs after us)."""
        collector = _ContractCollector.from_parent(session, name="contracttk", nodeid="contracttk")
        items.extend(collector.collect())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        """Attach the item's (redacted) result to its report: it travels to the xdist controller."""
        report = yield
        if isinstance(item, ContractItem) and call.when == "call":
            report.contracttk = item.contracttk_result
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Controller side: collect every item's result for the summary and the JSON report."""
        data = getattr(report, "contracttk", None)
        if not report.nodeid.startswith("contracttk::"):
            return
        name = report.nodeid.removeprefix("contracttk::")
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.outcomes[name] = report.outcome
            self.durations[name] = self.durations.get(name, 0.0) + report.duration
        if isinstance(data, dict):
            self.results[name] = data
            if data.get("target_down"):
                self.status = "target_down"
                self.detail = data["target_down"]

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Controller: write the JSON report."""
        if not self.is_worker and self.status != "target_unavailable":
            # Built once (redacting a large report takes seconds): the summary reuses it.
            self._doc = self._report()
            self._write_report(self._doc)
            if self.report_error is not None:
                _warn(self.config, self.report_error)

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        """The per-check table, the counts and the warnings (which never fail the run)."""
        if self.is_worker or self.status == "target_unavailable" or not self.outcomes:
            return
        from contracttk.plugins.report import summary_lines

        doc = self._doc if self._doc is not None else self._report()
        terminalreporter.section("contracttk summary")
        for line in summary_lines(doc):
            terminalreporter.write_line(line)
        if self.report_path and self.report_error is None:
            terminalreporter.write_line(f"report: {self.report_path}")
        if self.status == "target_down":
            terminalreporter.write_line(f"the target stopped answering: {self.detail}", red=True)

    # -- report -----------------------------------------------------------------------------

    def _report(self) -> dict[str, Any]:
        from contracttk.plugins.report import build_report

        order = {n: i for i, n in enumerate(self.outcomes)}
        items = sorted(self.results.values(), key=lambda r: order.get(r["name"], 1 << 30))
        return build_report(
            items,
            target=self.url,
            seed=self.seed,
            max_examples=self.max_examples,
            status=self.status,
            outcomes=self.outcomes,
            durations=self.durations,
            detail=self.detail,
            secrets=self.secrets(),
        )

    def _write_report(self, doc: dict[str, Any] | None = None) -> None:
        """Write the JSON report; a failure is one line (``report_error``), never a crash.

        The run's outcome (and so the exit status) does not depend on the report file.
        """
        if not self.report_path:
            return
        from contracttk.plugins.report import write_report

        try:
            write_report(self.report_path, doc if doc is not None else self._report())
        except OSError as err:
            self.report_error = (
                f"contracttk: could not write the report to {self.report_path}: "
                f"{err.strerror or err}"
            )


class _XdistHooks:
    """pytest-xdist only: every worker gets the controller's seed."""

    def __init__(self, state: _ContractSession) -> None:
        self.state = state

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[_SEED_WORKER_KEY] = self.state.seed


def _warn(config: pytest.Config, text: str) -> None:
    """One red line on the terminal (stderr without a terminal reporter)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(text, red=True)
    else:
        import sys

        print(text, file=sys.stderr)


def _default_max_examples() -> int:
    from contracttk.plugins.engine import DEFAULT_MAX_EXAMPLES

    return DEFAULT_MAX_EXAMPLES


def _failure_text(result: Any, secrets: tuple[str, ...]) -> str:
    from contracttk.plugins.redact import redact_text

    hard = result.hard
    total = sum(result.occurrences[f.key] for f in hard)
    lines = [f"{len(hard)} distinct failure(s) ({total} occurrence(s)) in {result.cases} case(s):"]
    for f in hard:
        lines.append(f.describe() + f"\n    (seen {result.occurrences[f.key]}x)")
    return redact_text("\n".join(lines), secrets)


@pytest.fixture(scope="session")
def contracttk_strategies() -> Any:
    """The :mod:`contracttk.strategies` module (valid / invalid payload strategies)."""
    import contracttk.strategies

    return contracttk.strategies


@pytest.fixture(scope="session")
def contracttk_target(request: pytest.FixtureRequest) -> Any:
    """The target given by ``--contracttk-url`` (skips the test when none is configured).

    Session-scoped: ``.base_url``, ``.api_key``, ``.publishable_key``, ``.live_key``,
    ``.seed`` and ``.session`` (a ``requests.Session`` sending the secret key).
    """
    state = request.config.stash.get(_STATE_KEY, None)
    if state is None:
        pytest.skip("contracttk: no target configured (--contracttk-url / CONTRACTTK_URL)")
    import requests
    from contracttk.plugins.engine import ClientTarget

    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {state.api_key}"
    yield ClientTarget(
        base_url=state.url,
        api_key=state.api_key,
        publishable_key=state.publishable_key,
        live_key=state.live_key,
        seed=state.seed,
        session=http,
        timeout=state.timeout,
    )
    http.close()
