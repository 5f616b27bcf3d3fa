"""The limits middleware (serve/limits.py) as a whole: HEAD, and the order of its checks."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .fakes import fake_app


def test_head_works_on_get_routes(tmp_path):
    app, _, _ = fake_app(tmp_path)
    with TestClient(app) as client:
        for path in ("/healthz", "/", "/api/documents", "/conversations", "/docs", "/static/app.css"):
            head = client.head(path)
            get = client.get(path)
            assert head.status_code == get.status_code == 200, path
            assert head.content == b""
            assert head.headers["content-type"] == get.headers["content-type"]
