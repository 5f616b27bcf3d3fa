"""The SQLite backend (stdlib ``sqlite3``): one file, WAL mode, every write a transaction.

The web app serves requests from a thread pool and may run several worker processes, so
every operation opens its own connection; writes take the database's write lock at once
(``BEGIN IMMEDIATE``) so a read-then-write (the next turn number) cannot interleave with
another writer. WAL lets readers go on while one process writes.
"""

from __future__ import annotations

import errno
import json
import secrets
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from pathlib import Path

from assistant.conversations.models import (
    Conversation,
    ConversationNotFound,
    ConversationSummary,
    StorageError,
    StoredTurn,
    check_id,
    now,
    title_of,
)
from assistant.records import Answer, Filters

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    filters_json TEXT,
    answer_json TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (conversation_id, position)
);
CREATE TABLE IF NOT EXISTS rate_buckets (
    key TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
OWNER_INDEX = "CREATE INDEX IF NOT EXISTS conversations_owner ON conversations (owner, updated)"


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


class SQLiteStore:
    """Create, read, list, extend and delete conversations in one SQLite file."""

    backend = "sqlite"

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

    # -- writes --------------------------------------------------------------------------
    def create(self, title: str = "", owner: str = "") -> ConversationSummary:
        """A new, empty conversation (its title becomes the first question if empty)."""
        stamp = now()
        conversation_id = uuid.uuid4().hex
        with self._write() as db:
            db.execute(
                "INSERT INTO conversations (id, title, created, updated, owner) VALUES (?, ?, ?, ?, ?)",
                (conversation_id, title_of(title), stamp, stamp, owner),
            )
        return ConversationSummary(id=conversation_id, title=title_of(title), created=stamp, updated=stamp)

    def add_turn(self, conversation_id: str, answer: Answer, filters: Filters | None = None,
                 owner: str | None = None, guard: AbstractContextManager | None = None) -> StoredTurn:
        """Append a turn; the first turn also names an untitled conversation."""
        check_id(conversation_id)
        stamp = now()
        with self._write(guard) as db:
            row = db.execute("SELECT title, owner FROM conversations WHERE id = ?",
                             (conversation_id,)).fetchone()
            if row is None or (owner is not None and row["owner"] != owner):
                raise ConversationNotFound(f"unknown conversation id {conversation_id}")
            position = db.execute(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM turns WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()[0]
            db.execute(
                "INSERT INTO turns (conversation_id, position, question, filters_json, "
                "answer_json, created) VALUES (?, ?, ?, ?, ?, ?)",
                (conversation_id, position, answer.question,
                 filters.model_dump_json() if filters else None, answer.model_dump_json(), stamp),
            )
            db.execute("UPDATE conversations SET title = ?, updated = ? WHERE id = ?",
                       (row["title"] or title_of(answer.question), stamp, conversation_id))
        return StoredTurn(n=position, question=answer.question, filters=filters, answer=answer,
                          created=stamp)

    def delete(self, conversation_id: str, owner: str | None = None) -> None:
        """Delete a conversation and its turns; unknown (or others') ids raise NotFound."""
        check_id(conversation_id)
        with self._write() as db:
            if owner is None:
                deleted = db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            else:
                deleted = db.execute("DELETE FROM conversations WHERE id = ? AND owner = ?",
                                     (conversation_id, owner))
            if deleted.rowcount == 0:
                raise ConversationNotFound(f"unknown conversation id {conversation_id}")

    # -- reads ---------------------------------------------------------------------------
    def get(self, conversation_id: str, owner: str | None = None) -> Conversation:
        """A conversation with all its turns."""
        check_id(conversation_id)
        with self._read() as db:
            row = db.execute("SELECT id, title, created, updated, owner FROM conversations "
                             "WHERE id = ?", (conversation_id,)).fetchone()
            if row is None or (owner is not None and row["owner"] != owner):
                raise ConversationNotFound(f"unknown conversation id {conversation_id}")
            turns = db.execute(
                "SELECT position, question, filters_json, answer_json, created FROM turns "
                "WHERE conversation_id = ? ORDER BY position", (conversation_id,),
            ).fetchall()
        return Conversation(
            id=row["id"], title=row["title"], created=row["created"], updated=row["updated"],
            turns=[_turn(t["position"], t["question"], t["filters_json"], t["answer_json"], t["created"])
                   for t in turns],
        )

    def turn(self, conversation_id: str, n: int, owner: str | None = None) -> StoredTurn:
        """One turn of a conversation (1-based)."""
        for stored in self.get(conversation_id, owner).turns:
            if stored.n == n:
                return stored
        raise ConversationNotFound(f"conversation {conversation_id} has no turn {n}")

    def recent(self, limit: int = 200, owner: str | None = None) -> list[ConversationSummary]:
        """Conversations (of ``owner``), most recently updated first."""
        where, args = ("WHERE c.owner = ?", (owner, limit)) if owner is not None else ("", (limit,))
        with self._read() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.created, c.updated, COUNT(t.position) AS turns "
                f"FROM conversations c LEFT JOIN turns t ON t.conversation_id = c.id {where} "
                "GROUP BY c.id ORDER BY c.updated DESC, c.created DESC LIMIT ?", args,
            ).fetchall()
        return [ConversationSummary(**dict(row)) for row in rows]

    # -- shared state for the web tier ------------------------------------------------------
    def take_token(self, key: str, capacity: float, per_second: float, now: float | None = None) -> float:
        now = time.time() if now is None else now
        with self._write() as db:
            row = db.execute("SELECT tokens, updated FROM rate_buckets WHERE key = ?", (key,)).fetchone()
            tokens = capacity if row is None else min(capacity, row["tokens"] + max(0.0, now - row["updated"]) * per_second)
            wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / per_second
            if tokens >= 1.0:
                tokens -= 1.0
            db.execute("INSERT INTO rate_buckets (key, tokens, updated) VALUES (?, ?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET tokens = excluded.tokens, updated = excluded.updated",
                       (key, tokens, now))
            if secrets.randbelow(200) == 0:  # now and then, forget buckets that are full again
                db.execute("DELETE FROM rate_buckets WHERE updated < ?", (now - capacity / per_second,))
        return wait

    def secret(self) -> bytes:
        with self._read() as db:  # usually there: no write needed (works on a full disk)
            row = db.execute("SELECT value FROM meta WHERE key = 'cookie_secret'").fetchone()
        if row is not None:
            return bytes.fromhex(row["value"])
        with self._write() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'cookie_secret'").fetchone()
            if row is None:
                value = secrets.token_hex(32)
                db.execute("INSERT INTO meta (key, value) VALUES ('cookie_secret', ?)", (value,))
            else:
                value = row["value"]
        return bytes.fromhex(value)

    def health(self) -> dict:
        info: dict = {"backend": self.backend, "where": self.where}
        try:
            with self._write() as db:
                db.execute("INSERT INTO meta (key, value) VALUES ('healthz', ?) ON CONFLICT(key) "
                           "DO UPDATE SET value = excluded.value", (json.dumps(now()),))
                info["conversations"] = db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
            with self._read() as db:
                info["journal_mode"] = db.execute("PRAGMA journal_mode").fetchone()[0]
            info["ok"] = True
        except StorageError as error:
            info.update(ok=False, error=error.reason)
        return info

    def close(self) -> None:
        """Nothing stays open between operations."""


def _turn(position, question, filters_json, answer_json, created) -> StoredTurn:
    return StoredTurn(
        n=position, question=question, created=created,
        filters=Filters.model_validate_json(filters_json) if filters_json else None,
        answer=Answer.model_validate_json(answer_json),
    )
