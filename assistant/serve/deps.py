"""What every route needs: the opened Assistant, the index state it serves with, and
input checks — shared by api.py, chat_api.py and web.py.

The caller's identity and CSRF tokens are in access.py, passwords in passwords.py, error
bodies and handlers in handlers.py, the conversation store in store.py; their names are
also importable from here, as before (web.py and ``python -m assistant.serve.deps
hash-password`` use them through this module).
"""

from __future__ import annotations

import sys

from fastapi import HTTPException, Request
from pydantic import BaseModel, Field

from assistant.conversations import ConversationNotFound
from assistant.records import Answer
from assistant.serve.access import (
    BROWSER_COOKIE,
    BROWSER_MAX_AGE,
    CSRF_HEADER,
    IDENTITY_FREE,
    PUBLIC_PATHS,
    PUBLIC_PREFIXES,
    SESSION_COOKIE,
    Access,
    AccessMiddleware,
    Identity,
    cookie_header,
    csrf_of,
    csrf_valid,
    identity_of,
    owner_of,
)
from assistant.serve.handlers import ERRORS, ErrorBody, error_json, wants_json
from assistant.serve.passwords import check_user, hash_password, parse_users, verify_password
from assistant.serve.passwords import main as _main
from assistant.serve.store import database_target, store_of
from assistant.settings import Settings

__all__ = [
    "BROWSER_COOKIE", "BROWSER_MAX_AGE", "CSRF_HEADER", "ERRORS", "IDENTITY_FREE", "PUBLIC_PATHS",
    "PUBLIC_PREFIXES", "SESSION_COOKIE", "Access", "AccessMiddleware", "AskResponse", "ErrorBody",
    "Identity", "IndexState", "assistant_of", "check_user", "cookie_header", "csrf_of", "csrf_valid",
    "database_target", "error_json", "hash_password", "identity_of", "index_state_of", "no_nul",
    "not_found", "owner_of", "parse_users", "public_base", "store_of", "verify_password",
    "wants_json", "with_index",
]


def no_nul(text: str, what: str) -> str:
    """Refuse NUL (and other C0 controls but tab/LF/CR) in stored or replayed text."""
    for ch in text:
        if ch == "\x00":
            raise ValueError(f"{what} contains a NUL character")
        if ord(ch) < 32 and ch not in "\t\n\r":
            raise ValueError(f"{what} contains a control character (U+{ord(ch):04X})")
    return text


class IndexState(BaseModel):
    """Whether the served index is older than the documents (and a rebuild is running)."""

    stale: bool = False
    changes: list[str] = Field(default_factory=list, description="Files changed since the build.")
    rebuilding: bool = False
    error: str | None = None


class AskResponse(Answer):
    """An Answer, plus the state of the index that produced it."""

    index: IndexState = Field(default_factory=IndexState)


def with_index(answer: Answer, assistant) -> AskResponse:
    return AskResponse.model_construct(**answer.__dict__, index=IndexState(**index_state_of(assistant)))


def assistant_of(request: Request):
    """The Assistant serving this request (swapped atomically by a background rebuild)."""
    assistant = getattr(request.app.state, "assistant", None)
    if assistant is None:
        raise HTTPException(503, "the index is not loaded")
    return assistant


def index_state_of(assistant) -> dict:
    """``{"stale", "changes", "rebuilding"}`` of the served index (fresh when unknown)."""
    state = getattr(assistant, "index_state", None) or {}
    return {"stale": bool(state.get("stale")), "changes": list(state.get("changes", []))[:20],
            "rebuilding": bool(state.get("rebuilding")), **({"error": state["error"]} if state.get("error") else {})}


def public_base(settings: Settings) -> str:
    """Base URL for links in exports: the configured public URL, never the Host header."""
    configured = (getattr(settings, "public_url", "") or "").strip().rstrip("/")
    return configured or f"http://{settings.host}:{settings.port}"


def not_found(missing: ConversationNotFound) -> HTTPException:
    return HTTPException(404, str(missing))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main(sys.argv[1:]))
