"""The SQLite backend (stdlib ``sqlite3``): one file, WAL mode, every write a transaction.

The web app serves requests from a thread pool and may run several worker processes, so
every operation opens its own connection; writes take the database's write lock at once
(``BEGIN IMMEDIATE``) so a read-then-write (the next turn number) cannot interleave with
another writer. WAL lets readers go on while one process writes.
"""

from __future__ import annotations

import errno
import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from pathlib import Path

from assistant.conversations.models import StorageError, now
from assistant.conversations.sql import OWNER_INDEX, SECRET_KEY, SQLStore, Statements, refill, tables

SCHEMA = ";\n".join(tables("REAL")) + ";\n"


def storage_error(where: str, error: BaseException) -> StorageError:
    """A StorageError naming what failed, from a sqlite3 or OS error."""
    text = str(error).lower()
    code = getattr(error, "errno", None)
    if "disk is full" in text or code == errno.ENOSPC:
        reason = "the disk is full (no space left to write)"
    elif "readonly" in text or "read-only" in text or code == errno.EROFS:
        reason = "the disk or file is read-only"
    elif code in (errno.EACCES, errno.EPERM) or "permission" in text:
        reason = "permission denied"
    elif "unable to open" in text:
        reason = "cannot open the database file (missing folder, permissions or a read-only disk)"
    elif "locked" in text or "busy" in text:
        reason = "the database stayed locked by another writer for too long"
    elif "i/o error" in text:
        reason = "disk I/O error"
    elif "not a database" in text or "malformed" in text:
        reason = "the database file is corrupted"
    else:
        reason = str(error) or type(error).__name__
    return StorageError(where, reason)


class SQLiteStore(SQLStore):
    """Create, read, list, extend and delete conversations in one SQLite file."""

    backend = "sqlite"
    sql = Statements.for_backend("?")  # BEGIN IMMEDIATE already holds the write lock: no row lock

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.where = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._open()) as db:
                db.execute("PRAGMA journal_mode = WAL")
                db.executescript(SCHEMA)
                columns = {row[1] for row in db.execute("PRAGMA table_info(conversations)")}
                if "owner" not in columns:  # a database from before owners
                    db.execute("ALTER TABLE conversations ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
                db.execute(OWNER_INDEX)
        except (sqlite3.Error, OSError) as error:
            raise storage_error(self.where, error) from error

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("PRAGMA foreign_keys = ON")
        db.row_factory = sqlite3.Row
        return db

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        try:
            with closing(self._open()) as db:
                yield db
        except (sqlite3.Error, OSError) as error:
            raise storage_error(self.where, error) from error

    @contextmanager
    def _write(self, guard: AbstractContextManager | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT); rolled back on any error."""
        try:
            with closing(self._open()) as db, (guard or nullcontext()):
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.rollback()
                    raise
                db.commit()
        except (sqlite3.Error, OSError) as error:
            raise storage_error(self.where, error) from error

    # -- backend-specific writes (the rest is SQLStore) ------------------------------------
    def _spend_token(self, db: sqlite3.Connection, key: str, capacity: float, per_second: float,
                     now: float) -> float:
        row = db.execute("SELECT tokens, updated FROM rate_buckets WHERE key = ?", (key,)).fetchone()
        if row is None:
            tokens, wait = refill(capacity, now, capacity, per_second, now)
        else:
            tokens, wait = refill(row["tokens"], row["updated"], capacity, per_second, now)
        db.execute("INSERT INTO rate_buckets (key, tokens, updated) VALUES (?, ?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET tokens = excluded.tokens, updated = excluded.updated",
                   (key, tokens, now))
        return wait

    def _store_secret(self, db: sqlite3.Connection, value: str) -> str:
        row = db.execute(self.sql.read_secret).fetchone()  # under BEGIN IMMEDIATE: no race
        if row is not None:
            return row["value"]
        db.execute(f"INSERT INTO meta (key, value) VALUES ('{SECRET_KEY}', ?)", (value,))
        return value

    def _health_stamp(self) -> str:
        return json.dumps(now())

    def _health_details(self, info: dict) -> None:
        with self._read() as db:
            info["journal_mode"] = db.execute("PRAGMA journal_mode").fetchone()[0]

    def close(self) -> None:
        """Nothing stays open between operations."""

