"""The API schema (serve/openapi.py): the enforced limits documented, Swagger UI offline."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .fakes import fake_app


def test_openapi_documents_the_question_cap_and_413(tmp_path):
    app, settings, _ = fake_app(tmp_path)
    spec = TestClient(app).get("/openapi.json").json()
    for name in ("AskRequest", "ConversationAsk"):
        assert spec["components"]["schemas"][name]["properties"]["question"]["maxLength"] == settings.max_question_chars
    assert "413" in spec["paths"]["/api/ask"]["post"]["responses"]
    assert "413" in spec["paths"]["/api/conversations/{conversation_id}/ask"]["post"]["responses"]
    with TestClient(app) as client:
        big = client.post("/api/ask", content=b'{"question": "' + b"a" * 70_000 + b'"}',
                          headers={"content-type": "application/json"})
    assert big.status_code == 413 and "limit" in big.json()["error"]


def test_swagger_ui_is_served_locally(tmp_path):
    app, _, _ = fake_app(tmp_path)
    with TestClient(app) as client:
        page = client.get("/docs")
        assert page.status_code == 200 and "https://" not in page.text
        for asset in ("/swagger-ui/swagger-ui-bundle.js", "/swagger-ui/swagger-ui.css"):
            assert client.get(asset).status_code == 200, asset
        policy = page.headers["content-security-policy"]
        assert "https:" not in policy and "cdn" not in policy
