"""ASGI helpers (serve/asgi.py)."""

from __future__ import annotations

from assistant.serve.asgi import header


def test_header_is_the_first_value_matched_case_insensitively():
    scope = {"headers": [(b"content-type", b"application/json"), (b"X-Forwarded-For", b"1.2.3.4"),
                         (b"content-type", b"text/plain")]}
    assert header(scope, b"content-type") == b"application/json"
    assert header(scope, b"x-forwarded-for") == b"1.2.3.4"
    assert header(scope, b"authorization") is None and header({}, b"cookie") is None
