"""The PostgreSQL backend (conversations/postgres.py) on its own: messages that name the
server without its password, and faults mapped to StorageError (no server needed)."""

from __future__ import annotations

import pytest

from assistant.conversations import StorageError


def test_unreachable_postgres_is_a_storage_error():
    pytest.importorskip("psycopg")
    from assistant.conversations.postgres import PostgresStore

    with pytest.raises(StorageError, match="cannot reach the database server") as raised:
        PostgresStore("postgresql://nobody:secret@127.0.0.1:9/none", timeout=2)
    assert "secret" not in str(raised.value)


def test_describe_drops_user_and_password():
    from assistant.conversations.postgres import describe

    assert describe("postgresql://mgi:secret@db.internal:5433/mgi") == "postgresql://db.internal:5433/mgi"
    assert describe("postgresql:///mgi") == "postgresql://localhost/mgi"


class _SQLError(Exception):
    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize("error, words", [
    (_SQLError("could not extend file", "53100"), "disk is full"),
    (_SQLError("out of memory", "53200"), "out of resources (_SQLError)"),
    (_SQLError("cannot execute INSERT in a read-only transaction", "25006"), "read-only"),
    (_SQLError("duplicate key\ndetail", "23505"), "duplicate key"),
])
def test_storage_errors_name_the_fault(error, words):
    pytest.importorskip("psycopg")
    from assistant.conversations.postgres import storage_error

    fault = storage_error("postgresql://db/mgi", error)
    assert isinstance(fault, StorageError) and words in fault.reason and "\n" not in fault.reason
