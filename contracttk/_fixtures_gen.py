"""Generation of a fixture dump: options, records from the payload builders, data files.

:mod:`contracttk.fixtures_dump` is the public face of this module (and re-exports it).
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import __version__
from ._fixtures_write import Digests, HashedFile, JsonArray, dumps
from .contract import KIND_NAMES, violations_for
from .encoding import encode
from .errors import FixtureCapError, FixtureOptionError

FORMATS = ("json", "jsonl", "form")
MANIFEST_NAME = "manifest.json"
INDEX_NAME = "index.json"
FORMAT_VERSION = 1
DEFAULT_VALID = 10
DEFAULT_LOCALE = "en_US"
# Why 10 million: a hundred times the largest size the benchmark runs by default, and
# already gigabytes of JSON per kind: anything above is a typo (or a hostile manifest).
MAX_RECORDS_PER_KIND = 10_000_000
# Seeds are hashed into per-kind streams, so a bigger seed adds nothing; the cap keeps a
# hostile manifest from handing us a megabyte-long integer.
MAX_SEED = 2**128 - 1
VALID_EXPECT: dict[str, Any] = {"status": 200}
# How often (in records) the progress callback is called: often enough for a smooth
# bar, rarely enough to cost nothing next to generating a record.
PROGRESS_EVERY = 500

Record = dict[str, Any]
Progress = Callable[[int], None]


@dataclass(frozen=True)
class DumpOptions:
    """What to dump. ``invalid=None`` means "the catalogue size of each kind".

    Raises :class:`~contracttk.errors.FixtureOptionError` (``FixtureCapError`` for a count
    or seed over its cap) naming the field at fault.
    """

    kinds: tuple[str, ...] = KIND_NAMES
    valid: int = DEFAULT_VALID
    invalid: int | None = None
    seed: int = 0
    format: str = "jsonl"
    locale: str = DEFAULT_LOCALE
    as_of: date = field(default_factory=date.today)

    def __post_init__(self) -> None:
        # Canonical kind order (the contract's), duplicates dropped: the manifest and the
        # file set must not depend on how the kinds were spelled.
        if isinstance(self.kinds, str) or not all(isinstance(k, str) for k in self.kinds):
            raise FixtureOptionError("kinds", f"must be a list of token kinds, not {self.kinds!r}")
        unknown = [k for k in self.kinds if k not in KIND_NAMES]
        if unknown:
            raise FixtureOptionError(
                "kinds", f"unknown token kind {unknown[0]!r} (choose from {', '.join(KIND_NAMES)})"
            )
        if not self.kinds:
            raise FixtureOptionError("kinds", "no token kind selected")
        object.__setattr__(self, "kinds", tuple(k for k in KIND_NAMES if k in self.kinds))
        per_kind = f"{MAX_RECORDS_PER_KIND:,} records per kind"
        for name, cap, label in (
            ("valid", MAX_RECORDS_PER_KIND, per_kind),
            ("invalid", MAX_RECORDS_PER_KIND, per_kind),
            ("seed", MAX_SEED, "2**128 - 1"),
        ):
            value = getattr(self, name)
            if value is None and name == "invalid":
                continue
            if type(value) is not int or value < 0:
                raise FixtureOptionError(name, f"must be a non-negative integer, not {value!r}")
            if value > cap:
                shown = f"{value:,}" if value < 10**24 else f"a {len(str(value))}-digit number"
                raise FixtureCapError(name, f"{shown} is over the cap of {label}", cap=cap)
        if self.format not in FORMATS:
            raise FixtureOptionError(
                "format", f"unknown format {self.format!r} (choose from {', '.join(FORMATS)})"
            )
        if not isinstance(self.locale, str) or not _known_locale(self.locale):
            raise FixtureOptionError(
                "locale", f"unknown Faker locale {self.locale!r} (e.g. en_US, de_DE, ja_JP)"
            )
        if not isinstance(self.as_of, date):
            raise FixtureOptionError("as_of", f"must be a date, not {self.as_of!r}")

    def invalid_count(self, kind: str) -> int:
        """How many invalid records ``kind`` gets."""
        return len(violations_for(kind)) if self.invalid is None else self.invalid

    def counts(self) -> dict[str, dict[str, int]]:
        """Records per kind: ``{"card": {"valid": 10, "invalid": 66}, ...}``."""
        return {k: {"valid": self.valid, "invalid": self.invalid_count(k)} for k in self.kinds}

    @property
    def total(self) -> int:
        """Number of records the dump writes."""
        return sum(c["valid"] + c["invalid"] for c in self.counts().values())

    def to_json(self) -> dict[str, Any]:
        """The ``options`` block of the manifest (enough to regenerate with ``seed``/``as_of``)."""
        return {
            "types": list(self.kinds),
            "valid": self.valid,
            "invalid": self.invalid,
            "format": self.format,
            "locale": self.locale,
        }


def _known_locale(locale: str) -> bool:
    from faker.config import AVAILABLE_LOCALES  # lazily: importing Faker is slow

    return locale in AVAILABLE_LOCALES


# --- generation ---------------------------------------------------------------------------------


def _stream_seed(seed: int, kind: str, stream: str) -> int:
    """An independent 64-bit seed per (seed, kind, stream): hashing keeps streams unrelated."""
    digest = hashlib.sha256(f"contracttk-fixtures:{seed}:{kind}:{stream}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _width(count: int) -> int:
    # Zero-padded ids sort in generation order in file listings.
    return max(4, len(str(count)))


def iter_records(kind: str, options: DumpOptions) -> Iterator[Record]:
    """Yield the records of ``kind`` one at a time: valid ones first, then invalid ones.

    Payloads come from the strategies' builders (``build_valid`` / ``build_invalid``) with a
    :class:`RandomPicker` over one ``random.Random`` per stream, names and addresses from
    ``options.locale``'s pool. Invalid records walk ``violations_for(kind)`` round-robin in
    catalogue order, so every entry appears once before any repeats.
    """
    # Why these imports here: the builders pull in Faker's locale pools (slow to import),
    # which `contracttk --help` and `fixtures verify` never need.
    from .strategies._build import build_invalid, build_valid
    from .strategies._options import Options, resolve
    from .strategies._pickers import RandomPicker

    spec = resolve(kind, Options(locale=options.locale, today=options.as_of))

    n_valid = options.valid
    # random.Random(seed) draws exactly what Faker's seed_instance(seed) did, so dumps made
    # through the Faker provider before are reproduced byte for byte.
    pick = RandomPicker(random.Random(_stream_seed(options.seed, kind, "valid")))
    w = _width(n_valid)
    for i in range(1, n_valid + 1):
        params = build_valid(kind, pick, spec)
        yield {
            "id": f"{kind}-valid-{i:0{w}d}",
            "token_type": kind,
            "valid": True,
            "params": params,
            "body": encode(params),
            "expect": VALID_EXPECT,
        }

    n_invalid = options.invalid_count(kind)
    catalogue = violations_for(kind)
    # Expected errors repeat with the catalogue; render each once.
    expects = [v.expected.to_json() for v in catalogue]
    singles = [(v,) for v in catalogue]
    pick = RandomPicker(random.Random(_stream_seed(options.seed, kind, "invalid")))
    w = _width(n_invalid)
    for i in range(n_invalid):
        j = i % len(catalogue)
        violation = catalogue[j]
        made = build_invalid(kind, pick, spec, singles[j])
        yield {
            "id": f"{kind}-invalid-{i + 1:0{w}d}",
            "token_type": kind,
            "valid": False,
            "violation": violation.name,
            "description": violation.description,
            "params": made.params,
            "body": encode(made.params),
            "expect": expects[j]
            if made.expected is violation.expected
            else made.expected.to_json(),
        }


# --- writing ------------------------------------------------------------------------------------


def _write_kind(
    root: Path | None,
    live: set[HashedFile],
    kind: str,
    options: DumpOptions,
    digests: Digests,
    index: JsonArray | None,
    tick: Callable[[], None],
) -> None:
    records = iter_records(kind, options)
    if options.format == "form":
        assert index is not None
        if root is not None:
            (root / kind).mkdir()
        # Plain strings, not Path: pathlib interns every name it parses, and one new name
        # per record grows the interpreter's table of interned strings with the count.
        base = None if root is None else os.fspath(root)
        for rec in records:
            rel = f"{kind}/{rec['id']}.form"
            data = rec["body"].encode()
            if base is not None:
                with open(f"{base}/{rel}", "wb") as fh:
                    fh.write(data)
            prefix = f"{kind}/{kind}-{'valid' if rec['valid'] else 'invalid'}-"
            digests.add_record(prefix, rel, hashlib.sha256(data).hexdigest())
            entry = {
                "id": rec["id"],
                "token_type": kind,
                "valid": rec["valid"],
                "file": rel,
                "expect": rec["expect"],
            }
            if not rec["valid"]:
                entry["violation"] = rec["violation"]
            index.add(entry)
            tick()
        return
    rel = f"{kind}.{options.format}"
    fh = HashedFile(root, rel, live)
    if options.format == "jsonl":
        for rec in records:
            fh.write((dumps(rec) + "\n").encode())
            tick()
        digests.add(rel, fh.close())
    else:
        array = JsonArray(fh)
        for rec in records:
            array.add(rec)
            tick()
        digests.add(rel, array.close())


def write_all(
    root: Path | None,
    options: DumpOptions,
    digests: Digests,
    live: set[HashedFile],
    tick: Callable[[], None],
) -> None:
    """Write (or, with ``root=None``, only hash) every data file of ``options``."""
    form = options.format == "form"
    index = JsonArray(HashedFile(root, INDEX_NAME, live)) if form else None
    for kind in options.kinds:
        _write_kind(root, live, kind, options, digests, index, tick)
    if index is not None:
        digests.add(INDEX_NAME, index.close())


def _faker_version() -> str:
    from importlib.metadata import version

    return version("faker")


def manifest_head(options: DumpOptions) -> dict[str, Any]:
    """The manifest of a dump of ``options`` without its ``files`` (the last key)."""
    counts = {k: {**c, "total": c["valid"] + c["invalid"]} for k, c in options.counts().items()}
    return {
        "tool": "contracttk",
        "version": __version__,
        "format_version": FORMAT_VERSION,
        # Faker's output can change between its releases; recorded so a mismatch on
        # regeneration can be told apart from a bug.
        "faker_version": _faker_version(),
        "seed": options.seed,
        "as_of": options.as_of.isoformat(),
        "options": options.to_json(),
        "counts": counts,
        "total": sum(c["total"] for c in counts.values()),
    }
