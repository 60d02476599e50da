"""Reading a fixture folder back: its manifest, whether ``force`` may replace it, verification.

:mod:`contracttk.fixtures_dump` is the public face of this module (and re-exports it).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from ._files import load_tool_document
from ._fixtures_gen import (
    FORMAT_VERSION,
    MANIFEST_NAME,
    PROGRESS_EVERY,
    DumpOptions,
    manifest_head,
    write_all,
)
from ._fixtures_write import Digests, HashedFile
from .errors import FixtureOptionError, FixtureTargetError, FixtureWriteError, ManifestError

# Where each DumpOptions field sits in a manifest (for messages about a bad one).
_MANIFEST_FIELD = {
    "kinds": "options.types",
    "valid": "options.valid",
    "invalid": "options.invalid",
    "format": "options.format",
    "locale": "options.locale",
    "seed": "seed",
    "as_of": "as_of",
}


# --- the manifest -------------------------------------------------------------------------------


def load_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and sanity-check ``DIR/manifest.json``; :class:`ManifestError` when it is unusable.

    Unusable: missing, not a regular file, not JSON, not a contracttk manifest of this
    format version, or a ``files`` block that is not a map of safe relative paths.
    """
    root = Path(directory)
    path = root / MANIFEST_NAME
    if not root.is_dir():
        raise ManifestError(f"{directory} is not a folder")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise ManifestError(f"no {MANIFEST_NAME} in {directory}") from None
    except OSError as err:
        raise ManifestError(f"cannot read {path}: {err.strerror or err}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ManifestError(f"{path} is not a regular file")
    manifest = load_tool_document(
        path,
        error=ManifestError,
        what="manifest",
        version_key="format_version",
        version=FORMAT_VERSION,
    )
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise ManifestError(f"malformed {path}: 'files' must map relative paths to sha256")
    for rel in files:
        p = PurePosixPath(rel)
        if (
            p.is_absolute()
            or ".." in p.parts
            or "\\" in rel
            or "\0" in rel
            or rel in ("", MANIFEST_NAME)
            or p.as_posix() != rel
        ):
            raise ManifestError(f"malformed {path}: bad file path {rel!r}")
    return manifest


def options_from_manifest(manifest: Mapping[str, Any]) -> DumpOptions:
    """The options that produced ``manifest``, under the same checks and caps as a new dump.

    :class:`ManifestError` when they are missing, out of range (a count over
    ``MAX_RECORDS_PER_KIND``, say) or disagree with the manifest's ``counts``/``total``.
    """
    try:
        opts = manifest["options"]
        types = opts["types"]
        if not isinstance(types, list):
            raise FixtureOptionError("kinds", f"must be a list of token kinds, not {types!r}")
        options = DumpOptions(
            kinds=tuple(types),
            valid=opts["valid"],
            invalid=opts["invalid"],
            seed=manifest["seed"],
            format=opts["format"],
            locale=opts["locale"],
            as_of=date.fromisoformat(manifest["as_of"]),
        )
    except FixtureOptionError as err:
        where = _MANIFEST_FIELD.get(err.option, err.option)
        raise ManifestError(f"malformed {MANIFEST_NAME}: {where}: {err.detail}") from None
    except (KeyError, TypeError, ValueError) as err:
        raise ManifestError(f"malformed {MANIFEST_NAME}: cannot read the options ({err})") from None
    head = manifest_head(options)
    if manifest.get("counts") != head["counts"] or manifest.get("total") != head["total"]:
        raise ManifestError(
            f"malformed {MANIFEST_NAME}: counts and total disagree with its options"
        )
    return options


# --- may `force` replace this folder? -----------------------------------------------------------


def check_target(out: Path, force: bool) -> None:
    """Refuse a target that :func:`~contracttk.fixtures_dump.dump` must not replace.

    Refused (:class:`FixtureTargetError`): a file; a non-empty folder without ``force``;
    the current folder or one holding it; with ``force``, any folder that is not exactly an
    earlier contracttk dump (its manifest plus the files that manifest lists).
    """
    if not (out.exists() or out.is_symlink()):
        return
    if not out.is_dir():
        raise FixtureTargetError(str(out), "not_a_folder", f"{out} exists and is not a folder")
    try:
        empty = not any(out.iterdir())
    except OSError as err:
        raise FixtureWriteError(f"cannot read {out}: {err.strerror or err}") from None
    if not empty and not force:
        raise FixtureTargetError(str(out), "not_empty", f"{out} is not empty")
    # Why: swapping the folder we run in (or one holding it) would pull the ground
    # from under the shell.
    try:
        cwd: Path | None = Path.cwd().resolve()
    except OSError:
        cwd = None
    real = out.resolve()
    if cwd is not None and (real == cwd or real in cwd.parents):
        raise FixtureTargetError(
            str(out), "holds_cwd", f"refusing to replace {out}: it holds the current folder"
        )
    if not empty:
        why = _not_a_dump(out)
        if why is not None:
            raise FixtureTargetError(str(out), "foreign", f"{out} {why}")


def _not_a_dump(out: Path) -> str | None:
    """Why ``out`` is not exactly an earlier contracttk dump (None when it is)."""
    try:
        files = load_manifest(out)["files"]
    except ManifestError:
        return "holds no contracttk manifest"
    folders = {"/".join(rel.split("/")[:i]) for rel in files for i in range(1, rel.count("/") + 1)}

    def unreadable(err: OSError) -> None:
        raise err

    try:
        for dirpath, dirnames, filenames in os.walk(out, onerror=unreadable):
            base = Path(dirpath).relative_to(out).as_posix()
            for name in sorted(dirnames + filenames):
                rel = name if base == "." else f"{base}/{name}"
                mode = os.lstat(Path(dirpath, name)).st_mode
                if stat.S_ISDIR(mode):
                    ours = rel in folders
                elif not stat.S_ISREG(mode):
                    return f"holds {rel!r}, which is not a regular file or folder"
                else:
                    ours = rel in files or rel == MANIFEST_NAME
                if not ours:
                    return f"holds {rel!r}, which is not part of its contracttk dump"
    except OSError as err:
        return f"cannot be read through ({err.strerror or err})"
    return None


# --- verification -------------------------------------------------------------------------------


def _scan(root: Path) -> tuple[set[str], list[str]]:
    """(regular files, everything else that is not a folder), as relative paths.

    Symlinks are not followed: a listed file that is a symlink is reported, not read.
    """
    regular: set[str] = set()
    other: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(dirpath).relative_to(root).as_posix()
        for name in sorted(filenames + [d for d in dirnames if Path(dirpath, d).is_symlink()]):
            rel = name if base == "." else f"{base}/{name}"
            try:
                mode = os.lstat(Path(dirpath, name)).st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode):
                regular.add(rel)
            else:
                other.append(rel)
    return regular, other


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    # O_NOFOLLOW/O_NONBLOCK: a file swapped for a link or a FIFO since the scan fails here
    # instead of being followed or blocking the read forever.
    extra = ("O_NOFOLLOW", "O_NONBLOCK", "O_BINARY")
    flags = os.O_RDONLY
    for name in extra:
        flags |= getattr(os, name, 0)
    with os.fdopen(os.open(path, flags), "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def verify(
    directory: str | os.PathLike[str], *, manifest: Mapping[str, Any] | None = None
) -> list[str]:
    """Compare ``directory`` with its manifest; return one line per problem (empty = ok).

    Problems: a listed file missing, not a regular file, or whose sha256 differs from the
    manifest's (a data file changed after the dump); a file the manifest does not list.
    :class:`ManifestError` (before any file is read) when the manifest is unusable or its
    options are out of range. ``manifest``: one already loaded with :func:`load_manifest`.
    """
    root = Path(directory)
    if manifest is None:
        manifest = load_manifest(root)
    options_from_manifest(manifest)
    files: Mapping[str, str] = manifest["files"]
    regular, other = _scan(root)
    odd = set(other)
    problems: list[str] = []
    for rel, want in files.items():
        if rel in regular:
            try:
                if _sha256(root / rel) != want:
                    problems.append(f"checksum mismatch: {rel}")
            except OSError as err:
                problems.append(f"unreadable: {rel} ({err.strerror or err})")
        elif rel in odd:
            problems.append(f"not a regular file: {rel}")
        else:
            problems.append(f"missing: {rel}")
    for rel in sorted(regular | odd):
        if rel != MANIFEST_NAME and rel not in files:
            problems.append(f"unexpected file: {rel}")
    return problems


