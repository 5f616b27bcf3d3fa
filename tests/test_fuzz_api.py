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
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

MAX_EXAMPLES = 30
REAL_DOCUMENT = "ley-migracion"  # in the session's subset: lets the fuzzer reach past the 404


def _operations() -> list[tuple[str, str, bool]]:
    """(method, path, takes input) of every operation in the app's schema, read at collection
    time from ``app.openapi()`` (no index needed), so a new route is fuzzed without edits."""
    from assistant.serve.api import create_app
    from assistant.settings import get_settings

    found = []
    for path, item in create_app(get_settings()).openapi()["paths"].items():
        for method, spec in item.items():
            found.append((method.upper(), path, bool(spec.get("parameters") or spec.get("requestBody"))))
    return sorted(found)


OPERATIONS = _operations()
CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode}")
    for method, path, takes_input in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if takes_input or mode == GenerationMode.POSITIVE  # nothing to break without input
]


@pytest.fixture(scope="module")
def api_schema(built_index_settings, assistant):
    """The schema of the real app, sharing the session's opened Assistant (no model reload)."""
    from assistant.serve.api import create_app

    return schemathesis.openapi.from_asgi("/openapi.json", create_app(built_index_settings, assistant))


def check_error_body(response) -> None:
    """A 4xx carries ``{"error": "<non-empty message>"}``."""
    if 400 <= response.status_code < 500:
        body = json.loads(response.content)
        assert isinstance(body, dict) and set(body) == {"error"}, body
        assert isinstance(body["error"], str) and body["error"].strip(), body


def test_every_operation_is_fuzzed(api_schema):
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == {(method, path) for method, path, _ in OPERATIONS}
    assert ("POST", "/api/ask") in found


@pytest.mark.parametrize("method, path, mode", CASES)
def test_api_never_errors_on_generated_input(api_schema, method, path, mode):
    operation = api_schema[path][method]
    seen: dict[int, int] = {}
    strategy = operation.as_strategy(generation_mode=mode)
    if "{document_id}" in path and mode == GenerationMode.POSITIVE:
        strategy = st.one_of(strategy, strategy.map(_with_real_document))

    @given(case=strategy)
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

    try:
        fuzz()
    except Unsatisfiable:
        pytest.skip(f"schemathesis cannot make {mode} input for {method} {path} (a free-form path id)")
    print(f"{method} {path} {mode}: statuses {seen}")
    assert seen


def _with_real_document(case):
    case.path_parameters = {**(case.path_parameters or {}), "document_id": REAL_DOCUMENT}
    return case
