"""Error bodies and handlers (serve/handlers.py): storage faults named, not dumped (issue 13).

A full disk and a read-only disk under the conversation store are simulated by making
SQLite fail the way it does (``fakes.fail_writes``): the tests run as root, and chmod does
not stop root. The HTTP layer uses a stand-in Assistant, so these are fast."""

from __future__ import annotations

import errno
import http.client

import pytest
from fastapi.testclient import TestClient

from assistant.serve.handlers import ERRORS, error_json, wants_json

from .fakes import DISK_FULL, READ_ONLY, fail_writes, fake_app  # noqa: F401 - fixture


@pytest.mark.parametrize("error, words", [(DISK_FULL, "disk is full"), (READ_ONLY, "read-only"),
                                          (OSError(errno.ENOSPC, "No space left on device"), "disk is full")])
def test_api_writes_on_a_broken_disk_are_503_with_the_reason(tmp_path, fail_writes, error, words):
    app, settings, _ = fake_app(tmp_path)
    with TestClient(app) as client:
        conversation_id = client.post("/api/conversations", json={}).json()["id"]  # before the fault
        fail_writes(error)
        for response in (client.post("/api/conversations", json={}),
                         client.post(f"/api/conversations/{conversation_id}/ask", json={"question": "hola"})):
            assert response.status_code == 503, response.text
            body = response.json()
            assert words in body["error"] and str(settings.database) in body["error"]
            assert "Nothing was stored" in body["error"] and response.headers["retry-after"]
        # reads still work while the disk is full
        assert client.get(f"/api/conversations/{conversation_id}").status_code == 200
        assert client.get("/api/conversations").status_code == 200


def test_a_form_post_on_a_full_disk_gets_an_html_page(tmp_path, fail_writes):
    """The issue: forms got a bare JSON 500. Now an HTML 503 page with the message."""
    app, _, _ = fake_app(tmp_path)
    with TestClient(app) as client:
        client.get("/")
        fail_writes(DISK_FULL)
        page = client.post("/ask", data={"question": "¿Qué dice el artículo 8?"})
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert "Service unavailable" in page.text and "disk is full" in page.text


def test_the_keep_alive_connection_survives_a_storage_fault(tmp_path, fail_writes):
    """The issue: a failed write reset the connection. Now it is a normal 503 response and
    the same connection serves the next request."""
    from .test_server import running

    app, settings, _ = fake_app(tmp_path)
    with running(app, settings) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/healthz")
        first = connection.getresponse()
        first.read()
        assert first.status == 200
        cookie = first.getheader("set-cookie") or ""
        fail_writes(DISK_FULL)
        connection.request("POST", "/api/conversations", body=b"{}",
                           headers={"Content-Type": "application/json", "Cookie": cookie.split(";")[0]})
        failed = connection.getresponse()
        assert failed.status == 503 and b"disk is full" in failed.read()
        assert (failed.getheader("connection") or "").lower() != "close"
        connection.request("GET", "/api/documents")  # same socket
        assert connection.getresponse().status == 200
        connection.close()


def test_errors_are_documented_and_json():
    assert {400, 401, 403, 404, 413, 422, 429, 503} <= set(ERRORS)
    response = error_json(418, "teapot", {"Retry-After": "1"})
    assert response.status_code == 418 and response.body == b'{"error":"teapot"}'
    assert response.headers["retry-after"] == "1"


def test_wants_json_for_the_api_and_health_only():
    from starlette.requests import Request

    def request(path: str) -> Request:
        return Request({"type": "http", "path": path, "query_string": b"", "headers": [],
                        "scheme": "http", "server": ("testserver", 80), "method": "GET"})

    assert wants_json(request("/api/ask")) and wants_json(request("/healthz"))
    assert wants_json(request("/openapi.json"))
    assert not wants_json(request("/")) and not wants_json(request("/c/abc/ask"))


def test_app_errors_get_their_status(tmp_path):
    app, _, _ = fake_app(tmp_path)
    with TestClient(app) as client:
        missing = client.get("/api/documents/nope")
        assert missing.status_code == 404 and set(missing.json()) == {"error"}
        invalid = client.post("/api/ask", json={"question": 5})
        assert invalid.status_code == 422 and invalid.json()["error"].startswith("question:")
