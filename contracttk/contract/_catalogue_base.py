"""Catalogue building blocks: the :class:`Violation` record, the smallest valid payloads,
and the tree surgery that turns a valid payload into an invalid one."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ._errors import ExpectedError
from ._kinds import KIND_NAMES, get_kind
from ._params import Param, param_tree
from .domain import TEST_ROUTING_NUMBER

__all__ = [
    "IBAN_BANK",
    "US_BANK",
    "Mutator",
    "Payload",
    "Violation",
    "chain",
    "deleter",
    "minimal",
    "node",
    "replace_bank",
    "sample_leaf",
    "sample_params",
    "setter",
]

Payload = dict[str, Any]
Mutator = Callable[[Payload, date], None]


@dataclass(frozen=True)
class Violation:
    """One catalogue entry."""

    name: str
    """Unique name, ``<param path>:<rule>`` or ``request:<rule>``."""
    kind: str | None
    """The token kind it belongs to; None for request-level rules (they apply to every kind)."""
    rule: str
    path: str | None
    description: str
    expected: ExpectedError
    requires: str | None = None
    """``"live_key"`` / ``"live_secret_key"`` when the payload is only invalid under such a key."""
    mutate: Mutator = field(repr=False, compare=False, default=lambda p, t: None)

    def apply(self, payload: Mapping[str, Any], *, today: date | None = None) -> Payload:
        """A deep copy of the valid ``payload`` with this violation introduced."""
        out = copy.deepcopy(dict(payload))
        self.mutate(out, today or date.today())
        return out


# --- sample values: the smallest valid payloads, used to build ancestors and as bases ---------

_SAMPLE_STRINGS = {"email": "jenny.rosen@example.com", "ip": "127.0.0.1", "phone": "0000000000"}


def sample_leaf(param: Param) -> Any:
    """A valid value for a scalar/array parameter (used to complete required siblings)."""
    if param.enum:
        return param.enum[0]
    if param.type == "integer":
        return {"year": 1901, "date": 1700000000}.get(param.name, 1)
    if param.type == "number":
        return 50
    if param.type == "boolean":
        return True
    if param.type == "array":
        return [param.items.enum[0]] if param.items and param.items.enum else ["contracttk"]
    return _SAMPLE_STRINGS.get(param.name, "contracttk")


def minimal(param: Param) -> Any:
    """The smallest valid value for ``param``: required children only."""
    if param.is_map:
        return {"contracttk": "1"}
    if param.is_object:
        return {c.name: minimal(c) for c in param.children if c.required}
    return sample_leaf(param)


def sample_params(kind: str, *, today: date | None = None) -> Payload:
    """A small, deterministic, valid payload of ``kind`` (Stripe test values only)."""
    today = today or date.today()
    samples: dict[str, Payload] = {
        "card": {
            "number": "4242424242424242",
            "exp_month": "12",
            "exp_year": str(today.year + 5),
            "cvc": "123",
        },
        "bank_account": dict(US_BANK),
        "pii": {"id_number": "000000000"},
        "account": {
            "business_type": "individual",
            "individual": {
                "first_name": "Jenny",
                "last_name": "Rosen",
                "dob": {"day": 1, "month": 1, "year": 1901},
            },
            "tos_shown_and_accepted": True,
        },
        "person": {
            "first_name": "Jenny",
            "last_name": "Rosen",
            "dob": {"day": 1, "month": 1, "year": 1901},
        },
        "cvc_update": {"cvc": "123"},
    }
    return {kind: samples[get_kind(kind).name]}


US_BANK = {
    "country": "US",
    "currency": "usd",
    "account_holder_name": "Jenny Rosen",
    "account_holder_type": "individual",
    "routing_number": TEST_ROUTING_NUMBER,
    "account_number": "000123456789",
}
IBAN_BANK = {
    "country": "DE",
    "currency": "eur",
    "account_holder_name": "Jenny Rosen",
    "account_number": "DE89370400440532013000",
}


# --- tree surgery ------------------------------------------------------------------------------


def node(payload: Payload, keys: tuple[str, ...]) -> dict[str, Any]:
    """The dict at ``keys`` inside ``payload``, creating minimal valid ancestors on the way."""
    cur: dict[str, Any] = payload
    root = param_tree(keys[0]) if keys[0] in KIND_NAMES else None
    param: Param | None = root
    for i, key in enumerate(keys):
        if i > 0 and param is not None:
            param = param.child(key)
        nxt = cur.get(key)
        if not isinstance(nxt, dict):
            nxt = minimal(param) if param is not None and param.is_object else {}
            cur[key] = nxt
        cur = nxt
    return cur


def setter(keys: tuple[str, ...], value: Any) -> Mutator:
    """A mutator setting the value at ``keys`` (a deep copy of ``value``)."""

    def mutate(payload: Payload, today: date) -> None:
        parent = node(payload, keys[:-1]) if len(keys) > 1 else payload
        parent[keys[-1]] = copy.deepcopy(value)

    return mutate


def deleter(keys: tuple[str, ...]) -> Mutator:
    """A mutator removing the key at ``keys``."""

    def mutate(payload: Payload, today: date) -> None:
        node(payload, keys[:-1]).pop(keys[-1], None)

    return mutate


def chain(*steps: Mutator) -> Mutator:
    """A mutator running ``steps`` in order (none: leaves the payload as it is)."""

    def mutate(payload: Payload, today: date) -> None:
        for step in steps:
            step(payload, today)

    return mutate


def replace_bank(base: Mapping[str, Any]) -> Mutator:
    """A mutator replacing the bank account by ``base`` (keeping the holder's name/type)."""

    def mutate(payload: Payload, today: date) -> None:
        bank = payload.get("bank_account")
        keep = (
            {k: v for k, v in bank.items() if k in ("account_holder_name", "account_holder_type")}
            if isinstance(bank, dict)
            else {}
        )
        payload["bank_account"] = {**dict(base), **keep}

    return mutate
