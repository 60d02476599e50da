"""The ``stripe_faker`` fixture follows Faker's pytest conventions (locale, seed, replay).

Each test runs a small pytest session (pytester, or a child process for xdist) and reads
the payloads its tests print. The reference for "same data" is the replay the failure
report prints: ``add_providers(Faker(locale))`` after ``fake.seed_instance(seed)``.
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from contracttk.strategies import add_providers
from faker import Faker
from support import clean_env, run_pytest

from contracttk.contract import evaluate_create

pytest_plugins = ["pytester"]

TODAY = date.today()
DAY = "date(2030, 1, 15)"  # pinned expiry window: printed payloads compare across runs

SHOW = f"""
from datetime import date

def test_show(stripe_faker):
    print("PAYLOAD", stripe_faker.stripe_card_params(today={DAY}))
"""


def _payloads(output: str) -> list[dict[str, Any]]:
    return [
        ast.literal_eval(line.partition("PAYLOAD ")[2])
        for line in output.splitlines()
        if "PAYLOAD " in line
    ]


def _replay(seed: Any, locale: Any = None, count: int = 1) -> list[dict[str, Any]]:
    fake = add_providers(Faker(locale))
    fake.seed_instance(seed)
    return [fake.stripe_card_params(today=date(2030, 1, 15)) for _ in range(count)]


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_stripe_faker_fixture(stripe_faker: Faker) -> None:
    payload = stripe_faker.stripe_card_params(today=TODAY)
    assert evaluate_create(payload, today=TODAY).accepted


def test_default_seed_is_zero_and_every_run_is_the_same(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SHOW)
    first = _run(pytester, "-s")
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(["*contracttk: stripe_faker seed 0 (the default*"])
    second = _run(pytester, "-s")
    assert _payloads(first.stdout.str()) == _payloads(second.stdout.str()) == _replay(0)


def test_each_test_is_reseeded(pytester: pytest.Pytester) -> None:
    # A test's data does not depend on the tests before it: both tests see seed 0's start.
    pytester.makepyfile(
        f"""
        from datetime import date

        def test_one(stripe_faker):
            for _ in range(3):
                print("PAYLOAD", stripe_faker.stripe_card_params(today={DAY}))

        def test_two(stripe_faker):
            print("PAYLOAD", stripe_faker.stripe_card_params(today={DAY}))
        """
    )
    result = _run(pytester, "-s")
    result.assert_outcomes(passed=2)
    assert _payloads(result.stdout.str()) == [*_replay(0, count=3), *_replay(0)]


def test_faker_seed_fixture_is_honoured(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(autouse=True)
        def faker_seed():
            return 1234
        """
    )
    pytester.makepyfile(SHOW)
    result = _run(pytester, "-s")
    result.assert_outcomes(passed=1)
    assert _payloads(result.stdout.str()) == _replay(1234)
    assert _replay(1234) != _replay(0)


def test_faker_seed_fixture_also_seeds_fakers_own_fixture(pytester: pytest.Pytester) -> None:
    # Faker's plugin and ours read the same fixture: one conftest tunes both.
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(autouse=True)
        def faker_seed():
            return 77
        """
    )
    pytester.makepyfile(
        """
        def test_both(faker, stripe_faker):
            print("NAME", faker.name())
        """
    )
    result = _run(pytester, "-s")
    result.assert_outcomes(passed=1)
    fake = Faker()
    fake.seed_instance(77)
    assert f"NAME {fake.name()}" in result.stdout.str()


@pytest.mark.parametrize(
    ("conftest", "country"),
    [
        (
            "@pytest.fixture(autouse=True)\ndef faker_locale():\n    return ['de_DE']\n",
            "DE",
        ),
        (
            "@pytest.fixture(scope='session', autouse=True)\n"
            "def faker_session_locale():\n    return ['ja_JP']\n",
            "JP",
        ),
    ],
)
def test_locale_fixtures_are_honoured(
    pytester: pytest.Pytester, conftest: str, country: str
) -> None:
    pytester.makeconftest("import pytest\n\n" + conftest)
    pytester.makepyfile(
        """
        def test_locale(stripe_faker):
            for _ in range(5):
                card = stripe_faker.stripe_card_params(include_optional=True)["card"]
                print("COUNTRY", card["address_country"])
        """
    )
    result = _run(pytester, "-s")
    result.assert_outcomes(passed=1)
    countries = {line.split()[-1] for line in result.outlines if line.startswith("COUNTRY")}
    assert countries == {country}


def test_environment_seed_is_in_the_header_and_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(SHOW)
    monkeypatch.setenv("CONTRACTTK_FAKER_SEED", "4242")
    result = _run(pytester, "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*stripe_faker seed 4242 ($CONTRACTTK_FAKER_SEED*"])
    assert _payloads(result.stdout.str()) == _replay(4242)


def test_bad_environment_seed_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(SHOW)
    monkeypatch.setenv("CONTRACTTK_FAKER_SEED", "not-a-number")
    result = _run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*CONTRACTTK_FAKER_SEED must be an integer, got 'not-a-number'*"])
    assert "Traceback" not in result.stderr.str()


FAILING = f"""
from datetime import date

def test_fails_with_faker(stripe_faker):
    stripe_faker.stripe_card_params(today={DAY})
    assert False, "boom"

def test_fails_without_faker():
    assert False, "bang"

def test_passes_with_faker(stripe_faker):
    stripe_faker.stripe_card_params(today={DAY})
"""


@pytest.mark.parametrize("extra", [[], ["--show-capture=no"], ["--tb=short"]])
def test_failure_report_names_the_seed_under_quiet(
    pytester: pytest.Pytester, extra: list[str]
) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(autouse=True)
        def faker_seed():
            return 31337
        """
    )
    pytester.makepyfile(FAILING)
    result = _run(pytester, "-q", *extra)
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    assert "contracttk: stripe_faker seed" not in out  # -q: no header ...
    # ... but the failure of the test that used stripe_faker names its seed, once.
    assert out.count("stripe_faker seed 31337 (from the faker_seed fixture)") == 1
    assert "replay: fake = add_providers(Faker()); fake.seed_instance(31337)" in out
    failing_without = out[out.index("test_fails_without_faker") :]
    assert "stripe_faker seed" not in failing_without.split("short test summary")[0]


def test_xdist_workers_use_the_same_seed(tmp_path: Path) -> None:
    # Workers read the seed as the controller does: each writes its test's payload to a file.
    tests = "\n".join(
        f"def test_{i}(stripe_faker):\n"
        f"    payload = stripe_faker.stripe_card_params(today=date(2030, 1, 15))\n"
        f"    (Path(__file__).parent / 'out{i}.txt').write_text(repr(payload))\n"
        for i in range(4)
    )
    (tmp_path / "test_many.py").write_text(
        "from datetime import date\nfrom pathlib import Path\n\n" + tests
    )
    env = clean_env(CONTRACTTK_FAKER_SEED="9")
    proc = run_pytest(tmp_path, "-n", "2", "-p", "no:cacheprovider", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "stripe_faker seed 9 ($CONTRACTTK_FAKER_SEED" in proc.stdout
    written = [ast.literal_eval((tmp_path / f"out{i}.txt").read_text()) for i in range(4)]
    assert written == _replay(9) * 4
