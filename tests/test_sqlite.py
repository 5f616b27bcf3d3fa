"""The SQLite backend (conversations/sqlite.py): WAL, and faults named as StorageError."""

from __future__ import annotations

import errno
import sqlite3

import pytest

from assistant.conversations import SQLiteStore, StorageError
from assistant.conversations.sqlite import storage_error


def test_a_read_only_folder_at_start_is_a_storage_error(tmp_path, monkeypatch):
    from pathlib import Path

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    with pytest.raises(StorageError, match="read-only") as raised:
        SQLiteStore(tmp_path / "new" / "c.sqlite3")
    assert str(tmp_path / "new" / "c.sqlite3") in str(raised.value)


def test_sqlite_runs_in_wal_mode(tmp_path):
    store = SQLiteStore(tmp_path / "c.sqlite3")
    assert store.health()["journal_mode"] == "wal"


@pytest.mark.parametrize("error, words", [
    (sqlite3.OperationalError("database or disk is full"), "the disk is full"),
    (OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
    (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
    (OSError(errno.EACCES, "Permission denied"), "permission denied"),
    (sqlite3.OperationalError("unable to open database file"), "cannot open the database file"),
    (sqlite3.OperationalError("database is locked"), "stayed locked"),
    (sqlite3.OperationalError("disk I/O error"), "disk I/O error"),
    (sqlite3.DatabaseError("file is not a database"), "corrupted"),
    (sqlite3.OperationalError("something else"), "something else"),
])
def test_storage_errors_name_the_fault(error, words):
    fault = storage_error("/srv/c.sqlite3", error)
    assert isinstance(fault, StorageError) and fault.where == "/srv/c.sqlite3" and words in fault.reason


def test_an_old_database_without_owners_is_migrated(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE conversations (id TEXT PRIMARY KEY, title TEXT NOT NULL, "
                   "created TEXT NOT NULL, updated TEXT NOT NULL)")
    store = SQLiteStore(path)
    assert store.create("hola", owner="browser:x").title == "hola"
    assert len(store.recent(owner="browser:x")) == 1 and store.recent(owner="browser:y") == []
