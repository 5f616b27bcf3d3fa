"""The FastAPI app: JSON under /api, the web pages at /, OpenAPI at /docs (served offline).

The Assistant (index + model) is opened in the app's lifespan — after any worker fork —
once per process, and shared by every request. When the documents changed since the index
was built, the last good index is served and flagged (``index_state``: the API's ``index``
field, /healthz and a web banner); with ``rebuild_on_start`` (``mgi serve --rebuild``) a
background thread rebuilds it and swaps a freshly opened Assistant in atomically.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Literal

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from assistant.core import Assistant
from assistant.records import Filters, Passage, Turn
from assistant.serve.access import AccessMiddleware
from assistant.serve.deps import AskResponse, IndexState, assistant_of, index_state_of, no_nul, with_index
from assistant.serve.handlers import ERRORS, register_handlers
from assistant.serve.health import add_healthz
from assistant.serve.limits import install_limits
from assistant.serve.openapi import document_limits, mount_swagger_ui
from assistant.serve.passwords import check_user
from assistant.serve.rebuild import start_rebuild
from assistant.settings import ROOT, RetrieverMode, Settings, get_settings


class AskRequest(BaseModel):
    """Body of POST /api/ask."""

    question: str = Field(max_length=100_000, description="The question (1-2,000 characters).")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first.")
    k: int | None = Field(default=None, description="Passages to retrieve (1-50).")
    filters: Filters | None = None
    retriever: RetrieverMode = "hybrid"
    embedder: str | None = Field(default=None, description="Embedder backend; default configured.")

    @field_validator("history")
    @classmethod
    def _clean_history(cls, history: list[Turn]) -> list[Turn]:
        for n, turn in enumerate(history, 1):
            no_nul(turn.question, f"history turn {n} question")
            no_nul(turn.answer or "", f"history turn {n} answer")
        return history


class TokenRequest(BaseModel):
    """Body of POST /api/auth/token."""

    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class TokenResponse(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


def _filters(document: list[str] | None, kind: list[str] | None, language: list[str] | None,
             dimension: list[str] | None = None, assessment: list[str] | None = None):
    filters = Filters(document=document or None, kind=kind or None, language=language or None,
                      dimension=dimension or None, assessment=assessment or None)
    return None if filters.is_empty() else filters


router = APIRouter(prefix="/api")


@router.post("/ask", response_model=AskResponse, responses=ERRORS)
async def ask(body: AskRequest, request: Request) -> AskResponse:
    """Answer a question with verbatim quotes and numbered citations (or refuse). ``index``
    says whether the index is older than the documents."""
    assistant = assistant_of(request)
    answer = await run_in_threadpool(
        assistant.ask, body.question, body.history, body.k, body.filters, body.retriever, body.embedder
    )
    return with_index(answer, assistant)


@router.get("/index", response_model=IndexState, responses=ERRORS)
def index_state(request: Request) -> IndexState:
    """The served index's state: stale (documents changed since the build), rebuilding."""
    return IndexState(**index_state_of(assistant_of(request)))


@router.post("/auth/token", response_model=TokenResponse, responses=ERRORS, tags=["access"])
async def token(body: TokenRequest, request: Request) -> TokenResponse:
    """A bearer token for the API (access on: ``MGI_SECRET`` set) from a user's password."""
    settings: Settings = request.app.state.settings
    if not settings.secret:
        raise HTTPException(404, "access control is off (no MGI_SECRET): no token is needed")
    if not await run_in_threadpool(check_user, settings, body.username, body.password):
        raise HTTPException(401, "wrong user name or password")
    state = request.scope["state"]
    return TokenResponse(token=state["mgi_access"].token(state["mgi_key"], body.username),
                         expires_in=settings.session_max_age_s)


@router.get("/search", response_model=list[Passage], responses=ERRORS)
async def search(
    request: Request,
    q: str = Query(max_length=100_000, description="Search query."),
    k: int | None = Query(default=None),
    document: list[str] | None = Query(default=None),
    kind: list[str] | None = Query(default=None),
    language: list[str] | None = Query(default=None),
    dimension: list[str] | None = Query(default=None, description="MiGOF dimensions (profile passages)."),
    assessment: list[str] | None = Query(default=None, description='"well-developed" / "potential for development".'),
    retriever: RetrieverMode = "hybrid",
) -> list[Passage]:
    """Ranked passages for a query, with the same fields as citations."""
    assistant = assistant_of(request)
    return await run_in_threadpool(
        assistant.search, q, k, _filters(document, kind, language, dimension, assessment), retriever
    )