def regenerate_problems(
    directory: str | os.PathLike[str],
    *,
    manifest: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Regenerate the dump ``directory``'s manifest describes and compare checksums.

    Nothing is written: the regenerated files are only hashed, so an interrupt leaves
    nothing behind and a large manifest costs time, not disk. The manifest's options go
    through the same caps as a new dump (:class:`ManifestError` above them).
    """
    if manifest is None:
        manifest = load_manifest(directory)
    options = options_from_manifest(manifest)
    live: set[HashedFile] = set()
    digests = Digests(None, live)
    pending = 0

    def tick() -> None:
        nonlocal pending
        pending += 1
        if pending >= PROGRESS_EVERY and progress is not None:
            progress(pending)
            pending = 0

    write_all(None, options, digests, live, tick)
    want: Mapping[str, str] = manifest["files"]
    got = digests.as_dict()
    problems = [
        f"not reproducible: {rel}"
        for rel in sorted(set(want) | set(got))
        if want.get(rel) != got.get(rel)
    ]
    # Say why it may differ: other tool or Faker versions legitimately change the bytes.
    fresh = manifest_head(options)
    for name in ("version", "faker_version"):
        if problems and fresh.get(name) != manifest.get(name):
            problems.append(f"note: {name} was {manifest.get(name)}, is now {fresh.get(name)}")
    return problems
