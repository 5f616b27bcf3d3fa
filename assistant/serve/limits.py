"""Request limits and security headers, as one pure-ASGI middleware in front of the app
(the uvicorn options for the limits below it are in server.py, ``server_options``).

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

Each concept has its module: proxies.py (real client), hygiene.py (body cap, UTF-8),
ratelimit.py, timeout.py, headers.py; this one composes them in that order. It also makes
every error JSON ``{"error": ...}``: Starlette's own 404/405/400 (unknown
route, wrong method, unparsable body) and any unhandled exception (500, logged).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from assistant.serve.asgi import ASGIApp, Message, Receive, Scope, Send
from assistant.serve.handlers import error_json
from assistant.serve.headers import html_csp, secured, templates_use_inline_styles
from assistant.serve.hygiene import error_for, read_body, replay_body, target_problem
from assistant.serve.proxies import parse_networks, real_client
from assistant.serve.ratelimit import EXEMPT_FROM_RATE_LIMIT, refusal, shared_buckets
from assistant.serve.timeout import run_with_timeout
from assistant.settings import Settings

log = logging.getLogger(__name__)


class LimitsMiddleware:
    """Body cap, UTF-8 checks, rate limit, timeout and security headers (see module doc)."""

    def __init__(self, app: ASGIApp, settings: Settings, inline_styles: bool | None = None) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.timeout = float(getattr(settings, "request_timeout_s", 0) or 0)
        self.proxies = parse_networks(getattr(settings, "forwarded_allow_ips", ""))
        self.buckets = shared_buckets(settings)
        styles = templates_use_inline_styles() if inline_styles is None else inline_styles
        self.html_csp = html_csp(styles).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("method") == "HEAD":  # answer HEAD as GET without the body (RFC 9110 §9.3.2)
            scope = {**scope, "method": "GET"}
            send = _headless(send)
        send = secured(scope, send, self.html_csp)
        client = real_client(scope, self.proxies)
        if self.proxies and scope.get("client") and client != scope["client"][0]:
            scope = {**scope, "client": (client, 0)}
        problem = target_problem(scope)
        if problem:
            await error_json(400, problem)(scope, receive, send)
            return
        if self.buckets is not None and scope.get("path") not in EXEMPT_FROM_RATE_LIMIT:
            refused = await refusal(self.buckets, client)
            if refused is not None:
                await refused(scope, receive, send)
                return
        body, problem, status = await self._read_body(scope, receive)
        if problem:
            extra = {"Connection": "close"} if status == 408 else None
            await error_for(scope, status, problem, extra)(scope, receive, send)
            return
        await run_with_timeout(self.app, self.timeout, scope, replay_body(body, receive), send)

    async def _read_body(self, scope: Scope, receive: Receive) -> tuple[bytes, str | None, int]:
        """The body (``read_body``), or 408 when it is not received within the timeout."""
        if self.timeout <= 0:
            return await read_body(scope, receive, self.max_body)
        try:
            return await asyncio.wait_for(read_body(scope, receive, self.max_body), self.timeout)
        except asyncio.TimeoutError:
            return b"", f"request body not received within {self.timeout:g} s", 408


def _headless(send: Send) -> Send:
    """``send`` for a HEAD request: the GET response's status and headers, no body bytes."""

    async def headless(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return headless



def install_limits(app: FastAPI, settings: Settings) -> None:
    """Add the limits middleware and JSON ``{"error"}`` handlers for framework errors."""

    async def on_starlette_http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        message = str(error.detail)
        if error.status_code == 400 and "parsing the body" in message:
            message = "request body could not be parsed (malformed or not UTF-8)"
        return error_json(error.status_code, message, dict(error.headers or {}) or None)

    async def on_unhandled(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
        return error_json(500, "internal server error")

    app.add_exception_handler(StarletteHTTPException, on_starlette_http)
    app.add_exception_handler(Exception, on_unhandled)
    app.add_middleware(LimitsMiddleware, settings=settings)
