"""The store interface every backend implements (SQLite, PostgreSQL)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

from assistant.conversations.models import Conversation, ConversationSummary, StoredTurn
from assistant.records import Answer, Filters


@runtime_checkable
class Store(Protocol):
    """Conversations, their owners, rate-limit buckets and the deployment's cookie key.

    ``owner=None`` means "any owner" (trusted callers: the CLI, tests); the web and the API
    always pass the caller's owner, and another owner's conversation is ConversationNotFound.
    Every write is one transaction. Faults of the database (disk full, read-only, server
    down) raise StorageError with the path or host and the reason.
    """

    backend: str  # "sqlite" or "postgresql"
    where: str  # the file path, or host/database (never the password)

    def create(self, title: str = "", owner: str = "") -> ConversationSummary: ...

    def add_turn(self, conversation_id: str, answer: Answer, filters: Filters | None = None,
                 owner: str | None = None,
                 guard: AbstractContextManager | None = None) -> StoredTurn:
        """Append a turn. ``guard`` is entered around the transaction: it raises to store
        nothing (the request that asked has been answered 503 meanwhile)."""
        ...

    def delete(self, conversation_id: str, owner: str | None = None) -> None: ...

    def get(self, conversation_id: str, owner: str | None = None) -> Conversation: ...

    def turn(self, conversation_id: str, n: int, owner: str | None = None) -> StoredTurn: ...

    def recent(self, limit: int = 200, owner: str | None = None) -> list[ConversationSummary]: ...

    def take_token(self, key: str, capacity: float, per_second: float, now: float) -> float:
        """Token bucket shared by every process using this store: spend one token of
        ``key``; 0.0 when allowed, else the seconds until one is free."""
        ...

    def secret(self) -> bytes:
        """A random key made once per database (signs browser cookies when no secret is
        configured), the same for every worker and replica."""
        ...

    def health(self) -> dict:
        """{"backend", "ok", "where", "error"?}: ok means a write transaction succeeded."""
        ...

    def close(self) -> None: ...
