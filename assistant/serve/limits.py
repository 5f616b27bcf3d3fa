"""Request limits and security headers, as one pure-ASGI middleware in front of the app,
and the uvicorn options for the limits below it (``server_options``).

``install_limits(app, settings)`` adds, for every HTTP request:

- HEAD on every GET route (answered as GET without the body);
- the real client address: the TCP peer, or — only when the peer is one of
  ``settings.forwarded_allow_ips`` — the right-most untrusted ``X-Forwarded-For`` hop;
- a body size cap (``settings.max_body_bytes``): a larger ``Content-Length``, or a streamed
  body that grows past the cap, is answered ``413 {"error": ...}`` before the app runs; a
  body not received within the request timeout is ``408``;
- input hygiene: a path or query string whose percent-escapes are not UTF-8, a JSON body
  that is not UTF-8, and form fields that are not UTF-8 are answered ``400`` (JSON for the
  API, a small HTML page for a form post) instead of being decoded lossily into U+FFFD;
- a per-client rate limit (token bucket per real client address,
  ``settings.rate_limit_per_minute`` a minute with a burst of the same size; ``0`` = off):
  the buckets live in the conversation store, so every worker and replica spends from the
  same one. Over the limit is ``429`` with ``Retry-After``. ``/healthz`` is exempt;
- a request timeout (``settings.request_timeout_s``; ``0`` = off): a request still running
  after it is answered ``503`` with ``Retry-After``, and the turn it was about to store is
  not stored (``TurnGuard``); if the turn is being committed at that moment, the response
  waits for it and is delivered instead;
- security headers on every response: ``X-Content-Type-Options: nosniff``,
  ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer`` and a
  ``Content-Security-Policy``. HTML pages get ``script-src 'self'`` (no inline scripts);
  ``style-src`` also allows ``'unsafe-inline'`` only when a template in ``web/templates``
  uses an inline ``<style>`` block or ``style=`` attribute (checked at start-up). JSON gets
  ``default-src 'none'``. ``/docs`` (Swagger UI, served from the swagger-ui-bundle
  package's files under /swagger-ui/, no CDN) gets a policy of its own that allows its
  inline start-up script.

It also makes every error JSON ``{"error": ...}``: Starlette's own 404/405/400 (unknown
route, wrong method, unparsable body) and any unhandled exception (500, logged).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import re
import threading
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
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")
MAX_TRACKED_CLIENTS = 10_000

BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (  # Swagger UI's files are served from /swagger-ui/ (no CDN); it starts inline
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; "
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
    """The rate limiter's clock (wall-clock seconds, comparable across processes and
    replicas that share the buckets); tests replace it."""
    return time.time()


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


def _error_for(scope: Scope, status: int, message: str, extra: dict[str, str] | None = None):
    """JSON for the API; a small HTML page for a browser's form post (no JavaScript)."""
    content_type = (_header(scope, b"content-type") or b"").lower()
    if scope.get("path", "").startswith("/api/") or not content_type.startswith(FORM_TYPES):
        return _json_error(status, message, extra)
    from html import escape

    from starlette.responses import HTMLResponse

    page = ("<!doctype html><html lang=en><meta charset=utf-8><title>Error – MGI Assistant</title>"
            f"<link rel=stylesheet href=/static/app.css><main><h1>Cannot accept this form</h1>"
            f"<p class=error role=alert>{escape(message)}</p><p><a href=/>Start a new chat</a></p></main></html>")
    return HTMLResponse(page, status_code=status, headers=extra)


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


class SharedBuckets:
    """Token buckets kept in the conversation store (SQLite or PostgreSQL), so every worker
    and replica spends from the same bucket: the limit is global, not per process."""

    def __init__(self, per_minute: int, store_opener: Callable[[], Any]) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._open = store_opener

    def take(self, key: str) -> float:
        return self._open().take_token(f"rate:{key}", self.capacity, self.rate, _now())


def _networks(text: str) -> list:
    nets = []
    for part in (text or "").replace(" ", ",").split(","):
        part = part.strip()
        if part:
            try:
                nets.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                log.warning("forwarded_allow_ips: ignoring %r (not an IP address or network)", part)
    return nets


