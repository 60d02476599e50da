"""Test-suite settings shared by every test module.

Two policies live here:

* Hypothesis: CI must not fail on an example no developer run has seen, so there the
  properties run derandomized (the same examples every run). Locally they keep exploring.
* No silent skips: when the environment variable ``CI`` is set, a skipped test is a failure,
  because a skip there means a check nobody ran while the run reports green. A test that
  the environment genuinely decides (a platform feature, running as root) says so with
  ``@pytest.mark.allowed_skip("why")``; its skip stays a skip. Skips at collection time
  (``pytest.importorskip`` at module level, a module-level ``pytest.skip``) always fail under
  ``CI``: a missing test dependency is a broken install, not an environment choice.
  Expected failures (``xfail``) are not skips and are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ALLOWED_SKIP = "allowed_skip"


def _strict() -> bool:
    return bool(os.environ.get("CI"))


def pytest_configure(config: pytest.Config) -> None:
    """Register the opt-out marker (the suite may run with ``--strict-markers``)."""
    config.addinivalue_line(
        "markers",
        f"{ALLOWED_SKIP}(reason): this test may skip even under CI, because the environment "
        "decides (give the reason)",
    )


def _reason(longrepr: Any) -> str:
    # A skip's longrepr is (path, line, "Skipped: reason"); anything else is shown whole.
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _allowed(item: pytest.Item) -> bool:
    marker = item.get_closest_marker(ALLOWED_SKIP)
    return marker is not None and bool(marker.args or marker.kwargs.get("reason"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Under ``CI``, turn an unexpected skip of a test into a failure."""
    report = yield
    if _strict() and report.skipped and not hasattr(report, "wasxfail") and not _allowed(item):
        report.outcome = "failed"
        report.longrepr = (
            f"unexpected skip under CI ({_reason(report.longrepr)}): make the test run here, "
            f"or mark it @pytest.mark.{ALLOWED_SKIP}(reason) if the environment really decides"
        )
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Under ``CI``, a module skipped while it is collected is a failure too."""
    report = yield
    if _strict() and report.skipped:
        report.outcome = "failed"
        report.longrepr = (
            f"unexpected skip under CI while collecting {collector.nodeid} "
            f"({_reason(report.longrepr)}): a test dependency is missing or an import failed"
        )
    return report
