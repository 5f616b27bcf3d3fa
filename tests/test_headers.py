"""Security headers (serve/headers.py): the CSP of pages, JSON and Swagger UI."""

from __future__ import annotations

import asyncio
from pathlib import Path

from assistant.serve.headers import API_CSP, DOCS_CSP, html_csp, secured, templates_use_inline_styles


def test_templates_have_no_inline_scripts():
    """The CSP allows scripts from 'self' only: an inline <script> would be blocked."""
    import re

    from assistant.serve.headers import TEMPLATES

    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, re.IGNORECASE):
            assert "src=" in tag, f"{template.name}: inline script blocked by the CSP: {tag}"
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), f"{template.name}: inline handler"


def test_html_csp_allows_inline_styles_only_when_templates_use_them(tmp_path: Path):
    assert "style-src 'self';" in html_csp(False) and "'unsafe-inline'" not in html_csp(False)
    assert "style-src 'self' 'unsafe-inline'" in html_csp(True)
    assert "script-src 'self';" in html_csp(True)  # never inline scripts
    assert not templates_use_inline_styles(tmp_path / "none")
    (tmp_path / "page.html").write_text("<p class=x>no inline style</p>")
    assert not templates_use_inline_styles(tmp_path)
    (tmp_path / "styled.html").write_text('<p style="color: red">x</p>')
    assert templates_use_inline_styles(tmp_path)


def _headers_sent(path: str, content_type: bytes, present=()) -> dict:
    sent = []

    async def send(message):
        sent.append(message)

    start = {"type": "http.response.start", "status": 200,
             "headers": [(b"content-type", content_type), *present]}
    asyncio.run(secured({"path": path}, send, b"PAGE-CSP")(start))
    return dict(sent[0]["headers"])


def test_each_kind_of_response_gets_its_policy():
    assert _headers_sent("/", b"text/html; charset=utf-8")[b"content-security-policy"] == b"PAGE-CSP"
    api = _headers_sent("/api/ask", b"application/json")
    assert api[b"content-security-policy"] == API_CSP.encode()
    assert api[b"x-content-type-options"] == b"nosniff" and api[b"x-frame-options"] == b"DENY"
    assert api[b"referrer-policy"] == b"no-referrer"
    assert _headers_sent("/docs", b"text/html")[b"content-security-policy"] == DOCS_CSP.encode()
    own = _headers_sent("/", b"text/html", [(b"content-security-policy", b"mine")])
    assert own[b"content-security-policy"] == b"mine"  # a route's own policy is kept
