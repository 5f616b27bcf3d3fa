"""Security headers on every response: nosniff, no framing, no referrer, and a
Content-Security-Policy per kind of response (HTML pages, JSON, the Swagger UI page).

HTML pages get ``script-src 'self'`` (no inline scripts); ``style-src`` also allows
``'unsafe-inline'`` only when a template in ``web/templates`` uses an inline ``<style>``
block or ``style=`` attribute (checked at start-up). JSON gets ``default-src 'none'``.
``/docs`` (Swagger UI, served from local files) gets a policy that allows its inline
start-up script.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.serve.asgi import Message, Scope, Send
from assistant.settings import ROOT

TEMPLATES = ROOT / "web" / "templates"
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")

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


def secured(scope: Scope, send: Send, page_csp: bytes) -> Send:
    """``send`` that adds the security headers to the response start (``page_csp``: the
    policy of HTML pages, from ``html_csp``)."""
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
                    csp = page_csp
                else:
                    csp = API_CSP.encode()
                headers.append((b"content-security-policy", csp))
            message = {**message, "headers": headers}
        await send(message)

    return secured
