"""Error bodies and exception handlers: every error of the API is ``{"error": "..."}``.

``ERRORS`` documents the error statuses in the OpenAPI schema; ``register_handlers(app)``
maps the app's named errors (bad question or filter, unknown document, index problem,
storage fault, timed-out request, HTTPException) to their status and message.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

log = logging.getLogger("assistant.serve.api")  # the logger these handlers always used


class ErrorBody(BaseModel):
    """Every error of the API: ``{"error": "<what is wrong>"}``."""

    error: str


def _described(description: str) -> dict:
    return {"model": ErrorBody, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _described("Bad request (malformed input, invalid UTF-8, unknown filter value)"),
    401: _described("Sign-in required (access is on): send Authorization: Bearer <token>"),
    403: _described("CSRF token missing or wrong"),
    404: _described("Unknown id, or a conversation of another owner"),
    413: _described("Request body larger than the server's max_body_bytes setting"),
    422: _described("Invalid field values"),
    429: _described("Rate limit exceeded (see Retry-After)"),
    503: _described("Index not loaded, request timed out (nothing stored), or the conversation "
                    "store cannot be written (disk full, read-only, database down)"),
}


def error_json(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def wants_json(request: Request) -> bool:
    """API paths answer JSON; pages and form posts answer HTML."""
    return request.url.path.startswith("/api/") or request.url.path in ("/healthz", "/openapi.json")


def validation_message(error: RequestValidationError) -> str:
    """The field errors of a request, as one line: ``where: what; …``."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
        parts.append(f"{where or 'body'}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _first_arg(default: str):
    """A message from an error's first argument (KeyError quotes its str), else ``default``."""
    return lambda error: str(error.args[0]) if error.args else default


def _plain(error: Exception) -> str:
    return str(error)


def _responder(status: int, message):
    async def handler(_: Request, error: Exception) -> JSONResponse:
        return error_json(status, message(error))

    return handler


def register_handlers(app: FastAPI) -> None:
    """The JSON error handlers of the app's own errors (``install_limits`` adds the
    framework's 404/405/400 and the catch-all 500)."""
    from assistant.conversations import StorageError
    from assistant.errors import DocumentNotFound, FilterError, OffsetError, QuestionError, UnknownRetriever
    from assistant.serve.timeout import RequestAbandoned
    from assistant.storage import IndexProblem

    simple: list[tuple[type[Exception], int, Any]] = [
        (RequestValidationError, 422, validation_message),
        (QuestionError, 422, _plain),
        (FilterError, 400, _plain),
        (DocumentNotFound, 404, _first_arg("unknown document")),
        (OffsetError, 422, _plain),
        (UnknownRetriever, 400, _plain),
        (KeyError, 404, _first_arg("not found")),
        (IndexProblem, 503, _plain),
        (RequestAbandoned, 503, _plain),
    ]
    for kind, status, message in simple:
        app.add_exception_handler(kind, _responder(status, message))
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(StorageError, on_storage)


async def on_http(_: Request, error: HTTPException) -> JSONResponse:
    return error_json(error.status_code, str(error.detail), dict(error.headers or {}) or None)


async def on_storage(request: Request, error: Exception):
    """503 with Retry-After for a storage fault: JSON for the API, an HTML page for pages."""
    log.error("storage fault on %s %s: %s", request.method, request.url.path, error)
    message = f"cannot save right now: {error}. Nothing was stored; try again later."
    if wants_json(request):
        return error_json(503, message, {"Retry-After": "30"})
    from assistant.serve.web import error_page

    return error_page(request, 503, message, headers={"Retry-After": "30"})
