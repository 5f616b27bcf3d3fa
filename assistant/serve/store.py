"""The app's conversation store: which database the settings name, and the opened store."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request

from assistant.conversations import Store, is_postgres_url, open_store
from assistant.settings import Settings


def database_target(settings: Settings) -> str | Path:
    """The conversation database: a postgresql:// URL, or the SQLite path."""
    raw = getattr(settings, "database_url", "") or ""
    if is_postgres_url(raw):
        return raw
    text = str(settings.database)
    if text.startswith(("postgresql:/", "postgres:/")) and not is_postgres_url(text):
        return text.replace(":/", "://", 1)  # a URL that went through Path()
    return settings.database


def store_of(request: Request) -> Store:
    """The conversation store of the app's settings (StorageError → 503 by the handlers)."""
    return open_store(database_target(request.app.state.settings))


def store_of_app(app: FastAPI) -> Store:
    """The conversation store of an app's settings (outside a request: /healthz)."""
    return open_store(database_target(app.state.settings))
