"""The records every conversation store returns, and the errors it raises."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from pydantic import BaseModel, Field

from assistant.records import Answer, Filters, Turn

ID_RE = re.compile(r"[0-9a-f]{32}")
TITLE_CHARS = 120


class ConversationNotFound(KeyError):
    """No conversation has this id for this owner (or the id is malformed)."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "conversation not found"


class StorageError(RuntimeError):
    """The conversation store cannot be written or reached (disk full, read-only, down).

    ``where`` names the database (path or host) and ``reason`` says what failed, in words
    an operator can act on; the web and API answer it with 503 and this message.
    """

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"conversation store {where}: {reason}")
        self.where = where
        self.reason = reason


class StoredTurn(BaseModel):
    """One question and its full answer, as saved."""

    n: int  # 1-based position in the conversation
    question: str
    filters: Filters | None = None
    answer: Answer
    created: str


class ConversationSummary(BaseModel):
    """A conversation without its turns (for lists)."""

    id: str
    title: str
    created: str
    updated: str
    turns: int = 0


class Conversation(BaseModel):
    """A conversation and all its turns, oldest first."""

    id: str
    title: str
    created: str
    updated: str
    turns: list[StoredTurn] = Field(default_factory=list)

    def history(self, limit: int) -> list[Turn]:
        """The last ``limit`` turns in the form ``Assistant.ask(history=...)`` expects."""
        if limit <= 0:
            return []
        return [
            Turn(question=t.question[:2000], answer=t.answer.answer[:20000])
            for t in self.turns[-limit:]
        ]


def valid_id(conversation_id: str) -> bool:
    """Whether a string is a well-formed conversation id (32 lower-case hex digits)."""
    return isinstance(conversation_id, str) and bool(ID_RE.fullmatch(conversation_id))


def check_id(conversation_id: str) -> str:
    if not valid_id(conversation_id):
        raise ConversationNotFound("invalid conversation id: expected 32 hexadecimal characters")
    return conversation_id


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def title_of(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"
