"""As users get it: an sdist and a wheel built from the repository, the wheel installed into a
fresh virtual environment, used from a project of the user's own.

Dependencies come from the package index (as they would for a user), so this test needs
the network access CI has; the pip cache keeps reruns short.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from support import clean_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

FAILING_GIVEN = """
from hypothesis import given, strategies as st
from contracttk.strategies import card_params


@given(st.just({"a": "1"}))
def test_mine(params):
    assert params == {}


@given(card_params(brand="amex"))
def test_amex_payloads_are_amex(params):
    assert params["card"]["number"].startswith(("34", "37"))
"""


def _run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = _run(
        [
            sys.executable,
            "-m",
            "build",
            # Without --sdist/--wheel the wheel is built from the sdist, as users get it: built
            # from the checkout, setuptools would pack build/lib, stale files and all.
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out


def test_the_sdist_carries_the_license_and_the_sources(dist: Path) -> None:
    [sdist] = list(dist.glob("contracttk-*.tar.gz"))
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    assert any(n.endswith("/LICENSE") for n in names)
    assert any(n.endswith("/strategies/_build.py") for n in names)
    assert any(n.endswith("/contracttk/conformance/report.schema.json") for n in names)


def test_the_wheel_holds_the_modules_of_the_sources_and_no_others(dist: Path) -> None:
    [sdist] = list(dist.glob("contracttk-*.tar.gz"))
    [wheel] = list(dist.glob("contracttk-*.whl"))
    with tarfile.open(sdist) as tar:
        sources = {n.split("/", 1)[1] for n in tar.getnames() if n.endswith(".py")}
    with zipfile.ZipFile(wheel) as whl:
        packed = {n for n in whl.namelist() if n.endswith(".py")}
    # the wheel maps strategies/ and plugins/ to contracttk.strategies / contracttk.plugins
    renamed = {
        n.replace("contracttk/strategies/", "strategies/", 1).replace(
            "contracttk/plugins/", "plugins/", 1
        )
        for n in packed
    }
    assert renamed - sources == set()


def test_the_wheel_in_a_fresh_venv_leaves_a_users_tests_as_they_were(
    dist: Path, tmp_path: Path
) -> None:
    [wheel] = list(dist.glob("contracttk-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # The default install (what `pip install contracttk` gives), next to the user's pytest.
    proc = _run([*pip, str(wheel), "pytest"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_user.py").write_text(FAILING_GIVEN)
    user = _run([str(bin_dir / "pytest"), "-q", "-p", "no:cacheprovider"], project)
    # the falsifying example is printed as without contracttk; our strategies work
    assert user.returncode == 1, user.stdout[-3000:]
    assert "params={'a': '1'}" in user.stdout and "1 failed, 1 passed" in user.stdout
    # no schemathesis in the default install; the CLI says which extra the suite needs
    for command in ("fuzz", "serve"):
        cli = _run([str(bin_dir / "contracttk"), command], project)
        assert cli.returncode == 2 and "pip install 'contracttk[conformance]'" in cli.stderr
    dump = _run(
        [
            str(bin_dir / "contracttk"),
            "fixtures",
            "dump",
            "--out",
            "fx",
            "--type",
            "card",
            "--valid",
            "2",
            "--invalid",
            "2",
        ],
        project,
    )
    assert dump.returncode == 0 and (project / "fx" / "manifest.json").is_file(), dump.stderr
    # With the conformance extra (schemathesis's pytest plugin then loads in every run):
    # the user's failing test still prints its example.
    proc = _run([*pip, f"{wheel}[conformance]"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    user = _run([str(bin_dir / "pytest"), "-q", "-p", "no:cacheprovider"], project)
    assert user.returncode == 1 and "params={'a': '1'}" in user.stdout, user.stdout[-3000:]
    assert "any other generated value" not in user.stdout
