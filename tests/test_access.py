"""Who may see what (issue 13): conversations belong to their owner; sign-in and bearer
tokens when a deployment secret is set; CSRF on delete. The attacks of the issue —
"anyone who reaches the port lists every conversation and deletes any of them" — are
reproduced and must now be refused. Fast: a stand-in Assistant, a temp SQLite store."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from assistant.serve.access import BROWSER_COOKIE
from assistant.serve.passwords import hash_password

from .fakes import fake_app

PASSWORDS = {"ana": "correct horse battery", "bob": "tr0ub4dor&3"}


@pytest.fixture()
def open_app(tmp_path):
    app, _, _ = fake_app(tmp_path)
    return app


@pytest.fixture(scope="module")
def users() -> str:
    return ";".join(f"{name}:{hash_password(pw)}" for name, pw in PASSWORDS.items())


@pytest.fixture()
def closed_app(tmp_path, users):
    app, _, _ = fake_app(tmp_path, secret="s" * 32, users=users)
    return app


def start(client: TestClient, question: str = "¿Qué dice el artículo 8?") -> str:
    created = client.post("/api/conversations", json={})
    assert created.status_code == 201, created.text
    conversation_id = created.json()["id"]
    asked = client.post(f"/api/conversations/{conversation_id}/ask", json={"question": question})
    assert asked.status_code == 200, asked.text
    return conversation_id


def csrf(client: TestClient) -> dict:
    return {"X-CSRF-Token": client.get("/api/csrf").json()["csrf"]}


# ----------------------------------------------------------------------------- access off


def test_a_stranger_cannot_list_read_export_ask_or_delete(open_app):
    """Access off: the browser that made a conversation owns it (signed cookie); anyone
    else gets 404 for everything, exactly as for an unknown id."""
    with TestClient(open_app) as owner, TestClient(open_app) as stranger:
        conversation_id = start(owner)
        assert owner.cookies.get(BROWSER_COOKIE)
        assert [c["id"] for c in owner.get("/api/conversations").json()] == [conversation_id]

        assert stranger.get("/api/conversations").json() == []  # the attack: listing
        for response in (
            stranger.get(f"/api/conversations/{conversation_id}"),
            stranger.get(f"/api/conversations/{conversation_id}/export", params={"format": "csv"}),
            stranger.post(f"/api/conversations/{conversation_id}/ask", json={"question": "x"}),
            stranger.delete(f"/api/conversations/{conversation_id}", headers=csrf(stranger)),
            stranger.get(f"/c/{conversation_id}"),
            stranger.get(f"/c/{conversation_id}/turns/1"),
            stranger.get(f"/c/{conversation_id}/export"),
            stranger.post(f"/c/{conversation_id}/ask", data={"question": "x"}),
        ):
            assert response.status_code == 404, (response.request.url, response.text[:200])
        assert conversation_id not in stranger.get("/conversations").text
        # still there, unchanged, for its owner
        assert len(owner.get(f"/api/conversations/{conversation_id}").json()["turns"]) == 1


def test_a_forged_or_copied_cookie_value_is_not_an_owner(open_app):
    with TestClient(open_app) as owner:
        conversation_id = start(owner)
        browser = owner.cookies.get(BROWSER_COOKIE).split(".")[0]
    with TestClient(open_app) as forger:
        forger.cookies.set(BROWSER_COOKIE, browser)  # the id without its signature
        assert forger.get(f"/api/conversations/{conversation_id}").status_code == 404
        forger.cookies.set(BROWSER_COOKIE, browser + ".forgedsignature")
        assert forger.get(f"/api/conversations/{conversation_id}").status_code == 404


def test_delete_needs_the_csrf_token(open_app):
    with TestClient(open_app) as client:
        conversation_id = start(client)
        refused = client.delete(f"/api/conversations/{conversation_id}")
        assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
        wrong = client.delete(f"/api/conversations/{conversation_id}", headers={"X-CSRF-Token": "0" * 64})
        assert wrong.status_code == 403
        page = client.get("/conversations")
        token = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text).group(1)
        assert client.post(f"/c/{conversation_id}/delete", follow_redirects=False).status_code == 403
        assert client.post(f"/c/{conversation_id}/delete", data={"csrf": "x"}).status_code == 403
        assert client.get(f"/api/conversations/{conversation_id}").status_code == 200  # not deleted
        done = client.post(f"/c/{conversation_id}/delete", data={"csrf": token}, follow_redirects=False)
        assert done.status_code == 303
        assert client.get(f"/api/conversations/{conversation_id}").status_code == 404


def test_one_browsers_csrf_token_does_not_work_for_another(open_app):
    with TestClient(open_app) as first, TestClient(open_app) as second:
        conversation_id = start(second)
        stolen = csrf(first)
        assert second.delete(f"/api/conversations/{conversation_id}", headers=stolen).status_code == 403


# ----------------------------------------------------------------------------- access on


def test_with_a_secret_everything_needs_sign_in(closed_app):
    with TestClient(closed_app) as anonymous:
        for path in ("/api/conversations", "/api/documents", "/api/index"):
            response = anonymous.get(path)
            assert response.status_code == 401, path
            assert "sign-in required" in response.json()["error"]
            assert response.headers["www-authenticate"] == "Bearer"
        assert anonymous.post("/api/ask", json={"question": "hola"}).status_code == 401
        page = anonymous.get("/conversations", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fconversations"
        assert anonymous.get("/healthz").status_code == 200  # health checks stay public
        assert anonymous.get("/login").status_code == 200
        assert anonymous.get("/openapi.json").status_code == 200
        assert anonymous.get("/static/app.css").status_code == 200


def test_web_sign_in_and_per_user_conversations(closed_app):
    with TestClient(closed_app) as ana, TestClient(closed_app) as bob:
        wrong = ana.post("/login", data={"username": "ana", "password": "nope"})
        assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
        unknown = ana.post("/login", data={"username": "mallory", "password": "x"})
        assert unknown.status_code == 401
        signed_in = ana.post("/login", data={"username": "ana", "password": PASSWORDS["ana"],
                                             "next": "/conversations"}, follow_redirects=False)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/conversations"
        assert "HttpOnly" in signed_in.headers["set-cookie"] and "SameSite=Lax" in signed_in.headers["set-cookie"]
        conversation_id = start(ana)
        assert "Signed in as ana" in ana.get("/conversations").text

        bob.post("/login", data={"username": "bob", "password": PASSWORDS["bob"]})
        assert bob.get("/api/conversations").json() == []
        assert bob.get(f"/api/conversations/{conversation_id}").status_code == 404
        assert bob.get(f"/c/{conversation_id}").status_code == 404

        token = re.search(r'name="csrf" value="([0-9a-f]{64})"', ana.get("/").text).group(1)
        assert ana.post("/logout", follow_redirects=False).status_code == 403  # CSRF on sign-out too
        out = ana.post("/logout", data={"csrf": token}, follow_redirects=False)
        assert out.status_code == 303
        assert ana.get("/api/conversations").status_code == 401


def test_sign_in_never_redirects_off_site(closed_app):
    with TestClient(closed_app) as client:
        for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
            response = client.post("/login", data={"username": "ana", "password": PASSWORDS["ana"],
                                                   "next": target}, follow_redirects=False)
            assert response.headers["location"] == "/", target


def test_api_bearer_tokens(closed_app, tmp_path):
    with TestClient(closed_app) as api:
        assert api.post("/api/auth/token", json={"username": "ana", "password": "bad"}).status_code == 401
        issued = api.post("/api/auth/token", json={"username": "ana", "password": PASSWORDS["ana"]})
        assert issued.status_code == 200 and issued.json()["token_type"] == "bearer"
        ana = {"Authorization": f"Bearer {issued.json()['token']}"}
        created = api.post("/api/conversations", json={"title": "ana's"}, headers=ana)
        assert created.status_code == 201
        conversation_id = created.json()["id"]
        assert [c["id"] for c in api.get("/api/conversations", headers=ana).json()] == [conversation_id]

        bob = {"Authorization": "Bearer " + api.post(
            "/api/auth/token", json={"username": "bob", "password": PASSWORDS["bob"]}).json()["token"]}
        assert api.get("/api/conversations", headers=bob).json() == []
        assert api.get(f"/api/conversations/{conversation_id}", headers=bob).status_code == 404
        assert api.delete(f"/api/conversations/{conversation_id}", headers=bob).status_code == 404

        tampered = {"Authorization": ana["Authorization"][:-2] + "xx"}
        refused = api.get("/api/conversations", headers=tampered)
        assert refused.status_code == 401 and "invalid or expired" in refused.json()["error"]
        # a bearer call carries no ambient credential: no CSRF token needed to delete
        assert api.delete(f"/api/conversations/{conversation_id}", headers=ana).status_code == 204


def test_tokens_end_with_the_user_or_the_secret(tmp_path, users):
    app, settings, _ = fake_app(tmp_path, secret="s" * 32, users=users)
    with TestClient(app) as api:
        token = api.post("/api/auth/token", json={"username": "bob", "password": PASSWORDS["bob"]}).json()["token"]
    only_ana = ";".join(e for e in users.split(";") if e.startswith("ana:"))
    for changed in ({"users": only_ana}, {"secret": "t" * 32}):
        other, _, _ = fake_app(tmp_path, secret=changed.get("secret", "s" * 32), users=changed.get("users", users))
        with TestClient(other) as api:
            assert api.get("/api/conversations", headers={"Authorization": f"Bearer {token}"}).status_code == 401



