"""Redaction by construction: secrets fed to a real run never reach any output.

A leaky target (the reference server, echoing every request and header into its answers,
see ``support.leaky``) also puts secrets Hypothesis draws into every answer: a card number
that is not a test card (bare, and grouped after another number), a CVC, an account and an
ID number under their parameter names, a live key, a password in a URL. Then a real run
(``contracttk fuzz`` or ``pytest -p contracttk``) writes its console output, JSON report,
JUnit file and cache folder, and none of them may hold any of those secrets, the run's
key, or a non-public value the suite sent; published Stripe test values may show in full.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from support import clean_env, run_cli, run_pytest
from support.leaks import PUBLIC, Sent, files_text, leaks
from support.leaky import leaky_service
from support.secrets import luhn_digit

from contracttk.server import Request, running_server

pytestmark = pytest.mark.loopback

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _varied(alphabet: str, size: int) -> st.SearchStrategy[str]:
    # A secret has entropy: Hypothesis would otherwise reach "00000000000", which stands
    # inside any longer run of zeros in an output without being anyone's number.
    return st.text(alphabet, min_size=size, max_size=size).filter(lambda t: len(set(t)) >= 5)


@st.composite
def secrets_(draw: st.DrawFn) -> dict[str, str]:
    """A set of secrets no run sent and no output may show."""
    body = draw(st.sampled_from(["4", "51", "37", "6011"]))
    body += draw(_varied("0123456789", (15 if body == "37" else 16) - 1 - len(body)))
    pan = body + luhn_digit(body)
    account = draw(_varied("0123456789", draw(st.integers(10, 12))))
    id_number = draw(_varied("0123456789", 9))
    assume(not {pan, account, id_number} & PUBLIC)
    return {
        "pan": pan,
        "cvc": draw(st.text("123456789", min_size=4, max_size=4)),
        "account": account,
        "id_number": id_number,
        "key": "sk_live_" + draw(_varied(ALNUM, 24)),
        "password": "pw" + draw(_varied(ALNUM, 14)),
        "run_key": "sk_test_" + draw(_varied(ALNUM, 24)),
    }


def _inject(s: dict[str, str]) -> dict[str, Any]:
    """How the leaky target shows the drawn secrets: free text and under their names."""
    grouped = " ".join(s["pan"][k : k + 4] for k in range(0, len(s["pan"]), 4))
    return {
        "seen": f"card {s['pan']} and ref 12 {grouped} with key {s['key']}",
        "docs": f"https://admin:{s['password']}@docs.example.test/x",
        "card": {"number": s["pan"], "cvc": s["cvc"]},
        "bank_account": {"account_number": s["account"]},
        "pii": {"id_number": s["id_number"]},
        "form": f"card[number]={s['pan']}&card[cvc]={s['cvc']}&pii[id_number]={s['id_number']}",
    }


FIXED = {
    "pan": "4539148803436467",
    "cvc": "8361",
    "account": "98765432109",
    "id_number": "918273645",
    "key": "sk_live_InjectedKey99887766abc",
    "password": "pwHunter2Secret",
    "run_key": "sk_test_RunKey0123456789abcdef",
}


@settings(
    max_examples=1,
    deadline=None,
    database=None,
    # Each example is a whole run: report the first failing one as drawn, unshrunk.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(secrets=secrets_(), front=st.sampled_from(["fuzz", "pytest"]), seed=st.integers(0, 999))
@example(secrets=FIXED, front="fuzz", seed=5)
@example(secrets=FIXED, front="pytest", seed=6)
def test_no_secret_reaches_any_output(
    tmp_path: Path, secrets: dict[str, str], front: str, seed: int
) -> None:
    received: list[Request] = []
    cwd = Path(tempfile.mkdtemp(dir=tmp_path))
    service = leaky_service(_inject(secrets), received)
    env = clean_env(TMPDIR=str(cwd))
    with running_server(service_cls=service, keys=[secrets["run_key"]]) as url:
        if front == "fuzz":
            result = run_cli(
                *("fuzz", url, "--api-key", secrets["run_key"], "--kind", "card"),
                *("--max-examples", "1", "--seed", str(seed)),
                *("--report", "r.json", "--junit-xml", "j.xml"),
                cwd=cwd,
                env=env,
            )
        else:
            result = run_pytest(
                cwd,
                *("--contracttk-url", url, "--contracttk-api-key", secrets["run_key"]),
                *("--contracttk-kind", "card", "--contracttk-max-examples", "1"),
                *("--contracttk-seed", str(seed), "-rA"),
                *("--contracttk-report", "r.json", "--contracttk-junit-xml", "j.xml"),
                env=env,
            )
    # The run met the echoes (and says so) ...
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    doc = json.loads((cwd / "r.json").read_text())
    assert "no_secret_echo" in {f["check"] for f in doc["findings"]}
    # ... and nothing it wrote anywhere holds a secret.
    sent = Sent()
    for req in received:
        sent.add(req.body, req.headers.get("authorization"))
    assert secrets["run_key"] in sent.keys
    outputs = {"stdout": result.stdout, "stderr": result.stderr, **files_text(cwd)}
    assert {"r.json", "j.xml"} <= set(outputs)
    assert any(n.startswith((".contracttk_cache", ".pytest_cache")) for n in outputs)
    if front == "fuzz":
        # Hypothesis generated cases: its files live in the tool's cache, not in the
        # user's working folder.
        assert not (cwd / ".hypothesis").exists()
        assert (cwd / ".contracttk_cache" / "hypothesis").is_dir()
    drawn = [secrets[k] for k in ("pan", "account", "id_number", "key", "password", "run_key")]
    grouped = " ".join(secrets["pan"][k : k + 4] for k in range(0, len(secrets["pan"]), 4))
    sent.private.add(secrets["cvc"])  # judged where it stands under its name
    for where, text in outputs.items():
        found = leaks(text, sent, extra=[*drawn, grouped, secrets["key"][8:-4]])
        assert found == [], (where, found[:5])
