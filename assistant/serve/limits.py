"""Request limits and security headers, as one pure-ASGI middleware in front of the app.

``install_limits(app, settings)`` adds, for every HTTP request:

- a body size cap (``settings.max_body_bytes``): a larger ``Content-Length``, or a streamed
  body that grows past the cap, is answered ``413 {"error": ...}`` before the app runs;
- input hygiene: a path or query string whose percent-escapes are not UTF-8, and a JSON
  body that is not UTF-8, are answered ``400 {"error": ...}`` (JSON must be UTF-8,
  RFC 8259 §8.1), instead of being decoded lossily into U+FFFD;
- a per-client rate limit (token bucket per client IP, ``settings.rate_limit_per_minute``
  requests a minute with a burst of the same size; ``0`` = off, the default): over the
  limit is ``429 {"error": ...}`` with ``Retry-After``. ``/healthz`` is exempt;
- a request timeout (``settings.request_timeout_s``; ``0`` = off): a request still running
  after it is answered ``503 {"error": ...}`` with ``Retry-After`` (a worker thread cannot
  be killed: its late result is dropped);
- security headers on every response: ``X-Content-Type-Options: nosniff``,
  ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer`` and a
  ``Content-Security-Policy``. HTML pages get ``script-src 'self'`` (no inline scripts);
  ``style-src`` also allows ``'unsafe-inline'`` only when a template in ``web/templates``
  uses an inline ``<style>`` block or ``style=`` attribute (checked at start-up; today none
  does, styles live in ``web/static/app.css``). JSON gets ``default-src 'none'``. ``/docs`` and ``/redoc`` (FastAPI's
  Swagger/ReDoc pages load their code from cdn.jsdelivr.net and start it with an inline
  script) get a looser policy of their own.

It also makes every error JSON ``{"error": ...}``: Starlette's own 404/405/400 (unknown
route, wrong method, unparsable body) and any unhandled exception (500, logged).
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from assistant.settings import ROOT, Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)

TEMPLATES = ROOT / "web" / "templates"
EXEMPT_FROM_RATE_LIMIT = frozenset({"/healthz"})
DOCS_PATHS = ("/docs", "/redoc")
MAX_TRACKED_CLIENTS = 10_000

BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src 'self' https://fonts.gstatic.com; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_INLINE_STYLE = re.compile(r"<style[\s>]|\sstyle\s*=", re.IGNORECASE)


def templates_use_inline_styles(folder: Path = TEMPLATES) -> bool:
    """True when any HTML template holds a ``<style>`` block or a ``style=`` attribute."""
    if not folder.is_dir():
        return False
    return any(
        _INLINE_STYLE.search(path.read_text(encoding="utf-8", errors="replace"))
        for path in folder.rglob("*.html")
    )


def html_csp(inline_styles: bool) -> str:
    """The Content-Security-Policy of the HTML pages: scripts and styles from 'self' only."""
    style = "style-src 'self' 'unsafe-inline'" if inline_styles else "style-src 'self'"
    return (
        f"default-src 'none'; script-src 'self'; {style}; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def _now() -> float:
    """The rate limiter's clock (monotonic seconds); tests replace it."""
    return time.monotonic()