def _trusted(address: str | None, networks: list) -> bool:
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def real_client(scope: Scope, networks: list) -> str:
    """The client's address: the TCP peer, unless the peer is a configured proxy — then the
    right-most X-Forwarded-For entry that is not itself a trusted proxy. An untrusted peer's
    X-Forwarded-For is ignored, so it cannot pick its own rate-limit bucket."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if not _trusted(peer, networks):
        return peer
    forwarded = [
        hop.strip()
        for key, value in scope.get("headers", ())
        if key == b"x-forwarded-for"
        for hop in value.decode("latin-1").split(",")
        if hop.strip()
    ]
    for hop in reversed(forwarded):
        if not _trusted(hop, networks):
            return hop
    return forwarded[0] if forwarded else peer


class TurnGuard:
    """Entered around the transaction that stores a turn. After the request has been
    answered 503 (timeout) it refuses, so nothing is stored that the client was told failed;
    while a commit is running, the timeout waits for it instead (the turn is then
    delivered, not half-done)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.abandoned = False

    def __enter__(self) -> TurnGuard:
        self._lock.acquire()
        if self.abandoned:
            self._lock.release()
            raise RequestAbandoned("the request timed out and was answered 503; nothing stored")
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()

    def abandon(self) -> bool:
        """Mark abandoned unless a commit is in progress (then False: let it finish)."""
        if not self._lock.acquire(blocking=False):
            return False
        self.abandoned = True
        self._lock.release()
        return True


class RequestAbandoned(RuntimeError):
    """The request was answered 503 for its timeout before its turn was stored."""


def turn_guard(scope: Scope) -> TurnGuard | None:
    return scope.get("state", {}).get("mgi_turn_guard")


FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")


def _body_problem(body: bytes, content_type: bytes) -> str | None:
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


