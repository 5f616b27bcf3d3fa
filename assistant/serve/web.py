"""HTML pages (Jinja2, autoescaped): the chat, saved conversations and the source viewer.

Every page works without JavaScript (forms POST and redirect with 303); web/static/chat.js
only enhances the chat (asks through the JSON API and appends the answer in place).
Document text is never marked safe: the source viewer splits the text into
before/quote/after in Python and the template wraps the quote in <mark>.

GET  /                      new chat (``?q=`` answers once without saving)
POST /ask                   start a conversation with a question → 303 /c/{id}
GET  /c/{id}                a saved conversation
POST /c/{id}/ask            ask a follow-up → 303 /c/{id}#turn-n
GET  /c/{id}/turns/{n}      one turn as an HTML fragment (used by chat.js)
GET  /c/{id}/export         cite & export page (formatted citations, BibTeX, downloads)
POST /c/{id}/delete         delete → 303 /conversations
GET  /conversations         saved conversations
GET  /documents             the indexed documents
GET  /documents/{id}        source viewer: ?start=&end= highlights a quote; ?start= alone
                            reads from an offset
GET  /login, POST /login    sign in (access on: MGI_SECRET set); POST /logout signs out

Every page shows a banner while the index is older than the documents. Conversations are
the caller's own (deps.py); deleting and signing out need the page's CSRF token.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from assistant.answer.citations import folded_key_sources
from assistant.ingest.readers.migof import ASSESSMENTS, DIMENSIONS, scorecard

from assistant.serve.chat_api import ask_in_conversation, clean_filters, guard_of
from assistant.serve.deps import (
    SESSION_COOKIE,
    assistant_of,
    check_user,
    cookie_header,
    csrf_of,
    csrf_valid,
    index_state_of,
    owner_of,
    public_base,
    store_of,
)
from assistant.conversations import Conversation, ConversationNotFound
from assistant.errors import FilterError, OffsetError, RequestError, UnknownRetriever
from assistant.serve.exports import citation_text, to_bibtex, viewer_path
from assistant.records import Answer, Document, DocumentKind, Filters
from assistant.settings import ROOT

templates = Jinja2Templates(directory=str(ROOT / "web" / "templates"))
templates.env.autoescape = True
templates.env.filters["citation_text"] = citation_text
templates.env.filters["locator"] = lambda located: located.locator()
templates.env.filters["viewer_path"] = viewer_path
templates.env.filters["folded"] = folded_key_sources  # one instrument, one entry (every label listed)
templates.env.filters["when"] = lambda stamp: str(stamp)[:16].replace("T", " ") + " UTC"
router = APIRouter(include_in_schema=False)

CONTEXT_CHARS = 1500  # stored text shown on each side of a quote
READ_CHARS = 3000  # stored text shown when reading from an offset
MAX_QUOTE_CHARS = 20_000
KIND_LABELS: dict[DocumentKind, str] = {"profile": "MGI profile", "law": "Law", "constitution": "Constitution",
                                        "report": "Report", "other": "Other"}
LANGUAGE_LABELS = {"en": "English", "es": "Spanish (español)"}


# ----------------------------------------------------------------------------- helpers


def _filter_choices(request: Request) -> dict[str, Any]:
    assistant = assistant_of(request)
    docs = sorted(assistant.documents.values(), key=lambda d: (d.meta.kind, d.meta.title))
    return {
        "documents": [d.meta for d in docs],
        "kinds": sorted({d.meta.kind for d in docs}),
        "languages": sorted({d.meta.language for d in docs}),
        "kind_labels": KIND_LABELS,
        "language_labels": LANGUAGE_LABELS,
        "dimensions": list(DIMENSIONS),
        "assessments": list(ASSESSMENTS),
    }


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200,
          headers: dict[str, str] | None = None) -> HTMLResponse:
    current = getattr(request.app.state, "assistant", None)
    identity = request.scope.get("state", {}).get("mgi_identity")
    base = {"error": None, "question": "", "selected": Filters(), "conversation": None,
            "preview": None, "max_chars": request.app.state.settings.max_question_chars,
            "index_state": index_state_of(current) if current else None,
            "csrf": csrf_of(request), "user": identity.user if identity else None}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status,
                                      headers=headers)


def error_page(request: Request, status: int, message: str,
               headers: dict[str, str] | None = None) -> HTMLResponse:
    """The HTML error page (also used by the app's handlers for form posts)."""
    return _page(request, "error.html", {"status": status, "message": message}, status, headers)


_error_page = error_page


def _filters_from(values) -> Filters | None:
    """Filters from form fields or query parameters (repeated document/kind/language)."""
    return clean_filters(Filters(
        document=[v for v in values.getlist("document") if v] or None,
        kind=[v for v in values.getlist("kind") if v] or None,
        language=[v for v in values.getlist("language") if v] or None,
        dimension=[v for v in values.getlist("dimension") if v] or None,
        assessment=[v for v in values.getlist("assessment") if v] or None,
    ))


def _chat(request: Request, conversation: Conversation | None, **context: Any) -> HTMLResponse:
    """The chat page; filters default to those of the conversation's last turn."""
    status = context.pop("status", 200)
    if "selected" not in context:
        last = conversation.turns[-1].filters if conversation and conversation.turns else None
        context["selected"] = last or Filters()
    return _page(request, "chat.html",
                 {**_filter_choices(request), "conversation": conversation, **context}, status)


async def _ask_form(request: Request, conversation_id: str | None) -> Response:
    """Shared no-JS form handler: validate, ask, store, redirect (or show the error)."""
    assistant = assistant_of(request)
    store = store_of(request)
    owner = owner_of(request)
    form = await request.form()
    question = str(form.get("question", ""))
    filters = _filters_from(form)
    conversation = None
    if conversation_id is not None:
        try:
            conversation = store.get(conversation_id, owner)
        except ConversationNotFound as missing:
            return _error_page(request, 404, str(missing))
    try:
        assistant.check(question, assistant.settings.top_k)
        assistant.check_filters(filters)  # unknown filter values fail before saving
        if conversation is None:
            conversation_id = (await run_in_threadpool(store.create, "", owner)).id
        turn = await run_in_threadpool(
            ask_in_conversation, assistant, store, conversation_id, question, filters, None, owner,
            guard_of(request),
        )
    except RequestError as problem:
        status = 400 if isinstance(problem, (FilterError, UnknownRetriever)) else 422
        return _chat(request, conversation, error=str(problem), question=question,
                     selected=filters or Filters(), status=status)
    except ConversationNotFound as missing:
        return _error_page(request, 404, str(missing))
    return RedirectResponse(f"/c/{conversation_id}#turn-{turn.n}", status_code=303)


def _load(request: Request, conversation_id: str) -> Conversation | HTMLResponse:
    try:
        return store_of(request).get(conversation_id, owner_of(request))
    except ConversationNotFound as missing:
        return _error_page(request, 404, str(missing))


# ----------------------------------------------------------------------------- chat


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, q: str = "") -> HTMLResponse:
    """A new chat. ``/?q=...`` (old links) answers once without saving."""
    if not q.strip():
        return _chat(request, None)
    assistant = assistant_of(request)
    filters = _filters_from(request.query_params)
    try:
        answer: Answer = await run_in_threadpool(assistant.ask, q, None, None, filters)
    except RequestError as problem:
        status = 400 if isinstance(problem, (FilterError, UnknownRetriever)) else 422
        return _chat(request, None, error=str(problem), question=q,
                     selected=filters or Filters(), status=status)
    return _chat(request, None, preview=answer, selected=filters or Filters())


