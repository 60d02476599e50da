"""The wheel installs our three packages under ``contracttk`` and nothing top-level besides."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    wheels = list(out.glob("contracttk-*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as zf:
        return zf.namelist()


def test_no_top_level_strategies_or_plugins(wheel_names: list[str]) -> None:
    tops = {name.split("/", 1)[0] for name in wheel_names}
    assert "strategies" not in tops and "plugins" not in tops
    assert {t for t in tops if not t.endswith(".dist-info")} == {"contracttk"}


def test_mapped_packages_and_data_are_shipped(wheel_names: list[str]) -> None:
    for required in (
        "contracttk/py.typed",
        "contracttk/contract/data/params.json",
        "contracttk/strategies/__init__.py",
        "contracttk/plugins/__init__.py",
        "contracttk/plugins/pytest_plugin.py",
        "contracttk/encoding.py",
    ):
        assert required in wheel_names, required


def test_entry_points_declared(wheel_names: list[str]) -> None:
    # The pytest plugin and the console script are what users of other repos rely on.
    import importlib.metadata as md

    eps = md.entry_points()
    plugin = [e.value for e in eps.select(group="pytest11") if e.name == "contracttk"]
    script = [e.value for e in eps.select(group="console_scripts") if e.name == "contracttk"]
    assert plugin == ["contracttk.plugins.pytest_plugin"]
    assert script == ["contracttk.cli:main"]
