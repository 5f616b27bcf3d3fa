"""Input hygiene before the app runs: the body size cap (``settings.max_body_bytes``; a
larger ``Content-Length``, or a streamed body that grows past it, is 413), and UTF-8 — a
path or query string whose percent-escapes are not UTF-8, a JSON body that is not UTF-8
and form fields that are not UTF-8 are 400 (JSON for the API, a small HTML page for a form
post) instead of being decoded lossily into U+FFFD.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from assistant.serve.asgi import Message, Receive, Scope, header
from assistant.serve.handlers import error_json

FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")


def body_problem(body: bytes, content_type: bytes) -> str | None:
    """Why a body's text is not UTF-8 (JSON, or form fields), or None."""
    if not body:
        return None
    try:
        if b"json" in content_type:
            body.decode("utf-8")
        elif content_type.startswith(FORM_TYPES[0]):
            unquote_to_bytes(body.replace(b"+", b" ")).decode("utf-8")
        elif content_type.startswith(FORM_TYPES[1]):
            body.decode("utf-8")  # this app takes no file uploads: every part is text
        else:
            return None
    except UnicodeDecodeError as error:
        kind = "JSON must be UTF-8" if b"json" in content_type else "form fields must be UTF-8"
        return f"request body is not valid UTF-8 (byte {error.start}); {kind}"
    return None


def error_for(scope: Scope, status: int, message: str, extra: dict[str, str] | None = None):
    """JSON for the API; a small HTML page for a browser's form post (no JavaScript)."""
    content_type = (header(scope, b"content-type") or b"").lower()
    if scope.get("path", "").startswith("/api/") or not content_type.startswith(FORM_TYPES):
        return error_json(status, message, extra)
    from html import escape

    from starlette.responses import HTMLResponse

    page = ("<!doctype html><html lang=en><meta charset=utf-8><title>Error – MGI Assistant</title>"
            f"<link rel=stylesheet href=/static/app.css><main><h1>Cannot accept this form</h1>"
            f"<p class=error role=alert>{escape(message)}</p><p><a href=/>Start a new chat</a></p></main></html>")
    return HTMLResponse(page, status_code=status, headers=extra)


def target_problem(scope: Scope) -> str | None:
    """Why the request line is unacceptable (non-UTF-8 escapes), or None."""
    raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    for label, raw in (("path", raw_path), ("query string", scope.get("query_string", b""))):
        try:
            unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return f"the {label} is not valid UTF-8 (after percent-decoding)"
    return None


async def read_body(scope: Scope, receive: Receive, max_body: int) -> tuple[bytes, str | None, int]:
    """The whole body (at most the cap), or the reason and status to refuse it."""
    too_big = f"request body is larger than the limit of {max_body} bytes"
    declared = header(scope, b"content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            return b"", "invalid Content-Length header", 400
        if length > max_body:
            return b"", too_big, 413
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_body:
            return b"", too_big, 413
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    problem = body_problem(body, (header(scope, b"content-type") or b"").lower())
    if problem:
        return b"", problem, 400
    return body, None, 200


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields the buffered body once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
