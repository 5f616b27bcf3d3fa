"""JSON API for saved conversations and their exports (mounted under /api).

POST   /api/conversations                    create (optional {"title"}) → 201
GET    /api/conversations                    the caller's conversations, most recent first
GET    /api/conversations/{id}               the conversation with every turn's full Answer
DELETE /api/conversations/{id}               delete → 204 (X-CSRF-Token unless bearer)
POST   /api/conversations/{id}/ask           {question, filters?, k?} → Answer; the stored
                                             turns are sent as history (follow-ups work)
GET    /api/conversations/{id}/export?format=md|csv|bib|json   download the cited passages

Conversations belong to their owner (access.py): another owner's conversation is a 404, like
an unknown or malformed id, so probing ids reveals nothing. Errors are ``{"error": ...}``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from assistant.conversations import (
    Conversation,
    ConversationNotFound,
    ConversationSummary,
    Store,
    StoredTurn,
)
from assistant.core import Assistant
from assistant.records import Filters
from assistant.serve.access import csrf_of, csrf_valid, identity_of, owner_of
from assistant.serve.deps import AskResponse, assistant_of, no_nul, public_base, with_index
from assistant.serve.exports import FORMATS, export, filename
from assistant.serve.handlers import ERRORS
from assistant.serve.store import store_of
from assistant.serve.timeout import turn_guard

TURN_HEADER = "X-Conversation-Turn"
# The pattern is documented in the schema and enforced by the store: a malformed id is
# answered like an unknown one (404), so probing ids reveals nothing.
ConversationId = Annotated[str, Path(
    description="32 lower-case hexadecimal characters (uuid4 hex)",
    json_schema_extra={"pattern": "^[0-9a-f]{32}$"},
)]


class NewConversation(BaseModel):
    """Body of POST /api/conversations (optional)."""

    title: str = Field(default="", max_length=500)

    @field_validator("title")
    @classmethod
    def _no_nul(cls, title: str) -> str:
        return no_nul(title, "title")


class ConversationAsk(BaseModel):
    """Body of POST /api/conversations/{id}/ask."""

    question: str = Field(max_length=100_000, description="The question (1-2,000 characters).")
    filters: Filters | None = None
    k: int | None = Field(default=None, description="Passages to retrieve (1-50).")


router = APIRouter(prefix="/api", tags=["conversations"])


def load(store: Store, conversation_id: str, owner: str | None) -> Conversation:
    """The owner's conversation, or HTTP 404 with the reason."""
    try:
        return store.get(conversation_id, owner)
    except ConversationNotFound as missing:
        raise HTTPException(404, str(missing)) from None


def ask_in_conversation(
    assistant: Assistant, store: Store, conversation_id: str, question: str,
    filters: Filters | None = None, k: int | None = None, owner: str | None = None, guard=None,
) -> StoredTurn:
    """Answer ``question`` with the conversation's last ``max_history`` turns as history,
    and store the turn (inside ``guard``: nothing is stored for a request that timed out).
    Raises ConversationNotFound, QuestionError, FilterError or StorageError."""
    conversation = store.get(conversation_id, owner)
    history = conversation.history(assistant.settings.max_history)
    answer = assistant.ask(question, history=history, k=k, filters=filters)
    return store.add_turn(conversation_id, answer, filters, owner=owner, guard=guard)


def guard_of(request: Request):
    """The request's TurnGuard (when a request timeout is set), for ``Store.add_turn``."""
    return turn_guard(request.scope)


def clean_filters(filters: Filters | None) -> Filters | None:
    """None when no filter value is set, so "no filters" is stored as such."""
    if filters is None or filters.is_empty():
        return None
    return filters


@router.post("/conversations", status_code=201, response_model=ConversationSummary, responses=ERRORS)
def create_conversation(request: Request, body: NewConversation | None = None) -> ConversationSummary:
    """Start a conversation; its title becomes the first question unless given."""
    return store_of(request).create(body.title if body else "", owner=owner_of(request))


@router.get("/conversations", response_model=list[ConversationSummary], responses=ERRORS)
def list_conversations(request: Request) -> list[ConversationSummary]:
    """The caller's saved conversations, most recently updated first."""
    return store_of(request).recent(owner=owner_of(request))


@router.get("/conversations/{conversation_id}", response_model=Conversation, responses=ERRORS)
def get_conversation(conversation_id: ConversationId, request: Request) -> Conversation:
    """A conversation with every turn: question, filters and the full Answer."""
    return load(store_of(request), conversation_id, owner_of(request))


@router.delete("/conversations/{conversation_id}", status_code=204, responses=ERRORS)
def delete_conversation(
    conversation_id: ConversationId, request: Request,
    x_csrf_token: str | None = Header(default=None, description="CSRF token (not needed with a bearer token)"),
) -> Response:
    """Delete a conversation and its turns. Cookie-authenticated callers send the CSRF
    token of their page (``X-CSRF-Token``); bearer-token callers need none."""
    if identity_of(request).via != "bearer" and not csrf_valid(request, x_csrf_token):
        raise HTTPException(403, "missing or wrong CSRF token (send the X-CSRF-Token header)")
    try:
        store_of(request).delete(conversation_id, owner=owner_of(request))
    except ConversationNotFound as missing:
        raise HTTPException(404, str(missing)) from None
    return Response(status_code=204)


@router.get("/csrf", tags=["access"])
def csrf(request: Request) -> dict:
    """The caller's CSRF token (for ``X-CSRF-Token`` on DELETE from a cookie session)."""
    return {"csrf": csrf_of(request)}


@router.post("/conversations/{conversation_id}/ask", response_model=AskResponse, responses=ERRORS)
async def ask(conversation_id: ConversationId, body: ConversationAsk, request: Request, response: Response) -> AskResponse:
    """Ask in a conversation: earlier turns are the history, so "And for education?" works.
    The new turn's number is in the X-Conversation-Turn header. A request answered 503 for
    its timeout stores nothing."""

    assistant = assistant_of(request)
    store = store_of(request)
    owner = owner_of(request)
    load(store, conversation_id, owner)
    try:
        turn = await run_in_threadpool(
            ask_in_conversation, assistant, store, conversation_id, body.question,
            clean_filters(body.filters), body.k, owner, guard_of(request),
        )
    except ConversationNotFound as missing:  # deleted meanwhile
        raise HTTPException(404, str(missing)) from None
    response.headers[TURN_HEADER] = str(turn.n)
    return with_index(turn.answer, assistant)


@router.get("/conversations/{conversation_id}/export", responses=ERRORS)
def export_conversation(
    conversation_id: ConversationId, request: Request,
    format: Literal["md", "csv", "bib", "json"] = Query("md", description="md, csv, bib or json"),
) -> Response:
    """The conversation's cited passages as Markdown, CSV, BibTeX or JSON (a download).
    Links use the configured ``public_url``, never the request's Host header."""
    conversation = load(store_of(request), conversation_id, owner_of(request))
    assistant = assistant_of(request)
    metas = {doc_id: doc.meta for doc_id, doc in assistant.documents.items()}
    base_url = public_base(request.app.state.settings)
    media_type = FORMATS[format][0]
    return Response(
        export(conversation, format, metas, base_url),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename(conversation, format)}"'},
    )
