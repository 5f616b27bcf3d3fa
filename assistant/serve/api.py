"""The FastAPI app: JSON under /api, the web pages at /, OpenAPI at /docs.

The Assistant (index + model) is opened in the app's lifespan — after any worker fork —
once per process, and shared by every request.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Literal

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from assistant.core import Assistant, QuestionError
from assistant.ingest.build import IndexProblem
from assistant.serve.limits import install_limits
from assistant.records import Answer, Filters, Passage, Turn
from assistant.search.retrieve import FilterError
from assistant.settings import Settings, get_settings


class AskRequest(BaseModel):
    """Body of POST /api/ask."""

    question: str = Field(max_length=100_000, description="The question (1-2,000 characters).")
    history: list[Turn] = Field(default_factory=list, description="Earlier turns, oldest first.")
    k: int | None = Field(default=None, description="Passages to retrieve (1-50).")
    filters: Filters | None = None
    retriever: Literal["hybrid", "dense", "bm25"] = "hybrid"
    embedder: str | None = Field(default=None, description="Embedder backend; default configured.")


class ErrorBody(BaseModel):
    error: str


def assistant_of(request: Request) -> Assistant:
    assistant = getattr(request.app.state, "assistant", None)
    if assistant is None:
        raise HTTPException(503, "the index is not loaded")
    return assistant


def _filters(document: list[str] | None, kind: list[str] | None, language: list[str] | None):
    if not (document or kind or language):
        return None
    return Filters(document=document or None, kind=kind or None, language=language or None)


router = APIRouter(prefix="/api")
ERRORS = {400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody}}


@router.post("/ask", response_model=Answer, responses=ERRORS)
async def ask(body: AskRequest, request: Request) -> Answer:
    """Answer a question with verbatim quotes and numbered citations (or refuse)."""
    assistant = assistant_of(request)
    return await run_in_threadpool(
        assistant.ask, body.question, body.history, body.k, body.filters, body.retriever, body.embedder
    )


@router.get("/search", response_model=list[Passage], responses=ERRORS)
async def search(
    request: Request,
    q: str = Query(max_length=100_000, description="Search query."),
    k: int | None = Query(default=None),
    document: list[str] | None = Query(default=None),
    kind: list[str] | None = Query(default=None),
    language: list[str] | None = Query(default=None),
    retriever: Literal["hybrid", "dense", "bm25"] = "hybrid",
) -> list[Passage]:
    """Ranked passages for a query, with the same fields as citations."""
    assistant = assistant_of(request)
    return await run_in_threadpool(
        assistant.search, q, k, _filters(document, kind, language), retriever
    )


@router.get("/documents", responses=ERRORS)
def documents(request: Request) -> list[dict]:
    """Every indexed document's metadata, with counts."""
    assistant = assistant_of(request)
    return [_summary(assistant, d) for d in assistant.documents.values()]


def _summary(assistant: Assistant, document) -> dict:
    info = assistant.manifest.get("documents", {}).get(document.id, {})
    return {
        **document.meta.model_dump(),
        "characters": len(document.text),
        "pages": len(document.pages),
        "sections": len(document.sections),
        "articles": len(document.articles),
        "key_sources": len(document.key_sources),
        "chunks": info.get("chunks"),
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


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """The app. Pass an opened ``assistant`` to share one between apps (tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.assistant is None:
            app.state.assistant = Assistant.open(settings)
            app.state.assistant.warm_up()
        yield

    app = FastAPI(
        title="MGI Assistant",
        description="Cited answers from migration-governance documents: every answer quotes "
        "the documents verbatim and says where each quote stands.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.assistant = assistant
    app.state.settings = settings
    install_limits(app, settings)

    @app.exception_handler(RequestValidationError)
    async def on_validation(_, error: RequestValidationError):
        return _error(422, _validation_message(error))

    @app.exception_handler(QuestionError)
    async def on_question(_, error: QuestionError):
        return _error(422, str(error))

    @app.exception_handler(FilterError)
    async def on_filter(_, error: FilterError):
        return _error(400, str(error))

    @app.exception_handler(KeyError)
    async def on_missing(_, error: KeyError):
        return _error(404, str(error.args[0]) if error.args else "not found")

    @app.exception_handler(IndexProblem)
    async def on_index(_, error: IndexProblem):
        return _error(503, str(error))

    @app.exception_handler(HTTPException)
    async def on_http(_, error: HTTPException):
        return _error(error.status_code, str(error.detail))

    @app.get("/healthz")
    def healthz(request: Request) -> dict:
        """Liveness and index facts."""
        current = request.app.state.assistant
        return {
            "status": "ok" if current else "loading",
            "documents": len(current.documents) if current else 0,
            "chunks": len(current.chunks) if current else 0,
            "embedder": current.default_embedder if current else None,
            "index": current.manifest.get("created") if current else None,
        }

    app.include_router(router)
    from assistant.serve.web import router as web_router

    app.include_router(web_router)
    from fastapi.staticfiles import StaticFiles

    from assistant.serve.chat_api import router as chat_router
    from assistant.settings import ROOT

    app.include_router(chat_router)
    app.mount("/static", StaticFiles(directory=str(ROOT / "web" / "static")), name="static")
    return app
