"""The PostgreSQL backend (psycopg 3 with a small connection pool): the same interface as
SQLite, so several replicas behind a load balancer share users' conversations.

Every write is one transaction (``with conn.transaction()``); the next turn number is taken
under a row lock on the conversation (``SELECT … FOR UPDATE``), so two replicas appending
to one conversation at once get turns n and n+1, never the same n. The schema is created
on first use (``CREATE TABLE IF NOT EXISTS``, under an advisory lock so replicas starting
together do not race).
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from urllib.parse import urlsplit

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
from assistant.conversations.sqlite import _turn
from assistant.records import Answer, Filters

SCHEMA = [
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
    "CREATE INDEX IF NOT EXISTS conversations_owner ON conversations (owner, updated)",
    """CREATE TABLE IF NOT EXISTS rate_buckets (
        key TEXT PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL, updated DOUBLE PRECISION NOT NULL
    )""",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
]
SCHEMA_LOCK = 0x4D4749  # advisory lock id ("MGI")


def describe(url: str) -> str:
    """host:port/database of a URL, without user or password (for messages and /healthz)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"postgresql://{host}{port}{parts.path}"


def storage_error(where: str, error: BaseException) -> StorageError:
    import psycopg

    sqlstate = getattr(error, "sqlstate", None) or ""
    if sqlstate == "53100":
        reason = "the database server's disk is full"
    elif sqlstate.startswith("53"):
        reason = f"the database server is out of resources ({type(error).__name__})"
    elif sqlstate == "25006":
        reason = "the database is read-only (a standby or default_transaction_read_only)"
    elif isinstance(error, psycopg.OperationalError) or type(error).__name__ == "PoolTimeout":
        reason = "cannot reach the database server (" + (str(error).strip().splitlines() or ["down"])[0] + ")"
    else:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return StorageError(where, reason)


