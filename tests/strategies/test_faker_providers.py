"""Tests for the Faker front-end: ``StripeProvider`` and ``add_providers``.

The contract model (oracle, catalogue, domain tables) judges; Stripe's test values are
written out here from Stripe's published test values where a check needs them.
"""

from __future__ import annotations

import inspect
import re
from datetime import date
from typing import Any

import pytest
from contracttk.strategies import InvalidPayload, StripeProvider, add_providers
from faker import Faker
from faker.providers import BaseProvider
from support.facts import SAFE_IDS, US_TEST_ACCOUNTS

from contracttk.contract import (
    KIND_NAMES,
    Finding,
    catalogue,
    evaluate_create,
    param_tree,
    sensitive_values,
)
from contracttk.contract import domain as D
from contracttk.encoding import decode, encode

TODAY = date.today()
TEST_IBANS = {
    "DE89370400440532013000",
    "DE62370400440532013001",
    "DE08370400440532013003",
    "DE78370400440532013004",
    "DE35370400440532013002",
    "FR1420041010050500013M02606",
    "GB82WEST12345698765432",
    "AT611904300234573201",
    "CH9300762011623852957",
}


def wire_form(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: wire_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire_form(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def leaf_paths(value: Any, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if isinstance(value, dict):
        out: set[tuple[str, ...]] = set()
        for k, v in value.items():
            out |= leaf_paths(v, (*path, k))
        return out
    return {path}


@pytest.fixture
def fake() -> Faker:
    f = add_providers(Faker("en_US"))
    f.seed_instance(20240611)
    return f


# --------------------------------------------------------------------------------------------
# Provider shape
# --------------------------------------------------------------------------------------------


def test_provider_methods_are_prefixed_and_documented() -> None:
    assert issubclass(StripeProvider, BaseProvider)
    methods = {
        name: fn
        for name, fn in inspect.getmembers(StripeProvider, inspect.isfunction)
        if not name.startswith("_") and fn.__qualname__.startswith("StripeProvider.")
    }
    expected = {"stripe_card_number", "stripe_params", "stripe_invalid_params"}
    for kind in KIND_NAMES:
        expected |= {f"stripe_{kind}_params", f"stripe_invalid_{kind}_params"}
    assert set(methods) == expected
    for name, fn in methods.items():
        assert fn.__doc__ and fn.__doc__.strip(), name


def test_add_providers_single_and_multi_locale() -> None:
    single = Faker("de_DE")
    assert add_providers(single) is single
    assert single.stripe_card_params(today=TODAY)["card"]["number"]
    multi = add_providers(Faker(["en_US", "ja_JP"]))
    for locale in ("en_US", "ja_JP"):
        assert multi[locale].stripe_pii_params()["pii"]["id_number"] in SAFE_IDS
    assert "card" in multi.stripe_card_params(today=TODAY)


# --------------------------------------------------------------------------------------------
# Valid payloads
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("include_optional", [None, True, False])
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_valid_payloads_are_accepted_and_round_trip(
    fake: Faker, kind: str, include_optional: bool | None
) -> None:
    for _ in range(150):
        payload = fake.stripe_params(kind, include_optional=include_optional, today=TODAY)
        evaluation = evaluate_create(payload, today=TODAY)
        assert evaluation.accepted, (evaluation.findings, payload)
        assert decode(encode(payload)) == wire_form(payload)
        for path, secret in sensitive_values(kind, payload):
            if kind in ("pii", "account", "person"):
                assert secret in SAFE_IDS, (path, secret)
            elif kind == "bank_account":
                assert secret in US_TEST_ACCOUNTS | TEST_IBANS


@pytest.mark.parametrize("kind", ["account", "person"])
def test_every_field_of_the_tree_is_exercised(fake: Faker, kind: str) -> None:
    seen: set[tuple[str, ...]] = set()
    for _ in range(60):
        seen |= leaf_paths(fake.stripe_params(kind, include_optional=True, today=TODAY))
    wanted = {p.keys for p in param_tree(kind).walk() if not p.is_object and not p.is_map} | {
        p.keys for p in param_tree(kind).walk() if p.is_map
    }
    # Map (metadata) leaves carry free keys: count the map as seen when any key is.
    seen |= {path[:-1] for path in seen if path[:-1] in wanted}
    assert wanted - seen == set()


def test_card_number_by_brand(fake: Faker) -> None:
    for _ in range(200):
        assert fake.stripe_card_number(brand="amex")[:2] in ("34", "37")
        assert D.is_test_card(fake.stripe_card_number())
    with pytest.raises(ValueError, match="brand"):
        fake.stripe_card_number(brand="nope")


def test_no_card_number_outside_stripe_test_numbers_in_100000_draws(fake: Faker) -> None:
    numbers = {fake.stripe_card_params(today=TODAY)["card"]["number"] for _ in range(100_000)}
    assert numbers <= {c.number for c in D.TEST_CARDS}
    # All brands and lengths are reached, not just 4242…
    assert {len(n) for n in numbers} == {14, 15, 16, 19}


def test_bank_accounts_and_identity_values_are_test_values(fake: Faker) -> None:
    for _ in range(3000):
        bank = fake.stripe_bank_account_params(today=TODAY)["bank_account"]
        if bank["country"] == "US":
            assert bank["routing_number"] == "110000000"
            assert bank["account_number"] in US_TEST_ACCOUNTS
        else:
            assert bank["account_number"] in TEST_IBANS
            assert bank["account_number"][:2] == bank["country"]
        assert fake.stripe_pii_params()["pii"]["id_number"] in SAFE_IDS
    iban = fake.stripe_bank_account_params(country="gb", today=TODAY)["bank_account"]
    assert iban["account_number"] == "GB82WEST12345698765432"


def test_names_and_addresses_follow_the_fakers_locale() -> None:
    fake = add_providers(Faker("de_DE"))
    fake.seed_instance(7)
    german_first = set(fake.provider("faker.providers.person").first_names)  # Faker's own data
    for _ in range(50):
        card = fake.stripe_card_params(include_optional=True, today=TODAY)["card"]
        assert card["address_country"] == "DE"
        person = fake.stripe_person_params(today=TODAY)["person"]
        assert person["first_name"] in german_first
    japanese = add_providers(Faker("ja_JP"))
    name = japanese.stripe_card_params(include_optional=True, today=TODAY)["card"]["name"]
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", name)
    # An explicit locale wins over the Faker's own.
    card = fake.stripe_card_params(include_optional=True, locale="fr_FR", today=TODAY)["card"]
    assert card["address_country"] == "FR"


# --------------------------------------------------------------------------------------------
# Invalid payloads
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_invalid_payloads_carry_the_oracles_first_finding(fake: Faker, kind: str) -> None:
    for _ in range(300):
        inv = fake.stripe_invalid_params(kind, today=TODAY)
        assert isinstance(inv, InvalidPayload)
        first = evaluate_create(inv.params, today=TODAY).first
        assert first == Finding(inv.violation, inv.expected), inv


def test_every_catalogue_entry_is_reachable(fake: Faker) -> None:
    reached: set[str] = set()
    for v in catalogue():
        if v.requires is not None:
            continue
        for kind in [v.kind] if v.kind else KIND_NAMES:
            for include_optional in (None, True, False):
                inv = fake.stripe_invalid_params(
                    kind, v.name, include_optional=include_optional, today=TODAY
                )
                assert inv.violation == v.name
                assert evaluate_create(inv.params, today=TODAY).first == Finding(v.name, v.expected)
                reached.add(inv.violation)
    assert len(reached) == len(catalogue()) - 3  # all but the three live-key rules


def test_named_violation_methods(fake: Faker) -> None:
    inv = fake.stripe_invalid_card_params("card[number]:luhn", brand="amex", today=TODAY)
    assert (inv.status, inv.type, inv.code, inv.param) == (
        402,
        "card_error",
        "incorrect_number",
        "number",
    )
    assert inv.params["card"]["number"][:2] in ("34", "37")
    inv = fake.stripe_invalid_bank_account_params(
        ["bank_account[account_number]:bad_iban"], today=TODAY
    )
    assert inv.code == "account_number_invalid"
    for method in ("pii", "account", "person", "cvc_update"):
        result = getattr(fake, f"stripe_invalid_{method}_params")("request:no_kind")
        assert result.params == {} and result.status == 400


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: f.stripe_invalid_card_params("nope"), "nope"),
        (lambda f: f.stripe_invalid_card_params("card:live_mode_test_card"), "live-mode key"),
        (lambda f: f.stripe_card_params(brand="amex", country="FR"), "no Stripe test card"),
        (lambda f: f.stripe_bank_account_params(country="JP"), "no Stripe test bank account"),
        (lambda f: f.stripe_person_params(locale="xx"), "locale"),
        (lambda f: f.stripe_params("coupon"), "unknown token kind"),
        (lambda f: f.stripe_params("card", colour="red"), "colour"),
    ],
)
def test_argument_errors(fake: Faker, call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call(fake)


# --------------------------------------------------------------------------------------------
# Determinism (Faker's own seeding)
# --------------------------------------------------------------------------------------------


def _sample(fake: Faker) -> list[Any]:
    out: list[Any] = []
    for kind in KIND_NAMES:
        for _ in range(20):
            out.append(fake.stripe_params(kind, today=TODAY))
            out.append(fake.stripe_invalid_params(kind, today=TODAY))
    return out


def test_same_seed_same_payloads() -> None:
    a = add_providers(Faker("en_GB"))
    a.seed_instance(99)
    first = _sample(a)
    b = add_providers(Faker("en_GB"))
    b.seed_instance(99)
    assert _sample(b) == first
    a.seed_instance(99)  # re-seeding replays, although the locale pool is now built
    assert _sample(a) == first
    b.seed_instance(100)
    assert _sample(b) != first
