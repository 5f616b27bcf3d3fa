"""HTML pages (Jinja2, autoescaped): the question page at /."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from .core import QuestionError
from .settings import ROOT

templates = Jinja2Templates(directory=str(ROOT / "web" / "templates"))
router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request, q: str = "") -> HTMLResponse:
    """The question box; with ?q= it shows the answer and its citations."""
    assistant = request.app.state.assistant
    answer, error = None, None
    if q.strip():
        try:
            answer = await run_in_threadpool(assistant.ask, q)
        except QuestionError as problem:
            error = str(problem)
    status = 422 if error else 200
    return templates.TemplateResponse(
        request, "index.html", {"q": q, "answer": answer, "error": error}, status_code=status
    )