class LimitsMiddleware:
    """Body cap, UTF-8 checks, rate limit, timeout and security headers (see module doc)."""

    def __init__(self, app: ASGIApp, settings: Settings, inline_styles: bool | None = None) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.timeout = float(getattr(settings, "request_timeout_s", 0) or 0)
        self.proxies = _networks(getattr(settings, "forwarded_allow_ips", ""))
        per_minute = int(settings.rate_limit_per_minute or 0)
        self.buckets = None
        if per_minute > 0:
            from assistant.conversations import open_store
            from assistant.serve.deps import database_target

            target = database_target(settings)
            self.buckets = SharedBuckets(per_minute, lambda: open_store(target))
        styles = templates_use_inline_styles() if inline_styles is None else inline_styles
        self.html_csp = html_csp(styles).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("method") == "HEAD":  # answer HEAD as GET without the body (RFC 9110 §9.3.2)
            scope = {**scope, "method": "GET"}
            send = _headless(send)
        send = self._secured(scope, send)
        client = real_client(scope, self.proxies)
        if self.proxies and scope.get("client") and client != scope["client"][0]:
            scope = {**scope, "client": (client, 0)}
        problem = _target_problem(scope)
        if problem:
            await _json_error(400, problem)(scope, receive, send)
            return
        if self.buckets is not None and scope.get("path") not in EXEMPT_FROM_RATE_LIMIT:
            from starlette.concurrency import run_in_threadpool

            try:
                wait = await run_in_threadpool(self.buckets.take, client)
            except Exception as error:  # noqa: BLE001 - the store is down: say so, do not 500
                await _json_error(503, f"rate limiter unavailable: {error}", {"Retry-After": "30"})(scope, receive, send)
                return
            if wait > 0:
                retry = str(max(1, math.ceil(wait)))
                message = f"rate limit exceeded ({int(self.buckets.capacity)} requests a minute); retry in {retry} s"
                await _json_error(429, message, {"Retry-After": retry})(scope, receive, send)
                return
        if self.timeout > 0:
            try:
                body, problem, status = await asyncio.wait_for(self._read_body(scope, receive), self.timeout)
            except asyncio.TimeoutError:
                body, problem, status = b"", f"request body not received within {self.timeout:g} s", 408
        else:
            body, problem, status = await self._read_body(scope, receive)
        if problem:
            extra = {"Connection": "close"} if status == 408 else None
            await _error_for(scope, status, problem, extra)(scope, receive, send)
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
        problem = _body_problem(body, (_header(scope, b"content-type") or b"").lower())
        if problem:
            return b"", problem, 400
        return body, None, 200

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Call the app, answering 503 if it runs past the timeout (when one is set). A turn
        the request was storing is then not stored (TurnGuard), so a retry cannot duplicate it."""
        if self.timeout <= 0:
            await self.app(scope, receive, send)
            return
        guard = TurnGuard()
        scope = {**scope, "state": {**scope.get("state", {}), "mgi_turn_guard": guard}}
        state = {"started": False, "abandoned": False}

        async def guarded(message: Message) -> None:
            if state["abandoned"]:
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded))
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        if task not in done and not guard.abandon():
            # a turn is being committed right now: it will be stored, so deliver it
            done, _ = await asyncio.wait({task}, timeout=max(10.0, self.timeout))
        if task in done:
            task.result()
            return
        guard.abandoned = True
        state["abandoned"] = True
        task.cancel()
        task.add_done_callback(_consume)
        log.warning("%s %s timed out after %.1f s", scope.get("method"), scope.get("path"), self.timeout)
        if not state["started"]:
            retry = str(max(1, math.ceil(self.timeout)))
            message = f"request took longer than {self.timeout:g} s and was abandoned; nothing was stored"
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


def _headless(send: Send) -> Send:
    """``send`` for a HEAD request: the GET response's status and headers, no body bytes."""

    async def headless(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return headless


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


# ----------------------------------------------------------------------------- the server


import h11  # noqa: E402 - uvicorn's HTTP/1.1 parser, used by the protocol below
from uvicorn.protocols.http.h11_impl import H11Protocol  # noqa: E402


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-header deadline: a connection that has not sent
    complete request headers ``header_timeout`` seconds after it opened (or after its last
    response) is closed, so idle and byte-by-byte (slow-loris) connections cannot pile up.
    uvicorn's own ``timeout_keep_alive`` only starts after a first response.

    A module-level class (uvicorn pickles its config into worker processes); the deadline
    comes from ``header_timeout_s`` in the worker's settings (environment)."""

    header_timeout: float | None = None

    def _arm_header_deadline(self) -> None:
        if GuardedH11Protocol.header_timeout is None:
            from assistant.settings import get_settings

            GuardedH11Protocol.header_timeout = float(get_settings().header_timeout_s)
        self._header_deadline = self.loop.call_later(GuardedH11Protocol.header_timeout,
                                                     self._header_deadline_hit)

    def _header_deadline_hit(self) -> None:
        waiting = self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)
        if waiting and not self.transport.is_closing():
            self.logger.info("closing a connection that sent no complete request headers in time")
            self.transport.close()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def handle_events(self) -> None:
        super().handle_events()
        deadline = getattr(self, "_header_deadline", None)
        if deadline is not None and self.conn.their_state is not h11.IDLE:
            deadline.cancel()  # headers complete: the request timeout takes over

    def on_response_complete(self) -> None:
        deadline = getattr(self, "_header_deadline", None)
        if deadline is not None:
            deadline.cancel()
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_deadline()

    def connection_lost(self, exc) -> None:
        deadline = getattr(self, "_header_deadline", None)
        if deadline is not None:
            deadline.cancel()
        super().connection_lost(exc)


def server_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options `mgi serve` runs with: the limits below the app.

    - ``http``: h11 (its header-size cap is enforced; httptools buffers any size) with the
      header deadline of ``GuardedH11Protocol``;
    - ``h11_max_incomplete_event_size``: request line + headers cap (``max_header_bytes``);
      larger is answered 400 and the connection closed;
    - ``timeout_keep_alive``: idle keep-alive connections are closed;
    - ``limit_concurrency``: beyond it, new requests get 503 at once instead of queueing;
    - ``proxy_headers=False``: uvicorn never rewrites the client from X-Forwarded-For; the
      app's middleware does, and only for ``forwarded_allow_ips`` peers.
    """
    GuardedH11Protocol.header_timeout = float(settings.header_timeout_s)  # this process
    return {
        "http": GuardedH11Protocol,
        "h11_max_incomplete_event_size": int(settings.max_header_bytes),
        "timeout_keep_alive": max(1, int(round(settings.keep_alive_timeout_s))),
        "limit_concurrency": int(settings.limit_concurrency),
        "proxy_headers": False,
        "forwarded_allow_ips": "",
        "server_header": False,
        "timeout_graceful_shutdown": 30,
    }
