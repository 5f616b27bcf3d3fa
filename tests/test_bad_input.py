"""Bad input for every endpoint and CLI command, and the request limits.

Every bad request must get a clear 4xx whose body is ``{"error": "<what is wrong>"}``;
every bad CLI call must exit non-zero with a message naming the problem and no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

LONG = "¿" + "x" * 2000  # 2,001 characters

ASK_CASES = [
    ({"question": ""}, "empty"),
    ({"question": "   \t\n "}, "empty"),
    ({"question": LONG}, "2000"),
    ({"question": "a" * 50_000}, "2000"),
    ({"question": "salud\x00migrantes"}, "NUL"),
    ({"question": "salud\x07migrantes"}, "control character"),
    ({"question": "salud\x1bmigrantes"}, "control character"),
    ({}, "question"),
    ({"question": 5}, "question"),
    ({"question": ["salud"]}, "question"),
    ({"question": None}, "question"),
    ({"question": "salud", "k": 0}, "k must be"),
    ({"question": "salud", "k": -1}, "k must be"),
    ({"question": "salud", "k": 10**9}, "k must be"),
    ({"question": "salud", "k": 10**30}, "k"),
    ({"question": "salud", "k": "many"}, "k"),
    ({"question": "salud", "k": 2.5}, "k"),
    ({"question": "salud", "filters": {"document": ["nope"]}}, "unknown document"),
    ({"question": "salud", "filters": {"document": ["../../etc/passwd"]}}, "unknown document"),
    ({"question": "salud", "filters": {"kind": ["novel"]}}, "unknown kind"),
    ({"question": "salud", "filters": {"language": ["xx"]}}, "unknown language"),
    ({"question": "salud", "filters": "all"}, "filters"),
    ({"question": "salud", "retriever": "magic"}, "retriever"),
    ({"question": "salud", "embedder": "nope"}, "nope"),
    ({"question": "salud", "history": "earlier"}, "history"),
    ({"question": "salud", "history": [{"question": ""}]}, "history"),
    ({"question": "salud", "history": [{"question": "a", "answer": 3}]}, "history"),
    ({"question": "salud", "history": [{"question": f"q{i}"} for i in range(11)]}, "history has 11 turns"),
]


def assert_error(response, status: int | None = None, words: str = "") -> None:
    """A clear 4xx: the status, a JSON ``{"error": ...}`` body, and the words in it."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if status is not None:
        assert response.status_code == status, response.text[:300]
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"].strip()
    assert words.lower() in body["error"].lower(), body["error"]
    assert "Traceback" not in body["error"]


@pytest.mark.parametrize("payload, words", ASK_CASES, ids=range(len(ASK_CASES)))
def test_ask_rejects_bad_json_input(client, payload, words):
    assert_error(client.post("/api/ask", json=payload), words=words)


@pytest.mark.parametrize("body, content_type, words", [
    (b'{"question": "salud', "application/json", "JSON"),
    (b"", "application/json", "body"),
    (b"null", "application/json", "body"),
    (b'["salud"]', "application/json", "body"),
    (b'{"question": "salud\x00"}', "application/json", "JSON"),
    (b'{"question": "sal\xffud"}', "application/json", "UTF-8"),
    (b'{"question": "salud \\ud800 migrantes"}', "application/json", "unicode"),
    (b'\xff\xfe{\x00"\x00q\x00', "application/json", "UTF-8"),
    (b'{"question": "salud"}', "text/plain", "body"),
    (b"question=salud", "application/x-www-form-urlencoded", "body"),
])
def test_ask_rejects_malformed_bodies(client, body, content_type, words):
    response = client.post("/api/ask", content=body, headers={"content-type": content_type})
    assert_error(response, words=words)


@pytest.mark.parametrize("query, words", [
    ("q=", "empty"),
    ("q=%20%20%09", "empty"),
    ("", "q"),
    ("q=" + "x" * 2001, "2000"),
    ("q=salud%00", "NUL"),
    ("q=salud%07", "control character"),
    ("q=salud%FF", "UTF-8"),
    ("q=%C3%28", "UTF-8"),
    ("q=salud&k=0", "k must be"),
    ("q=salud&k=-1", "k must be"),
    ("q=salud&k=1000000000", "k must be"),
    ("q=salud&k=abc", "k"),
    ("q=salud&document=nope", "unknown document"),
    ("q=salud&document=..%2F..%2Fetc%2Fpasswd", "unknown document"),
    ("q=salud&kind=novel", "unknown kind"),
    ("q=salud&language=xx", "unknown language"),
    ("q=salud&retriever=magic", "retriever"),
])
def test_search_rejects_bad_queries(client, query, words):
    assert_error(client.get(f"/api/search?{query}"), words=words)


