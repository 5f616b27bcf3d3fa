"""The rate limit (serve/ratelimit.py): token buckets, shared by every worker through the
store. The in-process tests run with a frozen clock, so they are exact."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .fakes import fake_app


def test_the_rate_limit_is_shared_across_workers(tmp_path):
    """Two app instances (two workers) on one database spend from one bucket."""
    first_app, _, _ = fake_app(tmp_path, rate_limit_per_minute=4)
    second_app, _, _ = fake_app(tmp_path, rate_limit_per_minute=4)
    with TestClient(first_app, client=("192.0.2.9", 1)) as first, \
            TestClient(second_app, client=("192.0.2.9", 2)) as second:
        statuses = [(first if i % 2 else second).get("/api/documents").status_code for i in range(6)]
    assert statuses.count(200) == 4 and statuses.count(429) == 2


@pytest.fixture()
def frozen_clock(monkeypatch):
    """The rate limiter's clock, stopped at t=1000 s; advance it with ``clock[0] += s``."""
    from assistant.serve import ratelimit

    clock = [1000.0]
    monkeypatch.setattr(ratelimit, "_now", lambda: clock[0])
    return clock


def test_token_bucket_refills_continuously(frozen_clock):
    from assistant.serve.ratelimit import TokenBuckets

    buckets = TokenBuckets(per_minute=6)  # one token every 10 s, burst of 6
    assert [buckets.take("a") for _ in range(6)] == [0.0] * 6
    assert buckets.take("a") == pytest.approx(10.0)
    assert buckets.take("b") == 0.0  # another client has its own bucket
    frozen_clock[0] += 5
    assert buckets.take("a") == pytest.approx(5.0)
    frozen_clock[0] += 5
    assert buckets.take("a") == 0.0
    frozen_clock[0] += 3600
    assert [buckets.take("a") for _ in range(6)] == [0.0] * 6  # refills up to the burst only
    assert buckets.take("a") > 0


def test_rate_limit_answers_429_with_retry_after(built_index_settings, assistant, frozen_clock):
    from assistant.serve.api import create_app

    settings = built_index_settings.model_copy(update={"rate_limit_per_minute": 3})
    app = create_app(settings, assistant)
    with TestClient(app, client=("10.0.0.1", 5000)) as first, TestClient(app, client=("10.0.0.2", 5000)) as second:
        assert [first.get("/api/documents").status_code for _ in range(3)] == [200] * 3
        limited = first.post("/api/ask", json={"question": "salud"})
        assert limited.status_code == 429
        assert "rate limit" in limited.json()["error"] and limited.headers["retry-after"] == "20"
        assert limited.headers["x-content-type-options"] == "nosniff"
        assert first.get("/healthz").status_code == 200  # health checks are never limited
        assert second.get("/api/documents").status_code == 200  # per client
        frozen_clock[0] += 20
        assert first.get("/api/documents").status_code == 200
        assert first.get("/api/documents").status_code == 429


def test_rate_limit_is_off_by_default(client, built_index_settings):
    assert built_index_settings.rate_limit_per_minute == 0
    assert all(client.get("/api/documents").status_code == 200 for _ in range(30))
