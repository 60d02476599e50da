"""The contract package loads its names on first use, and every exported name resolves."""

from __future__ import annotations

import subprocess
import sys

import contracttk.contract as contract


def test_every_exported_name_resolves() -> None:
    for name in contract.__all__:
        assert getattr(contract, name) is not None, name
    assert set(contract.__all__) <= set(dir(contract))


def test_unknown_names_raise_attribute_error() -> None:
    try:
        contract.no_such_name  # noqa: B018
    except AttributeError as err:
        assert "no_such_name" in str(err)
    else:
        raise AssertionError("expected AttributeError")


def test_key_helpers_load_without_the_catalogue() -> None:
    code = (
        "import sys; import contracttk.contract as c; "
        "before = sorted(m for m in sys.modules if m.startswith('contracttk.contract.')); "
        "from contracttk.contract import mask_key, is_live_key; "
        "after = sorted(m for m in sys.modules if m.startswith('contracttk.contract.')); "
        "print(before, after)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = out.stdout.strip().split("] [")
    assert before == "["
    assert "_violations" not in after and "_oracle" not in after and "domain" not in after
    assert "_brands" not in after and "_test_values" not in after
    assert "contracttk.contract._kinds" in after


def test_a_misspelt_kind_or_a_raw_key_is_a_clear_error() -> None:
    # Not an empty answer (violations_for gave the 8 request-level entries for "cards"), not
    # a bare KeyError or AttributeError from deep inside.
    import pytest

    for call in (lambda: contract.violations_for("cards"), lambda: contract.sample_params("cards")):
        with pytest.raises(contract.UnknownKindError, match="expected one of: card, "):
            call()
    with pytest.raises(TypeError, match=r"parse_key\(raw\)"):
        contract.evaluate_create(contract.sample_params("card"), key="sk_live_abc")  # type: ignore[arg-type]
