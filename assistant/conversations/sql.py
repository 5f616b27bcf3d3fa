"""What the SQL backends share: every statement, and the methods of ``Store`` written once.

The backends differ in the DB-API placeholder (``?`` for sqlite3, ``%s`` for psycopg), in
the row lock that orders concurrent appends (PostgreSQL's ``FOR UPDATE``; SQLite's
``BEGIN IMMEDIATE`` already holds the write lock), in a column type of the schema, in how
they open a transaction (``_read``/``_write``), and in a few writes (rate buckets, the
cookie secret). Those differences are data (``Statements.for_backend``, ``tables``) or
small methods of the backend; the rest is here.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, fields
from typing import Any, ClassVar

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

SECRET_KEY = "cookie_secret"  # the meta row holding the per-database cookie key


def tables(real: str) -> list[str]:
    """The tables every backend creates (``real``: its floating-point column type)."""
    return [
        """CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT ''
)""",
        """CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    filters_json TEXT,
    answer_json TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (conversation_id, position)
)""",
        f"""CREATE TABLE IF NOT EXISTS rate_buckets (
    key TEXT PRIMARY KEY,
    tokens {real} NOT NULL,
    updated {real} NOT NULL
)""",
        """CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
)""",
    ]


_RECENT = ("SELECT c.id, c.title, c.created, c.updated, COUNT(t.position) AS turns "
           "FROM conversations c LEFT JOIN turns t ON t.conversation_id = c.id {where}"
           "GROUP BY c.id ORDER BY c.updated DESC, c.created DESC LIMIT ?")
OWNER_INDEX = "CREATE INDEX IF NOT EXISTS conversations_owner ON conversations (owner, updated)"


@dataclass(frozen=True)
class Statements:
    """The SQL the shared methods run, written with ``?`` placeholders; ``for_backend``
    rewrites them to a backend's placeholder and adds its row lock."""

    insert_conversation: str = (
        "INSERT INTO conversations (id, title, created, updated, owner) VALUES (?, ?, ?, ?, ?)")
    conversation_for_append: str = "SELECT title, owner FROM conversations WHERE id = ?"
    next_position: str = "SELECT COALESCE(MAX(position), 0) + 1 AS n FROM turns WHERE conversation_id = ?"
    insert_turn: str = ("INSERT INTO turns (conversation_id, position, question, filters_json, "
                        "answer_json, created) VALUES (?, ?, ?, ?, ?, ?)")
    touch_conversation: str = "UPDATE conversations SET title = ?, updated = ? WHERE id = ?"
    delete_any: str = "DELETE FROM conversations WHERE id = ?"
    delete_owned: str = "DELETE FROM conversations WHERE id = ? AND owner = ?"
    conversation: str = "SELECT id, title, created, updated, owner FROM conversations WHERE id = ?"
    turns: str = ("SELECT position, question, filters_json, answer_json, created FROM turns "
                  "WHERE conversation_id = ? ORDER BY position")
    recent_all: str = _RECENT.format(where="")
    recent_owned: str = _RECENT.format(where="WHERE c.owner = ? ")
    update_bucket: str = "UPDATE rate_buckets SET tokens = ?, updated = ? WHERE key = ?"
    forget_buckets: str = "DELETE FROM rate_buckets WHERE updated < ?"
    read_secret: str = f"SELECT value FROM meta WHERE key = '{SECRET_KEY}'"
    stamp_health: str = ("INSERT INTO meta (key, value) VALUES ('healthz', ?) ON CONFLICT (key) "
                         "DO UPDATE SET value = excluded.value")
    count_conversations: str = "SELECT COUNT(*) AS n FROM conversations"

    @classmethod
    def for_backend(cls, param: str, lock_row: str = "") -> Statements:
        """The statements with ``param`` for ``?`` and ``lock_row`` after the SELECT that
        reads a conversation before an append."""
        plain = cls()
        converted = {f.name: getattr(plain, f.name).replace("?", param) for f in fields(cls)}
        converted["conversation_for_append"] += lock_row
        return cls(**converted)


def turn_from_row(row: Mapping[str, Any]) -> StoredTurn:
    """A StoredTurn from a row of ``Statements.turns``."""
    filters_json = row["filters_json"]
    return StoredTurn(
        n=row["position"], question=row["question"], created=row["created"],
        filters=Filters.model_validate_json(filters_json) if filters_json else None,
        answer=Answer.model_validate_json(row["answer_json"]),
    )


def refill(tokens: float, updated: float, capacity: float, per_second: float, at: float) -> tuple[float, float]:
    """A token bucket's (tokens left, seconds to wait) after spending one token at ``at``
    (when one is there): refilled at ``per_second`` since ``updated``, up to ``capacity``."""
    tokens = min(capacity, tokens + max(0.0, at - updated) * per_second)
    wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / per_second
    if tokens >= 1.0:
        tokens -= 1.0
    return tokens, wait


def owned_by(row: Mapping[str, Any] | None, owner: str | None) -> bool:
    """Whether a conversation row exists and belongs to ``owner`` (None: any owner)."""
    return row is not None and (owner is None or row["owner"] == owner)


