"""Findings: failures grouped by root cause, cascades collapsed, most severe first.

A finding groups the failures that share a cause (:attr:`Failure.cause_key`: the check,
the rule family without its parameter path, what went wrong, and the observed answer;
different statuses or error types are never merged). It is named by one sentence, counts
its cases, parameters and kinds, and keeps up to three examples chosen to differ.

Cascades: a kind whose valid payloads were all refused is one finding ("does not support
bank_account tokens"), and every other failure of that kind is counted as blocked by it;
a key refused on every request is one finding, not a 401 under every check.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .failures import FAMILY_CHECKS, cause

__all__ = ["MAX_EXAMPLES", "Finding", "build_findings", "cause_of", "finding_id"]

MAX_EXAMPLES = 3
# Most severe first: leaks, crashes, then what breaks integrations, then details.
_SEVERITY = {
    "no_secret_echo": 0,
    "not_a_server_error": 1,
    "responds": 1,
    "response_size": 2,
    "key_refused": 2,
    "kind_support": 2,
    "positive_acceptance": 3,
    "auth_no_key": 3,
    "auth_bad_key": 3,
    "auth_publishable_retrieve": 3,
    "unique_ids": 4,
    "idempotency_replay": 4,
    "idempotency_mismatch": 4,
    "idempotency_replayed_header": 5,
    "retrieve_consistency": 4,
    "retrieve_unknown_id": 5,
    "expected_error": 5,
    "token_semantics": 6,
    "error_envelope": 6,
    "response_schema": 7,
}
# What a missing kind or a refused key explains (leaks and crashes stay their own findings).
_BLOCKABLE = frozenset(
    {
        "positive_acceptance",
        "token_semantics",
        "expected_error",
        "error_envelope",
        "response_schema",
        "retrieve_consistency",
        "idempotency_replay",
        "idempotency_replayed_header",
        "idempotency_mismatch",
        "unique_ids",
        "auth_publishable_retrieve",
        # An unsupported kind's body refused under a bad or missing key says nothing about
        # the key: the same check on a supported kind does.
        "auth_no_key",
        "auth_bad_key",
    }
)
_FAMILY_WORDS = {
    "empty": "empty strings",
    "empty_with_iban": "an empty routing number with an IBAN",
    "unknown_param": "unknown parameters",
    "missing": "requests missing a required parameter",
    "missing_for_us": "US bank accounts without a routing number",
    "too_long": "values over the maximum length",
    "not_in_enum": "values outside the allowed set",
    "wrong_type": "values of the wrong type",
    "scalar_for_hash": "a plain value where a hash belongs",
    "hash_for_scalar": "a hash where a plain value belongs",
    "scalar_for_array": "a plain value where a list belongs",
    "luhn": "card numbers failing the Luhn check",
    "not_digits": "card numbers that are not digits",
    "wrong_length": "numbers of the wrong length",
    "out_of_range": "expiry months outside 1-12",
    "not_a_number": "non-numeric expiry dates",
    "past": "expiry years in the past",
    "far_future": "expiry years far in the future",
    "bad_length": "expiry years of the wrong length",
    "bad_shape": "malformed CVCs",
    "brand_length": "CVCs of the wrong length for the brand",
    "bad_checksum": "routing numbers failing the ABA checksum",
    "bad_iban": "invalid IBANs",
    "invalid_us": "invalid US account numbers",
    "invalid": "invalid values",
    "exclusive": "payment_method together with other bank fields",
    "no_kind": "requests naming no token kind",
    "two_kinds": "requests naming two token kinds",
    "live_secret_key": "live secret keys creating this kind",
    "live_mode_test_card": "test cards in live mode",
    "too_many_keys": "metadata with too many keys",
    "key_too_long": "metadata keys over 40 characters",
    "value_too_long": "metadata values over 500 characters",
}


def finding_id(cause: Iterable[Any]) -> str:
    """A stable id for a cause (the same in every run, so a baseline can name it)."""
    text = "\x1f".join("" if part is None else str(part) for part in cause)
    return "F" + hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:8]


def cause_of(rec: Mapping[str, Any]) -> tuple[Any, ...]:
    """The cause key of a failure record (what a finding groups by; see ``failures.cause``)."""
    ans = rec.get("answer") or {}
    return cause(
        rec["check"],
        rec.get("family"),
        rec.get("signature") or rec.get("message"),
        ans.get("status"),
        ans.get("type"),
        ans.get("code"),
    )


@dataclass
class Finding:
    """One root cause: its instances (distinct failures), counts and chosen examples."""

    id: str
    check: str
    family: str | None
    signature: str
    answer: dict[str, Any]
    strength: str
    instances: list[dict[str, Any]] = field(default_factory=list)
    blocked: list[dict[str, Any]] = field(default_factory=list)
    """Failures this finding explains (counted here, not reported as findings of their own)."""
    title: str = ""
    baseline: bool = False
    """True when the ``--baseline`` report already had this finding (it does not fail the run)."""

    @property
    def cases(self) -> int:
        """How many exchanges showed it."""
        return sum(int(i.get("occurrences", 1)) for i in self.instances)

    @property
    def params(self) -> list[str]:
        """The distinct parameters it touches (for checks about the rule a payload broke:
        for the others the payload's broken rule is only the occasion)."""
        if self.check not in FAMILY_CHECKS:
            return []
        return sorted({i["param"] for i in self.instances if i.get("param")})

    @property
    def kinds(self) -> list[str]:
        """The distinct token kinds it touches."""
        return sorted({i["kind"] for i in self.instances if i.get("kind")})

    @property
    def severity(self) -> tuple[int, int, int]:
        """Sort key: hard first, then by check, then by case count (more first)."""
        return (0 if self.strength == "hard" else 1, _SEVERITY.get(self.check, 8), -self.cases)

    def examples(self) -> list[dict[str, Any]]:
        """Up to three instances chosen to differ: other kinds, parameters, answers first."""
        pool = sorted(self.instances, key=lambda i: -int(i.get("occurrences", 1)))
        chosen: list[dict[str, Any]] = []
        while pool and len(chosen) < MAX_EXAMPLES:

            def novelty(rec: Mapping[str, Any]) -> int:
                score = 0
                if all(rec.get("kind") != c.get("kind") for c in chosen):
                    score += 4
                if all(rec.get("param") != c.get("param") for c in chosen):
                    score += 2
                if all(rec.get("response", {}) != c.get("response", {}) for c in chosen):
                    score += 1
                return score

            best = max(pool, key=novelty)
            if chosen and novelty(best) == 0:
                break
            chosen.append(best)
            pool.remove(best)
        return chosen

    def to_json(self) -> dict[str, Any]:
        """The finding as a report record: summary, examples, every instance (compact)."""
        return {
            "id": self.id,
            "title": self.title,
            "check": self.check,
            "family": self.family,
            "strength": self.strength,
            "answer": self.answer,
            "cases": self.cases,
            "parameters": self.params,
            "kinds": self.kinds,
            "baseline": self.baseline,
            "blocked": len(self.blocked),
            "blocked_cases": sum(int(b.get("occurrences", 1)) for b in self.blocked),
            "examples": self.examples(),
            "instances": [_compact(i) for i in self.instances],
        }


def _compact(rec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: rec.get(k)
        for k in ("item", "kind", "param", "violation", "occurrences", "message")
        if rec.get(k) is not None
    }


def _answer_words(answer: Mapping[str, Any]) -> str:
    return " ".join(str(answer[k]) for k in ("status", "type", "code") if answer.get(k) is not None)


def _scope(f: Finding) -> str:
    params, kinds = f.params, f.kinds
    bits = []
    if len(params) > 1:
        bits.append(f"{len(params)} parameters")
    if len(kinds) > 1:
        bits.append(f"in {len(kinds)} kinds")
    eg = f", e.g. {params[0]}" if params else (f" ({kinds[0]})" if len(kinds) == 1 else "")
    return (": " + " ".join(bits) + eg) if bits else eg


def _title(f: Finding) -> str:
    first = f.instances[0] if f.instances else {}
    family = _FAMILY_WORDS.get(f.family or "", (f.family or "").replace("_", " "))
    expected = first.get("expected") or {}
    exp_words = _answer_words(expected)
    got = _answer_words(f.answer)
    if f.check == "expected_error" and f.signature == "accepted":
        return f"accepts {family} where Stripe rejects them with {exp_words}{_scope(f)}"
    if f.check == "expected_error":
        return f"answers {family} with {got} where Stripe gives {exp_words}{_scope(f)}"
    if f.check == "positive_acceptance":
        return f"refuses valid payloads with {got}{_scope(f)}"
    if f.check == "no_secret_echo":
        return f"echoes {f.signature}{_scope(f)}"
    if f.check == "not_a_server_error":
        return f"answers {got} (a server error) on {f.signature}{_scope(f)}"
    if f.check == "token_semantics":
        return f"token field {f.signature} is wrong: {first.get('message', '')}"
    return f"{f.check}: {first.get('message', f.signature)}"


def build_findings(
    items: Iterable[Mapping[str, Any]],
    *,
    kinds: Iterable[str],
    baseline: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Group the failures and warnings of every item record into findings, most severe first."""
    items = list(items)
    records = [
        {**rec, "item": rec.get("item") or item["name"]}
        for item in items
        for rec in (*item.get("failures", ()), *item.get("warnings", ()))
    ]
    positive: Counter[str] = Counter()
    created: Counter[str] = Counter()
    for item in items:
        positive.update(item.get("positive_by_kind", {}))
        created.update(item.get("created_by_kind", {}))
    synthetic: list[Finding] = []
    blocked_by: dict[int, Finding] = {}
    for kind in kinds:
        if positive[kind] and not created[kind]:
            refusals = [
                r for r in records if r["check"] == "positive_acceptance" and r.get("kind") == kind
            ]
            answers = Counter(
                _answer_words(r.get("answer") or {})
                for r in refusals
                for _ in range(int(r.get("occurrences", 1)))
            )
            common = answers.most_common(1)[0][0] if answers else "no token"
            f = Finding(
                id=finding_id(("kind_support", kind)),
                check="kind_support",
                family=None,
                signature=f"{kind} unsupported",
                answer={"status": None, "type": None, "code": None},
                strength="hard",
                instances=refusals[:1] or [{"kind": kind, "occurrences": positive[kind]}],
            )
            f.title = (
                f"does not support {kind} tokens: none of {positive[kind]} valid {kind} "
                f"payloads created one (most answered {common})"
            )
            synthetic.append(f)
            for i, r in enumerate(records):
                if r.get("kind") == kind and r["check"] in _BLOCKABLE:
                    blocked_by[i] = f
    sent: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for item in items:
        sent.update(item.get("key_sent", {}))
        refused.update(item.get("key_refused", {}))
    for role in ("publishable", "live"):
        if sent[role] and refused[role] == sent[role]:
            f = Finding(
                id=finding_id(("key_refused", role)),
                check="key_refused",
                family=None,
                signature=f"{role} key refused",
                answer={"status": 401, "type": None, "code": None},
                strength="hard",
                instances=[{"occurrences": sent[role]}],
            )
            f.title = (
                f"refuses the {role} key: all {sent[role]} requests that used it got 401 "
                "(wrong key for this target, or the target does not accept such keys)"
            )
            synthetic.append(f)
            for i, r in enumerate(records):
                req = r.get("request") or {}
                if req.get("key") == role and (r.get("answer") or {}).get("status") == 401:
                    blocked_by.setdefault(i, f)
    groups: dict[tuple[Any, ...], Finding] = {}
    for i, rec in enumerate(records):
        if i in blocked_by:
            blocked_by[i].blocked.append(rec)
            continue
        key = cause_of(rec)
        f = groups.get(key)
        if f is None:
            f = groups[key] = Finding(
                id=finding_id(key),
                check=rec["check"],
                family=key[1] or None,
                signature=str(key[2]),
                answer=dict(rec.get("answer") or {}),
                strength=rec.get("strength", "hard"),
            )
        f.instances.append(rec)
        if rec.get("strength") == "hard":
            f.strength = "hard"
    out = synthetic + list(groups.values())
    for f in out:
        if not f.title:
            f.title = _title(f)
        f.baseline = f.id in baseline
    out.sort(key=lambda f: f.severity)
    return out
