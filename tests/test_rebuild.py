"""Serving the last good index (serve/rebuild.py): a stale index is served and flagged,
and the background rebuild swaps a fresh Assistant in without a restart."""

from __future__ import annotations

import errno
import threading

import pytest
from fastapi.testclient import TestClient

from assistant.serve.rebuild import created

from .fakes import FakeAssistant, fake_app, fake_settings


def test_a_stale_index_is_served_and_shown(tmp_path):
    """The issue: a valid old index was refused after a killed rebuild. Now it is served,
    with the state in the API, /healthz and a web banner."""
    settings = fake_settings(tmp_path)
    stale = FakeAssistant(settings)
    stale.index_state = {"stale": True, "changes": ["ley-a.md: changed"], "rebuilding": False}
    app, _, _ = fake_app(tmp_path, stale)
    with TestClient(app) as client:
        answer = client.post("/api/ask", json={"question": "hola"})
        assert answer.status_code == 200 and answer.json()["citations"]
        assert answer.json()["index"] == {"stale": True, "changes": ["ley-a.md: changed"],
                                          "rebuilding": False, "error": None}
        assert client.get("/api/index").json()["stale"] is True
        assert client.get("/healthz").json()["index_state"]["changes"] == ["ley-a.md: changed"]
        page = client.get("/")
        assert 'class="banner"' in page.text and "older than the documents" in page.text
        assert "a rebuild is needed" in page.text


def test_background_rebuild_swaps_the_assistant_without_a_restart(tmp_path, monkeypatch):
    import assistant.ingest.build as build_module
    import assistant.serve.api as api

    settings = fake_settings(tmp_path, rebuild_on_start=True)
    old = FakeAssistant(settings)
    old.index_state = {"stale": True, "changes": ["ley-a.md: changed"], "rebuilding": False}
    fresh = FakeAssistant(settings, quote="Artículo 9. Fin.")
    release = threading.Event()
    built = []

    def slow_build(s, progress=True, **kwargs):
        release.wait(10)
        built.append(s.index_dir)

    monkeypatch.setattr(build_module, "build_index", slow_build)
    monkeypatch.setattr(api.Assistant, "open", classmethod(lambda cls, s, **kw: fresh))
    app, _, _ = fake_app(tmp_path, old, rebuild_on_start=True)
    with TestClient(app) as client:  # the lifespan starts the rebuild
        during = client.post("/api/ask", json={"question": "hola"}).json()
        assert during["index"]["rebuilding"] is True and during["index"]["stale"] is True
        assert "rebuild is running" in client.get("/").text
        release.set()
        app.state.rebuild_thread.join(10)
        after = client.post("/api/ask", json={"question": "hola"}).json()
        assert after["index"]["stale"] is False and after["citations"][0]["quote"] == "Artículo 9. Fin."
        assert app.state.assistant is fresh and built == [settings.index_dir]
        assert 'class="banner"' not in client.get("/").text


def test_a_failed_rebuild_keeps_serving_the_last_good_index(tmp_path, monkeypatch):
    import assistant.ingest.build as build_module

    def broken(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(build_module, "build_index", broken)
    settings = fake_settings(tmp_path, rebuild_on_start=True)
    old = FakeAssistant(settings)
    old.index_state = {"stale": True, "changes": ["x: new"], "rebuilding": False}
    app, _, _ = fake_app(tmp_path, old, rebuild_on_start=True)
    with TestClient(app) as client:
        app.state.rebuild_thread.join(10)
        state = client.get("/api/index").json()
        assert state["stale"] and not state["rebuilding"] and "rebuild failed" in state["error"]
        assert client.post("/api/ask", json={"question": "hola"}).status_code == 200


@pytest.mark.slow
def test_a_real_stale_index_is_served_then_rebuilt_in_place(built_index_settings, tmp_path):
    """Real index: change a document after the build; the old index still answers, flagged
    stale; the background rebuild swaps in a fresh one."""
    import shutil

    from assistant.core import Assistant
    from assistant.serve.api import create_app

    documents = tmp_path / "documents"
    shutil.copytree(built_index_settings.documents_dir, documents)
    index = tmp_path / "index"
    shutil.copytree(built_index_settings.index_dir, index, symlinks=True)
    settings = built_index_settings.model_copy(update={
        "documents_dir": documents, "index_dir": index, "database": tmp_path / "c.sqlite3",
        "rebuild_on_start": True})
    profile = next(documents.rglob("profile.md"))
    profile.write_text(profile.read_text(encoding="utf-8") + "\nA new paragraph about shelters.\n", encoding="utf-8")
    served = Assistant.open(settings)
    assert served.index_state["stale"] and any("profile.md" in c for c in served.index_state["changes"])
    app = create_app(settings, served)
    with TestClient(app) as client:
        answer = client.post("/api/ask", json={"question": "Do migrants have access to health services in Mexico City?"})
        assert answer.status_code == 200 and answer.json()["citations"]
        app.state.rebuild_thread.join(600)
        assert app.state.assistant is not served
        assert client.get("/healthz").json()["index_state"]["stale"] is False
        assert client.post("/api/ask", json={"question": "shelters"}).status_code == 200


def test_created_reads_a_typed_or_dict_manifest():
    from types import SimpleNamespace

    assert created({"created": "2024-01-01"}) == "2024-01-01"
    assert created(SimpleNamespace(created="2024-02-02")) == "2024-02-02"
    assert created(object()) is None and created({}) is None
