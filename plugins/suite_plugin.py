"""The conformance suite as pytest items: the adapter between pytest and the run's state.

:class:`SuitePlugin` is registered (under :data:`SUITE_PLUGIN_NAME`) only when a target is
configured: by ``pytest --contracttk-url URL`` (settings from options, env, ini), by
``contracttk fuzz`` (its own instance, passed to ``pytest.main``), or in an xdist worker
(settings as resolved by the controller). All the logic lives in
:class:`contracttk.conformance.session.RunState`; here are only pytest's hooks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from contracttk.conformance.progress import Ticker, progress_line

from .pytest_plugin import SETTINGS_WORKER_KEY, SUITE_PLUGIN_NAME, option_name, selected_items

__all__ = ["ContractFailure", "ContractItem", "SuitePlugin"]

NODE_PREFIX = "contracttk::"


class ContractFailure(Exception):
    """Raised by an item whose checks found new hard failures; carries the redacted text."""


class EmptyItem(Exception):
    """Raised by an item that applies to the target but sent no request at all."""


class ContractItem(pytest.Item):
    """One entry of the suite (``contracttk::card::valid`` ...), run by the engine."""

    def __init__(self, *, suite_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite_name = suite_name
        self.contracttk_record: dict[str, Any] | None = None
        self.add_marker("contracttk")

    def runtest(self) -> None:
        """Run the item's requests and checks; fail on new hard failures, skip when not applicable."""
        plugin = self.config.pluginmanager.get_plugin(SUITE_PLUGIN_NAME)
        plugin.run(self)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        """Our own failure text (already redacted); anything else scrubbed on the way out."""
        from contracttk.conformance.redact import scrub

        if isinstance(excinfo.value, (ContractFailure, EmptyItem)):
            return str(excinfo.value)
        plugin = self.config.pluginmanager.get_plugin(SUITE_PLUGIN_NAME)
        secrets = plugin.state.settings.secrets() if plugin and plugin.state else ()
        return scrub(str(super().repr_failure(excinfo, style=style)), secrets)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        """Location shown by pytest: the rootdir and the item's node id."""
        return self.path, None, self.nodeid


class _Collector(pytest.Collector):
    """The virtual ``contracttk`` node holding the suite's items (nothing to import)."""

    def collect(self) -> list[pytest.Item]:
        plugin = self.config.pluginmanager.get_plugin(SUITE_PLUGIN_NAME)
        return [
            ContractItem.from_parent(self, name=name, suite_name=name)
            for name in plugin.state.item_names()
        ]


