"""The PostgreSQL backend (psycopg 3 with a small connection pool): the same interface as
SQLite, so several replicas behind a load balancer share users' conversations.

Every write is one transaction (``with conn.transaction()``); the next turn number is taken
under a row lock on the conversation (``SELECT … FOR UPDATE``), so two replicas appending
to one conversation at once get turns n and n+1, never the same n. The schema is created
on first use (``CREATE TABLE IF NOT EXISTS``, under an advisory lock so replicas starting
together do not race).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from urllib.parse import urlsplit

from assistant.conversations.models import StorageError
from assistant.conversations.sql import OWNER_INDEX, SECRET_KEY, SQLStore, Statements, refill, tables

SCHEMA = [*tables("DOUBLE PRECISION"), OWNER_INDEX]
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
    elif isinstance(error, psycopg.OperationalError):  # psycopg_pool.PoolTimeout is one too
        reason = "cannot reach the database server (" + (str(error).strip().splitlines() or ["down"])[0] + ")"
    else:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return StorageError(where, reason)


class PostgresStore(SQLStore):
    """Conversations in PostgreSQL (``MGI_DATABASE=postgresql://user:pw@host/db``)."""

    backend = "postgresql"
    sql = Statements.for_backend("%s", lock_row=" FOR UPDATE")  # turn numbers under a row lock

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
    def _faults(self) -> Iterator[None]:
        """psycopg errors, OS errors and pool timeouts raised as StorageError."""
        import psycopg

        try:
            yield
        except (psycopg.Error, OSError) as error:  # psycopg_pool.PoolTimeout included
            raise storage_error(self.where, error) from error

    @contextmanager
    def _read(self) -> Iterator:
        with self._faults(), self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _write(self, guard: AbstractContextManager | None = None) -> Iterator:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._faults(), self._pool.connection() as conn, (guard or nullcontext()), conn.transaction():
            yield conn

    # -- backend-specific writes (the rest is SQLStore) ------------------------------------
    def _spend_token(self, db, key: str, capacity: float, per_second: float, now: float) -> float:
        db.execute("INSERT INTO rate_buckets (key, tokens, updated) VALUES (%s, %s, %s) "
                   "ON CONFLICT (key) DO NOTHING", (key, capacity, now))
        row = db.execute("SELECT tokens, updated FROM rate_buckets WHERE key = %s FOR UPDATE",
                         (key,)).fetchone()
        tokens, wait = refill(row["tokens"], row["updated"], capacity, per_second, now)
        db.execute(self.sql.update_bucket, (tokens, now, key))
        return wait

    def _store_secret(self, db, value: str) -> str:
        db.execute(f"INSERT INTO meta (key, value) VALUES ('{SECRET_KEY}', %s) "
                   "ON CONFLICT (key) DO NOTHING", (value,))
        return db.execute(self.sql.read_secret).fetchone()["value"]

    def close(self) -> None:
        self._pool.close()
