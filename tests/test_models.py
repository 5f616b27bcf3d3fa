"""The records and errors of the conversation store (conversations/models.py)."""

from __future__ import annotations

import pytest

from assistant.conversations.models import (
    TITLE_CHARS,
    Conversation,
    ConversationNotFound,
    StorageError,
    StoredTurn,
    check_id,
    now,
    title_of,
    valid_id,
)
from assistant.records import Answer


def test_ids_are_32_lower_case_hex_digits():
    assert valid_id("0" * 32) and valid_id("abcdef0123456789" * 2)
    assert not valid_id("A" * 32) and not valid_id("0" * 31) and not valid_id(None)  # type: ignore[arg-type]
    assert check_id("f" * 32) == "f" * 32
    with pytest.raises(ConversationNotFound, match="invalid conversation id"):
        check_id("../etc/passwd")


def test_errors_read_plainly():
    assert str(ConversationNotFound("unknown conversation id x")) == "unknown conversation id x"
    assert str(ConversationNotFound()) == "conversation not found"
    fault = StorageError("/srv/c.sqlite3", "the disk is full")
    assert str(fault) == "conversation store /srv/c.sqlite3: the disk is full"
    assert fault.where == "/srv/c.sqlite3" and fault.reason == "the disk is full"


def test_titles_are_one_line_and_short():
    assert title_of("  What   about\nhealth? ") == "What about health?"
    long = title_of("word " * 100)
    assert len(long) == TITLE_CHARS and long.endswith("…")
    assert now().endswith("+00:00")


def test_history_is_the_last_turns_cut_to_size():
    turns = [StoredTurn(n=i, question=f"q{i}" + "x" * 3000, created=now(),
                        answer=Answer(question=f"q{i}", answer="a" * 30000, refused=False)) for i in (1, 2, 3)]
    conversation = Conversation(id="0" * 32, title="t", created=now(), updated=now(), turns=turns)
    history = conversation.history(2)
    assert [t.question[:2] for t in history] == ["q2", "q3"]
    assert len(history[0].question) == 2000 and len(history[0].answer) == 20000
    assert conversation.history(0) == []
