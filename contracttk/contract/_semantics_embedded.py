"""Rules for the card and bank_account objects embedded in card and bank_account tokens."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

from ._kinds import get_kind
from ._params import response_fields
from ._semantics import FieldRule, H, W, embedded_id_rules
from ._wire import normalise_exp_year, wire
from .domain import (
    IBAN_COUNTRIES,
    TEST_BANK_NAME,
    TEST_ROUTING_NUMBER,
    brand_display,
    find_test_card,
)

__all__ = ["CARD_ECHO", "bank_account_rules", "card_rules"]


@cache
def _values(obj: str, name: str) -> tuple[Any, ...]:
    """The values the response data (``data/params.json``, from the SDK's docstrings) lists
    for ``obj.name``: written once there, for the schemas and these rules alike."""
    [spec] = [f for f in response_fields(obj) if f["name"] == name]
    return tuple(spec["values"])


CARD_ECHO = (
    "name",
    "address_line1",
    "address_line2",
    "address_city",
    "address_state",
    "address_zip",
    "address_country",
)
NETWORKS_PREFERRED = ("cartes_bancaires", "mastercard", "visa", "invalid_preference", None)
_COUNTRY_RE = re.compile(r"[A-Z]{2}")
_CURRENCY_RE = re.compile(r"[a-z]{3}")


def _country_or_null(value: Any) -> bool:
    return value is None or (isinstance(value, str) and _COUNTRY_RE.fullmatch(value) is not None)


def card_rules(card: Mapping[str, Any], today: date) -> list[FieldRule]:
    """The embedded card of a card token [SDK _card.py] [FIX token.card]."""
    number = wire(card.get("number"))
    rules = [
        *embedded_id_rules("card", get_kind("card").embedded_id_prefix or "card_"),
        FieldRule(
            ("card", "last4"),
            H,
            "[SDK] last four digits of card[number]",
            equals=number[-4:],
            from_input=True,
        ),
        FieldRule(
            ("card", "exp_month"),
            H,
            "[SDK] the month as an integer",
            equals=int(wire(card.get("exp_month")) or 0),
            from_input=True,
        ),
        FieldRule(
            ("card", "exp_year"),
            H,
            "[SDK] four digits (a two-digit year normalised)",
            equals=normalise_exp_year(wire(card.get("exp_year")), today),
            from_input=True,
        ),
        FieldRule(("card", "brand"), H, "[SDK] Card.brand values", one_of=_values("card", "brand")),
        FieldRule(
            ("card", "funding"), H, "[SDK] Card.funding values", one_of=_values("card", "funding")
        ),
        FieldRule(
            ("card", "country"),
            W,
            "[SDK] [INF] a two-letter country code or null",
            predicate=_country_or_null,
            expectation="two upper-case letters or null",
        ),
        FieldRule(
            ("card", "tokenization_method"),
            W,
            "[INF] raw card details are no wallet tokenization",
            equals=None,
            optional=True,
        ),
        FieldRule(
            ("card", "dynamic_last4"),
            W,
            "[FIX] [INF] null outside wallet tokenization",
            equals=None,
            optional=True,
        ),
        FieldRule(
            ("card", "regulated_status"),
            H,
            "[SDK] Card.regulated_status values",
            one_of=(*_values("card", "regulated_status"), None),
            optional=True,
        ),
        FieldRule(
            ("card", "networks", "preferred"),
            H,
            "[SDK] networks.preferred values",
            one_of=NETWORKS_PREFERRED,
            optional=True,
        ),
    ]
    rules += _card_brand_rules(number)
    for name in CARD_ECHO:
        value = wire(card[name]) if name in card else None
        rules.append(
            FieldRule(
                ("card", name),
                H,
                "[SDK] echo of the input (null when not sent)",
                equals=value or None,
                from_input=True,
            )
        )
    # cvc_check: a check value once a CVC was sent [FIX] [DOC]; null without one [INF].
    # The address checks follow the same rule for address_line1 / address_zip [SDK].
    for check, sent in (
        ("cvc_check", "cvc"),
        ("address_line1_check", "address_line1"),
        ("address_zip_check", "address_zip"),
    ):
        if sent in card:
            rules.append(
                FieldRule(
                    ("card", check),
                    H,
                    f"[SDK] [FIX] {sent} was sent: a check result",
                    one_of=_values("card", check),
                    from_input=True,
                )
            )
        else:
            rules.append(
                FieldRule(("card", check), W, f"[INF] null when no {sent} was sent", equals=None)
            )
    return rules


def _card_brand_rules(number: str) -> list[FieldRule]:
    test_card = find_test_card(number)
    if test_card is None:
        return [
            FieldRule(
                ("card", "brand"),
                W,
                "[INF] brand by BIN",
                equals=brand_display(number),
                from_input=True,
            )
        ]
    # A co-branded card's reported brand and funding are our inference (the docs name both
    # networks; the funding comes from the test token's name) [DOC: Testing] [INF].
    strength = W if test_card.co_brand is not None else H
    rules = []
    if test_card.display_brand is not None:
        rules.append(
            FieldRule(
                ("card", "brand"),
                strength,
                test_card.basis + " test card brand",
                equals=test_card.display_brand,
                from_input=True,
            )
        )
    if test_card.funding is not None:
        rules.append(
            FieldRule(
                ("card", "funding"),
                strength,
                test_card.basis + " test card funding",
                equals=test_card.funding,
                from_input=True,
            )
        )
    if test_card.country is not None:
        rules.append(
            FieldRule(
                ("card", "country"),
                H,
                "[DOC: Testing] the test card's country",
                equals=test_card.country,
                from_input=True,
            )
        )
    return rules


def bank_account_rules(bank: Mapping[str, Any]) -> list[FieldRule]:
    """The embedded bank account of a bank_account token [SDK _bank_account.py] [FIX]."""
    account = wire(bank.get("account_number"))
    country = wire(bank.get("country"))
    routing = wire(bank.get("routing_number"))
    us_test = country == "US" and routing == TEST_ROUTING_NUMBER
    iban = country in IBAN_COUNTRIES
    rules = [
        *embedded_id_rules("bank_account", get_kind("bank_account").embedded_id_prefix or "ba_"),
        FieldRule(("bank_account", "status"), H, "[DOC] a fresh token shows new", equals="new"),
    ]
    # A country or currency the model does not understand (a fuzzer's "U9JHM-@8c") has no
    # established answer: the format rules hold only where the sent value had that format.
    if _CURRENCY_RE.fullmatch(wire(bank.get("currency")).lower() or "usd"):
        rules.append(
            FieldRule(
                ("bank_account", "currency"),
                H,
                "[SDK] a lower-case three-letter code",
                predicate=lambda v: isinstance(v, str) and _CURRENCY_RE.fullmatch(v) is not None,
                expectation="three lower-case letters",
                from_input=True,
            )
        )
    if _COUNTRY_RE.fullmatch(country):
        rules.append(
            FieldRule(
                ("bank_account", "country"),
                H,
                "[SDK] a two-letter country code",
                predicate=lambda v: isinstance(v, str) and _COUNTRY_RE.fullmatch(v) is not None,
                expectation="two upper-case letters",
                from_input=True,
            )
        )
    rules += [
        FieldRule(("bank_account", "country"), H, "[SDK] echo", equals=country, from_input=True),
        # last4 of a US test account is documented (000123456789 -> 6789); of an IBAN, its
        # last four characters is our inference.
        FieldRule(
            ("bank_account", "last4"),
            W if iban else H,
            "[INF] last four of the IBAN" if iban else "[SDK] [DOC] last four of the number",
            equals=account[-4:],
            from_input=True,
        ),
    ]
    if "currency" in bank:
        rules.append(
            FieldRule(
                ("bank_account", "currency"),
                H,
                "[SDK] lower-case echo",
                equals=wire(bank["currency"]).lower(),
                from_input=True,
            )
        )
    for name in ("account_holder_name", "account_holder_type"):
        if name in bank:
            rules.append(
                FieldRule(
                    ("bank_account", name),
                    H,
                    "[FIX] echo",
                    equals=wire(bank[name]),
                    from_input=True,
                )
            )
    if "account_type" in bank:
        rules.append(
            FieldRule(
                ("bank_account", "account_type"),
                W,
                "[INF] echo",
                equals=wire(bank["account_type"]),
                from_input=True,
            )
        )
    if "routing_number" in bank:
        # Echoed in clear for the US test routing number [DOC] [FIX]; elsewhere (other
        # countries' sort codes, BICs) what Stripe shows is not established.
        rules.append(
            FieldRule(
                ("bank_account", "routing_number"),
                H if us_test else W,
                "[DOC] [FIX] the US test routing number" if us_test else "[INF] echo",
                equals=routing,
                from_input=True,
            )
        )
    if us_test:
        rules.append(
            FieldRule(
                ("bank_account", "bank_name"),
                H,
                "[FIX] [DOC] test routing number",
                equals=TEST_BANK_NAME,
                from_input=True,
            )
        )
    return rules