class PostgresStore:
    """Conversations in PostgreSQL (``MGI_DATABASE=postgresql://user:pw@host/db``)."""

    backend = "postgresql"

    def __init__(self, url: str, min_size: int = 1, max_size: int = 8, timeout: float = 10.0) -> None:
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        self.url = url
        self.where = describe(url)
        self._pool = ConnectionPool(url, min_size=min_size, max_size=max_size, timeout=timeout,
                                    kwargs={"row_factory": dict_row, "connect_timeout": 10},
                                    open=False, name="mgi-conversations")
        self._lock = threading.Lock()
        try:
            self._pool.open(wait=True, timeout=timeout)
            with self._write() as db:
                db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                for statement in SCHEMA:
                    db.execute(statement)
        except StorageError:
            self._pool.close()
            raise
        except Exception as error:  # noqa: BLE001 - pool timeouts, auth failures …
            self._pool.close()
            raise storage_error(self.where, error) from error

    @contextmanager
    def _read(self) -> Iterator:
        import psycopg

        try:
            with self._pool.connection() as conn:
                yield conn
        except (psycopg.Error, OSError) as error:
            raise storage_error(self.where, error) from error
        except Exception as error:
            if type(error).__name__ == "PoolTimeout":
                raise storage_error(self.where, error) from error
            raise

    @contextmanager
    def _write(self, guard: AbstractContextManager | None = None) -> Iterator:
        """One transaction: committed when the block ends, rolled back on any error."""
        import psycopg

        try:
            with self._pool.connection() as conn, (guard or nullcontext()), conn.transaction():
                yield conn
        except (psycopg.Error, OSError) as error:
            raise storage_error(self.where, error) from error
        except Exception as error:
            if type(error).__name__ == "PoolTimeout":
                raise storage_error(self.where, error) from error
            raise

    # -- writes --------------------------------------------------------------------------
    def create(self, title: str = "", owner: str = "") -> ConversationSummary:
        stamp = now()
        conversation_id = uuid.uuid4().hex
        with self._write() as db:
            db.execute("INSERT INTO conversations (id, title, created, updated, owner) "
                       "VALUES (%s, %s, %s, %s, %s)",
                       (conversation_id, title_of(title), stamp, stamp, owner))
        return ConversationSummary(id=conversation_id, title=title_of(title), created=stamp, updated=stamp)

    def add_turn(self, conversation_id: str, answer: Answer, filters: Filters | None = None,
                 owner: str | None = None, guard: AbstractContextManager | None = None) -> StoredTurn:
        check_id(conversation_id)
        stamp = now()
        with self._write(guard) as db:
            row = db.execute("SELECT title, owner FROM conversations WHERE id = %s FOR UPDATE",
                             (conversation_id,)).fetchone()
            if row is None or (owner is not None and row["owner"] != owner):
                raise ConversationNotFound(f"unknown conversation id {conversation_id}")
            position = db.execute(
                "SELECT COALESCE(MAX(position), 0) + 1 AS n FROM turns WHERE conversation_id = %s",
                (conversation_id,)).fetchone()["n"]
            db.execute(
                "INSERT INTO turns (conversation_id, position, question, filters_json, answer_json, "
                "created) VALUES (%s, %s, %s, %s, %s, %s)",
                (conversation_id, position, answer.question,
                 filters.model_dump_json() if filters else None, answer.model_dump_json(), stamp))
            db.execute("UPDATE conversations SET title = %s, updated = %s WHERE id = %s",
                       (row["title"] or title_of(answer.question), stamp, conversation_id))
        return StoredTurn(n=position, question=answer.question, filters=filters, answer=answer,
                          created=stamp)

    def delete(self, conversation_id: str, owner: str | None = None) -> None:
        check_id(conversation_id)
        with self._write() as db:
            if owner is None:
                deleted = db.execute("DELETE FROM conversations WHERE id = %s", (conversation_id,))
            else:
                deleted = db.execute("DELETE FROM conversations WHERE id = %s AND owner = %s",
                                     (conversation_id, owner))
            if deleted.rowcount == 0:
                raise ConversationNotFound(f"unknown conversation id {conversation_id}")

    # -- reads ---------------------------------------------------------------------------
    def get(self, conversation_id: str, owner: str | None = None) -> Conversation:
        check_id(conversation_id)
        with self._read() as db:
            row = db.execute("SELECT id, title, created, updated, owner FROM conversations "
                             "WHERE id = %s", (conversation_id,)).fetchone()
            if row is None or (owner is not None and row["owner"] != owner):
                raise ConversationNotFound(f"unknown conversation id {conversation_id}")
            turns = db.execute(
                "SELECT position, question, filters_json, answer_json, created FROM turns "
                "WHERE conversation_id = %s ORDER BY position", (conversation_id,)).fetchall()
        return Conversation(
            id=row["id"], title=row["title"], created=row["created"], updated=row["updated"],
            turns=[_turn(t["position"], t["question"], t["filters_json"], t["answer_json"], t["created"])
                   for t in turns],
        )

    def turn(self, conversation_id: str, n: int, owner: str | None = None) -> StoredTurn:
        for stored in self.get(conversation_id, owner).turns:
            if stored.n == n:
                return stored
        raise ConversationNotFound(f"conversation {conversation_id} has no turn {n}")

    def recent(self, limit: int = 200, owner: str | None = None) -> list[ConversationSummary]:
        where, args = ("WHERE c.owner = %s", (owner, limit)) if owner is not None else ("", (limit,))
        with self._read() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.created, c.updated, COUNT(t.position) AS turns "
                f"FROM conversations c LEFT JOIN turns t ON t.conversation_id = c.id {where} "
                "GROUP BY c.id ORDER BY c.updated DESC, c.created DESC LIMIT %s", args).fetchall()
        return [ConversationSummary(**row) for row in rows]

    # -- shared state for the web tier ------------------------------------------------------
    def take_token(self, key: str, capacity: float, per_second: float, now: float | None = None) -> float:
        now = time.time() if now is None else now
        with self._write() as db:
            db.execute("INSERT INTO rate_buckets (key, tokens, updated) VALUES (%s, %s, %s) "
                       "ON CONFLICT (key) DO NOTHING", (key, capacity, now))
            row = db.execute("SELECT tokens, updated FROM rate_buckets WHERE key = %s FOR UPDATE",
                             (key,)).fetchone()
            tokens = min(capacity, row["tokens"] + max(0.0, now - row["updated"]) * per_second)
            wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / per_second
            if tokens >= 1.0:
                tokens -= 1.0
            db.execute("UPDATE rate_buckets SET tokens = %s, updated = %s WHERE key = %s",
                       (tokens, now, key))
            if secrets.randbelow(200) == 0:
                db.execute("DELETE FROM rate_buckets WHERE updated < %s", (now - capacity / per_second,))
        return wait

    def secret(self) -> bytes:
        with self._read() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'cookie_secret'").fetchone()
        if row is not None:
            return bytes.fromhex(row["value"])
        value = secrets.token_hex(32)
        with self._write() as db:
            db.execute("INSERT INTO meta (key, value) VALUES ('cookie_secret', %s) "
                       "ON CONFLICT (key) DO NOTHING", (value,))
            value = db.execute("SELECT value FROM meta WHERE key = 'cookie_secret'").fetchone()["value"]
        return bytes.fromhex(value)

    def health(self) -> dict:
        info: dict = {"backend": self.backend, "where": self.where}
        try:
            with self._write() as db:
                db.execute("INSERT INTO meta (key, value) VALUES ('healthz', %s) ON CONFLICT (key) "
                           "DO UPDATE SET value = EXCLUDED.value", (now(),))
                info["conversations"] = db.execute("SELECT COUNT(*) AS n FROM conversations").fetchone()["n"]
            info["ok"] = True
        except StorageError as error:
            info.update(ok=False, error=error.reason)
        return info

    def close(self) -> None:
        self._pool.close()
