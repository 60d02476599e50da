"""Fixture files for QA: stream valid and invalid ``POST /v1/tokens`` payloads to disk.

Every record is derived from the contract model: valid payloads come from the Faker
provider of :mod:`contracttk.strategies`, invalid ones apply a catalogue
:class:`~contracttk.contract.Violation` and carry its :class:`ExpectedError`; bodies are
encoded by :func:`contracttk.encoding.encode`, the one place that knows the wire format.

Guarantees (tested in ``tests/test_fixtures_dump.py``):

* Deterministic: the same options (seed, tool version, ``as_of``) give byte-identical
  files. Each kind has its own random stream, derived from the seed and the kind's name,
  so ``--type card`` writes exactly the card file of a full dump.
* Streaming: records are written as they are generated (JSON arrays incrementally), so
  peak memory does not grow with the number of records.
* Atomic: files are written into a temporary folder beside the target, which is renamed
  into place at the end; on any error the temporary folder is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import IO, Any

from . import __version__
from .contract import KIND_NAMES, ExpectedError, Violation, violations_for
from .encoding import encode
from .errors import BadInputError

__all__ = [
    "DEFAULT_LOCALE",
    "DEFAULT_VALID",
    "FORMATS",
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "DumpOptions",
    "dump",
    "iter_records",
    "load_manifest",
    "options_from_manifest",
    "preflight",
    "regenerate_problems",
    "verify",
]

FORMATS = ("json", "jsonl", "form")
MANIFEST_NAME = "manifest.json"
INDEX_NAME = "index.json"
FORMAT_VERSION = 1
DEFAULT_VALID = 10
DEFAULT_LOCALE = "en_US"
VALID_EXPECT: dict[str, Any] = {"status": 200}
# How often (in records) the progress callback is called: often enough for a smooth
# bar, rarely enough to cost nothing next to generating a record.
_PROGRESS_EVERY = 500

Record = dict[str, Any]
Progress = Callable[[int], None]


@dataclass(frozen=True)
class DumpOptions:
    """What to dump. ``invalid=None`` means "the catalogue size of each kind"."""

    kinds: tuple[str, ...] = KIND_NAMES
    valid: int = DEFAULT_VALID
    invalid: int | None = None
    seed: int = 0
    format: str = "jsonl"
    locale: str = DEFAULT_LOCALE
    as_of: date = field(default_factory=date.today)

    def __post_init__(self) -> None:
        # Canonical kind order (the contract's), duplicates dropped: the manifest and the
        # file set must not depend on how the flags were spelled.
        unknown = [k for k in self.kinds if k not in KIND_NAMES]
        if unknown:
            raise BadInputError(
                f"unknown token kind {unknown[0]!r} (choose from {', '.join(KIND_NAMES)})"
            )
        if not self.kinds:
            raise BadInputError("no token kind selected")
        object.__setattr__(self, "kinds", tuple(k for k in KIND_NAMES if k in self.kinds))
        for name in ("valid", "invalid", "seed"):
            value = getattr(self, name)
            if value is None and name == "invalid":
                continue
            if type(value) is not int or value < 0:
                raise BadInputError(f"--{name} must be a non-negative integer, not {value!r}")
        if self.format not in FORMATS:
            raise BadInputError(
                f"unknown format {self.format!r} (choose from {', '.join(FORMATS)})"
            )
        if not isinstance(self.as_of, date):
            raise BadInputError(f"as_of must be a date, not {self.as_of!r}")

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


# --- generation ---------------------------------------------------------------------------------


def _stream_seed(seed: int, kind: str, stream: str) -> int:
    """An independent 64-bit seed per (seed, kind, stream): hashing keeps streams unrelated."""
    digest = hashlib.sha256(f"contracttk-fixtures:{seed}:{kind}:{stream}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _faker(locale: str) -> Any:
    """A Faker instance for ``locale`` with the Stripe provider (imported lazily: slow)."""
    from faker import Faker
    from faker.config import AVAILABLE_LOCALES

    from .strategies import add_providers

    if locale not in AVAILABLE_LOCALES:
        raise BadInputError(f"unknown Faker locale {locale!r} (e.g. en_US, de_DE, ja_JP)")
    return add_providers(Faker(locale))


class _Source:
    """Valid and invalid payloads of one kind from a seeded Faker with the Stripe provider."""

    def __init__(self, kind: str, fake: Any, today: date) -> None:
        self.today = today
        self._valid = getattr(fake, f"stripe_{kind}_params")
        self._invalid = getattr(fake, f"stripe_invalid_{kind}_params")

    def valid(self) -> dict[str, Any]:
        """A valid payload ``{kind: {...}}``; card expiries relative to ``today``."""
        return self._valid(today=self.today)

    def invalid(self, violation: Violation) -> tuple[dict[str, Any], ExpectedError]:
        """A payload breaking ``violation`` and the error it earns."""
        made = self._invalid(violation.name, today=self.today)
        if made.violation != violation.name:  # pragma: no cover - the provider's contract
            raise RuntimeError(f"asked for {violation.name}, got {made.violation}")
        return made.params, made.expected


def _width(count: int) -> int:
    # Zero-padded ids sort in generation order in file listings.
    return max(4, len(str(count)))


def iter_records(kind: str, options: DumpOptions) -> Iterator[Record]:
    """Yield the records of ``kind`` one at a time: valid ones first, then invalid ones.

    Invalid records walk ``violations_for(kind)`` round-robin in catalogue order, so
    every entry appears once before any repeats.
    """
    fake = _faker(options.locale)
    source = _Source(kind, fake, options.as_of)

    n_valid = options.valid
    fake.seed_instance(_stream_seed(options.seed, kind, "valid"))
    w = _width(n_valid)
    for i in range(1, n_valid + 1):
        params = source.valid()
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
    fake.seed_instance(_stream_seed(options.seed, kind, "invalid"))
    w = _width(n_invalid)
    for i in range(n_invalid):
        j = i % len(catalogue)
        violation = catalogue[j]
        params, expected = source.invalid(violation)
        yield {
            "id": f"{kind}-invalid-{i + 1:0{w}d}",
            "token_type": kind,
            "valid": False,
            "violation": violation.name,
            "description": violation.description,
            "params": params,
            "body": encode(params),
            "expect": expects[j] if expected is violation.expected else expected.to_json(),
        }


# --- writing ------------------------------------------------------------------------------------


def _dumps(obj: Any) -> str:
    # Compact, key order as built, UTF-8 kept readable: the bytes are the contract.
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class _HashedFile:
    """A binary file that hashes what it writes (checksums without a second read)."""

    def __init__(self, root: Path, rel: str, live: set[_HashedFile]) -> None:
        self.rel = rel
        self._fh: IO[bytes] = open(root / rel, "wb")
        self._sha = hashlib.sha256()
        # The dump closes whatever is still open when it aborts (a set: at most a few
        # files are open at once, whatever the number of records).
        self._live = live
        live.add(self)

    def write(self, data: bytes) -> None:
        self._sha.update(data)
        self._fh.write(data)

    def close(self) -> str:
        """Close the file and return its sha256 hex digest."""
        self._live.discard(self)
        self._fh.close()
        return self._sha.hexdigest()

    def abort(self) -> None:
        """Close without caring about errors (the folder is about to be removed)."""
        self._live.discard(self)
        try:
            self._fh.close()
        except OSError:
            pass


class _JsonArray:
    """A JSON array written one element per line, incrementally."""

    def __init__(self, fh: _HashedFile) -> None:
        self.fh = fh
        self.first = True

    def add(self, obj: Any) -> None:
        self.fh.write((("[\n" if self.first else ",\n") + _dumps(obj)).encode())
        self.first = False

    def close(self) -> str:
        self.fh.write(b"[]\n" if self.first else b"\n]\n")
        return self.fh.close()


def _write_kind(
    root: Path,
    live: set[_HashedFile],
    kind: str,
    options: DumpOptions,
    digests: dict[str, str],
    index: _JsonArray | None,
    tick: Callable[[], None],
) -> None:
    records = iter_records(kind, options)
    if options.format == "form":
        assert index is not None
        (root / kind).mkdir()
        for rec in records:
            rel = f"{kind}/{rec['id']}.form"
            fh = _HashedFile(root, rel, live)
            fh.write(rec["body"].encode())
            digests[rel] = fh.close()
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
    fh = _HashedFile(root, rel, live)
    if options.format == "jsonl":
        for rec in records:
            fh.write((_dumps(rec) + "\n").encode())
            tick()
        digests[rel] = fh.close()
    else:
        array = _JsonArray(fh)
        for rec in records:
            array.add(rec)
            tick()
        digests[rel] = array.close()


def _faker_version() -> str:
    from importlib.metadata import version

    return version("faker")


def _manifest(options: DumpOptions, digests: Mapping[str, str]) -> dict[str, Any]:
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
        "files": {rel: digests[rel] for rel in sorted(digests)},
    }


def _check_target(out: Path, force: bool) -> None:
    """Refuse a target that is a file, or a non-empty folder without ``force``."""
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise BadInputError(f"{out} exists and is not a folder")
        if any(out.iterdir()) and not force:
            raise BadInputError(f"{out} is not empty (use --force to replace it)")
        # Why: swapping the folder we run in (or one holding it) would pull the ground
        # from under the shell; --force is meant for old dumps, not for `.`.
        cwd = Path.cwd().resolve()
        real = out.resolve()
        if real == cwd or real in cwd.parents:
            raise BadInputError(f"refusing to replace {out}: it holds the current folder")


def _make_temp(parent: Path, name: str) -> Path:
    """A fresh folder beside the target (same filesystem, so the final rename is atomic)."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BadInputError(f"cannot create {parent}: {err.strerror or err}") from None
    for _ in range(100):
        # os.mkdir (not tempfile.mkdtemp) so the folder gets the umask's mode, not 0700.
        tmp = parent / f".{name}.tmp-{secrets.token_hex(4)}"
        try:
            tmp.mkdir()
            return tmp
        except FileExistsError:
            continue
        except OSError as err:
            raise BadInputError(f"cannot write to {parent}: {err.strerror or err}") from None
    raise BadInputError(f"cannot create a temporary folder in {parent}")  # pragma: no cover


