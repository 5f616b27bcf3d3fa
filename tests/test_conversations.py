"""Saved conversations: the SQLite store and the /api/conversations endpoints (real index)."""

from __future__ import annotations

import threading

import pytest

from assistant.conversations import ConversationNotFound, ConversationStore, valid_id
from assistant.records import Answer, Filters, Turn

HEALTH = "Which laws guarantee migrants access to health care?"
HEALTH_SERVICES = "Do migrants have access to health services?"
FOLLOW_UP = "And for education?"
BAD_IDS = ["..", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "ZZZ", "0" * 31, "0" * 33,
           "A" * 32, "' OR 1=1 --", "g" * 32]


@pytest.fixture(scope="module")
def health_answer(assistant) -> Answer:
    return assistant.ask(HEALTH)


# ----------------------------------------------------------------------------- the store


def test_round_trip_keeps_the_full_answer(tmp_path, health_answer):
    store = ConversationStore(tmp_path / "nested" / "dir" / "conversations.sqlite3")
    assert (tmp_path / "nested" / "dir" / "conversations.sqlite3").exists()
    created = store.create()
    assert valid_id(created.id) and created.title == ""
    filters = Filters(kind=["profile"])
    stored = store.add_turn(created.id, health_answer, filters)
    assert stored.n == 1

    again = ConversationStore(tmp_path / "nested" / "dir" / "conversations.sqlite3").get(created.id)
    assert again.title == HEALTH  # the first question names the conversation
    assert again.updated >= again.created
    [turn] = again.turns
    assert turn.question == HEALTH and turn.filters == filters
    assert turn.answer == health_answer  # every field, citations and key sources included
    assert turn.answer.citations and turn.answer.citations[0].quote == health_answer.citations[0].quote
    assert [s.id for s in store.recent()] == [created.id]
    assert store.recent()[0].turns == 1


def test_history_is_the_last_turns_oldest_first(tmp_path, health_answer):
    store = ConversationStore(tmp_path / "c.sqlite3")
    conversation = store.create("explicit title")
    for i in range(1, 6):
        store.add_turn(conversation.id, health_answer.model_copy(update={"question": f"question {i}"}))
    loaded = store.get(conversation.id)
    assert loaded.title == "explicit title"
    assert [t.n for t in loaded.turns] == [1, 2, 3, 4, 5]
    history = loaded.history(3)
    assert all(isinstance(t, Turn) for t in history)
    assert [t.question for t in history] == ["question 3", "question 4", "question 5"]
    assert history[-1].answer == health_answer.answer
    assert loaded.history(0) == []
    assert store.turn(conversation.id, 2).question == "question 2"
    with pytest.raises(ConversationNotFound):
        store.turn(conversation.id, 9)


def test_delete_and_unknown_ids(tmp_path, health_answer):
    store = ConversationStore(tmp_path / "c.sqlite3")
    keep, drop = store.create(), store.create()
    store.add_turn(drop.id, health_answer)
    store.delete(drop.id)
    with pytest.raises(ConversationNotFound, match="unknown conversation id"):
        store.get(drop.id)
    with pytest.raises(ConversationNotFound):
        store.delete(drop.id)
    with pytest.raises(ConversationNotFound):
        store.add_turn(drop.id, health_answer)
    assert [c.id for c in store.recent()] == [keep.id]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_ids_never_reach_the_database(tmp_path, bad):
    store = ConversationStore(tmp_path / "c.sqlite3")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for operation in (store.get, store.delete):
        with pytest.raises(ConversationNotFound, match="invalid conversation id"):
            operation(bad)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert not valid_id(bad)


def test_concurrent_turns_get_distinct_positions(tmp_path, health_answer):
    store = ConversationStore(tmp_path / "c.sqlite3")
    conversation = store.create()
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            store.add_turn(conversation.id, health_answer.model_copy(update={"question": f"q{i}"}))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    turns = store.get(conversation.id).turns
    assert [t.n for t in turns] == list(range(1, 13))
    assert sorted(t.question for t in turns) == sorted(f"q{i}" for i in range(12))


# ----------------------------------------------------------------------------- the API


