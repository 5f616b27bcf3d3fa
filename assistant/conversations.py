"""Saved conversations: a small SQLite store (stdlib ``sqlite3``) at ``settings.database``.

A conversation has an id (uuid4 hex), a title (its first question), created/updated times
and numbered turns; each turn keeps the question, the filters it was asked with and the
full ``Answer`` as JSON, so a researcher who comes back by URL sees exactly what was cited.

The web app serves requests from a thread pool, so every operation opens its own
connection and writes are serialised by a lock. Ids are checked against ``[0-9a-f]{32}``
before they reach SQL (they are always bound as parameters anyway) or any file name.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.records import Answer, Filters, Turn

ID_RE = re.compile(r"[0-9a-f]{32}")
TITLE_CHARS = 120

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    filters_json TEXT,
    answer_json TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (conversation_id, position)
);
"""


class ConversationNotFound(KeyError):
    """No conversation has this id (or the id is not a valid conversation id)."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "conversation not found"


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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _title(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"


class ConversationStore:
    """Create, read, list, extend and delete conversations in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write = threading.Lock()
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One connection per operation, committed on success, always closed."""
        with closing(sqlite3.connect(self.path, timeout=10)) as db:
            db.execute("PRAGMA foreign_keys = ON")
            db.row_factory = sqlite3.Row
            with db:
                yield db

    def _check(self, conversation_id: str) -> str:
        if not valid_id(conversation_id):
            raise ConversationNotFound(
                "invalid conversation id: expected 32 hexadecimal characters"
            )
        return conversation_id

    # -- writes --------------------------------------------------------------------------
    def create(self, title: str = "") -> ConversationSummary:
        """A new, empty conversation (its title becomes the first question if empty)."""
        now = _now()
        conversation_id = uuid.uuid4().hex
        with self._write, self._connect() as db:
            db.execute(
                "INSERT INTO conversations (id, title, created, updated) VALUES (?, ?, ?, ?)",
                (conversation_id, _title(title), now, now),
            )
        return ConversationSummary(id=conversation_id, title=_title(title), created=now, updated=now)

    def add_turn(
        self, conversation_id: str, answer: Answer, filters: Filters | None = None
    ) -> StoredTurn:
        """Append a turn; the first turn also names an untitled conversation."""
        self._check(conversation_id)
        now = _now()
        with self._write, self._connect() as db:
            row = db.execute(
                "SELECT title FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if row is None:
                raise ConversationNotFound(f"unknown conversation id {conversation_id}")
            position = db.execute(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM turns WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()[0]
            db.execute(
                "INSERT INTO turns (conversation_id, position, question, filters_json, "
                "answer_json, created) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    conversation_id, position, answer.question,
                    filters.model_dump_json() if filters else None,
                    answer.model_dump_json(), now,
                ),
            )
            title = row["title"] or _title(answer.question)
            db.execute(
                "UPDATE conversations SET title = ?, updated = ? WHERE id = ?",
                (title, now, conversation_id),
            )
        return StoredTurn(n=position, question=answer.question, filters=filters, answer=answer,
                          created=now)

    def delete(self, conversation_id: str) -> None:
        """Delete a conversation and its turns; unknown ids raise ConversationNotFound."""
        self._check(conversation_id)
        with self._write, self._connect() as db:
            deleted = db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            if deleted.rowcount == 0:
                raise ConversationNotFound(f"unknown conversation id {conversation_id}")

    # -- reads ---------------------------------------------------------------------------
    def get(self, conversation_id: str) -> Conversation:
        """A conversation with all its turns."""
        self._check(conversation_id)
        with self._connect() as db:
            row = db.execute(
                "SELECT id, title, created, updated FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
            if row is None:
                raise ConversationNotFound(f"unknown conversation id {conversation_id}")
            turns = db.execute(
                "SELECT position, question, filters_json, answer_json, created FROM turns "
                "WHERE conversation_id = ? ORDER BY position",
                (conversation_id,),
            ).fetchall()
        return Conversation(
            **dict(row),
            turns=[
                StoredTurn(
                    n=t["position"], question=t["question"], created=t["created"],
                    filters=Filters.model_validate_json(t["filters_json"]) if t["filters_json"] else None,
                    answer=Answer.model_validate_json(t["answer_json"]),
                )
                for t in turns
            ],
        )

    def turn(self, conversation_id: str, n: int) -> StoredTurn:
        """One turn of a conversation (1-based)."""
        for stored in self.get(conversation_id).turns:
            if stored.n == n:
                return stored
        raise ConversationNotFound(f"conversation {conversation_id} has no turn {n}")

    def recent(self, limit: int = 200) -> list[ConversationSummary]:
        """Conversations, most recently updated first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.created, c.updated, COUNT(t.position) AS turns "
                "FROM conversations c LEFT JOIN turns t ON t.conversation_id = c.id "
                "GROUP BY c.id ORDER BY c.updated DESC, c.created DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [ConversationSummary(**dict(row)) for row in rows]


_stores: dict[Path, ConversationStore] = {}
_stores_lock = threading.Lock()


def open_store(path: Path) -> ConversationStore:
    """The process-wide store for a database path (created on first use)."""
    key = Path(path).resolve()
    with _stores_lock:
        if key not in _stores:
            _stores[key] = ConversationStore(key)
        return _stores[key]