def _install(tmp: Path, out: Path) -> None:
    """Move ``tmp`` to ``out``, replacing an existing (empty or --force) folder."""
    if not (out.exists() or out.is_symlink()):
        os.rename(tmp, out)
        return
    old = out.parent / f".{out.name}.old-{secrets.token_hex(4)}"
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink()


def preflight(out: str | os.PathLike[str], options: DumpOptions, *, force: bool = False) -> None:
    """Raise BadInputError now for a target or locale that :func:`dump` would refuse."""
    out = Path(out)
    _check_target(out, force)
    # The nearest existing ancestor must be a folder we may write in (the temporary
    # folder and any missing parents are created there).
    parent = out.absolute().parent
    while not (parent.exists() or parent.is_symlink()) and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise BadInputError(f"cannot write to {out}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadInputError(f"cannot write to {out}: {parent} is not writable")
    _faker(options.locale)


def dump(
    out: str | os.PathLike[str],
    options: DumpOptions,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the fixture files of ``options`` into the folder ``out``; return the manifest.

    ``progress(n)`` is called now and then with the number of records written since
    the last call. Raises :class:`BadInputError` (nothing left behind) when ``out`` is
    not writable, is a non-empty folder without ``force``, or a write fails.
    """
    out = Path(out)
    # Checked before the temporary folder exists: a refusal leaves no trace.
    preflight(out, options, force=force)
    tmp = _make_temp(out.parent, out.name)
    pending = 0

    def tick() -> None:
        nonlocal pending
        pending += 1
        if pending >= _PROGRESS_EVERY and progress is not None:
            progress(pending)
            pending = 0

    live: set[_HashedFile] = set()
    try:
        digests: dict[str, str] = {}
        index = _JsonArray(_HashedFile(tmp, INDEX_NAME, live)) if options.format == "form" else None
        for kind in options.kinds:
            _write_kind(tmp, live, kind, options, digests, index, tick)
        if index is not None:
            digests[INDEX_NAME] = index.close()
        manifest = _manifest(options, digests)
        fh = _HashedFile(tmp, MANIFEST_NAME, live)
        fh.write((json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
        fh.close()
        _check_target(out, force)  # it may have been filled while we were writing
        _install(tmp, out)
    except BaseException as err:
        for open_file in list(live):
            open_file.abort()
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError):
            raise BadInputError(
                f"cannot write fixtures to {out}: {err.strerror or err}; nothing was written"
            ) from None
        raise
    if progress is not None and pending:
        progress(pending)
    return manifest


# --- verification -------------------------------------------------------------------------------


def load_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and sanity-check ``DIR/manifest.json``; BadInputError when missing or malformed."""
    path = Path(directory) / MANIFEST_NAME
    if not Path(directory).is_dir():
        raise BadInputError(f"{directory} is not a folder")
    try:
        manifest = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise BadInputError(f"no {MANIFEST_NAME} in {directory}") from None
    except (OSError, ValueError) as err:
        raise BadInputError(f"cannot read {path}: {err}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise BadInputError(f"malformed {path}: 'files' must map relative paths to sha256")
    for rel in files:
        p = PurePosixPath(rel)
        if p.is_absolute() or ".." in p.parts or "\\" in rel or rel in ("", MANIFEST_NAME):
            raise BadInputError(f"malformed {path}: bad file path {rel!r}")
    return manifest


def verify(directory: str | os.PathLike[str]) -> list[str]:
    """Compare ``directory`` with its manifest; return one line per problem (empty = ok).

    Problems: a listed file missing, a checksum that differs, a file not listed.
    """
    root = Path(directory)
    files: dict[str, str] = load_manifest(root)["files"]
    problems: list[str] = []
    for rel, want in files.items():
        path = root / rel
        if not path.is_file():
            problems.append(f"missing: {rel}")
            continue
        sha = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                sha.update(chunk)
        if sha.hexdigest() != want:
            problems.append(f"checksum mismatch: {rel}")
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            rel = Path(dirpath, name).relative_to(root).as_posix()
            if rel != MANIFEST_NAME and rel not in files:
                problems.append(f"unexpected file: {rel}")
    return problems


def options_from_manifest(manifest: Mapping[str, Any]) -> DumpOptions:
    """The options that produced ``manifest`` (to regenerate a dump and compare)."""
    try:
        opts = manifest["options"]
        return DumpOptions(
            kinds=tuple(opts["types"]),
            valid=opts["valid"],
            invalid=opts["invalid"],
            seed=manifest["seed"],
            format=opts["format"],
            locale=opts["locale"],
            as_of=date.fromisoformat(manifest["as_of"]),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise BadInputError(f"malformed {MANIFEST_NAME}: cannot read the options ({err})") from None


def regenerate_problems(directory: str | os.PathLike[str]) -> list[str]:
    """Regenerate the dump described by ``directory``'s manifest and compare checksums."""
    manifest = load_manifest(directory)
    options = options_from_manifest(manifest)
    with tempfile.TemporaryDirectory(prefix="contracttk-verify-") as tmp:
        fresh = dump(Path(tmp) / "dump", options)
    want, got = manifest["files"], fresh["files"]
    problems = [
        f"not reproducible: {rel}"
        for rel in sorted(set(want) | set(got))
        if want.get(rel) != got.get(rel)
    ]
    # Say why it may differ: other tool or Faker versions legitimately change the bytes.
    for name in ("version", "faker_version"):
        if problems and fresh.get(name) != manifest.get(name):
            problems.append(f"note: {name} was {manifest.get(name)}, is now {fresh.get(name)}")
    return problems
