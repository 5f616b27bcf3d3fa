"""The API schema and its documentation page: the limits the server enforces written into
the OpenAPI schema, and Swagger UI at /docs served from local files (works offline).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from assistant.serve.handlers import ErrorBody
from assistant.settings import Settings


def document_limits(app: FastAPI, settings: Settings) -> None:
    """Document the limits the server enforces: question maxLength = max_question_chars, and
    413 (body over max_body_bytes) on every operation that takes a body."""
    from fastapi.openapi.utils import get_openapi

    def schema() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description,
                           routes=app.routes)
        for name in ("AskRequest", "ConversationAsk"):
            props = spec.get("components", {}).get("schemas", {}).get(name, {}).get("properties", {})
            if "question" in props:
                props["question"].update(maxLength=settings.max_question_chars, minLength=1)
        for path in spec.get("paths", {}).values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                if "requestBody" in operation:
                    responses.setdefault("413", {
                        "description": f"Request body larger than {settings.max_body_bytes} bytes "
                                       "(max_body_bytes)",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
                    })
        spec.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "ErrorBody", ErrorBody.model_json_schema())
        app.openapi_schema = spec
        return spec

    app.openapi = schema  # type: ignore[method-assign]


def mount_swagger_ui(app: FastAPI) -> None:
    """Swagger UI from the swagger-ui-bundle package's files (no CDN: works offline)."""
    from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
    from fastapi.staticfiles import StaticFiles

    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # pragma: no cover - a declared dependency
        return
    app.mount("/swagger-ui", StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title=f"{app.title} – API",
            swagger_js_url="/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/swagger-ui/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
