"""Valid payloads built from Stripe's documented test values, kind by kind.

A conformance run sends these before any generated payload, so every documented test card,
bank account and identity test value is covered whatever the seed: the facts pinned for
documented test values are the hard ones.
"""

from __future__ import annotations

from itertools import cycle, islice
from typing import Any

from . import domain as D
from ._kinds import get_kind
from ._violations import sample_params

__all__ = ["documented_params"]

Payload = dict[str, Any]

# Stripe's identity address test values need a real city, state and postal code beside them
# [DOC: Testing Stripe Connect].
_US_ADDRESS = {"city": "San Francisco", "state": "CA", "postal_code": "94111", "country": "US"}


def documented_params(kind: str) -> list[Payload]:
    """Valid payloads of ``kind`` that between them carry every documented test value.

    * card: one payload per documented test card, with a CVC of the brand's length;
    * bank_account: one per documented test account (US account numbers with the test
      routing number, test IBANs);
    * pii: one per identity test number; cvc_update: a 3- and a 4-digit CVC;
    * account / person: the identity test values (dates of birth, ID numbers, ``ssn_last_4``,
      phone, address ``line1`` values, director/owner first names, document files, company
      names and tax IDs) spread over as few payloads as carry each value at least once.

    Every payload is accepted by the oracle and lies in the model's understood domain.
    Raises :class:`UnknownKindError` for an unknown kind.
    """
    builder = _BUILDERS[get_kind(kind).name]
    return builder()


def _card() -> list[Payload]:
    out = []
    for card in D.TEST_CARDS:
        params = sample_params("card")
        params["card"]["number"] = card.number
        params["card"]["cvc"] = "1234"[: D.cvc_lengths_for(card.number)[0]]
        out.append(params)
    return out


def _bank_account() -> list[Payload]:
    out = []
    for bank in D.TEST_BANK_ACCOUNTS:
        fields = {
            "country": bank.country,
            "currency": bank.currency,
            "account_number": bank.account_number,
            "routing_number": bank.routing_number,
        }
        out.append({"bank_account": {k: v for k, v in fields.items() if v is not None}})
    return out


def _pii() -> list[Payload]:
    return [{"pii": {"id_number": n}} for n in D.TEST_ID_NUMBERS]


def _cvc_update() -> list[Payload]:
    return [{"cvc_update": {"cvc": "123"}}, {"cvc_update": {"cvc": "1234"}}]


def _spread(*pools: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows that between them hold every value of every pool (shorter pools repeat)."""
    n = max(len(p) for p in pools)
    return list(zip(*(islice(cycle(p), n) for p in pools), strict=True))


def _person_fields() -> list[Payload]:
    rows = _spread(
        D.TEST_DOBS,
        D.TEST_ID_NUMBERS,
        D.TEST_ADDRESS_LINE1,
        D.TEST_FIRST_NAMES,
        D.TEST_IDENTITY_FILES,
    )
    return [
        {
            "first_name": first_name,
            "last_name": "Rosen",
            "dob": {"day": day, "month": month, "year": year},
            "id_number": id_number,
            "ssn_last_4": D.TEST_SSN_LAST_4[0],
            "phone": D.TEST_PHONE,
            "address": {"line1": line1, **_US_ADDRESS},
            "verification": {"document": {"front": document}},
        }
        for (year, month, day), id_number, line1, first_name, document in rows
    ]


def _account() -> list[Payload]:
    individuals = [
        {"account": {"business_type": "individual", "individual": fields}}
        for fields in _person_fields()
    ]
    companies = [
        {
            "account": {
                "business_type": "company",
                "company": {
                    "name": name,
                    "tax_id": tax_id,
                    "phone": D.TEST_PHONE,
                    "address": {"line1": "address_full_match", **_US_ADDRESS},
                },
                "tos_shown_and_accepted": True,
            }
        }
        for name, tax_id in _spread(D.TEST_COMPANY_NAMES, D.TEST_TAX_IDS)
    ]
    return individuals + companies


def _person() -> list[Payload]:
    return [{"person": fields} for fields in _person_fields()]


_BUILDERS = {
    "card": _card,
    "bank_account": _bank_account,
    "pii": _pii,
    "account": _account,
    "person": _person,
    "cvc_update": _cvc_update,
}
