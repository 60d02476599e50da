"""The wheel installs our three packages under ``contracttk`` and nothing top-level besides."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
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
    return wheels[0]


@pytest.fixture(scope="module")
def wheel_names(wheel_file: Path) -> list[str]:
    with zipfile.ZipFile(wheel_file) as zf:
        return zf.namelist()


def test_no_top_level_strategies_or_plugins(wheel_names: list[str]) -> None:
    tops = {name.split("/", 1)[0] for name in wheel_names}
    assert "strategies" not in tops and "plugins" not in tops
    assert {t for t in tops if not t.endswith(".dist-info")} == {"contracttk"}


def test_every_source_module_is_shipped_under_contracttk(wheel_names: list[str]) -> None:
    # Every module of the three source folders, mapped to its installed name: a package
    # left out of pyproject's list would be missing here.
    mapping = {
        "contracttk": "contracttk",
        "strategies": "contracttk/strategies",
        "plugins": "contracttk/plugins",
    }
    expected = {
        f"{installed}/{path.relative_to(ROOT / folder).as_posix()}"
        for folder, installed in mapping.items()
        for path in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert expected, "no sources found"
    missing = sorted(expected - set(wheel_names))
    assert not missing, missing
    for required in (
        "contracttk/py.typed",
        "contracttk/contract/data/params.json",
        "contracttk/conformance/report.schema.json",
    ):
        assert required in wheel_names, required


def test_entry_points_declared_in_the_wheel(wheel_names: list[str], wheel_file: Path) -> None:
    # The pytest plugin and the console script are what users of other repos rely on.
    import configparser

    name = next(n for n in wheel_names if n.endswith(".dist-info/entry_points.txt"))
    parser = configparser.ConfigParser()
    with zipfile.ZipFile(wheel_file) as zf:
        parser.read_string(zf.read(name).decode("utf-8"))
    assert parser["pytest11"]["contracttk"] == "contracttk.plugins.pytest_plugin"
    assert parser["console_scripts"]["contracttk"] == "contracttk.cli:main"