class SQLStore:
    """The ``Store`` methods common to the SQL backends. A backend sets ``sql`` and
    ``backend``, and provides ``_read()``/``_write(guard)`` (connections whose ``execute``
    returns a cursor of mapping rows, faults raised as StorageError), ``_spend_token``
    and ``_store_secret``."""

    backend: ClassVar[str]
    sql: ClassVar[Statements]
    where: str
    _read: Callable[[], AbstractContextManager]
    _write: Callable[..., AbstractContextManager]

    # -- writes --------------------------------------------------------------------------
    def create(self, title: str = "", owner: str = "") -> ConversationSummary:
        """A new, empty conversation (its title becomes the first question if empty)."""
        stamp = now()
        conversation_id = uuid.uuid4().hex
        with self._write() as db:
            db.execute(self.sql.insert_conversation, (conversation_id, title_of(title), stamp, stamp, owner))
        return ConversationSummary(id=conversation_id, title=title_of(title), created=stamp, updated=stamp)

    def add_turn(self, conversation_id: str, answer: Answer, filters: Filters | None = None,
                 owner: str | None = None, guard: AbstractContextManager | None = None) -> StoredTurn:
        """Append a turn; the first turn also names an untitled conversation."""
        check_id(conversation_id)
        stamp = now()
        with self._write(guard) as db:
            row = db.execute(self.sql.conversation_for_append, (conversation_id,)).fetchone()
            if not owned_by(row, owner):
                raise ConversationNotFound(f"unknown conversation id {conversation_id}")
            position = db.execute(self.sql.next_position, (conversation_id,)).fetchone()["n"]
            db.execute(self.sql.insert_turn, (
                conversation_id, position, answer.question,
                filters.model_dump_json() if filters else None, answer.model_dump_json(), stamp))
            db.execute(self.sql.touch_conversation,
                       (row["title"] or title_of(answer.question), stamp, conversation_id))
        return StoredTurn(n=position, question=answer.question, filters=filters, answer=answer,
                          created=stamp)

    def delete(self, conversation_id: str, owner: str | None = None) -> None:
        """Delete a conversation and its turns; unknown (or others') ids raise NotFound."""
        check_id(conversation_id)
        with self._write() as db:
            if owner is None:
                deleted = db.execute(self.sql.delete_any, (conversation_id,))
            else:
                deleted = db.execute(self.sql.delete_owned, (conversation_id, owner))
            if deleted.rowcount == 0:
                raise ConversationNotFound(f"unknown conversation id {conversation_id}")

    # -- reads ---------------------------------------------------------------------------
    def get(self, conversation_id: str, owner: str | None = None) -> Conversation:
        """A conversation with all its turns."""
        check_id(conversation_id)
        with self._read() as db:
            row = db.execute(self.sql.conversation, (conversation_id,)).fetchone()
            if not owned_by(row, owner):
                raise ConversationNotFound(f"unknown conversation id {conversation_id}")
            turns = db.execute(self.sql.turns, (conversation_id,)).fetchall()
        return Conversation(id=row["id"], title=row["title"], created=row["created"],
                            updated=row["updated"], turns=[turn_from_row(t) for t in turns])

    def turn(self, conversation_id: str, n: int, owner: str | None = None) -> StoredTurn:
        """One turn of a conversation (1-based)."""
        for stored in self.get(conversation_id, owner).turns:
            if stored.n == n:
                return stored
        raise ConversationNotFound(f"conversation {conversation_id} has no turn {n}")

    def recent(self, limit: int = 200, owner: str | None = None) -> list[ConversationSummary]:
        """Conversations (of ``owner``), most recently updated first."""
        args = (owner, limit) if owner is not None else (limit,)
        with self._read() as db:
            sql = self.sql.recent_owned if owner is not None else self.sql.recent_all
            rows = db.execute(sql, args).fetchall()
        return [ConversationSummary(**dict(row)) for row in rows]

    # -- shared state for the web tier ------------------------------------------------------
    def take_token(self, key: str, capacity: float, per_second: float, now: float | None = None) -> float:
        """Spend one token of ``key``'s bucket: 0.0 when allowed, else seconds to wait."""
        now = time.time() if now is None else now
        with self._write() as db:
            wait = self._spend_token(db, key, capacity, per_second, now)
            if secrets.randbelow(200) == 0:  # now and then, forget buckets that are full again
                db.execute(self.sql.forget_buckets, (now - capacity / per_second,))
        return wait

    def _spend_token(self, db: Any, key: str, capacity: float, per_second: float, now: float) -> float:
        raise NotImplementedError

    def secret(self) -> bytes:
        """The per-database cookie key, made by the first caller."""
        with self._read() as db:  # usually there: no write needed (works on a full disk)
            row = db.execute(self.sql.read_secret).fetchone()
        if row is not None:
            return bytes.fromhex(row["value"])
        with self._write() as db:
            value = self._store_secret(db, secrets.token_hex(32))
        return bytes.fromhex(value)

    def _store_secret(self, db: Any, value: str) -> str:
        """Store ``value`` unless another writer stored one first; return the stored one."""
        raise NotImplementedError

    def health(self) -> dict:
        """A real write (the healthz stamp) and the conversation count."""
        info: dict = {"backend": self.backend, "where": self.where}
        try:
            with self._write() as db:
                db.execute(self.sql.stamp_health, (self._health_stamp(),))
                info["conversations"] = db.execute(self.sql.count_conversations).fetchone()["n"]
            self._health_details(info)
            info["ok"] = True
        except StorageError as error:
            info.update(ok=False, error=error.reason)
        return info

    def _health_stamp(self) -> str:
        return now()

    def _health_details(self, info: dict) -> None:
        """Backend facts added to ``health()`` after the write (may raise StorageError)."""