@pytest.mark.parametrize("path, status", [
    ("/api/documents/nope", 404),
    ("/api/documents/..%2F..%2Fetc%2Fpasswd", 404),
    ("/api/documents/%2Fetc%2Fpasswd", 404),
    ("/api/documents/%2E%2E", 404),
    ("/api/documents/..%5C..%5Cwindows", 404),
    ("/api/documents/nope%00", 404),
    ("/api/documents/%FF", 400),
    ("/api/documents/nope/text", 404),
    ("/api/documents/%2E%2E%2Fley-migracion/text", 404),
    ("/api/nowhere", 404),
    ("/api/documents/ley-migracion/text?start=-1", 422),
    ("/api/documents/ley-migracion/text?start=10&end=5", 422),
    ("/api/documents/ley-migracion/text?end=1000000000", 422),
    ("/api/documents/ley-migracion/text?start=abc", 422),
])
def test_documents_reject_unknown_and_traversal_ids(client, path, status):
    assert_error(client.get(path), status=status)


def test_wrong_methods_are_405_json(client):
    assert_error(client.get("/api/ask"), status=405)
    assert_error(client.post("/api/search", json={"q": "salud"}), status=405)
    assert_error(client.delete("/api/documents"), status=405)


def test_web_page_rejects_bad_questions(client):
    response = client.get("/", params={"q": "x" * 2001})
    assert response.status_code == 422 and "2000" in response.text
    assert client.get("/?q=%FF").status_code == 400


@pytest.fixture(scope="module")
def conversation(client) -> str:
    response = client.post("/api/conversations", json={"title": "bad input"})
    assert response.status_code == 201
    return response.json()["id"]


@pytest.mark.parametrize("payload, words", [
    ({"question": ""}, "empty"),
    ({"question": LONG}, "2000"),
    ({"question": "salud\x00"}, "NUL"),
    ({"question": "salud\x07"}, "control character"),
    ({"question": "salud", "k": 0}, "k must be"),
    ({"question": "salud", "k": 10**9}, "k must be"),
    ({"question": "salud", "filters": {"kind": ["novel"]}}, "unknown kind"),
    ({"question": 7}, "question"),
])
def test_conversation_ask_rejects_bad_input(client, conversation, payload, words):
    assert_error(client.post(f"/api/conversations/{conversation}/ask", json=payload), words=words)
    assert client.get(f"/api/conversations/{conversation}").json()["turns"] == []  # nothing stored


@pytest.mark.parametrize("path", [
    "/api/conversations/nope", "/api/conversations/..%2F..%2Fetc%2Fpasswd",
    "/api/conversations/%2Fetc%2Fpasswd/export", "/api/conversations/nope%00/export",
])
def test_conversation_unknown_and_traversal_ids(client, path):
    assert_error(client.get(path), status=404)


def test_conversation_bad_bodies_and_formats(client, conversation):
    url = f"/api/conversations/{conversation}/ask"
    assert_error(client.post(url, content=b'{"question": "sal\xffud"}',
                             headers={"content-type": "application/json"}), status=400, words="UTF-8")
    assert_error(client.post(url, content=b'{"question": ', headers={"content-type": "application/json"}),
                 status=422)
    assert_error(client.get(f"/api/conversations/{conversation}/export?format=exe"), status=422)
    assert_error(client.post("/api/conversations", json={"title": ["x"]}), status=422)


def test_web_form_rejects_bad_questions(client):
    for question, words in (("", "empty"), ("x" * 2001, "2000"), ("salud\x07", "control character")):
        response = client.post("/ask", data={"question": question}, follow_redirects=False)
        assert response.status_code == 422 and words in response.text
    big = client.post("/ask", data={"question": "x" * 70_000}, follow_redirects=False)
    assert big.status_code == 413 and "larger than the limit" in big.text  # a page for a form post
    assert big.headers["content-type"].startswith("text/html")


