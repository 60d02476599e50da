"""Card brands: BIN ranges, the brand strings Stripe reports, CVC lengths.

Part of the contract's domain knowledge (:mod:`contracttk.contract.domain` re-exports it);
standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "BRANDS",
    "UNKNOWN_BRAND",
    "BrandSpec",
    "brand_display",
    "cvc_lengths_for",
    "detect_brand",
]


def _is_ascii_digits(value: object) -> bool:
    # str.isdigit() alone accepts "²" and full-width digits, which no card network issues.
    return isinstance(value, str) and value.isascii() and value.isdigit()


# --------------------------------------------------------------------------------------------
# Brands [SDK-other: stripe-android CardBrand.kt]; display strings [SDK: Card.brand docstring]
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BrandSpec:
    """One card network as the contract model knows it.

    ``prefixes`` are inclusive ranges of leading digits; a range's width in digits is the
    number of leading digits compared (``(2221, 2720)`` compares four). Co-branded local
    networks (Cartes Bancaires, eftpos Australia) ride on Visa/Mastercard ranges, so they have
    no prefixes of their own and :func:`detect_brand` never returns them.

    ``lengths`` are the PAN lengths established for this brand (safe for generating valid
    numbers); ``possible_lengths`` adds lengths the network is said to issue but that no
    Stripe test number confirms — a "wrong length" generator must avoid those too.
    """

    key: str
    display: str
    prefixes: tuple[tuple[int, int], ...]
    lengths: tuple[int, ...]
    cvc_lengths: tuple[int, ...]
    possible_lengths: tuple[int, ...] = ()
    basis: str = "[SDK-other: stripe-android CardBrand.kt]"

    def __post_init__(self) -> None:
        if not self.possible_lengths:
            object.__setattr__(self, "possible_lengths", self.lengths)


UNKNOWN_BRAND = "Unknown"

_BRAND_LIST: tuple[BrandSpec, ...] = (
    # Visa: 13–19 digit Visa PANs exist, but Stripe's client defaults to 16 and every Visa test
    # number is 16 digits, so only 16 is "established".
    BrandSpec(
        key="visa",
        display="Visa",
        prefixes=((4, 4),),
        lengths=(16,),
        cvc_lengths=(3,),
        possible_lengths=(13, 14, 15, 16, 17, 18, 19),
    ),
    # Mastercard: Stripe's Android client also maps 50, 56–59 and 67 to Mastercard. That is a
    # client-side guess only (Maestro territory), so those ranges stay Unknown here rather than
    # turning a client heuristic into a hard expectation on the server's `brand`.
    BrandSpec(
        key="mastercard",
        display="MasterCard",
        prefixes=((2221, 2720), (51, 55)),
        lengths=(16,),
        cvc_lengths=(3,),
    ),
    # Amex: the docs say 4-digit CVC; the Android client also accepts 3, but a checker follows
    # the docs (a 3-digit Amex CVC is not a documented valid input).
    BrandSpec(
        key="amex",
        display="American Express",
        prefixes=((34, 34), (37, 37)),
        lengths=(15,),
        cvc_lengths=(4,),
    ),
    BrandSpec(
        key="discover",
        display="Discover",
        prefixes=((60, 60), (64, 65)),
        lengths=(16,),
        cvc_lengths=(3,),
    ),
    BrandSpec(
        key="jcb",
        display="JCB",
        prefixes=((3528, 3589),),
        lengths=(16,),
        cvc_lengths=(3,),
    ),
    # Diners: 36 is the 14-digit range, 30/38/39 the 16-digit ones; one spec covers both
    # lengths because BrandSpec does not tie lengths to individual prefixes.
    BrandSpec(
        key="diners",
        display="Diners Club",
        prefixes=((30, 30), (36, 36), (38, 39)),
        lengths=(14, 16),
        cvc_lengths=(3,),
    ),
    # UnionPay: 16 and 19 are confirmed by test numbers; 17 and 18 only by CardBrand.kt.
    BrandSpec(
        key="unionpay",
        display="UnionPay",
        prefixes=((62, 62), (81, 81)),
        lengths=(16, 19),
        cvc_lengths=(3,),
        possible_lengths=(16, 17, 18, 19),
    ),
    BrandSpec(
        key="cartes_bancaires",
        display="Cartes Bancaires",
        prefixes=(),
        lengths=(16,),
        cvc_lengths=(3,),
    ),
    BrandSpec(
        key="eftpos_au",
        display="Eftpos Australia",
        prefixes=(),
        lengths=(16,),
        cvc_lengths=(3,),
    ),
)

BRANDS: Mapping[str, BrandSpec] = MappingProxyType({b.key: b for b in _BRAND_LIST})
"""Brand key → :class:`BrandSpec` (read-only)."""

# (width in digits, low, high, spec), widest first, so the first hit is the longest match.
_PREFIX_TABLE: tuple[tuple[int, int, int, BrandSpec], ...] = tuple(
    sorted(
        ((len(str(lo)), lo, hi, spec) for spec in _BRAND_LIST for lo, hi in spec.prefixes),
        key=lambda row: -row[0],
    )
)


def detect_brand(number: str) -> BrandSpec | None:
    """Return the brand whose BIN prefix matches ``number`` (longest prefix wins).

    ``number`` must be ASCII digits only (no spaces or dashes); anything else, including
    non-strings, gives ``None``. Detection looks at the prefix only, not the length. Never
    raises.
    """
    if not _is_ascii_digits(number):
        return None
    for width, lo, hi, spec in _PREFIX_TABLE:
        if len(number) >= width and lo <= int(number[:width]) <= hi:
            return spec
    return None


def brand_display(number: str) -> str:
    """The legacy card object's ``brand`` string for ``number``, or ``"Unknown"``.

    Inferred from the prefix [INF] (prefix ranges [SDK-other: CardBrand.kt]); see
    :class:`TestCard` for numbers where the reported brand is not established.
    """
    spec = detect_brand(number)
    return spec.display if spec is not None else UNKNOWN_BRAND


def cvc_lengths_for(number: str) -> tuple[int, ...]:
    """Accepted CVC lengths for ``number``'s brand; ``(3, 4)`` when the brand is unknown."""
    spec = detect_brand(number)
    return spec.cvc_lengths if spec is not None else (3, 4)
