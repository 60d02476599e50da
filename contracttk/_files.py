"""Files contracttk writes and reads back: atomic writes, and its own JSON documents.

One place for both, because every output (report, JUnit file, schema, manifest) must be
written so that a reader never sees half of it, and every document we read back (a report
for ``--baseline``/``replay``, a fixture manifest) must fail with one clear line.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["MAX_DOCUMENT_BYTES", "load_tool_document", "write_atomic"]

MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
"""The largest report or manifest read back (the largest runs write a few tens of MB)."""


def write_atomic(
    path: str | os.PathLike[str], text: str | bytes, *, make_parents: bool = True
) -> None:
    """Write ``text`` (UTF-8, or bytes as they are) to ``path`` via a synced temp file in the
    same folder and ``os.replace``.

    A reader never sees a half-written file, and a failed write leaves the old one (and no
    temp file). Raises OSError; ``make_parents=False`` makes a missing folder one too.
    """
    target = Path(path)
    folder = target.parent
    if make_parents:
        folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        # mkstemp makes the file owner-only; the result gets the mode a plain open() would
        # give it (the umask's), or keeps the mode of the file it replaces.
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except OSError:
            mode = 0o666 & ~_umask()
        os.fchmod(fd, mode)
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@cache
def _umask() -> int:
    # Read once (setting it is the only way to read it, and it is process-wide).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def load_tool_document(
    path: str | os.PathLike[str],
    *,
    error: type[Exception],
    what: str,
    version_key: str,
    version: int,
) -> dict[str, Any]:
    """Read a JSON document contracttk wrote: a dict with ``tool: contracttk`` and a version.

    Anything else (unreadable, not a regular file, over :data:`MAX_DOCUMENT_BYTES`, not JSON,
    nested too deeply, another tool's file, another version) raises ``error`` with one line naming ``path``; ``what`` names the document
    ("report", "manifest").
    """
    try:
        # Checked before opening: a FIFO would block the read, /dev/zero never end it.
        info = os.stat(path)
    except OSError as err:
        raise error(f"cannot read {path}: {err.strerror or err}") from None
    if not stat.S_ISREG(info.st_mode):
        raise error(f"cannot read {path}: not a regular file")
    if info.st_size > MAX_DOCUMENT_BYTES:
        raise error(
            f"cannot read {path}: {info.st_size:,} bytes, more than a {what} of ours "
            f"({MAX_DOCUMENT_BYTES:,})"
        )
    try:
        doc = json.loads(Path(path).read_bytes())
    except OSError as err:
        raise error(f"cannot read {path}: {err.strerror or err}") from None
    except (ValueError, RecursionError) as err:
        # RecursionError: deeply nested brackets, a hostile file rather than ours.
        reason = "nested too deeply" if isinstance(err, RecursionError) else "not JSON"
        raise error(f"cannot read {path}: {reason}") from None
    if not isinstance(doc, dict) or doc.get("tool") != "contracttk":
        raise error(f"{path} is not a contracttk {what}")
    if doc.get(version_key) != version:
        raise error(
            f"{path} has {version_key} {doc.get(version_key)!r}; this contracttk reads "
            f"version {version}"
        )
    return doc