class SuitePlugin:
    """pytest hooks of an active conformance run."""

    def __init__(
        self,
        raw: Mapping[str, Any] | None = None,
        *,
        settings: Any = None,
        app: Any = None,
        flag: Callable[[str], str] = option_name,
        progress: bool = False,
    ) -> None:
        self.raw = dict(raw or {})
        self.settings = settings
        self.app = app
        self.flag = flag
        self.progress = progress
        self.state: Any = None
        self.worker = False
        self._stopped = False
        self.__name__ = SUITE_PLUGIN_NAME  # pluggy registers a plugin object under this

    # -- set-up ----------------------------------------------------------------------------

    @classmethod
    def for_pytest(cls, config: pytest.Config, raw: Mapping[str, Any]) -> SuitePlugin:
        """``pytest --contracttk-url``: register and configure from options/env/ini."""
        plugin = cls(raw)
        config.pluginmanager.register(plugin, SUITE_PLUGIN_NAME)
        plugin.pytest_configure(config)
        return plugin

    @classmethod
    def for_worker(cls, config: pytest.Config, data: Mapping[str, Any]) -> SuitePlugin:
        """An xdist worker: the controller's resolved settings, nothing resolved again."""
        from contracttk.conformance.settings import Settings

        plugin = cls(settings=Settings.from_dict(data["settings"]))
        plugin.worker = True
        config.pluginmanager.register(plugin, SUITE_PLUGIN_NAME)
        plugin.pytest_configure(config)
        plugin.state.baseline_ids = frozenset(data.get("baseline", ()))
        return plugin

    def pytest_configure(self, config: pytest.Config) -> None:
        """Resolve the settings once (seed ``last`` through pytest's cache); usage errors here."""
        if self.state is not None:
            return
        _require_conformance_extra()
        from contracttk.conformance.report import output_path_problem
        from contracttk.conformance.session import RunState
        from contracttk.conformance.settings import SettingsError, resolve

        self.config = config
        if self.settings is None:
            try:
                self.settings = resolve(self.raw, cache=getattr(config, "cache", None))
                for name in ("report", "junit_xml"):
                    path = getattr(self.settings, name)
                    if path and (problem := output_path_problem(path)) is not None:
                        raise SettingsError(name, f"{path}: {problem}")
            except SettingsError as err:
                raise pytest.UsageError(f"{self.flag(err.setting)}: {err.problem}") from None
        self.state = RunState(self.settings, app=self.app, cache_dir=_cases_folder(config))
        if not self.worker:
            try:
                self.state.load_baseline()
            except SettingsError as err:
                raise pytest.UsageError(f"{self.flag(err.setting)}: {err.problem}") from None
        if config.pluginmanager.hasplugin("xdist") and not self.worker:
            config.pluginmanager.register(_XdistHooks(self), SUITE_PLUGIN_NAME + "-xdist")

    # -- hooks -----------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Controller only: probe the target once; an untestable one ends the run (exit 3)."""
        if self.worker:
            return
        from contracttk.conformance.preflight import TargetUnavailable

        if self.progress:
            progress_line(self.headline())
        try:
            self.state.preflight()
        except TargetUnavailable as err:
            # Nothing is run (the items are deselected at collection); the session ends
            # with exit status 3 and a report saying why.
            self.state.not_testable(str(err), err.hint)
        except KeyboardInterrupt:
            # pytest skips sessionfinish when sessionstart is interrupted: report it here.
            self.state.interrupted()
            self.state.finish()
            self._write_errors()
            raise

    def pytest_report_header(self, config: pytest.Config) -> str:
        """Target, masked key and seed at the top of the run."""
        return self.headline()

    def headline(self) -> str:
        """One line naming the target, the key (masked), the seed and the scope."""
        from contracttk.conformance.redact import scrub

        s = self.settings
        kinds = "all kinds" if len(s.kinds) == 6 else ",".join(s.kinds)
        return scrub(
            f"contracttk: target {s.url} key {s.api_key} seed {s.seed} max-examples "
            f"{s.max_examples} {kinds} (rerun: {self.flag('seed')}={s.seed})",
            s.secrets(),
        )

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Add the suite's items as a collected node (counted, selectable, listed by --co)."""
        from _pytest.runner import collect_one_node

        collector = _Collector.from_parent(session, name="contracttk", nodeid="contracttk")
        report = collect_one_node(collector)
        session.ihook.pytest_collectreport(report=report)
        ours = [x for x in report.result if isinstance(x, pytest.Item)]
        if self.state.status == "not_testable":
            config.hook.pytest_deselected(items=ours)
            return
        chosen = selected_items(config)
        if chosen is not None:
            wanted = [x for x in ours if x.nodeid in chosen]
            unknown = [c for c in chosen if all(x.nodeid != c for x in ours)]
            if unknown:
                raise pytest.UsageError(f"no such contracttk item: {', '.join(unknown)}")
            dropped = [*items, *(x for x in ours if x not in wanted)]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
            items[:] = wanted
        else:
            items.extend(ours)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        """Attach the item's (redacted) record to its report: it travels to the xdist controller."""
        report = yield
        if isinstance(item, ContractItem) and call.when == "call":
            report.contracttk = item.contracttk_record
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Controller side: collect every item's record for the findings and the report."""
        if self.worker or not report.nodeid.startswith(NODE_PREFIX):
            return
        name = report.nodeid.removeprefix(NODE_PREFIX)
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.state.add_record(
                name, getattr(report, "contracttk", None), report.outcome, report.duration
            )
            if self.progress and self._in_workers():
                n = len(self.state.outcomes)
                rec = getattr(report, "contracttk", None) or {}
                progress_line(
                    f"[{n}/{len(self.state.item_names())}] {name}: {report.outcome}, "
                    f"{rec.get('cases', 0)} cases ({report.duration:.1f} s)"
                )

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Controller: findings, status, report files; the session's exit status follows the run."""
        if self.worker or self.state.doc is not None:
            return
        if int(exitstatus) == int(pytest.ExitCode.INTERRUPTED) and not self._stopped:
            self.state.interrupted()
        self.state.finish()
        self._write_errors()
        code = self.state.exit_code
        if code == 3 or code == 130:
            session.exitstatus = code
        elif code == 1 and int(exitstatus) == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        """The findings, most severe first, and the run's counts."""
        if self.worker or self.state.doc is None or self.progress:
            return
        from contracttk.conformance.report import summary_lines

        terminalreporter.section("contracttk findings")
        for line in summary_lines(self.state.doc):
            terminalreporter.write_line(line)
        if self.settings.report:
            terminalreporter.write_line(f"report: {self.settings.report}")

    # -- running ---------------------------------------------------------------------------

    def _in_workers(self) -> bool:
        return self.config.pluginmanager.get_plugin("dsession") is not None

    def run(self, item: ContractItem) -> None:
        """Run one item through the engine and turn its record into pass / fail / skip / error."""
        from contracttk.conformance.redact import scrub

        if self.state.status == "not_testable":
            pytest.skip(f"target not testable: {self.state.detail}")
        ticker = Ticker(item.suite_name) if self.progress and not self.worker else None
        try:
            result, record = self.state.run_item(item.suite_name, progress=ticker)
        finally:
            if ticker is not None:
                ticker.done()
        item.contracttk_record = record
        if not self.worker:
            # Kept now, not only from the pytest report: a signal landing between the item's
            # end and its report must not drop the item from an interrupted run's report.
            failed = result.down is not None or (result.cases == 0 and not result.stopped)
            outcome = (
                "skipped"
                if result.skipped
                else "failed"
                if failed or record["new_hard"]
                else "passed"
            )
            self.state.add_record(item.suite_name, record, outcome, 0.0)
        if result.skipped:
            pytest.skip(result.skipped)
        if result.down is not None:
            self._stopped = True
            item.session.shouldstop = f"contracttk: {result.down}"
            raise ContractFailure(
                scrub(f"{result.down}; stopping the run", self.settings.secrets())
            )
        if result.cases == 0 and result.stopped is None:
            what = (
                f"got no answer to any of its {result.sent} request(s)"
                if result.sent
                else f"sent no request at all ({result.unsent} generated case(s) could not be sent)"
            )
            raise EmptyItem(f"{item.suite_name} {what}: an item that tests nothing cannot pass")
        if result.stopped is not None:
            self._stopped = True
            item.session.shouldstop = f"contracttk: {result.stopped}"
        if record["new_hard"]:
            raise ContractFailure(_failure_text(record, self.settings.secrets()))

    def client_target(self) -> Iterator[Any]:
        """What the ``contracttk_target`` fixture yields (a session sending the secret key)."""
        import requests

        from contracttk.conformance.client import ClientTarget

        s = self.settings
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {s.api_key}"
        try:
            yield ClientTarget(
                base_url=s.url,
                api_key=s.api_key,
                publishable_key=s.publishable_key,
                live_key=s.live_key,
                seed=s.seed,
                session=http,
                timeout=s.timeout,
            )
        finally:
            http.close()

    def _write_errors(self) -> None:
        for text in self.state.write_errors:
            print(f"contracttk: {text}", file=sys.stderr)


