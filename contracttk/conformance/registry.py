"""The check registry: every check declares its name, group and strength where it is defined.

The pattern of schemathesis's ``checks.py`` + ``core/registries.py``: a decorator fills a
name-keyed registry, and runners select checks by name or group. Single-exchange checks
(``fn(request, response) -> list[Failure]``) are run by :func:`judge` on every exchange
they apply to; checks over two exchanges (replay, retrieve consistency) and run-level
ones (unique ids) are registered too, with ``fn=None``, so that selection, reports and
the mutation suite know them by the same name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from contracttk.contract import Strength

from .exchange import RequestInfo, ResponseInfo
from .failures import Failure, verdict

__all__ = ["CHECKS", "GROUPS", "Check", "check", "judge", "register", "select"]

CheckFn = Callable[[RequestInfo, ResponseInfo], list[Failure]]
Applies = Callable[[RequestInfo, ResponseInfo], bool]

GROUPS = ("generic", "secrets", "create", "protocol")
"""generic: every answer; secrets: nothing sent comes back; create: the oracle on
``POST /v1/tokens``; protocol: auth, retrieve, ids, idempotency."""


def _always(request: RequestInfo, response: ResponseInfo) -> bool:
    return True


@dataclass(frozen=True)
class Check:
    """A registered check: where it belongs, how strong its verdicts are, what it applies to."""

    name: str
    group: str
    strength: Strength
    """The strength of its failures unless the model says otherwise for a case."""
    basis: str
    """Why the expectation holds (source tags as defined in the contract model)."""
    fn: CheckFn | None = None
    applies: Applies = _always
    per_exchange: bool = True
    """False for checks that compare two exchanges or a whole run (run by their items)."""

    def __call__(self, request: RequestInfo, response: ResponseInfo) -> list[Failure]:
        if self.fn is None:
            raise TypeError(f"check {self.name!r} is not a single-exchange check")
        return self.fn(request, response)


CHECKS: dict[str, Check] = {}


def register(
    name: str,
    *,
    group: str,
    basis: str | None = None,
    strength: Strength | None = None,
    fn: CheckFn | None = None,
    applies: Applies | None = None,
    per_exchange: bool = True,
) -> Check:
    """Add a check to :data:`CHECKS` (a second registration of a name is a bug: ValueError).

    The strength and basis of a protocol rule come from the contract model's
    ``PROTOCOL_RULES`` (written once there); other checks give theirs here.
    """
    from contracttk.contract import PROTOCOL_RULES

    if name in PROTOCOL_RULES:
        strength, basis = PROTOCOL_RULES[name]
    if basis is None:
        raise ValueError(f"check {name!r} has no basis (the source of its expectation)")
    strength = strength or Strength.HARD
    if group not in GROUPS:
        raise ValueError(f"unknown check group {group!r}; expected one of {GROUPS}")
    if name in CHECKS:
        raise ValueError(f"check {name!r} is registered twice")
    chk = Check(
        name, group, strength, basis, fn, applies or _always, per_exchange and fn is not None
    )
    CHECKS[name] = chk
    return chk


def check(
    *,
    group: str,
    basis: str | None = None,
    strength: Strength | None = None,
    applies: Applies | None = None,
    name: str | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Decorator: register a single-exchange check under ``name`` (default: the function's)."""

    def deco(fn: CheckFn) -> CheckFn:
        register(
            name or fn.__name__, group=group, basis=basis, strength=strength, fn=fn, applies=applies
        )
        return fn

    return deco


def select(include: Iterable[str] = (), exclude: Iterable[str] = ()) -> frozenset[str]:
    """The names of the checks to run: ``include`` (names or groups; empty = all) minus ``exclude``.

    Raises ValueError naming the unknown entries, so a typo is a usage error.
    """
    _load()
    include, exclude = tuple(include), tuple(exclude)
    unknown = [n for n in (*include, *exclude) if n not in CHECKS and n not in GROUPS]
    if unknown:
        raise ValueError(
            f"unknown check(s) {', '.join(sorted(set(unknown)))}; known: "
            + ", ".join(sorted(CHECKS))
            + f" (or a group: {', '.join(GROUPS)})"
        )

    def expand(names: tuple[str, ...]) -> set[str]:
        out: set[str] = set()
        for n in names:
            out |= {c.name for c in CHECKS.values() if c.group == n} if n in GROUPS else {n}
        return out

    chosen = expand(include) if include else set(CHECKS)
    return frozenset(chosen - expand(exclude))


def judge(
    request: RequestInfo,
    response: ResponseInfo,
    names: Iterable[str],
    enabled: frozenset[str] | None = None,
) -> tuple[list[Failure], dict[str, str]]:
    """Run the applicable single-exchange checks ``names`` (those in ``enabled``) on one exchange.

    Returns the failures and ``{check name: "passed"|"failed"|"warned"}`` for each check
    that applied (the per-check counts of the summary table).
    """
    if not CHECKS:
        _load()
    failures: list[Failure] = []
    verdicts: dict[str, str] = {}
    for name in names:
        if enabled is not None and name not in enabled:
            continue
        chk = CHECKS[name]
        if chk.fn is None or not chk.applies(request, response):
            continue
        found = chk.fn(request, response)
        failures.extend(found)
        verdicts[name] = verdict(found)
    return failures, verdicts


def _load() -> None:
    # The checks register themselves when their modules are imported.
    from . import checks  # noqa: F401
