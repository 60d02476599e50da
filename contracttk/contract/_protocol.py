"""Protocol facts of ``/v1/tokens`` that are not about one token kind's parameters.

The replay header, the fields a retrieve may change, the Idempotency-Key limit, the token id
format, and the table of protocol rules the conformance checks assert (name -> strength and
basis). Written once here; the reference server, the checks and the engine import them.
Basis tags are defined in :mod:`contracttk.contract._sources`.
"""

from __future__ import annotations

import re
import string
from functools import cache

from ._errors import Strength
from ._kinds import KIND_NAMES, get_kind, kinds

__all__ = [
    "IDEMPOTENCY_KEY_HEADER",
    "IDEMPOTENCY_KEY_MAX_LENGTH",
    "ID_ALPHABET",
    "ID_RANDOM_LENGTH",
    "MUTABLE_ON_RETRIEVE",
    "PROTOCOL_RULES",
    "REPLAY_HEADER",
    "TOKENS_PATH",
    "is_object_id",
    "is_token_id",
    "make_id",
    "make_token_id",
]

TOKENS_PATH = "/v1/tokens"
"""``POST`` creates a token here; ``GET {TOKENS_PATH}/{id}`` reads one back [SDK]."""

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 255
"""Idempotency keys are up to 255 characters [DOC: Idempotent requests]."""

REPLAY_HEADER = "Idempotent-Replayed"
"""Set to ``true`` on a response replayed from an idempotency key [DOC: Idempotent requests]
[SDK-other: stripe-ruby reads it into ``idempotent_replayed?``]."""

MUTABLE_ON_RETRIEVE: frozenset[str] = frozenset({"used"})
"""Token fields a later ``GET`` may show changed: ``used`` flips once the token is consumed
[SDK]; every other field is the object ``POST`` returned."""

ID_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
ID_RANDOM_LENGTH = 24
"""Length of the random part we mint: the [FIX] token id ``tok_1Pgc7BB7WZ01zgkWptnajzKJ`` has
24 characters after its prefix. Stripe does not specify the length, so :func:`is_token_id`
accepts any non-empty alphanumeric random part [FIX] [INF]."""

_RANDOM_RE = re.compile(r"[A-Za-z0-9]+")

# Protocol rules the conformance checks assert: check name -> (strength, basis). The strength
# is the strongest the check ever reports; checks that depend on the payload (for instance
# positive_acceptance on a payload outside the model's understood domain) report less.
PROTOCOL_RULES: dict[str, tuple[Strength, str]] = {
    "not_a_server_error": (
        Strength.HARD,
        "[DOC: Errors] a 5xx means Stripe itself failed; no request earns one",
    ),
    "error_envelope": (Strength.HARD, "[HSPEC error] [SDK _error_object.py] error envelope"),
    "response_schema": (Strength.HARD, "[SDK] [FIX] the bundled response schema"),
    "no_secret_echo": (Strength.HARD, "[SDK] [FIX] [DOC] secret inputs never come back"),
    "positive_acceptance": (
        Strength.HARD,
        "[DOC: Testing] valid test values tokenize; hard only for payloads the model "
        "understands, a warning otherwise",
    ),
    "retrieve_consistency": (Strength.HARD, "[SDK] GET returns the token object POST returned"),
    "unique_ids": (Strength.HARD, "[FIX] [DOC] an id names one object"),
    "idempotency_replay": (Strength.HARD, "[DOC: Idempotent requests] same key, same answer"),
    "idempotency_replayed_header": (
        Strength.HARD,
        f"[DOC: Idempotent requests] [SDK-other: stripe-ruby] replays carry {REPLAY_HEADER}: true",
    ),
    "responds": (
        Strength.HARD,
        "[DOC: Errors] every request is answered with an HTTP status code",
    ),
}


def make_id(prefix: str, random_part: str | None = None, *, length: int = ID_RANDOM_LENGTH) -> str:
    """``prefix`` + a random alphanumeric part (``length`` characters from the OS CSPRNG: ids
    must not be guessable), or + ``random_part`` when given (ValueError unless it is
    non-empty ASCII alphanumeric)."""
    if random_part is None:
        import secrets  # lazily: it pulls in hashlib, ~20 ms on every CLI start otherwise

        # A byte modulo 62 is very slightly biased; irrelevant for unique, unguessable ids.
        random_part = "".join(ID_ALPHABET[b % 62] for b in secrets.token_bytes(length))
    elif not _RANDOM_RE.fullmatch(random_part):
        raise ValueError(f"an id's random part is ASCII letters and digits, got {random_part!r}")
    return prefix + random_part


def make_token_id(kind: str, random_part: str | None = None) -> str:
    """A token id of ``kind``'s current format: its documented prefix + a random part.

    ``make_token_id("card", "0" * 24)`` gives a well-formed id no server ever issued.
    """
    return make_id(get_kind(kind).id_prefixes[0], random_part)


@cache
def _token_id_re(kind: str | None) -> re.Pattern[str]:
    names = KIND_NAMES if kind is None else (get_kind(kind).name,)
    prefixes = sorted({p for n in names for p in kinds()[n].id_prefixes}, key=len, reverse=True)
    return re.compile("(?:" + "|".join(map(re.escape, prefixes)) + ")[A-Za-z0-9]+")


def is_token_id(value: object, kind: str | None = None) -> bool:
    """True when ``value`` has the format of a token id (of ``kind``, or of any kind).

    Prefix [FIX] [DOC] (bank_account tokens: ``btok_`` now, ``tok_`` in older docs) followed by
    a non-empty alphanumeric random part [FIX] [INF].
    """
    return isinstance(value, str) and _token_id_re(kind).fullmatch(value) is not None


def is_object_id(value: object, prefix: str) -> bool:
    """True when ``value`` is ``prefix`` followed by a non-empty alphanumeric random part."""
    return (
        isinstance(value, str)
        and value.startswith(prefix)
        and _RANDOM_RE.fullmatch(value[len(prefix) :]) is not None
    )
