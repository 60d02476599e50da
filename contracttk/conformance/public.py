"""Which values are public test data: shown in full, because a reproduction that masks them
does not reproduce.

Stripe's published test values (test card numbers, bank accounts, routing numbers, IBANs,
identity numbers, the test phone) belong to no one; so does a test card number with its last
digit changed (a Luhn failure made from public data, what the catalogue's Luhn violations
send). Anything else card-, account- or ID-shaped is masked wherever it is printed.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["is_public_value"]


@lru_cache(maxsize=4096)  # bounded: a hostile answer is full of distinct digit runs
def is_public_value(value: str) -> bool:
    """True for a published Stripe test value (test card, bank, IBAN, ID number, phone), or a
    test card number with its last digit changed (a Luhn failure made from public data: no
    card of anyone's, and what the catalogue's Luhn violations send)."""
    if _is_public(value):
        return True
    return (
        13 <= len(value) <= 19
        and value.isascii()
        and value.isdigit()
        and any(_is_public(value[:-1] + d) for d in "0123456789" if d != value[-1])
        and not _luhn(value)
    )


def _luhn(value: str) -> bool:
    from contracttk.contract.domain import luhn_valid

    return luhn_valid(value)


def _is_public(value: str) -> bool:
    from contracttk.contract.domain import is_public_test_value

    return is_public_test_value(value)