@router.post("/ask", response_class=HTMLResponse)
async def ask_new(request: Request) -> Response:
    """Start a conversation with the form's question; 303 to its URL."""
    return await _ask_form(request, None)


@router.get("/c/{conversation_id}", response_class=HTMLResponse)
def conversation_page(conversation_id: str, request: Request) -> HTMLResponse:
    """A saved conversation, with the follow-up form."""
    conversation = _load(request, conversation_id)
    if isinstance(conversation, HTMLResponse):
        return conversation
    return _chat(request, conversation)


@router.post("/c/{conversation_id}/ask", response_class=HTMLResponse)
async def ask_follow_up(conversation_id: str, request: Request) -> Response:
    """Ask in a conversation (earlier turns are the history); 303 to the new turn."""
    return await _ask_form(request, conversation_id)


@router.get("/c/{conversation_id}/turns/{n}", response_class=HTMLResponse)
def turn_fragment(conversation_id: str, n: int, request: Request) -> HTMLResponse:
    """One turn rendered as the chat page renders it (chat.js appends it)."""
    try:
        turn = store_of(request).turn(conversation_id, n, owner_of(request))
    except ConversationNotFound as missing:
        return _error_page(request, 404, str(missing))
    return _page(request, "_turn.html", {"turn": turn, "conversation_id": conversation_id})


