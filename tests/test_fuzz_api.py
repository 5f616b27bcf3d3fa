"""Property-based API fuzzing: schemathesis drives the app from its own OpenAPI schema.

The real app over the real index (the session's built subset), in process, loaded with
``schemathesis.openapi.from_asgi("/openapi.json", app)``. For every operation and for both
generation modes (positive: data that fits the schema; negative: data that does not),
30 derandomised examples: no response may be a server error (``not_a_server_error``),
and every rejection must be a 4xx whose body is ``{"error": "<message>"}``.

(Each operation's strategy is driven by ``hypothesis.given`` directly: schemathesis'
``pytest.from_fixture`` loader fails under pytest 9 — ``'Function' object has no
attribute '_nodeid'``.)
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

MAX_EXAMPLES = 30
OPERATIONS = [
    ("POST", "/api/ask"),
    ("GET", "/api/search"),
    ("GET", "/api/documents"),
    ("GET", "/api/documents/{document_id}"),
    ("GET", "/api/documents/{document_id}/text"),
    ("GET", "/api/sources"),
    ("GET", "/healthz"),
]


@pytest.fixture(scope="module")
def api_schema(built_index_settings, assistant):
    """The schema of the real app, sharing the session's opened Assistant (no model reload)."""
    from assistant.api import create_app

    return schemathesis.openapi.from_asgi("/openapi.json", create_app(built_index_settings, assistant))


def check_error_body(response) -> None:
    """A 4xx carries ``{"error": "<non-empty message>"}``."""
    if 400 <= response.status_code < 500:
        body = json.loads(response.content)
        assert isinstance(body, dict) and set(body) == {"error"}, body
        assert isinstance(body["error"], str) and body["error"].strip(), body


def test_every_operation_is_fuzzed(api_schema):
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS), "update OPERATIONS: the API changed"


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_never_errors_on_generated_input(api_schema, method, path, mode):
    operation = api_schema[path][method]
    seen: dict[int, int] = {}

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case) -> None:
        response = case.call()
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        case.validate_response(response, checks=[not_a_server_error])
        assert response.status_code < 500, response.text[:500]
        check_error_body(response)

    fuzz()
    print(f"{method} {path} {mode}: statuses {seen}")
    assert seen
