"""SQLite storage of the reference server: rendered tokens and idempotency records.

What is stored is deliberately narrow: a token's id, its mode and the JSON text that was
sent back (which by construction never contains a card number, CVC, account number or ID
number), and for idempotent requests the scope, the key, a SHA-256 of the parameters (never
the parameters themselves) and the stored answer. A per-database random salt keys the card
and bank-account fingerprints, so a fingerprint cannot be reversed by hashing every PAN of a
BIN range, yet stays stable across restarts on the same file.

Concurrency: one connection guarded by a lock. ``:memory:`` databases are private to their
connection, so per-thread connections would each see an empty store; and the server's
requests are short (well under a millisecond of SQLite work), so one lock costs less than
the thread hops of a pool (measured in benchmarks/bench_server.py).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from dataclasses import dataclass

__all__ = ["IdempotencyConflict", "IdempotencyRecord", "StorageError", "TokenStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    livemode INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    livemode INTEGER NOT NULL,
    key TEXT NOT NULL,
    params_hash BLOB NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (livemode, key)
);
"""


class StorageError(Exception):
    """The database could not be opened or written (bad path, read-only, corrupt)."""


class IdempotencyConflict(Exception):
    """Another writer (e.g. a second process on the same file) stored this key first."""


@dataclass(frozen=True)
class IdempotencyRecord:
    """A stored answer to an idempotent request."""

    params_hash: bytes
    status: int
    body: str


class TokenStore:
    """Tokens and idempotency records in one SQLite database (``":memory:"`` or a file)."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            # check_same_thread=False: uvicorn's loop thread and test threads share it,
            # serialised by self._lock.
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            if path != ":memory:":
                # WAL: readers do not block the writer, and a crash never leaves a half
                # written token. NORMAL sync is durable enough for a test double.
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
            # Probe a real write now, so a read-only file fails at start, not mid-request.
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('salt', ?)", (os.urandom(32),)
            )
            self._conn.execute("COMMIT")
            row = self._conn.execute("SELECT value FROM meta WHERE name = 'salt'").fetchone()
        except sqlite3.Error as err:
            raise StorageError(f"cannot use database {path!r}: {err}") from None
        self.salt: bytes = bytes(row[0])

    # --- tokens -------------------------------------------------------------------------

    def put_token(
        self,
        token_id: str,
        livemode: bool,
        body: str,
        idempotency: tuple[str, bytes, int] | None = None,
    ) -> None:
        """Store a token's rendered JSON, and its idempotency record in the same transaction.

        ``idempotency`` is ``(key, params_hash, status)``; the record's body is ``body``.
        """
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                conn.execute(
                    "INSERT INTO tokens (id, livemode, body) VALUES (?, ?, ?)",
                    (token_id, int(livemode), body),
                )
                if idempotency is not None:
                    key, params_hash, status = idempotency
                    try:
                        conn.execute(
                            "INSERT INTO idempotency (livemode, key, params_hash, status, body) "
                            "VALUES (?, ?, ?, ?, ?)",
                            (int(livemode), key, params_hash, status, body),
                        )
                    except sqlite3.IntegrityError:
                        raise IdempotencyConflict(key) from None
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def get_token(self, token_id: str, livemode: bool) -> str | None:
        """The stored JSON of ``token_id`` in that mode, or None (other mode = not found)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT body FROM tokens WHERE id = ? AND livemode = ?",
                (token_id, int(livemode)),
            ).fetchone()
        return row[0] if row else None

    def count_tokens(self) -> int:
        """How many tokens are stored (both modes)."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM tokens").fetchone()[0])

    # --- idempotency ----------------------------------------------------------------------

    def get_idempotency(self, livemode: bool, key: str) -> IdempotencyRecord | None:
        """The stored answer for ``key`` in that mode's scope, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT params_hash, status, body FROM idempotency WHERE livemode = ? AND key = ?",
                (int(livemode), key),
            ).fetchone()
        if row is None:
            return None
        return IdempotencyRecord(bytes(row[0]), int(row[1]), row[2])

    def close(self) -> None:
        """Checkpoint the WAL and close (the file stays; tokens survive a restart).

        Closing the last connection already merges and deletes ``-wal``/``-shm``; the
        explicit TRUNCATE checkpoint makes that true even if another process still holds
        the file open (then only our share of the WAL is merged). Safe to call twice.
        """
        with self._lock:
            if self.path != ":memory:":
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
