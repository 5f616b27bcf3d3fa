"""The conversations JSON API (serve/chat_api.py), over a stand-in Assistant."""

from __future__ import annotations

from fastapi.testclient import TestClient

from assistant.records import Filters
from assistant.serve.chat_api import clean_filters

from .fakes import fake_app


def test_export_links_never_come_from_the_host_header(tmp_path):
    app, _, _ = fake_app(tmp_path, public_url="https://mgi.example.org/")
    with TestClient(app, base_url="https://testserver") as client:  # https: cookies are Secure
        conversation_id = client.post("/api/conversations", json={}).json()["id"]
        client.post(f"/api/conversations/{conversation_id}/ask", json={"question": "hola"})
        evil = {"Host": "evil-host.example", "X-Forwarded-Host": "evil-host.example",
                "Cookie": f"mgi_browser={client.cookies.get('mgi_browser')}"}
        for fmt in ("md", "csv", "bib", "json"):
            body = client.get(f"/api/conversations/{conversation_id}/export", params={"format": fmt},
                              headers=evil).text
            assert "https://mgi.example.org/documents/ley-a?start=" in body, fmt
            assert "evil-host" not in body, fmt
        page = client.get(f"/c/{conversation_id}/export", headers=evil).text
        assert "evil-host" not in page


def test_clean_filters_stores_no_filters_as_none():
    assert clean_filters(None) is None
    assert clean_filters(Filters()) is None
    kept = Filters(document=["ley-a"])
    assert clean_filters(kept) is kept


def test_a_conversation_round_trip_through_the_api(tmp_path):
    app, _, _ = fake_app(tmp_path)
    with TestClient(app) as client:
        created = client.post("/api/conversations", json={"title": "Salud"})
        assert created.status_code == 201 and created.json()["title"] == "Salud"
        conversation_id = created.json()["id"]
        asked = client.post(f"/api/conversations/{conversation_id}/ask", json={"question": "hola"})
        assert asked.status_code == 200 and asked.headers["X-Conversation-Turn"] == "1"
        assert asked.json()["index"]["stale"] is False
        listed = client.get("/api/conversations").json()
        assert [c["id"] for c in listed] == [conversation_id] and listed[0]["turns"] == 1
        csrf = client.get("/api/csrf").json()["csrf"]
        assert client.delete(f"/api/conversations/{conversation_id}").status_code == 403
        deleted = client.delete(f"/api/conversations/{conversation_id}", headers={"X-CSRF-Token": csrf})
        assert deleted.status_code == 204
        assert client.get(f"/api/conversations/{conversation_id}").status_code == 404
