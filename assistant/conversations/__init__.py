"""Saved conversations behind one small interface (``Store``), two backends.

``open_store(settings.database)`` picks the backend from the value: a ``postgresql://``
(or ``postgres://``) URL → PostgreSQL via psycopg 3 (several replicas share users'
conversations); anything else is a file path → SQLite in WAL mode (the embedded default).

A conversation has an id (uuid4 hex), an owner (a signed-in user or a browser), a title
(its first question), created/updated times and numbered turns; each turn keeps the
question, the filters it was asked with and the full ``Answer`` as JSON, so a researcher
who comes back by URL sees exactly what was cited. Ids are checked against
``[0-9a-f]{32}`` before they reach SQL (they are always bound as parameters anyway).
"""

from __future__ import annotations

import threading
from pathlib import Path

from assistant.conversations.base import Store
from assistant.conversations.models import (
    ID_RE,
    TITLE_CHARS,
    Conversation,
    ConversationNotFound,
    ConversationSummary,
    StorageError,
    StoredTurn,
    valid_id,
)
from assistant.conversations.sqlite import SQLiteStore

ConversationStore = SQLiteStore  # the embedded default (and the name older code imports)

_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def is_postgres_url(database: str | Path) -> bool:
    return str(database).startswith(("postgresql://", "postgres://"))


def open_store(database: str | Path) -> Store:
    """The process-wide store for a database path or URL (created on first use)."""
    if is_postgres_url(database):
        key = str(database)
    else:
        key = str(Path(database).resolve())
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            if is_postgres_url(database):
                from assistant.conversations.postgres import PostgresStore

                store = PostgresStore(key)
            else:
                store = SQLiteStore(Path(key))
            _stores[key] = store
        return store


def close_stores() -> None:
    """Close every store this process opened (tests, shutdown)."""
    with _stores_lock:
        for store in _stores.values():
            store.close()
        _stores.clear()


__all__ = [
    "ID_RE", "TITLE_CHARS", "Conversation", "ConversationNotFound", "ConversationStore",
    "ConversationSummary", "StorageError", "Store", "StoredTurn", "SQLiteStore", "close_stores",
    "is_postgres_url", "open_store", "valid_id",
]