@router.get("/c/{conversation_id}/export", response_class=HTMLResponse)
def export_page(conversation_id: str, request: Request) -> HTMLResponse:
    """Formatted citations of every quote, the BibTeX, and the download links."""
    conversation = _load(request, conversation_id)
    if isinstance(conversation, HTMLResponse):
        return conversation
    assistant = assistant_of(request)
    metas = {doc_id: doc.meta for doc_id, doc in assistant.documents.items()}
    bibtex = to_bibtex(conversation, metas, public_base(request.app.state.settings))
    return _page(request, "export.html", {"conversation": conversation, "bibtex": bibtex})


@router.post("/c/{conversation_id}/delete")
async def delete_conversation(conversation_id: str, request: Request) -> Response:
    """Delete a conversation (the form carries the CSRF token); 303 back to the list."""
    form = await request.form()
    if not csrf_valid(request, str(form.get("csrf", ""))):
        return _error_page(request, 403, "This form has expired or did not come from this site "
                           "(missing or wrong CSRF token). Reload the page and try again.")
    try:
        await run_in_threadpool(store_of(request).delete, conversation_id, owner_of(request))
    except ConversationNotFound as missing:
        return _error_page(request, 404, str(missing))
    return RedirectResponse("/conversations?deleted=1", status_code=303)


@router.get("/conversations", response_class=HTMLResponse)
def conversations_page(request: Request, deleted: int = 0) -> HTMLResponse:
    """Saved conversations, most recent first, each with a delete button."""
    return _page(request, "conversations.html",
                 {"conversations": store_of(request).recent(owner=owner_of(request)),
                  "deleted": bool(deleted)})


# ----------------------------------------------------------------------------- sign-in


