"""What the SQL backends share (conversations/sql.py): statements as data, the bucket
arithmetic and row decoding (the methods run on both backends in test_conversations_postgres.py)."""

from __future__ import annotations

import pytest

from assistant.conversations.sql import OWNER_INDEX, Statements, owned_by, refill, tables, turn_from_row
from assistant.records import Answer, Filters


def test_statements_use_the_backend_placeholder_and_row_lock():
    sqlite, postgres = Statements.for_backend("?"), Statements.for_backend("%s", lock_row=" FOR UPDATE")
    assert sqlite == Statements()
    assert postgres.conversation == "SELECT id, title, created, updated, owner FROM conversations WHERE id = %s"
    assert postgres.conversation_for_append.endswith("WHERE id = %s FOR UPDATE")
    assert "FOR UPDATE" not in sqlite.conversation_for_append
    assert "?" not in "".join(vars(postgres).values())
    assert "WHERE c.owner = %s GROUP BY" in postgres.recent_owned and "WHERE" not in postgres.recent_all


def test_tables_differ_only_in_the_float_type():
    sqlite, postgres = tables("REAL"), tables("DOUBLE PRECISION")
    assert len(sqlite) == 4 and all(s.startswith("CREATE TABLE IF NOT EXISTS") for s in sqlite)
    assert [s.replace("REAL", "DOUBLE PRECISION") for s in sqlite] == postgres
    assert "conversations (owner, updated)" in OWNER_INDEX


def test_refill_spends_one_token_or_says_how_long_to_wait():
    assert refill(3.0, 100.0, 3.0, 0.05, 100.0) == (2.0, 0.0)
    tokens, wait = refill(0.0, 100.0, 3.0, 0.05, 110.0)  # half a token back after 10 s
    assert tokens == pytest.approx(0.5) and wait == pytest.approx(10.0)
    assert refill(0.0, 0.0, 3.0, 0.05, 10_000.0) == (2.0, 0.0)  # never above the capacity
    assert refill(1.0, 100.0, 3.0, 0.05, 50.0) == (0.0, 0.0)  # a clock going back adds nothing


def test_owned_by_hides_other_owners():
    row = {"owner": "user:ana"}
    assert owned_by(row, None) and owned_by(row, "user:ana")
    assert not owned_by(row, "user:bob") and not owned_by(None, None)


def test_turn_from_row_keeps_filters_and_the_answer():
    answer = Answer(question="q", answer="a", refused=False)
    row = {"position": 2, "question": "q", "created": "t", "filters_json": Filters(document=["x"]).model_dump_json(),
           "answer_json": answer.model_dump_json()}
    turn = turn_from_row(row)
    assert turn.n == 2 and turn.filters.document == ["x"] and turn.answer == answer
    assert turn_from_row({**row, "filters_json": None}).filters is None