class _XdistHooks:
    """pytest-xdist only: every worker gets the controller's resolved settings."""

    def __init__(self, plugin: SuitePlugin) -> None:
        self.plugin = plugin

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[SETTINGS_WORKER_KEY] = {
            "settings": self.plugin.settings.to_dict(),
            "baseline": sorted(self.plugin.state.baseline_ids),
        }


def _require_conformance_extra() -> None:
    import importlib.util

    missing = [m for m in ("schemathesis", "jsonschema") if importlib.util.find_spec(m) is None]
    if missing:
        raise pytest.UsageError(
            f"the contracttk conformance suite needs {', '.join(missing)}: "
            "pip install 'contracttk[conformance]'"
        )


def _failure_text(record: Mapping[str, Any], secrets: tuple[str, ...]) -> str:
    from contracttk.conformance.redact import scrub

    hard = record["failures"]
    total = sum(int(f.get("occurrences", 1)) for f in hard)
    lines = [
        f"{len(hard)} distinct hard failure(s) ({total} case(s)) in {record['cases']} case(s):"
    ]
    for f in hard[:10]:
        req = f.get("request") or {}
        lines.append(f"  [{f['finding']}] {f['check']}: {f['message']}")
        if req:
            lines.append(f"      reproduce: {req['curl'][:800]}")
    if len(hard) > 10:
        lines.append(
            f"  ... {len(hard) - 10} more (grouped into findings in the summary and the report)"
        )
    return scrub("\n".join(lines), secrets)


def _cases_folder(config: pytest.Config) -> Path | None:
    """pytest's cache folder for derived cases, or None without a usable cache."""
    cache = getattr(config, "cache", None)
    if cache is None:  # -p no:cacheprovider
        return None
    try:
        return Path(cache.mkdir("contracttk"))
    except OSError:
        return None
