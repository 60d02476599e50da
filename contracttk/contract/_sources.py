"""The basis tags every rule of the contract model cites, defined once.

Each expected error (``ExpectedError.basis``), response rule (``FieldRule.basis``), protocol
rule (``PROTOCOL_RULES``) and test value cites its sources with these tags, e.g.
``[DOC: Testing] [ISSUE: stripe/stripe-node#162]``. A tag may carry a detail after a colon or
a space (the document title, the repository and thread, the SDK module: ``[SDK enum]``).

=================  ===================================================================  ==========================================
tag                source                                                               strength of a rule resting on it
=================  ===================================================================  ==========================================
``[SDK]``          the ``stripe`` package on PyPI, version 16.1.0 (API version          hard: shapes, enums, required markers,
                   ``2026-10-28.endive``): parameter classes, resources, docstrings     client behaviour
``[SDK-other]``    Stripe's other official clients, read as public source:              hard for client behaviour; indirect
                   stripe-ruby, stripe-android (``CardBrand.kt``), stripe-python's      evidence of server behaviour
                   own tests
``[FIX]``          ``openapi/fixtures3.json`` of github.com/stripe/openapi: example     hard for response shapes
                   objects
``[HSPEC]``        ``openapi/spec3.json`` of github.com/stripe/openapi at commit        hard (``maxLength``, nullability, old
                   e0123a38 (2022-04-12, API 2020-08-27); for parameters added later,   enums), but the copy is years old
                   ``latest/openapi.spec3.json`` at commit 18fa2cc7
``[DOC]``          a page of Stripe's documentation (``[DOC: <title>]``)                hard for documented behaviour
``[ISSUE]``        a public GitHub issue or pull request quoting a real API answer      hard for status, ``type``, ``code`` and
                   (``[ISSUE: owner/repo#n]``)                                          ``param``; exact messages may have drifted
``[3P]``           third-party code that imitates or wraps Stripe                       corroboration only; never hard alone
``[INF]``          our own inference, stated as such                                    warning at most, never a hard failure
=================  ===================================================================  ==========================================

A rule is *hard* only when its basis cites at least one of the hard tags
(:data:`HARD_TAGS`); a rule that cites only ``[INF]`` or ``[3P]`` (or nothing) is a warning at
most. "Not established" facts are asserted neither way. The audit test of the catalogue
(``tests/contract/test_audit_trail.py``) holds every hard rule to this.
"""

from __future__ import annotations

import re

__all__ = ["BASIS_TAGS", "HARD_TAGS", "basis_tags", "has_hard_source"]

BASIS_TAGS: dict[str, str] = {
    "SDK": "the stripe package on PyPI 16.1.0 (API 2026-10-28.endive)",
    "SDK-other": "Stripe's other official client libraries (stripe-ruby, stripe-android, ...)",
    "FIX": "stripe/openapi openapi/fixtures3.json example objects",
    "HSPEC": "stripe/openapi spec3.json @ e0123a38 (2022); later parameters @ 18fa2cc7",
    "DOC": "a Stripe documentation page",
    "ISSUE": "a public GitHub thread quoting a real API answer",
    "3P": "third-party code imitating or wrapping Stripe (corroboration only)",
    "INF": "our inference (warning at most)",
}
"""Tag -> what it names (the table above, in short)."""

HARD_TAGS: frozenset[str] = frozenset({"SDK", "SDK-other", "FIX", "HSPEC", "DOC", "ISSUE"})
"""Tags a hard rule must cite at least one of."""

# "[DOC: Testing]", "[SDK enum]", "[INF]": the tag, then an optional detail.
_TAG_RE = re.compile(r"\[([A-Za-z0-9-]+)(?:[:\s][^\]]*)?\]")


def basis_tags(basis: str) -> list[str]:
    """The tags cited in ``basis``, in order: ``"[DOC: Testing] [INF]"`` -> ``["DOC", "INF"]``."""
    return _TAG_RE.findall(basis)


def has_hard_source(basis: str) -> bool:
    """True when ``basis`` cites at least one tag a hard rule may rest on."""
    return any(tag in HARD_TAGS for tag in basis_tags(basis))