# ---------------------------------------------------------------------------- limits


def test_body_over_the_cap_is_413(client, built_index_settings):
    cap = built_index_settings.max_body_bytes
    big = {"question": "salud", "history": [{"question": "q", "answer": "a" * 19_000}] * 5}
    assert_error(client.post("/api/ask", json=big), status=413, words=str(cap))

    def streamed():  # no Content-Length: the cap holds while the body streams in
        for _ in range(cap // 1000 + 2):
            yield b" " * 1000

    response = client.post("/api/ask", content=streamed(), headers={"content-type": "application/json"})
    assert_error(response, status=413)
    assert_error(client.post("/api/ask", content=b"{}", headers={"content-length": "x1"}), status=400)


def test_security_headers_on_every_response(client):
    from assistant.serve.headers import templates_use_inline_styles

    for response in (client.get("/"), client.get("/?q=salud"), client.get("/api/documents"),
                     client.get("/healthz"), client.get("/api/nowhere"),
                     client.post("/api/ask", json={"question": ""})):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    html = client.get("/")
    policy = dict(part.strip().split(" ", 1) for part in html.headers["content-security-policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'none'"
    inline = templates_use_inline_styles()
    assert ("'unsafe-inline'" in policy["style-src"]) == inline
    assert policy["style-src"].startswith("'self'")
    docs = client.get("/docs")  # Swagger UI is served from /swagger-ui/ (offline): no CDN at all
    assert "cdn.jsdelivr.net" not in docs.headers["content-security-policy"] and "cdn." not in docs.text
    assert "cdn.jsdelivr.net" not in html.headers["content-security-policy"]


def test_request_timeout_answers_503(built_index_settings, assistant):
    from assistant.serve.api import create_app

    class Slow:
        """The real assistant, but ``ask`` takes far longer than the timeout."""

        def __getattr__(self, name):
            return getattr(assistant, name)

        def ask(self, *args, **kwargs):
            time.sleep(5)
            return assistant.ask(*args, **kwargs)

    settings = built_index_settings.model_copy(update={"request_timeout_s": 0.5})
    with TestClient(create_app(settings, Slow())) as slow_client:
        response = slow_client.post("/api/ask", json={"question": "salud"})
        assert response.status_code == 503 and "longer than 0.5 s" in response.json()["error"]
        assert response.headers["retry-after"] == "1"
        assert slow_client.get("/api/documents").status_code == 200


# ------------------------------------------------------------------------------- CLI


def mgi(settings, *args: str) -> subprocess.CompletedProcess:
    """Run the real ``mgi`` console script on the test index."""
    script = Path(sys.executable).parent / "mgi"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "assistant"]
    command += [*args, "--index", str(settings.index_dir), "--documents", str(settings.documents_dir)]
    env = {**os.environ, "MGI_CACHE_DIR": str(settings.cache_dir)}
    return subprocess.run(command, capture_output=True, timeout=300, env=env)


@pytest.mark.parametrize("args, words", [
    (("ask", ""), "question is empty"),
    (("ask", "x" * 2001), "limit is 2000"),
    (("ask", "salud\x07migrantes"), "control character"),
    (("ask", b"salud \xff migrantes"), "UTF-8"),
    (("ask", "salud", "-k", "1000000000"), "k must be"),
    (("ask", "salud", "--kind", "novel"), "unknown kind"),
    (("search", "salud", "-k", "-1"), "k must be"),
    (("search", "salud", "--retriever", "magic"), "retriever"),
])
def test_cli_rejects_bad_input(built_index_settings, args, words):
    result = mgi(built_index_settings, *args)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode != 0, result.stdout[:300]
    assert words.lower() in stderr.lower(), stderr
    assert "Traceback" not in stderr + result.stdout.decode("utf-8", "replace")


def test_cli_bad_index_and_documents_paths(tmp_path, built_index_settings):
    for args, words in (
        (("documents", "--index", str(tmp_path / "none")), "mgi build"),
        (("build", "--documents", str(tmp_path / "none"), "--index", str(tmp_path / "i")), "does not exist"),
    ):
        script = Path(sys.executable).parent / "mgi"
        result = subprocess.run([str(script), *args, "-q"] if args[0] == "build" else [str(script), *args],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode != 0 and words in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
