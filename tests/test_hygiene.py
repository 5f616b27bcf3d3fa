"""Input hygiene (serve/hygiene.py): body cap and UTF-8 of the target, JSON and forms."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient

from assistant.serve.hygiene import body_problem, read_body, target_problem

from .fakes import fake_app


def test_invalid_utf8_in_a_form_post_is_400_not_replacement_characters(tmp_path):
    """The issue: form bytes were decoded lossily and saved as U+FFFD."""
    app, _, assistant = fake_app(tmp_path)
    with TestClient(app) as client:
        for body, kind in ((b"question=caf%E9", "application/x-www-form-urlencoded"),
                           (b"question=\xff\xfe", "application/x-www-form-urlencoded")):
            response = client.post("/ask", content=body, headers={"content-type": kind})
            assert response.status_code == 400 and "UTF-8" in response.text
            assert response.headers["content-type"].startswith("text/html")  # a page for a form
        api = client.post("/api/ask", content=b'{"question": "caf\xe9"}', headers={"content-type": "application/json"})
        assert api.status_code == 400 and "UTF-8" in api.json()["error"]
        multipart = (b"--b\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\ncaf\xe9\r\n--b--\r\n")
        response = client.post("/ask", content=multipart, headers={"content-type": "multipart/form-data; boundary=b"})
        assert response.status_code == 400
        assert assistant.asked == 0 and client.get("/api/conversations").json() == []
        ok = client.post("/ask", data={"question": "café"}, follow_redirects=False)
        assert ok.status_code == 303


def test_target_problem_names_non_utf8_escapes():
    assert target_problem({"path": "/api/search", "raw_path": b"/api/search", "query_string": b"q=caf%C3%A9"}) is None
    assert "path is not valid UTF-8" in target_problem({"raw_path": b"/documents/%FF", "query_string": b""})
    assert "query string" in target_problem({"raw_path": b"/", "query_string": b"q=%E9"})


def test_body_problem_by_content_type():
    assert body_problem(b"", b"application/json") is None
    assert body_problem(b'{"q": "caf\xc3\xa9"}', b"application/json") is None
    assert "JSON must be UTF-8" in body_problem(b'{"q": "\xe9"}', b"application/json")
    assert "form fields must be UTF-8" in body_problem(b"q=%E9", b"application/x-www-form-urlencoded")
    assert body_problem(b"\xff", b"application/octet-stream") is None  # not text: not checked


def _read(scope: dict, chunks: list[bytes], max_body: int):
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                for i, c in enumerate(chunks)]

    async def receive():
        return messages.pop(0)

    return asyncio.run(read_body(scope, receive, max_body))


def test_read_body_caps_declared_and_streamed_sizes():
    assert _read({"headers": []}, [b"ab", b"cd"], 10) == (b"abcd", None, 200)
    assert _read({"headers": [(b"content-length", b"11")]}, [b""], 10)[2] == 413
    assert _read({"headers": [(b"content-length", b"x")]}, [b""], 10) == (b"", "invalid Content-Length header", 400)
    assert _read({"headers": []}, [b"123456", b"789012"], 10)[2] == 413
