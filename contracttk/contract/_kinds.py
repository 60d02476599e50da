"""Token kinds, API keys and the rules that tie them together [SDK] [DOC: API keys]."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from functools import cache

from ._params import Param, contract_data, param_tree

KIND_NAMES: tuple[str, ...] = ("card", "bank_account", "pii", "account", "person", "cvc_update")


class UnknownKindError(ValueError):
    """Raised for a token kind name that is not one of the six."""


@dataclass(frozen=True)
class TokenKind:
    """One of the six token kinds and what the contract says about it."""

    name: str
    id_prefixes: tuple[str, ...]
    """Accepted token id prefixes; the first is the one documented as current."""
    embedded_object: str | None
    """``card`` / ``bank_account`` for kinds whose token embeds an object, else None."""
    shared_params: tuple[str, ...]
    live_secret_may_create: bool
    """False for account/person: in live mode only a publishable key may create them [DOC]."""
    embedded_id_prefix: str | None = None
    """Id prefix of the embedded object: ``card_`` / ``ba_`` [FIX] [DOC]; None without one."""

    @property
    def param(self) -> Param:
        """The kind's top-level hash parameter (the root of its tree)."""
        return param_tree(self.name)

    @property
    def sensitive_paths(self) -> tuple[tuple[str, ...], ...]:
        """Key tuples of every parameter whose value must never come back."""
        # Asked for every request a checker judges: walk the tree once per kind.
        return _sensitive_paths(self.name)


@cache
def _sensitive_paths(kind: str) -> tuple[tuple[str, ...], ...]:
    return tuple(p.keys for p in param_tree(kind).walk() if p.sensitive)


@cache
def kinds() -> dict[str, TokenKind]:
    """All token kinds by name, in the canonical order."""
    data = contract_data()["kinds"]
    # bank_account: current docs show btok_, older ones tok_; we mint btok_ and accept both.
    prefixes = {"bank_account": ("btok_", "tok_")}
    return {
        name: TokenKind(
            name=name,
            id_prefixes=prefixes.get(name, tuple(data[name]["id_prefixes"])),
            embedded_object=data[name]["embedded_object"],
            shared_params=tuple(data[name]["shared_params"]),
            live_secret_may_create=name not in ("account", "person"),
            embedded_id_prefix={"card": "card_", "bank_account": "ba_"}.get(name),
        )
        for name in KIND_NAMES
    }


def get_kind(name: str) -> TokenKind:
    """The kind called ``name``; raises UnknownKindError with the valid names otherwise."""
    try:
        return kinds()[name]
    except KeyError:
        raise UnknownKindError(
            f"unknown token kind {name!r}; expected one of: {', '.join(KIND_NAMES)}"
        ) from None


# --- API keys -------------------------------------------------------------------------

_KEY_RE = re.compile(r"^(sk|pk|rk)_(test|live)_[A-Za-z0-9_]+$")
_KEY_ROLES = {"sk": "secret", "pk": "publishable", "rk": "restricted"}


@dataclass(frozen=True)
class ApiKey:
    """A Stripe-shaped API key: its role and mode."""

    raw: str
    role: str  # "secret" | "publishable" | "restricted"
    livemode: bool

    @property
    def masked(self) -> str:
        """The key as Stripe prints it in errors: prefix, stars, last four."""
        return mask_key(self.raw)


def parse_key(raw: str) -> ApiKey | None:
    """Parse ``sk_test_…``-style keys; None when the text is not shaped like a key."""
    m = _KEY_RE.match(raw)
    if not m:
        return None
    return ApiKey(raw=raw, role=_KEY_ROLES[m.group(1)], livemode=m.group(2) == "live")


def is_live_key(raw: str) -> bool:
    """True for ``sk_live_``/``pk_live_``/``rk_live_`` keys (refused unless the user opts in)."""
    return raw.startswith(("sk_live_", "pk_live_", "rk_live_"))


def mask_key(raw: str) -> str:
    """``sk_test_abcdefgh1234`` -> ``sk_test_********1234`` [ISSUE: stripe/stripe-node#361]."""
    m = re.match(r"^((?:sk|pk|rk)_(?:test|live)_)", raw)
    prefix = m.group(1) if m else ""
    rest = raw[len(prefix) :]
    if len(rest) <= 4:
        return prefix + "*" * len(rest)
    return prefix + "*" * (len(rest) - 4) + rest[-4:]


def key_from_authorization(header: str | None) -> str | None:
    """The API key carried by an ``Authorization`` header (Bearer, or Basic user name)."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            # ValueError: b64decode refuses non-ASCII text (headers arrive as latin-1).
            return None
        user = decoded.split(":", 1)[0]
        return user or None
    return None
