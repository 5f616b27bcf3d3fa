"""JSON API for saved conversations and their exports (mounted under /api).

POST   /api/conversations                    create (optional {"title"}) → 201
GET    /api/conversations                    list, most recent first
GET    /api/conversations/{id}               the conversation with every turn's full Answer
DELETE /api/conversations/{id}               delete → 204
POST   /api/conversations/{id}/ask           {question, filters?, k?} → Answer; the stored
                                             turns are sent as history (follow-ups work)
GET    /api/conversations/{id}/export?format=md|csv|bib   download the cited passages

Errors are ``{"error": message}`` (the app's handlers); unknown or malformed ids are 404.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from assistant.conversations import (
    Conversation,
    ConversationNotFound,
    ConversationStore,
    ConversationSummary,
    StoredTurn,
    open_store,
)
from assistant.core import Assistant
from assistant.serve.exports import FORMATS, export, filename
from assistant.records import Answer, Filters

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


class ConversationAsk(BaseModel):
    """Body of POST /api/conversations/{id}/ask."""

    question: str = Field(max_length=100_000, description="The question (1-2,000 characters).")
    filters: Filters | None = None
    k: int | None = Field(default=None, description="Passages to retrieve (1-50).")


class ErrorBody(BaseModel):
    error: str


ERRORS = {400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody}}
router = APIRouter(prefix="/api", tags=["conversations"])


def store_of(request: Request) -> ConversationStore:
    """The conversation store at the app's ``settings.database``."""
    return open_store(request.app.state.settings.database)


def assistant_of(request: Request) -> Assistant:
    assistant = getattr(request.app.state, "assistant", None)
    if assistant is None:
        raise HTTPException(503, "the index is not loaded")
    return assistant


def load(store: ConversationStore, conversation_id: str) -> Conversation:
    """The conversation, or HTTP 404 with the reason."""
    try:
        return store.get(conversation_id)
    except ConversationNotFound as missing:
        raise HTTPException(404, str(missing)) from None


def ask_in_conversation(
    assistant: Assistant, store: ConversationStore, conversation_id: str, question: str,
    filters: Filters | None = None, k: int | None = None,
) -> StoredTurn:
    """Answer ``question`` with the conversation's last ``max_history`` turns as history,
    and store the turn. Raises ConversationNotFound, QuestionError or FilterError."""
    conversation = store.get(conversation_id)
    history = conversation.history(assistant.settings.max_history)
    answer = assistant.ask(question, history=history, k=k, filters=filters)
    return store.add_turn(conversation_id, answer, filters)


def clean_filters(filters: Filters | None) -> Filters | None:
    """None when no filter value is set, so "no filters" is stored as such."""
    if filters is None or not (filters.document or filters.kind or filters.language):
        return None
    return filters


@router.post("/conversations", status_code=201, response_model=ConversationSummary, responses=ERRORS)
def create_conversation(request: Request, body: NewConversation | None = None) -> ConversationSummary:
    """Start a conversation; its title becomes the first question unless given."""
    return store_of(request).create(body.title if body else "")


@router.get("/conversations", response_model=list[ConversationSummary])
def list_conversations(request: Request) -> list[ConversationSummary]:
    """Saved conversations, most recently updated first."""
    return store_of(request).recent()


@router.get("/conversations/{conversation_id}", response_model=Conversation, responses=ERRORS)
def get_conversation(conversation_id: ConversationId, request: Request) -> Conversation:
    """A conversation with every turn: question, filters and the full Answer."""
    return load(store_of(request), conversation_id)


@router.delete("/conversations/{conversation_id}", status_code=204, responses=ERRORS)
def delete_conversation(conversation_id: ConversationId, request: Request) -> Response:
    """Delete a conversation and its turns."""
    try:
        store_of(request).delete(conversation_id)
    except ConversationNotFound as missing:
        raise HTTPException(404, str(missing)) from None
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/ask", response_model=Answer, responses=ERRORS)
async def ask(conversation_id: ConversationId, body: ConversationAsk, request: Request, response: Response) -> Answer:
    """Ask in a conversation: earlier turns are the history, so "And for education?" works.
    The new turn's number is in the X-Conversation-Turn header."""
    assistant = assistant_of(request)
    store = store_of(request)
    load(store, conversation_id)
    try:
        turn = await run_in_threadpool(
            ask_in_conversation, assistant, store, conversation_id, body.question,
            clean_filters(body.filters), body.k,
        )
    except ConversationNotFound as missing:  # deleted meanwhile
        raise HTTPException(404, str(missing)) from None
    response.headers[TURN_HEADER] = str(turn.n)
    return turn.answer


@router.get("/conversations/{conversation_id}/export", responses=ERRORS)
def export_conversation(
    conversation_id: ConversationId, request: Request,
    format: Literal["md", "csv", "bib"] = Query("md", description="md, csv or bib"),
) -> Response:
    """The conversation's cited passages as Markdown, CSV or BibTeX (a download)."""
    conversation = load(store_of(request), conversation_id)
    assistant = assistant_of(request)
    metas = {doc_id: doc.meta for doc_id, doc in assistant.documents.items()}
    base_url = str(request.base_url).rstrip("/")
    media_type = FORMATS[format][0]
    return Response(
        export(conversation, format, metas, base_url),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename(conversation, format)}"'},
    )
