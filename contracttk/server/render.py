"""Build the token object a successful create answers, from the contract model only.

Every value that the contract pins (``token_rules`` entries with an exact value: last4,
exp_month, the normalised exp_year, brand, echoes of name/address, bank status...) is copied
from the rules, so the server and the checks cannot drift apart. The rest is filled from the
model's response field lists (as null) plus what only a server can make: ids, fingerprints,
``created``. Nothing from the request is copied unless a rule says so, so secrets (PAN, CVC,
account and ID numbers) have no way into the answer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from ..contract import ID_ALPHABET, get_kind, make_id, response_fields, token_rules, wire
from ..contract.domain import bank_accounts, brand_display, find_test_card

__all__ = ["fingerprint", "render_token"]


def _embedded_prefix(kind: str) -> str:
    prefix = get_kind(kind).embedded_id_prefix
    if prefix is None:  # the model embeds an object for this kind: it must name its ids
        raise ValueError(f"the contract gives {kind} tokens no embedded object id prefix")
    return prefix


def fingerprint(salt: bytes, value: str) -> str:
    """A stable 16-character fingerprint of ``value``: keyed hash, never the value itself."""
    digest = hmac.new(salt, value.encode("utf-8"), hashlib.sha256).digest()
    return "".join(ID_ALPHABET[b % 62] for b in digest[:16])


def _put(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def render_token(
    kind: str,
    params: Mapping[str, Any],
    *,
    livemode: bool,
    created: int,
    today: date | None = None,
    salt: bytes = b"",
    new_id: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """The token object for an accepted ``kind`` payload.

    ``new_id(prefix)`` mints ids (default: prefix + 24 random alphanumerics); ``salt`` keys
    the fingerprints.
    """
    mint = new_id or make_id
    k = get_kind(kind)
    embedded = k.embedded_object
    token: dict[str, Any] = {"id": mint(k.id_prefixes[0]), "object": "token"}
    if embedded:
        token[embedded] = {}
    token.update(client_ip=None, created=created, livemode=livemode, type=kind, used=False)
    for rule in token_rules(kind, params, livemode=livemode, today=today):
        if rule.has_value:
            _put(token, rule.path, rule.equals)
    source = params.get(kind)
    source = source if isinstance(source, Mapping) else {}
    if embedded == "card":
        _fill_card(token["card"], source, salt, mint)
    elif embedded == "bank_account":
        _fill_bank_account(token["bank_account"], source, salt, mint)
    if embedded:
        # Stripe's order: id, object, then the other fields alphabetically.
        obj = token[embedded]
        token[embedded] = {
            "id": obj.pop("id"),
            "object": obj.pop("object"),
            **dict(sorted(obj.items())),
        }
    return token


def _fill_card(
    card: dict[str, Any], source: Mapping[str, Any], salt: bytes, mint: Callable[[str], str]
) -> None:
    number = wire(source.get("number"))
    for spec in response_fields("card"):
        if spec.get("in_token"):
            card.setdefault(spec["name"], None)
    card["id"] = mint(_embedded_prefix("card"))
    card["fingerprint"] = fingerprint(salt, number)
    test_card = find_test_card(number)
    if card.get("brand") is None:
        card["brand"] = brand_display(number)
    if card.get("funding") is None:
        # Why "credit" for test cards without a documented funding: Stripe's plain test cards
        # (4242..., 5555...4444) are credit cards; a number we know nothing about is "unknown".
        card["funding"] = "credit" if test_card is not None else "unknown"
    if card.get("country") is None and test_card is not None:
        card["country"] = test_card.country
    if "cvc" in source:
        # stripe-tokens.md §3.1 (tests/data): "pass" [FIX] (or "unchecked") when a CVC was
        # sent; the rule allows any check value.
        card["cvc_check"] = "pass"
    for field, sent in (
        ("address_line1_check", "address_line1"),
        ("address_zip_check", "address_zip"),
    ):
        # An address given at tokenization has not been verified yet [DOC: card object].
        card[field] = "unchecked" if wire(source.get(sent)) else None
    card["metadata"] = {}
    networks = source.get("networks")
    preferred = networks.get("preferred") if isinstance(networks, Mapping) else None
    card["networks"] = {"preferred": wire(preferred) or None}


def _fill_bank_account(
    bank: dict[str, Any], source: Mapping[str, Any], salt: bytes, mint: Callable[[str], str]
) -> None:
    # The bank_account field list has no "in the token" marks; its plain string fields are
    # exactly the never-null and nullable lists of stripe-tokens.md §3.2 (tests/data); the
    # rest are expandables, arrays, flags and hashes that only appear on external accounts.
    for spec in response_fields("bank_account"):
        if spec["type"] == "string":
            bank.setdefault(spec["name"], None)
    bank["id"] = mint(_embedded_prefix("bank_account"))
    bank["fingerprint"] = fingerprint(salt, wire(source.get("account_number")))
    if bank.get("currency") is None:
        # currency is never null [SDK]; when not sent, the country's documented test currency.
        # Countries without a test account (Stripe would refuse most of them, with an error
        # that is not established) get "usd" [INF]: the schema says currency is never null.
        known = bank_accounts(country=wire(source.get("country")) or "??")
        bank["currency"] = known[0].currency if known else "usd"
