"""Deliberately broken variants of the reference server: the conformance suite must catch each.

Every mutant is a :class:`~contracttk.server.TokenService` subclass that changes ONE step of
the reference implementation, in a way a real implementation could plausibly get wrong. Its
docstring names the fault and the check that catches it; its ``FAULT``
(:class:`~support.mutant_base.Fault`) declares that ONE check, what the failure must name
(the violation or rule family, the token field, the kind, the answer), the checks that fail
as plain consequences of the same fault, and the budget the check needs: the suite items that
can see the fault and how many generated examples. ``AREA`` groups mutants for the report:
validation, errors, acceptance, semantics, secrets, auth, retrieval, idempotency, crash.

No mutant hand-writes a rule or a field: the accepted/refused decision comes from the same
oracle the reference server asks (a mutant only ignores one finding, or refuses what the
oracle accepts with an error the contract model builds), the rendered fields from the same
renderer (a mutant only changes one of them afterwards).

The variants live in three modules by area (``mutants_requests``, ``mutants_tokens``,
``mutants_protocol``); this one gathers them.
"""

from __future__ import annotations

from . import mutants_protocol, mutants_requests, mutants_tokens
from .mutant_base import Fault, Mutant

__all__ = ["ALL_MUTANTS", "AREAS", "Fault", "Mutant", "mutant_by_name"]

AREAS = frozenset(
    {
        "validation",
        "errors",
        "acceptance",
        "semantics",
        "secrets",
        "auth",
        "retrieval",
        "idempotency",
        "crash",
    }
)

ALL_MUTANTS: tuple[type[Mutant], ...] = tuple(
    cls
    for module in (mutants_requests, mutants_tokens, mutants_protocol)
    for cls in vars(module).values()
    if isinstance(cls, type)
    and issubclass(cls, Mutant)
    and cls.__module__ == module.__name__
    and cls.FAULT is not None
    and not cls.__name__.startswith("_")
)


def mutant_by_name(name: str) -> type[Mutant]:
    """The mutant class called ``name`` (KeyError when there is none)."""
    return {cls.__name__: cls for cls in ALL_MUTANTS}[name]
