"""The real FastAPI app over a real index, through its HTTP client."""

from __future__ import annotations

import pytest


def _verbatim(client, citation):
    doc = citation["document"]["id"]
    got = client.get(f"/api/documents/{doc}/text", params={"start": citation["start"], "end": citation["end"]})
    assert got.status_code == 200
    return got.json()["text"] == citation["quote"]


def test_ask_returns_verbatim_numbered_citations(client, assistant):
    response = client.post("/api/ask", json={"question": "Do migrants have access to health services in Mexico City?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"question", "answer", "refused", "citations", "retrieved", "timings_ms"}
    assert body["refused"] is False and body["citations"]
    assert [c["n"] for c in body["citations"]] == list(range(1, len(body["citations"]) + 1))
    for citation in body["citations"]:
        document = assistant.documents[citation["document"]["id"]]
        assert document.text[citation["start"]:citation["end"]] == citation["quote"]
        assert _verbatim(client, citation)
        assert f"[{citation['n']}]" in body["answer"]
        assert citation["section"]
    assert any("health" in c["quote"].lower() for c in body["citations"])


def test_law_citations_carry_article_and_page(client):
    body = client.post("/api/ask", json={
        "question": "derecho de los migrantes a recibir atención médica",
        "filters": {"document": ["ley-migracion"]},
    }).json()
    assert not body["refused"]
    first = body["citations"][0]
    assert first["document"]["id"] == "ley-migracion"
    assert first["article"].startswith("Artículo") and first["page"] >= 1


def test_refuses_what_the_corpus_does_not_answer(client):
    body = client.post("/api/ask", json={"question": "What is the minimum wage in Buenos Aires?"}).json()
    assert body["refused"] is True
    assert body["citations"] == []
    assert body["retrieved"]  # the closest passages are still shown


def test_search_and_filters(client):
    hits = client.get("/api/search", params={"q": "refugiados asilo político", "k": 5, "document": "ley-refugiados"}).json()
    assert len(hits) == 5 and all(h["document"]["id"] == "ley-refugiados" for h in hits)
    hits = client.get("/api/search", params={"q": "health", "kind": "profile"}).json()
    assert hits and all(h["document"]["kind"] == "profile" for h in hits)


def test_documents_endpoints(client):
    listed = client.get("/api/documents").json()
    assert {d["id"] for d in listed} == {"mgi-mexico-city-2022", "ley-migracion", "ley-refugiados"}
    law = client.get("/api/documents/ley-migracion").json()
    assert law["pages"] == 72 and law["articles_outline"]
    profile = client.get("/api/documents/mgi-mexico-city-2022").json()
    assert any(s["title"] == "KEY SOURCES" for s in profile["outline"])
    text = client.get("/api/documents/ley-migracion/text", params={"start": 0, "end": 40}).json()
    assert len(text["text"]) == 40 and text["page"] == 1
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize(
    "payload, status, words",
    [
        ({"question": ""}, 422, "empty"),
        ({"question": "   \n\t "}, 422, "empty"),
        ({"question": "x" * 2001}, 422, "2000"),
        ({"question": "health", "k": 0}, 422, "k must be"),
        ({"question": "health", "k": 51}, 422, "k must be"),
        ({"question": "health", "filters": {"document": ["nope"]}}, 400, "unknown document"),
        ({"question": "health", "filters": {"kind": ["novel"]}}, 400, "unknown kind"),
        ({"question": 5}, 422, "question"),
        ({}, 422, "question"),
    ],
)
def test_bad_ask_input_gets_a_clear_4xx(client, payload, status, words):
    response = client.post("/api/ask", json=payload)
    assert response.status_code == status
    assert words in response.json()["error"]


def test_malformed_json_and_unknown_ids(client):
    response = client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and "json" in response.json()["error"].lower()
    response = client.get("/api/documents/unknown-law")
    assert response.status_code == 404 and "unknown document" in response.json()["error"]
    response = client.get("/api/documents/ley-migracion/text", params={"start": 10, "end": 5})
    assert response.status_code == 422
    assert client.get("/api/search", params={"q": "salud", "k": 1000}).status_code == 422


def test_minimal_page_shows_answer(client):
    page = client.get("/", params={"q": "Do migrants have access to health services in Mexico City?"})
    assert page.status_code == 200
    assert 'class="lead"' in page.text and 'class="citations"' in page.text
    assert 'class="refusal"' not in page.text
