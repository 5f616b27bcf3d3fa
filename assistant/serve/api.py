"""The FastAPI app: JSON under /api, the web pages at /, OpenAPI at /docs (served offline).

The Assistant (index + model) is opened in the app's lifespan — after any worker fork —
once per process, and shared by every request. When the documents changed since the index
was built, the last good index is served and flagged (``index_state``: the API's ``index``
field, /healthz and a web banner); with ``rebuild_on_start`` (``mgi serve --rebuild``) a
background thread rebuilds it and swaps a freshly opened Assistant in atomically.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, field_validator
from starlette.concurrency import run_in_threadpool

from assistant.conversations import StorageError
from assistant.core import Assistant
from assistant.errors import DocumentNotFound, FilterError, OffsetError, QuestionError, UnknownRetriever
from assistant.records import Filters, Passage, Turn
from assistant.serve.deps import (
    ERRORS,
    AccessMiddleware,
    AskResponse,
    ErrorBody,
    IndexState,
    assistant_of,
    check_user,
    database_target,
    error_json,
    index_state_of,
    no_nul,
    store_of,
    wants_json,
    with_index,
)
from assistant.serve.limits import RequestAbandoned, install_limits
from assistant.settings import ROOT, RetrieverMode, Settings, get_settings
from assistant.storage import IndexProblem

log = logging.getLogger(__name__)


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


def _filters(document: list[str] | None, kind: list[str] | None, language: list[str] | None):
    filters = Filters(document=document or None, kind=kind or None, language=language or None)
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
    retriever: RetrieverMode = "hybrid",
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


def _error(status: int, message: str) -> JSONResponse:
    return error_json(status, message)


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _rebuild(app: FastAPI, settings: Settings) -> None:
    """Rebuild the index in this thread, then swap a freshly opened Assistant in.

    Workers share one index folder, so the build runs under an exclusive file lock: the
    first worker builds, the others wait and then find it up to date (``build_index``
    returns at once) and only reopen. Requests keep using the old Assistant until the
    single attribute assignment that swaps it (atomic under the GIL)."""
    from assistant.ingest.build import build_index

    old = app.state.assistant
    state = getattr(old, "index_state", None)
    if isinstance(state, dict):
        state["rebuilding"] = True
    try:
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        with open(settings.index_dir / ".rebuild.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                build_index(settings, progress=False)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        fresh = Assistant.open(settings)
        fresh.warm_up()
        app.state.assistant = fresh
        log.warning("index rebuilt and swapped in (%s)", _created(fresh.manifest))
    except Exception as error:  # noqa: BLE001 - keep serving the last good index
        log.error("background rebuild failed: %s", error)
        if isinstance(state, dict):
            state.update(rebuilding=False, error=f"rebuild failed: {error}")


def _created(manifest) -> str | None:
    """The build time of a manifest (typed, or a dict)."""
    if isinstance(manifest, dict):
        return manifest.get("created")
    return getattr(manifest, "created", None)


def start_rebuild(app: FastAPI, settings: Settings) -> threading.Thread:
    thread = threading.Thread(target=_rebuild, args=(app, settings), name="mgi-rebuild", daemon=True)
    thread.start()
    app.state.rebuild_thread = thread
    return thread


def _disk(path: Path) -> dict:
    """Free space of the file system holding ``path`` (its nearest existing parent)."""
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
    except OSError as error:
        return {"path": str(path), "error": str(error)}
    return {"path": str(path), "free_mb": usage.free // 2**20, "total_mb": usage.total // 2**20}


def health(app: FastAPI) -> tuple[dict, int]:
    """/healthz: index facts and state, database write check, free disk. 503 when degraded."""
    settings: Settings = app.state.settings
    current = app.state.assistant
    problems = []
    try:
        database = store_of_app(app).health()
    except StorageError as error:
        database = {"ok": False, "where": error.where, "error": error.reason}
    if not database.get("ok"):
        problems.append(f"database: {database.get('error')}")
    disk = None
    target = database_target(settings)
    if not isinstance(target, str):
        disk = _disk(Path(target).parent)
        if disk.get("free_mb") is not None and disk["free_mb"] < settings.min_free_disk_mb:
            problems.append(f"disk: {disk['free_mb']} MB free under the conversation store "
                            f"(minimum {settings.min_free_disk_mb} MB)")
    status = "ok" if current else "loading"
    if problems:
        status = "degraded"
    # /healthz is public (load balancers): no paths, hosts or counts in it
    database = {k: v for k, v in database.items() if k in ("backend", "ok", "error", "journal_mode")}
    if disk:
        disk = {k: v for k, v in disk.items() if k in ("free_mb", "total_mb", "error")}
    body = {
        "status": status,
        "problems": problems,
        "documents": len(current.documents) if current else 0,
        "chunks": len(current.chunks) if current else 0,
        "embedder": current.default_embedder if current else None,
        "index": _created(current.manifest) if current else None,
        "index_state": index_state_of(current) if current else None,
        "database": database,
        "disk": disk,
        "access": "on" if settings.secret else "off",
    }
    return body, 503 if problems else 200


def store_of_app(app: FastAPI):
    from assistant.conversations import open_store

    return open_store(database_target(app.state.settings))


def _openapi_limits(app: FastAPI, settings: Settings) -> None:
    """Document the limits the server enforces: question maxLength = max_question_chars, and
    413 (body over max_body_bytes) on every operation that takes a body."""
    from fastapi.openapi.utils import get_openapi

    def schema() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description,
                           routes=app.routes)
        for name in ("AskRequest", "ConversationAsk"):
            props = spec.get("components", {}).get("schemas", {}).get(name, {}).get("properties", {})
            if "question" in props:
                props["question"].update(maxLength=settings.max_question_chars, minLength=1)
        for path in spec.get("paths", {}).values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                if "requestBody" in operation:
                    responses.setdefault("413", {
                        "description": f"Request body larger than {settings.max_body_bytes} bytes "
                                       "(max_body_bytes)",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
                    })
        spec.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "ErrorBody", ErrorBody.model_json_schema())
        app.openapi_schema = spec
        return spec

    app.openapi = schema  # type: ignore[method-assign]


def _local_docs(app: FastAPI) -> None:
    """Swagger UI from the swagger-ui-bundle package's files (no CDN: works offline)."""
    from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
    from fastapi.staticfiles import StaticFiles

    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # pragma: no cover - a declared dependency
        return
    app.mount("/swagger-ui", StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title=f"{app.title} – API",
            swagger_js_url="/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/swagger-ui/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """The app. Pass an opened ``assistant`` to share one between apps (tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.assistant is None:
            app.state.assistant = await run_in_threadpool(Assistant.open, settings)
            await run_in_threadpool(app.state.assistant.warm_up)
        state = getattr(app.state.assistant, "index_state", None) or {}
        if state.get("stale") and settings.rebuild_on_start:
            start_rebuild(app, settings)
        yield

    app = FastAPI(
        title="MGI Assistant",
        description="Cited answers from migration-governance documents: every answer quotes "
        "the documents verbatim and says where each quote stands.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.assistant = assistant
    app.state.settings = settings
    app.add_middleware(AccessMiddleware, settings=settings)
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

    @app.exception_handler(DocumentNotFound)
    async def on_document(_, error: DocumentNotFound):
        return _error(404, str(error.args[0]) if error.args else "unknown document")

    @app.exception_handler(OffsetError)
    async def on_offset(_, error: OffsetError):
        return _error(422, str(error))

    @app.exception_handler(UnknownRetriever)
    async def on_retriever(_, error: UnknownRetriever):
        return _error(400, str(error))

    @app.exception_handler(KeyError)
    async def on_missing(_, error: KeyError):
        return _error(404, str(error.args[0]) if error.args else "not found")

    @app.exception_handler(IndexProblem)
    async def on_index(_, error: IndexProblem):
        return _error(503, str(error))

    @app.exception_handler(HTTPException)
    async def on_http(_, error: HTTPException):
        return error_json(error.status_code, str(error.detail), dict(error.headers or {}) or None)

    @app.exception_handler(StorageError)
    async def on_storage(request: Request, error: StorageError):
        log.error("storage fault on %s %s: %s", request.method, request.url.path, error)
        message = f"cannot save right now: {error}. Nothing was stored; try again later."
        if wants_json(request):
            return error_json(503, message, {"Retry-After": "30"})
        from assistant.serve.web import error_page

        return error_page(request, 503, message, headers={"Retry-After": "30"})

    @app.exception_handler(RequestAbandoned)
    async def on_abandoned(_, error: RequestAbandoned):
        return error_json(503, str(error))

    @app.get("/healthz")
    def healthz(request: Request) -> JSONResponse:
        """Liveness, index facts and state, database write check, free disk (503 degraded)."""
        body, status = health(request.app)
        return JSONResponse(body, status_code=status)

    app.include_router(router)
    from assistant.serve.web import router as web_router

    app.include_router(web_router)
    from fastapi.staticfiles import StaticFiles

    from assistant.serve.chat_api import router as chat_router

    app.include_router(chat_router)
    app.mount("/static", StaticFiles(directory=str(ROOT / "web" / "static")), name="static")
    _local_docs(app)
    _openapi_limits(app, settings)
    return app
