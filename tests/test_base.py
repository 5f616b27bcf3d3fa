"""The Store interface (conversations/base.py): both backends implement it (the full
behaviour on both is in test_conversations_postgres.py)."""

from __future__ import annotations

from assistant.conversations import SQLiteStore, Store


def test_the_sqlite_store_implements_the_interface(tmp_path):
    store = SQLiteStore(tmp_path / "c.sqlite3")
    assert isinstance(store, Store) and store.backend == "sqlite" and store.where.endswith("c.sqlite3")


def test_something_else_is_not_a_store():
    assert not isinstance(object(), Store)
