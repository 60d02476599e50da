"""Fixture files for QA: stream valid and invalid ``POST /v1/tokens`` payloads to disk.

Every record is derived from the contract model: valid payloads come from the strategies'
payload builders, invalid ones apply a catalogue :class:`~contracttk.contract.Violation`
and carry its :class:`ExpectedError`; bodies are encoded by
:func:`contracttk.encoding.encode`, the one place that knows the wire format.

Guarantees (tested in ``tests/fixtures_dump/``):

* Deterministic: the same options (seed, tool version, ``as_of``) give byte-identical
  files. Each kind has its own random stream, derived from the seed and the kind's name,
  so ``kinds=("card",)`` writes exactly the card file of a full dump.
* Streaming: records are written as they are generated (JSON arrays incrementally, the
  ``form`` format's per-file digests spilled to disk), so peak memory does not grow with
  the number of records.
* Atomic and tidy: files are written into a marked temporary folder beside the target
  (:mod:`contracttk._fixtures_tmp`), renamed into place at the end; on any error or
  interrupt that folder is removed, and one left by a killed run is removed by the next.
* Bounded and careful: counts are capped (:data:`MAX_RECORDS_PER_KIND`), and ``force``
  replaces only a folder that holds an earlier contracttk dump and nothing else.

Errors are :class:`~contracttk.errors.FixtureError` subclasses naming no command-line flag;
:mod:`contracttk._cli_fixtures` words them for its flags and maps them to exit codes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._fixtures_gen import (
    DEFAULT_LOCALE,
    DEFAULT_VALID,
    FORMAT_VERSION,
    FORMATS,
    INDEX_NAME,
    MANIFEST_NAME,
    MAX_RECORDS_PER_KIND,
    MAX_SEED,
    PROGRESS_EVERY,
    DumpOptions,
    iter_records,
    manifest_head,
    write_all,
)
from ._fixtures_tmp import TempFolder, remove_stale, signals_held
from ._fixtures_verify import (
    check_target,
    load_manifest,
    options_from_manifest,
    regenerate_problems,
    verify,
)
from ._fixtures_write import Digests, HashedFile, write_manifest
from .errors import FixtureWriteError

__all__ = [
    "DEFAULT_LOCALE",
    "DEFAULT_VALID",
    "FORMATS",
    "FORMAT_VERSION",
    "INDEX_NAME",
    "MANIFEST_NAME",
    "MAX_RECORDS_PER_KIND",
    "MAX_SEED",
    "DumpOptions",
    "check_target",
    "dump",
    "iter_records",
    "load_manifest",
    "options_from_manifest",
    "preflight",
    "regenerate_problems",
    "remove_stale_temps",
    "verify",
]

Progress = Callable[[int], None]


def preflight(out: str | os.PathLike[str], options: DumpOptions, *, force: bool = False) -> None:
    """Raise now what :func:`dump` would refuse before writing (target, parent folder).

    :class:`~contracttk.errors.FixtureTargetError` for a refused target,
    :class:`~contracttk.errors.FixtureWriteError` for a parent we cannot write in.
    """
    out = Path(out)
    check_target(out, force)
    # The nearest existing ancestor must be a folder we may write in (the temporary
    # folder and any missing parents are created there).
    parent = out.absolute().parent
    while not (parent.exists() or parent.is_symlink()) and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise FixtureWriteError(f"cannot write to {out}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FixtureWriteError(f"cannot write to {out}: {parent} is not writable")


def remove_stale_temps(out: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary folders that killed dumps left beside ``out``; return them.

    Only our own, recognisably named and marked folders whose writer is gone (see
    :func:`contracttk._fixtures_tmp.remove_stale`). :func:`dump` calls this itself.
    """
    return remove_stale(Path(out).absolute().parent)


def dump(
    out: str | os.PathLike[str],
    options: DumpOptions,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the fixture files of ``options`` into the folder ``out``; return the manifest's head.

    The head is the manifest without its ``files`` block (read ``out/manifest.json`` for
    the checksums: for the ``form`` format that block has one line per record).
    ``progress(n)`` is called now and then with the number of records written since the
    last call. ``force`` replaces a folder holding an earlier contracttk dump (and nothing
    else). Raises :class:`~contracttk.errors.FixtureTargetError` or
    :class:`~contracttk.errors.FixtureWriteError` with nothing left behind; an interrupt
    (KeyboardInterrupt) removes the temporary folder too.
    """
    out = Path(out)
    # Checked before the temporary folder exists: a refusal leaves no trace.
    preflight(out, options, force=force)
    remove_stale_temps(out)
    tmp: TempFolder | None = None
    live: set[HashedFile] = set()
    digests: Digests | None = None
    pending = 0

    def tick() -> None:
        nonlocal pending
        pending += 1
        if pending >= PROGRESS_EVERY:
            assert tmp is not None
            tmp.heartbeat()
            if progress is not None:
                progress(pending)
            pending = 0

    try:
        with signals_held():
            tmp = TempFolder.create(out.absolute())
        digests = Digests(tmp.path, live)
        write_all(tmp.data, options, digests, live, tick)
        head = manifest_head(options)
        fh = HashedFile(tmp.data, MANIFEST_NAME, live)
        write_manifest(fh, head, digests)
        fh.close()
        digests.close()
        check_target(out, force)  # it may have been filled while we were writing
        with signals_held():
            tmp.install(out)
    except BaseException as err:
        with signals_held():
            if digests is not None:
                digests.close()
            for open_file in list(live):
                open_file.abort()
            if tmp is not None:
                tmp.discard()
        if isinstance(err, OSError):
            raise FixtureWriteError(
                f"cannot write fixtures to {out}: {err.strerror or err}; nothing was written"
            ) from None
        raise
    # Now only the marker and a replaced dump are left in it. Not under signals_held: a
    # replaced dump may be large, and an interrupt here leaves a marked folder the next
    # run removes.
    tmp.remove()
    if progress is not None and pending:
        progress(pending)
    return head
