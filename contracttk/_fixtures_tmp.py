"""The fixture dump's temporary folder: created marked, installed atomically, never left behind.

A dump is written into ``.<name>.tmp-<pid>-<hex>/`` beside its target ``<name>`` (same
filesystem, so installing it is one ``rename``). That folder holds:

* ``owner.json``: the marker that makes the folder recognisably ours (tool, host, pid),
  written before anything else and removed last; touched every minute as a heartbeat;
* ``data/``: the dump itself, renamed to the target at the end;
* ``old/``: the replaced folder (``force``), moved in so that it goes with our folder;
* scratch files (digest spill files of the ``form`` format).

An interrupted run removes the folder itself (SIGINT, and SIGTERM where the front end maps
it to an interrupt). A run killed outright (``kill -9``, power loss) cannot, so every dump
first removes *stale* folders of earlier runs beside its target: see :func:`remove_stale`
for what counts as stale and why.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

MARKER = "owner.json"
DATA = "data"
OLD = "old"
# How often a live dump touches its marker, and how long a marker may go untouched before
# any later run may remove the folder whoever owned it. An hour is 60 missed heartbeats:
# only a dead (or stopped) writer gets there.
HEARTBEAT_SECONDS = 60.0
STALE_AFTER_SECONDS = 3600.0
# Larger markers are not ours; bounded so a planted file cannot make us read gigabytes.
_MARKER_MAX_BYTES = 4096
_NAME_RE = re.compile(r"\.(?P<name>.+)\.tmp-(?P<pid>[0-9]{1,10})-[0-9a-f]{8}")


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back for a short critical section (POSIX; a no-op elsewhere).

    Why: an interrupt between ``mkdir`` and writing the marker would leave a folder no
    later run can recognise, and one between the two renames of :meth:`TempFolder.install`
    would leave the target missing. A held signal is delivered when the section ends.
    """
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        yield
        return
    wanted = {signal.SIGINT, signal.SIGTERM}
    previous = mask(signal.SIG_BLOCK, wanted)
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)


class TempFolder:
    """A marked temporary folder beside ``target`` (create with :meth:`create`)."""

    def __init__(self, path: Path, made_parents: list[Path] | None = None) -> None:
        self.path = path
        self.data = path / DATA
        # Folders above the target that did not exist before (deepest first): a failed or
        # interrupted dump removes them too, so that it leaves nothing at all behind.
        self.made_parents = made_parents or []
        self._beat = time.monotonic()

    @classmethod
    def create(cls, target: Path) -> TempFolder:
        """Make ``.<name>.tmp-<pid>-<hex>/`` with its marker and empty ``data/``.

        OSError when the parent is not writable (the caller words it). Call it inside
        :func:`signals_held` so that the folder never exists without its marker.
        """
        parent = target.parent
        missing = []
        above = parent
        while not (above.exists() or above.is_symlink()) and above != above.parent:
            missing.append(above)
            above = above.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except BaseException:
            _rmdirs(missing)
            raise
        owner = {"tool": "contracttk", "purpose": "fixtures dump in progress"}
        marker = json.dumps({**owner, "host": socket.gethostname(), "pid": os.getpid()})
        for _ in range(100):
            path = parent / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
            try:
                # os.mkdir (not tempfile.mkdtemp) so the dump gets the umask's mode, not 0700.
                path.mkdir()
            except FileExistsError:
                continue
            except BaseException:
                _rmdirs(missing)
                raise
            try:
                (path / MARKER).write_text(marker + "\n", encoding="utf-8")
                (path / DATA).mkdir()
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                _rmdirs(missing)
                raise
            return cls(path, missing)
        _rmdirs(missing)  # pragma: no cover
        raise FileExistsError(f"no free temporary folder name in {parent}")  # pragma: no cover

    def heartbeat(self) -> None:
        """Touch the marker at most once a :data:`HEARTBEAT_SECONDS` (cheap to call often)."""
        now = time.monotonic()
        if now - self._beat >= HEARTBEAT_SECONDS:
            self._beat = now
            with contextlib.suppress(OSError):
                os.utime(self.path / MARKER)

    def install(self, target: Path) -> None:
        """Rename ``data/`` to ``target``; an existing ``target`` moves into this folder first.

        Called inside :func:`signals_held`: after the first rename the target is missing
        until the second one, and an interrupt in between must not make that permanent.
        """
        if target.exists() or target.is_symlink():
            os.rename(target, self.path / OLD)
            try:
                os.rename(self.data, target)
            except BaseException:
                os.rename(self.path / OLD, target)
                raise
        else:
            os.rename(self.data, target)

    def remove(self) -> None:
        """Delete the folder; the marker goes last, so a run killed meanwhile stays recognisable."""
        _remove_marked(self.path)

    def discard(self) -> None:
        """Delete the folder and the parents this dump created (for a failed dump)."""
        self.remove()
        _rmdirs(self.made_parents)


def _rmdirs(folders: list[Path]) -> None:
    # Deepest first, and only while empty: anything someone else put there stays.
    for folder in folders:
        try:
            os.rmdir(folder)
        except OSError:
            return


def _remove_marked(path: Path) -> None:
    with os.scandir(path) as entries:
        children = [e for e in entries if e.name != MARKER]
    for entry in children:
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
    with contextlib.suppress(OSError):
        os.unlink(path / MARKER)
    with contextlib.suppress(OSError):
        os.rmdir(path)


def _owner(path: Path, pid: int) -> float | None:
    """The marker's age in seconds if ``path`` holds our marker naming ``pid``, else None."""
    marker = path / MARKER
    try:
        st = os.lstat(marker)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MARKER_MAX_BYTES:
            return None
        data = json.loads(marker.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("tool") != "contracttk" or data.get("pid") != pid:
        return None
    host = data.get("host")
    age = time.time() - st.st_mtime
    if host == socket.gethostname() and not _pid_alive(pid):
        return float("inf")  # owner gone: stale whatever the age
    return age


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        # os.kill(pid, 0) on Windows *terminates* the process: never probe there.
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def remove_stale(parent: Path) -> list[Path]:
    """Remove temporary folders of killed dumps in ``parent``; return the ones removed.

    A folder is removed only when all of these hold, so that nothing but our own
    abandoned scratch space can go:

    * its name is ``.<name>.tmp-<pid>-<8 hex>`` (ours, recognisably);
    * it is a real folder (not a symlink) owned by the current user;
    * it holds our marker ``owner.json`` naming the same pid;
    * its writer is gone: the marker names this host and no process has that pid, or
      the marker (touched every minute by a live dump) is over an hour old. The age
      rule covers what the pid test cannot: another host or pid namespace sharing the
      folder, and a pid since reused by an unrelated process.

    A live dump into the same parent (another target, or this one from a second
    terminal) keeps its folder: its pid is alive and its heartbeat fresh.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        match = _NAME_RE.fullmatch(entry.name)
        if match is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or (uid is not None and st.st_uid != uid):
            continue
        path = Path(entry.path)
        age = _owner(path, int(match["pid"]))
        if age is None or age < STALE_AFTER_SECONDS:
            continue
        _remove_marked(path)
        if not os.path.lexists(path):
            removed.append(path)
    return removed
