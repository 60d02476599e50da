"""The ``stripe_faker`` fixture: a Faker with contracttk's Stripe provider, seeded like Faker's.

It follows the conventions of Faker's own pytest plugin (``faker.contrib.pytest.plugin``),
so a suite that tunes Faker's ``faker`` fixture tunes ``stripe_faker`` the same way:

* locale: the ``faker_locale`` fixture (a name or a list), else ``faker_session_locale``,
  else Faker's default;
* seed: the ``faker_seed`` fixture, else ``$CONTRACTTK_FAKER_SEED``, else 0 (Faker's
  default). Every test is reseeded, so a test's data does not depend on which tests ran
  before it, and a run replays exactly: the same seed gives the same payloads, here and
  in ``add_providers(Faker(locale))`` after ``fake.seed_instance(seed)``.

The seed is in the report header, and in its own section of every failure of a test that
used ``stripe_faker`` (shown under ``-q`` too, where there is no header).

Importing this module costs almost nothing: Faker and contracttk.strategies are imported
by the fixture, since the pytest plugin that re-exports it loads in every pytest run.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from faker import Faker

__all__ = [
    "DEFAULT_SEED",
    "FAKER_SEED_ENV",
    "pytest_report_header",
    "pytest_runtest_makereport",
    "stripe_faker",
]

FAKER_SEED_ENV = "CONTRACTTK_FAKER_SEED"
DEFAULT_SEED = 0
"""The seed when neither a ``faker_seed`` fixture nor the environment names one (as Faker)."""

_SESSION_SEED = pytest.StashKey[tuple[int, str]]()
_FAKERS = pytest.StashKey[dict[Any, Any]]()
_USED = pytest.StashKey["_Used"]()


@dataclass(frozen=True)
class _Used:
    """What one test's ``stripe_faker`` was made with (for its failure report)."""

    seed: Any
    seed_from: str
    locale: Any

    def describe(self) -> str:
        """Two lines: the seed, locale and their sources; Python that replays the data."""
        locale = "" if self.locale is None else repr(self.locale)
        return (
            f"stripe_faker seed {self.seed!r} (from {self.seed_from}), "
            f"locale {self.locale or 'Faker default'}\n"
            f"replay: fake = add_providers(Faker({locale})); fake.seed_instance({self.seed!r})"
        )


def _session_seed(config: pytest.Config) -> tuple[int, str]:
    """``$CONTRACTTK_FAKER_SEED`` or :data:`DEFAULT_SEED`, with where it came from."""
    found = config.stash.get(_SESSION_SEED, None)
    if found is not None:
        return found
    raw = os.environ.get(FAKER_SEED_ENV, "").strip()
    if raw:
        try:
            found = (int(raw), f"${FAKER_SEED_ENV}")
        except ValueError:
            raise pytest.UsageError(f"{FAKER_SEED_ENV} must be an integer, got {raw!r}") from None
    else:
        found = (DEFAULT_SEED, "the default")
    config.stash[_SESSION_SEED] = found
    return found


def pytest_report_header(config: pytest.Config) -> str:
    """Name the seed ``stripe_faker`` uses unless a test's ``faker_seed`` fixture says otherwise."""
    seed, source = _session_seed(config)
    return (
        f"contracttk: stripe_faker seed {seed} ({source}; "
        f"change with {FAKER_SEED_ENV}=N or a faker_seed fixture)"
    )


def _faker_for(config: pytest.Config, locale: Any) -> Faker:
    """One Faker with the Stripe provider per locale and session (building one is slow)."""
    from contracttk.strategies import add_providers
    from faker import Faker

    cache = config.stash.setdefault(_FAKERS, {})
    key = tuple(locale) if isinstance(locale, (list, tuple)) else locale
    fake = cache.get(key)
    if fake is None:
        fake = cache[key] = add_providers(Faker(locale=locale))
    return fake


@pytest.fixture
def stripe_faker(request: pytest.FixtureRequest) -> Faker:
    """A ``Faker`` with :class:`contracttk.strategies.StripeProvider`, reseeded for each test.

    Locale and seed as Faker's ``faker`` fixture takes them (``faker_locale``,
    ``faker_session_locale``, ``faker_seed``); see the module docstring.
    """
    names = request.fixturenames
    locale = None
    for name in ("faker_locale", "faker_session_locale"):
        if name in names:
            locale = request.getfixturevalue(name)
            break
    if "faker_seed" in names:
        seed, seed_from = request.getfixturevalue("faker_seed"), "the faker_seed fixture"
    else:
        seed, seed_from = _session_seed(request.config)
    fake = _faker_for(request.config, locale)
    fake.seed_instance(seed)
    fake.unique.clear()
    request.node.stash[_USED] = _Used(seed, seed_from, locale)
    return fake


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Add the seed to the failure report of a test that used ``stripe_faker``."""
    report = yield
    used = item.stash.get(_USED, None)
    if used is not None and report.failed:
        longrepr = report.longrepr
        # In the traceback's own sections when there is one: shown whatever --show-capture.
        if hasattr(longrepr, "addsection"):
            longrepr.addsection("stripe_faker", used.describe())
        else:
            report.sections.append(("stripe_faker", used.describe()))
    return report