class TokenBuckets:
    """One token bucket per client key: ``per_minute`` tokens, refilled continuously."""

    def __init__(self, per_minute: int, clock: Callable[[], float] | None = None) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated)

    def take(self, key: str) -> float:
        """Spend one token of ``key``; return 0.0 if allowed, else seconds until one is free."""
        now = (self.clock or _now)()
        tokens, updated = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - updated) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_TRACKED_CLIENTS:
                self._forget_full(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely (they equal a fresh bucket)."""
        for key, (tokens, updated) in list(self._buckets.items()):
            if tokens + (now - updated) * self.rate >= self.capacity:
                del self._buckets[key]


def _json_error(status: int, message: str, extra: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=extra)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value
    return None


def _target_problem(scope: Scope) -> str | None:
    """Why the request line is unacceptable (non-UTF-8 escapes), or None."""
    raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    for label, raw in (("path", raw_path), ("query string", scope.get("query_string", b""))):
        try:
            unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return f"the {label} is not valid UTF-8 (after percent-decoding)"
    return None


class LimitsMiddleware:
    """Body cap, UTF-8 checks, rate limit, timeout and security headers (see module doc)."""

    def __init__(self, app: ASGIApp, settings: Settings, inline_styles: bool | None = None) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.timeout = float(getattr(settings, "request_timeout_s", 0) or 0)
        per_minute = int(settings.rate_limit_per_minute or 0)
        self.buckets = TokenBuckets(per_minute) if per_minute > 0 else None
        styles = templates_use_inline_styles() if inline_styles is None else inline_styles
        self.html_csp = html_csp(styles).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._secured(scope, send)
        problem = _target_problem(scope)
        if problem:
            await _json_error(400, problem)(scope, receive, send)
            return
        if self.buckets is not None and scope.get("path") not in EXEMPT_FROM_RATE_LIMIT:
            client = scope.get("client")
            wait = self.buckets.take(client[0] if client else "unknown")
            if wait > 0:
                retry = str(max(1, math.ceil(wait)))
                message = f"rate limit exceeded ({int(self.buckets.capacity)} requests a minute); retry in {retry} s"
                await _json_error(429, message, {"Retry-After": retry})(scope, receive, send)
                return
        body, problem, status = await self._read_body(scope, receive)
        if problem:
            await _json_error(status, problem)(scope, receive, send)
            return
        await self._run(scope, _replay(body, receive), send)

    async def _read_body(self, scope: Scope, receive: Receive) -> tuple[bytes, str | None, int]:
        """The whole body (at most the cap), or the reason and status to refuse it."""
        too_big = f"request body is larger than the limit of {self.max_body} bytes"
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                return b"", "invalid Content-Length header", 400
            if length > self.max_body:
                return b"", too_big, 413
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return b"", too_big, 413
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = (_header(scope, b"content-type") or b"").lower()
        if body and b"json" in content_type:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                return b"", f"request body is not valid UTF-8 (byte {error.start}); JSON must be UTF-8", 400
        return body, None, 200

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Call the app, answering 503 if it runs past the timeout (when one is set)."""
        if self.timeout <= 0:
            await self.app(scope, receive, send)
            return
        state = {"started": False, "abandoned": False}

        async def guarded(message: Message) -> None:
            if state["abandoned"]:
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded))
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        if task in done:
            task.result()
            return
        state["abandoned"] = True
        task.cancel()
        task.add_done_callback(_consume)
        log.warning("%s %s timed out after %.1f s", scope.get("method"), scope.get("path"), self.timeout)
        if not state["started"]:
            retry = str(max(1, math.ceil(self.timeout)))
            message = f"request took longer than {self.timeout:g} s and was abandoned"
            await _json_error(503, message, {"Retry-After": retry})(scope, receive, send)

    def _secured(self, scope: Scope, send: Send) -> Send:
        """``send`` that adds the security headers to the response start."""
        path = scope.get("path", "")
        docs = path in DOCS_PATHS or path.startswith("/docs/")

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                for key, value in BASE_HEADERS:
                    if key not in present:
                        headers.append((key, value))
                if b"content-security-policy" not in present:
                    if docs:
                        csp = DOCS_CSP.encode()
                    elif content_type.lower().startswith(b"text/html"):
                        csp = self.html_csp
                    else:
                        csp = API_CSP.encode()
                    headers.append((b"content-security-policy", csp))
                message = {**message, "headers": headers}
            await send(message)

        return secured


def _consume(task: asyncio.Future) -> None:
    """Retrieve an abandoned task's outcome so asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields the buffered body once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Add the limits middleware and JSON ``{"error"}`` handlers for framework errors."""

    async def on_starlette_http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        message = str(error.detail)
        if error.status_code == 400 and "parsing the body" in message:
            message = "request body could not be parsed (malformed or not UTF-8)"
        return _json_error(error.status_code, message, dict(error.headers or {}) or None)

    async def on_unhandled(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
        return _json_error(500, "internal server error")

    app.add_exception_handler(StarletteHTTPException, on_starlette_http)
    app.add_exception_handler(Exception, on_unhandled)
    app.add_middleware(LimitsMiddleware, settings=settings)
