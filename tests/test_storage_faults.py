"""Storage faults named, not dumped (issue 13), and serving the last good index.

A full disk and a read-only disk under the conversation store are simulated by making
SQLite fail the way it does (``sqlite3.OperationalError("database or disk is full")``,
``"attempt to write a readonly database"``) or the OS (``OSError(ENOSPC / EROFS)``): the
tests run as root, and chmod does not stop root, so a real read-only folder would not
show anything. The HTTP layer uses a stand-in Assistant, so these are fast.
"""

from __future__ import annotations

import errno
import http.client
import sqlite3
import threading
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.conversations import SQLiteStore, StorageError

from .fakes import FakeAssistant, fake_app, fake_settings

DISK_FULL = sqlite3.OperationalError("database or disk is full")
READ_ONLY = sqlite3.OperationalError("attempt to write a readonly database")


class FaultyConnection:
    """A sqlite3 connection whose write transactions fail with ``error``."""

    def __init__(self, db: sqlite3.Connection, error: Exception) -> None:
        self._db, self._error = db, error

    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith(("BEGIN IMMEDIATE", "INSERT", "UPDATE", "DELETE")):
            raise self._error
        return self._db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._db, name)


@pytest.fixture()
def fail_writes(monkeypatch):
    """Call with an exception: from then on every SQLite write transaction raises it."""
    real_open = SQLiteStore._open

    def arm(error: Exception) -> None:
        monkeypatch.setattr(SQLiteStore, "_open", lambda self: FaultyConnection(real_open(self), error))

    return arm


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


def test_healthz_reports_database_disk_and_index(tmp_path, fail_writes, monkeypatch):
    """The issue: /healthz said "ok" while every write failed."""
    app, settings, _ = fake_app(tmp_path)
    with TestClient(app) as client:
        healthy = client.get("/healthz")
        assert healthy.status_code == 200
        body = healthy.json()
        assert body["status"] == "ok" and body["database"]["ok"] and body["database"]["backend"] == "sqlite"
        assert body["disk"]["free_mb"] > 0 and body["index_state"] == {"stale": False, "changes": [], "rebuilding": False}
        fail_writes(DISK_FULL)
        degraded = client.get("/healthz")
        assert degraded.status_code == 503
        assert degraded.json()["status"] == "degraded" and "disk is full" in degraded.json()["database"]["error"]
        assert client.head("/healthz").status_code == 503
    monkeypatch.undo()
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 * 2**30, 10 * 2**30 - 2**20, 2**20))
    with TestClient(app) as client:
        low = client.get("/healthz")
        assert low.status_code == 503 and any(p.startswith("disk: 1 MB free") for p in low.json()["problems"])


def test_the_keep_alive_connection_survives_a_storage_fault(tmp_path, fail_writes):
    """The issue: a failed write reset the connection. Now it is a normal 503 response and
    the same connection serves the next request."""
    from .test_edge_limits import running

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


def test_a_read_only_folder_at_start_is_a_storage_error(tmp_path, monkeypatch):
    from pathlib import Path

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    with pytest.raises(StorageError, match="read-only") as raised:
        SQLiteStore(tmp_path / "new" / "c.sqlite3")
    assert str(tmp_path / "new" / "c.sqlite3") in str(raised.value)


# ----------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("error, words", [
    (OSError(errno.ENOSPC, "No space left on device", "/srv/index/builds/.x.partial/chunks.jsonl"), "disk is full"),
    (OSError(errno.EROFS, "Read-only file system", "/srv/index/builds"), "read-only"),
    (sqlite3.OperationalError("database or disk is full"), "disk is full"),
])
def test_mgi_build_on_a_broken_disk_says_so_without_a_traceback(tmp_path, monkeypatch, error, words):
    """The issue: `mgi build` on a full or read-only disk ended in a 37-line traceback."""
    import assistant.ingest.build as build_module
    from assistant.cli import app

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(build_module, "build_index", broken)
    result = CliRunner().invoke(app, ["build", "--index", str(tmp_path / "index"),
                                      "--documents", str(tmp_path)])
    assert result.exit_code == 1
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "error: cannot write" in output and words in output
    assert (getattr(error, "filename", None) or str(tmp_path / "index")) in output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_mgi_serve_on_a_broken_database_says_so(tmp_path, monkeypatch):
    import assistant.cli as cli
    from assistant.conversations import close_stores

    close_stores()
    monkeypatch.setattr(cli, "_open", lambda settings: FakeAssistant(settings))

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr("pathlib.Path.mkdir", read_only)
    monkeypatch.setenv("MGI_DATABASE", str(tmp_path / "ro" / "c.sqlite3"))
    result = CliRunner().invoke(cli.app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "read-only" in output and str(tmp_path / "ro" / "c.sqlite3") in output
    assert "Traceback" not in output


# ----------------------------------------------------------------------------- stale index


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
