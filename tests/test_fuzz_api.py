"""Property-based API fuzzing: schemathesis drives the app from its own OpenAPI schema.

The real app over the real index (the session's built subset), in process. For every
operation, bounded examples (30 per operation, derandomised so a run is reproducible):
no response may be a server error, and every rejection must be a 4xx whose body is
``{"error": "<message>"}``.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

MAX_EXAMPLES = 30


@pytest.fixture(scope="module")
def fuzzed_app(built_index_settings, assistant):
    """The real app, sharing the session's opened Assistant (no model reload)."""
    from assistant.api import create_app

    return create_app(built_index_settings, assistant)


@pytest.fixture(scope="module")
def api_schema(fuzzed_app):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)


schema = schemathesis.pytest.from_fixture("api_schema")


def check_error_body(response) -> None:
    """A 4xx carries ``{"error": "<non-empty message>"}``."""
    if 400 <= response.status_code < 500:
        body = json.loads(response.content)
        assert isinstance(body, dict) and set(body) == {"error"}, body
        assert isinstance(body["error"], str) and body["error"].strip(), body


@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_never_errors_on_generated_input(case):
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, response.text[:500]
    check_error_body(response)
