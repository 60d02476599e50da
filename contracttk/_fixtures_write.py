"""Bytes of a fixture dump: hashed files, incremental JSON arrays, the manifest's text.

Every file is hashed while it is written (no second read). Files may also be "hash only"
(``root=None``): ``verify --regenerate`` regenerates a dump that way, comparing checksums
without writing a byte. The manifest lists every file's sha256 in path order; for the
``form`` format (one file per record) the digests are spilled to scratch files as they come
and merged into the manifest at the end, so memory does not grow with the record count.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any


def dumps(obj: Any) -> str:
    """Compact JSON, key order as built, UTF-8 kept readable: the bytes are the contract."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class HashedFile:
    """A binary file that hashes what it writes; ``root=None`` hashes without writing."""

    def __init__(self, root: Path | None, rel: str, live: set[HashedFile]) -> None:
        self.rel = rel
        self._fh: IO[bytes] | None = None if root is None else open(root / rel, "wb")
        self._sha = hashlib.sha256()
        # The dump closes whatever is still open when it aborts (a set: at most a few
        # files are open at once, whatever the number of records).
        self._live = live
        live.add(self)

    def write(self, data: bytes) -> None:
        """Append ``data`` (and hash it)."""
        self._sha.update(data)
        if self._fh is not None:
            self._fh.write(data)

    def close(self) -> str:
        """Close the file and return its sha256 hex digest."""
        self._live.discard(self)
        if self._fh is not None:
            self._fh.close()
        return self._sha.hexdigest()

    def abort(self) -> None:
        """Close without caring about errors (the folder is about to be removed)."""
        self._live.discard(self)
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError:
                pass


class JsonArray:
    """A JSON array written one element per line, incrementally."""

    def __init__(self, fh: HashedFile) -> None:
        self.fh = fh
        self.first = True

    def add(self, obj: Any) -> None:
        """Append one element."""
        self.fh.write((("[\n" if self.first else ",\n") + dumps(obj)).encode())
        self.first = False

    def close(self) -> str:
        """Close the array and the file; return the file's sha256."""
        self.fh.write(b"[]\n" if self.first else b"\n]\n")
        return self.fh.close()


def _entry(rel: str, digest: str) -> str:
    # One line of the manifest's "files" object exactly as json.dumps(indent=2) renders it.
    return f"    {json.dumps(rel, ensure_ascii=False)}: {json.dumps(digest)}"


class Digests:
    """The sha256 of every file of a dump, delivered in path order by :meth:`lines`.

    ``add`` takes a file of its own (a kind's JSON file, ``index.json``); ``add_record``
    takes one of many files of a *stream*: the body files of one kind's valid or invalid
    records, which arrive in path order and all start with the stream's prefix. With a
    ``scratch`` folder, streams go to spill files there (memory stays flat); without,
    they are kept in memory (hash-only regeneration, or a dump without per-record files).
    """

    def __init__(self, scratch: Path | None, live: set[HashedFile]) -> None:
        self._scratch = scratch
        self._live = live
        self._single: dict[str, str] = {}
        self._streams: dict[str, HashedFile | list[tuple[str, str]]] = {}

    def add(self, rel: str, digest: str) -> None:
        """Record the digest of a file of its own."""
        self._single[rel] = digest

    def add_record(self, prefix: str, rel: str, digest: str) -> None:
        """Record the digest of a per-record file; ``rel`` starts with ``prefix``."""
        sink = self._streams.get(prefix)
        if sink is None:
            if self._scratch is None:
                sink = []
            else:
                name = f"digests-{len(self._streams)}.txt"
                sink = HashedFile(self._scratch, name, self._live)
            self._streams[prefix] = sink
        if isinstance(sink, list):
            sink.append((rel, digest))
        else:
            sink.write((_entry(rel, digest) + "\n").encode())

    def as_dict(self) -> dict[str, str]:
        """Every digest, in path order (memory grows with the files: small dumps only)."""
        out = dict(self._single)
        for sink in self._streams.values():
            if isinstance(sink, list):
                out.update(sink)
            else:
                raise RuntimeError("spilled digests: read them with lines()")
        return {rel: out[rel] for rel in sorted(out)}

    def lines(self) -> Iterator[str]:
        """The manifest's ``files`` lines in path order (spill files are read back once).

        A stream sorts as its prefix: every path of a stream starts with the prefix and
        no other path does, so ordering prefixes and single paths orders all paths; within
        a stream, zero-padded ids of one width arrive already sorted.
        """
        keys = sorted([*self._single, *self._streams])
        for key in keys:
            if key in self._single:
                yield _entry(key, self._single[key])
                continue
            sink = self._streams[key]
            if isinstance(sink, list):
                for rel, digest in sink:
                    yield _entry(rel, digest)
                continue
            sink.close()
            assert self._scratch is not None
            with open(self._scratch / sink.rel, encoding="utf-8") as fh:
                for line in fh:
                    yield line.rstrip("\n")

    def close(self) -> None:
        """Close any spill file still open."""
        for sink in self._streams.values():
            if isinstance(sink, HashedFile):
                sink.abort()


def write_manifest(fh: HashedFile, head: Mapping[str, Any], digests: Digests) -> None:
    """Write ``head`` plus ``"files"`` as ``json.dumps(indent=2)`` would, streaming the files.

    Byte-identical to ``json.dumps({**head, "files": {...}}, indent=2, ensure_ascii=False)``
    followed by a newline, without holding the (possibly huge) files mapping.
    """
    text = json.dumps({**head, "files": {}}, indent=2, ensure_ascii=False)
    tail = "{}\n}"
    if not text.endswith(tail):  # pragma: no cover - "files" is the last key by construction
        raise RuntimeError("manifest layout changed")
    fh.write(text[: -len(tail)].encode())
    first = True
    batch: list[str] = []
    for line in digests.lines():
        batch.append(line)
        if len(batch) >= 128:
            fh.write((("{\n" if first else ",\n") + ",\n".join(batch)).encode())
            first, batch = False, []
    if batch:
        fh.write((("{\n" if first else ",\n") + ",\n".join(batch)).encode())
        first = False
    fh.write(b"{}\n}\n" if first else b"\n  }\n}\n")