@router.get("/documents", responses=ERRORS)
def documents(request: Request) -> list[dict]:
    """Every indexed document's metadata, with counts."""
    assistant = assistant_of(request)
    return [_summary(assistant, d) for d in assistant.documents.values()]


def _summary(assistant: Assistant, document) -> dict:
    info = assistant.manifest.documents.get(document.id)
    return {
        **document.meta.model_dump(),
        "characters": len(document.text),
        "pages": len(document.pages),
        "sections": len(document.sections),
        "articles": len(document.articles),
        "key_sources": len(document.key_sources),
        "chunks": info.chunks if info else None,
        "warnings": document.warnings,
    }


@router.get("/documents/{document_id}", responses=ERRORS)
def document(document_id: str, request: Request) -> dict:
    """A document's metadata and outline (sections and articles with offsets)."""
    assistant = assistant_of(request)
    doc = assistant.get_document(document_id)
    return {
        **_summary(assistant, doc),
        "outline": [s.model_dump() for s in doc.sections],
        "articles_outline": [a.model_dump() for a in doc.articles],
        "page_spans": [p.model_dump() for p in doc.pages],
    }


@router.get("/documents/{document_id}/text", responses=ERRORS)
def document_text(
    document_id: str, request: Request, start: int = 0, end: int | None = None
) -> dict:
    """A slice of the stored text; the offsets are the ones citations carry."""
    assistant = assistant_of(request)
    text = assistant.document_text(document_id, start, end)
    doc = assistant.documents[document_id]
    return {
        "document": doc.ref().model_dump(),
        "start": start,
        "end": start + len(text),
        "page": doc.page_at(start),
        "text": text,
    }


@router.get("/sources", responses=ERRORS)
def sources(request: Request) -> list[dict]:
    """Key Sources entries of every profile, with the passages that cite each."""
    assistant = assistant_of(request)
    rows = []
    for doc in assistant.documents.values():
        for entry in doc.key_sources:
            citing = [
                {"document": doc.id, "start": m.start, "end": m.end, "mention": m.text}
                for m in doc.mentions
                if entry.id in m.key_source_ids
            ]
            rows.append({**entry.model_dump(), "label": entry.label, "profile": doc.id,
                         "cited_by": citing})
    return rows


def _lifespan(settings: Settings):
    """Open the Assistant after any worker fork (unless one was passed), once per process;
    start the background rebuild when the index is stale and ``rebuild_on_start``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.assistant is None:
            app.state.assistant = await run_in_threadpool(Assistant.open, settings)
            await run_in_threadpool(app.state.assistant.warm_up)
        state = getattr(app.state.assistant, "index_state", None) or {}
        if state.get("stale") and settings.rebuild_on_start:
            start_rebuild(app, settings)
        yield

    return lifespan


def mount_routes(app: FastAPI) -> None:
    """/healthz, the JSON API, the web pages, the conversations API and the static files."""
    from fastapi.staticfiles import StaticFiles

    from assistant.serve.chat_api import router as chat_router
    from assistant.serve.web import router as web_router

    add_healthz(app)
    app.include_router(router)
    app.include_router(web_router)
    app.include_router(chat_router)
    app.mount("/static", StaticFiles(directory=str(ROOT / "web" / "static")), name="static")


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """The app. Pass an opened ``assistant`` to share one between apps (tests)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="MGI Assistant",
        description="Cited answers from migration-governance documents: every answer quotes "
        "the documents verbatim and says where each quote stands.",
        version="0.1.0",
        lifespan=_lifespan(settings),
        docs_url=None,
        redoc_url=None,
    )
    app.state.assistant = assistant
    app.state.settings = settings
    app.add_middleware(AccessMiddleware, settings=settings)
    install_limits(app, settings)
    register_handlers(app)
    mount_routes(app)
    mount_swagger_ui(app)
    document_limits(app, settings)
    return app
