"""/healthz (serve/health.py): index facts and state, a database write check, free disk."""

from __future__ import annotations

from fastapi.testclient import TestClient

from assistant.serve.health import disk_space

from .fakes import DISK_FULL, fail_writes, fake_app  # noqa: F401 - fixture


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


def test_disk_space_of_a_missing_folder_is_its_nearest_parent(tmp_path):
    space = disk_space(tmp_path / "not" / "yet")
    assert space["path"] == str(tmp_path / "not" / "yet")
    assert space["free_mb"] >= 0 and space["total_mb"] > 0


def test_healthz_is_ok_and_public(tmp_path):
    app, _, _ = fake_app(tmp_path, secret="s" * 32)
    with TestClient(app) as client:
        health = client.get("/healthz")
    body = health.json()
    assert health.status_code == 200 and body["status"] == "ok" and body["problems"] == []
    assert body["access"] == "on" and set(body["database"]) <= {"backend", "ok", "error", "journal_mode"}
    assert str(tmp_path) not in health.text  # no paths in a public body
