"""contracttk's pytest plugin (entry point ``contracttk``).

Two parts, both free unless used:

* ``stripe_faker``: a seeded Faker with contracttk's Stripe provider (fixture).
* The conformance suite: ``pytest --contracttk-url URL`` (or ``$CONTRACTTK_URL``, or the
  ini key ``contracttk_url``) adds the whole suite as pytest items named
  ``contracttk::<area>::<case>`` -- no test file needed -- and the fixtures
  ``contracttk_target`` / ``contracttk_strategies`` for test authors. Without a URL the
  plugin registers its options and markers, prints the Faker seed in the report header, and
  puts back Hypothesis as it ships where schemathesis's plugin patched it
  (``hypothesis_guard``).

Importing this module costs almost nothing: schemathesis, Hypothesis, Faker, jsonschema
and requests are imported inside hooks that only run when the suite is asked for.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from contracttk.conformance.fields import FIELDS, METAVARS

# stripe_faker and its hooks live in faker_fixture.py; pytest registers the names imported here.
from .faker_fixture import pytest_report_header, pytest_runtest_makereport, stripe_faker  # noqa: F401

# --- the conformance suite -------------------------------------------------------------------
# Module level holds only what pytest needs before it knows whether the suite is wanted:
# options, markers, the node-id arguments. Everything else lives in
# contracttk.plugins.suite_plugin, imported only when a target is configured.

_ENV_PREFIX = "CONTRACTTK_"
_SELECT_KEY = pytest.StashKey[list]()
SUITE_PLUGIN_NAME = "contracttk-suite"
SETTINGS_WORKER_KEY = "contracttk_settings"
# The raw settings the suite reads, from the engine's own list (a stdlib-only module: no
# engine import at load).
_OPTIONS: tuple[tuple[str, str, str], ...] = tuple(
    (name, METAVARS[name], FIELDS[name] + (" (enables the suite)" if name == "url" else ""))
    for name in METAVARS
)


def option_name(setting: str) -> str:
    """The command-line flag of a setting (``api_key`` -> ``--contracttk-api-key``)."""
    return "--contracttk-" + setting.replace("_", "-")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options (group ``contracttk``), each with an env var and an ini key of the same name."""
    group = parser.getgroup("contracttk", "contracttk conformance suite")
    for name, metavar, text in _OPTIONS:
        env = _ENV_PREFIX + name.upper()
        group.addoption(
            option_name(name),
            dest=f"contracttk_{name}",
            metavar=metavar,
            default=None,
            help=f"{text} [env {env}, ini contracttk_{name}]",
        )
        parser.addini(f"contracttk_{name}", f"contracttk: {text}", default=None)
    group.addoption(
        "--contracttk-allow-live-keys",
        dest="contracttk_allow_live_keys",
        action="store_true",
        default=False,
        help=f"{FIELDS['allow_live_keys']} (refused by default)",
    )


def raw_settings(config: pytest.Config) -> dict[str, Any]:
    """The suite's raw settings: option, else environment variable, else ini key."""
    raw: dict[str, Any] = {}
    for name, _, _ in _OPTIONS:
        value = config.getoption(f"contracttk_{name}", default=None)
        if value is None:
            value = os.environ.get(_ENV_PREFIX + name.upper())
        if value is None:
            value = config.getini(f"contracttk_{name}") or None
        if value is not None:
            raw[name] = value
    if config.getoption("contracttk_allow_live_keys", default=False):
        raw["allow_live_keys"] = True
    return raw


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: Any, args: list[str]
) -> None:
    """``pytest contracttk::card::valid`` (the node id a FAILED line prints) selects that item.

    pytest would look for a file called ``contracttk``; the suite's items are virtual, so
    such arguments are taken out here and select items instead.
    """
    chosen = [
        a
        for i, a in enumerate(args)
        if a.startswith("contracttk::") and (i == 0 or args[i - 1] not in ("-p", "-k", "-m"))
    ]
    if chosen:
        early_config.stash[_SELECT_KEY] = chosen
        args[:] = [a for a in args if a not in chosen]


def selected_items(config: pytest.Config) -> list[str] | None:
    """Item node ids given on the command line, or None."""
    return config.stash.get(_SELECT_KEY, None)


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; set the suite up only when a target is configured."""
    config.addinivalue_line("markers", "contracttk: an item of the contracttk conformance suite")
    if config.pluginmanager.has_plugin(SUITE_PLUGIN_NAME):
        return  # `contracttk fuzz` registered its own
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and SETTINGS_WORKER_KEY in workerinput:
        from .suite_plugin import SuitePlugin

        SuitePlugin.for_worker(config, workerinput[SETTINGS_WORKER_KEY])
        return
    raw = raw_settings(config)
    if raw.get("url"):
        from .suite_plugin import SuitePlugin

        SuitePlugin.for_pytest(config, raw)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """A session without schemathesis's own tests gets Hypothesis as it ships.

    See :mod:`contracttk.plugins.hypothesis_guard`: schemathesis's plugin patches Hypothesis
    globally whenever it is installed; the user's own ``@given`` tests must not notice,
    whether or not the session also runs the conformance suite (its items print no
    examples and size their own generation).
    """
    import sys

    if "hypothesis.core" not in sys.modules:
        return  # nothing imported Hypothesis: nothing can have been patched
    from .hypothesis_guard import hypothesis_patched, restore_hypothesis, schemathesis_item

    if not hypothesis_patched():
        return
    if any(schemathesis_item(item) for item in items):
        return
    restore_hypothesis()


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
    plugin = request.config.pluginmanager.get_plugin(SUITE_PLUGIN_NAME)
    if plugin is None or plugin.state is None:
        pytest.skip("contracttk: no target configured (--contracttk-url / CONTRACTTK_URL)")
    yield from plugin.client_target()
