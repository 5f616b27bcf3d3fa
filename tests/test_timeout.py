"""The request timeout (serve/timeout.py): a request answered 503 stores nothing."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from assistant.serve.timeout import RequestAbandoned, TurnGuard

from .fakes import FakeAssistant, fake_app, fake_settings


def test_a_timed_out_request_stores_no_turn(tmp_path):
    """The issue: a request answered 503 for its timeout still stored its turn, so the
    client's retry duplicated it. Now the late answer is dropped before it is stored."""
    # The deadline leaves the set-up requests room on a loaded machine; only the asks overrun it.
    settings = fake_settings(tmp_path, request_timeout_s=1.5)
    slow = FakeAssistant(settings, delay=3.5)
    app, _, _ = fake_app(tmp_path, slow, request_timeout_s=1.5)
    with TestClient(app) as client:
        conversation_id = client.post("/api/conversations", json={}).json()["id"]
        timed_out = client.post(f"/api/conversations/{conversation_id}/ask", json={"question": "hola"})
        assert timed_out.status_code == 503 and "nothing was stored" in timed_out.json()["error"]
        form = client.post(f"/c/{conversation_id}/ask", data={"question": "hola"}, follow_redirects=False)
        assert form.status_code == 503
        waited = time.monotonic() + 10
        while slow.asked < 2 and time.monotonic() < waited:  # let the abandoned answers finish
            time.sleep(0.1)
        time.sleep(0.5)  # … and reach the store, which must refuse them
        assert slow.asked == 2
        assert client.get(f"/api/conversations/{conversation_id}").json()["turns"] == []
        slow.delay = 0
        retried = client.post(f"/api/conversations/{conversation_id}/ask", json={"question": "hola"})
        assert retried.status_code == 200 and retried.headers["X-Conversation-Turn"] == "1"


def test_turn_guard_refuses_after_abandon_and_waits_for_a_commit():
    guard = TurnGuard()
    with guard:
        assert guard.abandon() is False  # a commit is running: let it finish
    assert guard.abandon() is True and guard.abandoned
    with pytest.raises(RequestAbandoned, match="nothing stored"):
        with guard:
            pass