def test_api_conversation_flow_uses_stored_history(client, assistant):
    created = client.post("/api/conversations", json={})
    assert created.status_code == 201
    conversation_id = created.json()["id"]
    assert valid_id(conversation_id)

    first = client.post(f"/api/conversations/{conversation_id}/ask", json={"question": HEALTH_SERVICES})
    assert first.status_code == 200, first.text
    assert first.headers["X-Conversation-Turn"] == "1"
    first_answer = Answer.model_validate(first.json())
    assert not first_answer.refused and first_answer.citations

    second = client.post(f"/api/conversations/{conversation_id}/ask", json={"question": FOLLOW_UP})
    assert second.status_code == 200, second.text
    assert second.headers["X-Conversation-Turn"] == "2"
    follow_up = Answer.model_validate(second.json())
    expected = assistant.ask(FOLLOW_UP, history=[Turn(question=HEALTH_SERVICES, answer=first_answer.answer)])
    assert [(c.document.id, c.start, c.end) for c in follow_up.citations] == [
        (c.document.id, c.start, c.end) for c in expected.citations
    ]
    assert any("educa" in p.text.lower() for p in follow_up.retrieved[:5])
    assert any("educa" in c.quote.lower() for c in follow_up.citations)

    body = client.get(f"/api/conversations/{conversation_id}").json()
    assert body["title"] == HEALTH_SERVICES
    assert [t["question"] for t in body["turns"]] == [HEALTH_SERVICES, FOLLOW_UP]
    assert Answer.model_validate(body["turns"][1]["answer"]) == follow_up
    assert conversation_id in [c["id"] for c in client.get("/api/conversations").json()]

    assert client.delete(f"/api/conversations/{conversation_id}").status_code == 403  # no CSRF token
    csrf = {"X-CSRF-Token": client.get("/api/csrf").json()["csrf"]}
    assert client.delete(f"/api/conversations/{conversation_id}", headers=csrf).status_code == 204
    gone = client.get(f"/api/conversations/{conversation_id}")
    assert gone.status_code == 404 and "unknown conversation id" in gone.json()["error"]
    again = client.delete(f"/api/conversations/{conversation_id}", headers=csrf)
    assert again.status_code == 404 and again.json()["error"]


def test_api_ask_with_filters_and_k(client):
    conversation_id = client.post("/api/conversations", json={"title": "laws only"}).json()["id"]
    response = client.post(
        f"/api/conversations/{conversation_id}/ask",
        json={"question": "¿Qué derechos tienen los migrantes?", "filters": {"kind": ["law"]}, "k": 5},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["citations"] and {c["document"]["kind"] for c in answer["citations"]} == {"law"}
    assert len(answer["retrieved"]) == 5
    stored = client.get(f"/api/conversations/{conversation_id}").json()
    assert stored["title"] == "laws only"
    assert stored["turns"][0]["filters"]["kind"] == ["law"]


def test_api_rejects_bad_questions_without_storing(client):
    conversation_id = client.post("/api/conversations").json()["id"]
    for body, status in (({"question": "   "}, 422), ({"question": "x" * 2001}, 422),
                         ({"question": "salud", "filters": {"kind": ["novel"]}}, 400),
                         ({"question": "salud", "k": 0}, 422), ({}, 422)):
        response = client.post(f"/api/conversations/{conversation_id}/ask", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]
    assert client.get(f"/api/conversations/{conversation_id}").json()["turns"] == []


@pytest.mark.parametrize("bad", ["..%2F..%2Fetc%2Fpasswd", "%2E%2E", "ZZZ", "0" * 32, "A" * 32])
def test_api_unknown_or_malformed_ids_are_404(client, bad):
    csrf = {"X-CSRF-Token": client.get("/api/csrf").json()["csrf"]}  # DELETE checks CSRF first
    for method, path, kwargs in (
        ("GET", f"/api/conversations/{bad}", {}),
        ("DELETE", f"/api/conversations/{bad}", {"headers": csrf}),
        ("POST", f"/api/conversations/{bad}/ask", {"json": {"question": "salud"}}),
        ("GET", f"/api/conversations/{bad}/export?format=md", {}),
    ):
        response = client.request(method, path, **kwargs)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]