def _safe_next(target: str) -> str:
    """Only a local path (no scheme, no //host) may follow sign-in."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    """The sign-in form (access on); with access off there is nothing to sign in to."""
    return _page(request, "login.html", {"next": _safe_next(next),
                                          "enabled": bool(request.app.state.settings.secret)})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the user name and password; set the signed session cookie; 303 to ``next``."""
    settings = request.app.state.settings
    form = await request.form()
    name, password = str(form.get("username", ""))[:200], str(form.get("password", ""))[:1000]
    target = _safe_next(str(form.get("next", "/")))
    if not settings.secret:
        return RedirectResponse(target, status_code=303)
    if not await run_in_threadpool(check_user, settings, name, password):
        return _page(request, "login.html", {"next": target, "enabled": True, "username": name,
                                              "error": "Wrong user name or password."}, 401)
    state = request.scope["state"]
    response = RedirectResponse(target, status_code=303)
    cookie = cookie_header(SESSION_COOKIE, state["mgi_access"].session_cookie(state["mgi_key"], name),
                           settings.session_max_age_s, state["mgi_access"].secure_cookies())
    response.raw_headers.append((b"set-cookie", cookie))
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Sign out (CSRF-checked): the session cookie is cleared."""
    form = await request.form()
    if not csrf_valid(request, str(form.get("csrf", ""))):
        return _error_page(request, 403, "missing or wrong CSRF token")
    response = RedirectResponse("/login", status_code=303)
    response.raw_headers.append((b"set-cookie", cookie_header(SESSION_COOKIE, "", 0, False)))
    return response


# ----------------------------------------------------------------------------- documents


@router.get("/documents", response_class=HTMLResponse)
def documents_page(request: Request) -> HTMLResponse:
    """The indexed documents with their metadata."""
    return _page(request, "documents.html", _filter_choices(request))


def source_window(document: Document, start: int | None, end: int | None) -> dict[str, Any]:
    """The stored text around ``[start, end)`` split into before/quote/after.

    With a non-empty range the quote is shown with CONTEXT_CHARS either side; with only
    ``start`` the text is read from that offset. Raises OffsetError on bad offsets.
    """
    text, size = document.text, len(document.text)
    start = 0 if start is None else start
    end = start if end is None else end
    if not 0 <= start <= end <= size:
        raise OffsetError(f"offsets must satisfy 0 <= start <= end <= {size}; got {start}, {end}")
    end = min(end, start + MAX_QUOTE_CHARS)
    quoting = end > start
    lo = max(0, start - CONTEXT_CHARS) if quoting else start
    hi = min(size, end + CONTEXT_CHARS) if quoting else min(size, start + READ_CHARS)
    if 0 < lo < start:  # start the window on a word boundary
        cut = next((i + 1 for i in range(lo, start) if text[i].isspace()), lo)
        lo = cut
    if end < hi < size:
        cut = next((i for i in range(hi, end, -1) if text[i - 1].isspace()), hi)
        hi = cut
    first_page, last_page = document.page_at(start), document.page_at(max(start, end - 1))
    return {
        "quoting": quoting, "start": start, "end": end, "lo": lo, "hi": hi, "size": size,
        "before": text[lo:start], "quote": text[start:end], "after": text[end:hi],
        "page": first_page, "last_page": last_page,
        "window_pages": (document.page_at(lo), document.page_at(max(lo, hi - 1))),
        "section": document.section_at(start), "article": document.article_at(start),
        "earlier": max(0, lo - READ_CHARS) if lo > 0 else None,
        "later": hi if hi < size else None,
    }


def _offset(name: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not re.fullmatch(r"\s*-?[0-9]{1,12}\s*", value):
        raise OffsetError(f"{name} must be a whole number of characters, got {value[:20]!r}")
    return int(value)


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(
    document_id: str, request: Request, start: str | None = None, end: str | None = None
) -> HTMLResponse:
    """Source viewer: the stored text around a quote (highlighted), outline, metadata."""
    assistant = assistant_of(request)
    if document_id not in assistant.documents:
        return _error_page(request, 404, f"unknown document id {document_id!r}")
    document = assistant.get_document(document_id)
    try:
        offsets = [_offset(name, value) for name, value in (("start", start), ("end", end))]
        window = source_window(document, *offsets)
    except OffsetError as problem:
        return _error_page(request, 422, str(problem))
    return _page(request, "document.html", {
        "document": document, "meta": document.meta, "window": window,
        "kind_labels": KIND_LABELS, "language_labels": LANGUAGE_LABELS,
    })


@router.get("/profiles/{document_id}", response_class=HTMLResponse)
def profile_page(document_id: str, request: Request) -> HTMLResponse:
    """An MGI profile as a scorecard: per MiGOF dimension, its well-developed areas and its
    areas with potential for development, each finding one line linking to the source viewer."""
    assistant = assistant_of(request)
    document = assistant.documents.get(document_id)
    if document is None or document.meta.kind != "profile":
        return _error_page(request, 404, f"unknown profile id {document_id!r}")
    cards = [{"dimension": card["dimension"], "areas": [
                 (assessment, [finding_line(document, start, end) for start, end in card[assessment]])
                 for assessment in ASSESSMENTS]}
             for card in scorecard(document)]
    return _page(request, "profile.html", {"meta": document.meta, "cards": cards})


def finding_line(document: Document, start: int, end: int) -> dict[str, Any]:
    """One finding: its first sentence (at most 220 characters) and its viewer link."""
    paragraph = " ".join(document.text[start:end].split())
    sentence = re.split(r"(?<=[.;:])\s+(?=[A-ZÁÉÍÓÚÑ“(])", paragraph, maxsplit=1)[0]
    line = sentence if len(sentence) <= 220 else sentence[:219].rsplit(" ", 1)[0] + "…"
    return {"text": line, "href": f"/documents/{document.id}?start={start}&end={end}#quote"}
