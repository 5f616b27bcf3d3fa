"""What every route needs (serve/deps.py): input checks, index state, the served Assistant."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .fakes import fake_app


def test_nul_is_refused_in_titles_and_history(tmp_path):
    app, _, _ = fake_app(tmp_path)
    with TestClient(app) as client:
        title = client.post("/api/conversations", json={"title": "a\x00b"})
        assert title.status_code == 422 and "NUL" in title.json()["error"]
        history = client.post("/api/ask", json={"question": "hola", "history": [{"question": "x\x00y"}]})
        assert history.status_code == 422 and "NUL" in history.json()["error"]
        answer = client.post("/api/ask", json={"question": "hola", "history": [{"question": "x", "answer": "\x00"}]})
        assert answer.status_code == 422
        assert client.get("/api/conversations").json() == []


def test_no_nul_refuses_nul_and_control_characters():
    from assistant.serve.deps import no_nul

    assert no_nul("tab\there\nnew line\r", "title") == "tab\there\nnew line\r"
    with pytest.raises(ValueError, match="title contains a NUL character"):
        no_nul("a\x00b", "title")
    with pytest.raises(ValueError, match=r"control character \(U\+0007\)"):
        no_nul("bell\x07", "question")


def test_index_state_of_is_fresh_when_unknown_and_capped():
    from types import SimpleNamespace

    from assistant.serve.deps import index_state_of

    assert index_state_of(object()) == {"stale": False, "changes": [], "rebuilding": False}
    served = SimpleNamespace(index_state={"stale": 1, "changes": [f"f{i}" for i in range(30)],
                                          "rebuilding": True, "error": "rebuild failed: x"})
    state = index_state_of(served)
    assert state["stale"] is True and len(state["changes"]) == 20 and state["error"] == "rebuild failed: x"


def test_public_base_never_comes_from_the_request(tmp_path):
    from assistant.serve.deps import public_base

    from .fakes import fake_settings

    assert public_base(fake_settings(tmp_path, public_url="https://mgi.example.org/")) == "https://mgi.example.org"
    settings = fake_settings(tmp_path)
    assert public_base(settings) == f"http://{settings.host}:{settings.port}"


def test_no_loaded_assistant_is_503(tmp_path):
    app, _, _ = fake_app(tmp_path)
    app.state.assistant = None
    response = TestClient(app).get("/api/documents")  # no lifespan: nothing opens it
    assert response.status_code == 503 and response.json() == {"error": "the index is not loaded"}
