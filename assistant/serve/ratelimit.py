"""The per-client rate limit: a token bucket per real client address, ``per_minute`` a
minute with a burst of the same size. ``SharedBuckets`` keeps the buckets in the
conversation store, so every worker and replica spends from the same one; ``TokenBuckets``
is the in-process form of the same arithmetic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse

from assistant.serve.handlers import error_json
from assistant.settings import Settings

EXEMPT_FROM_RATE_LIMIT = frozenset({"/healthz"})
MAX_TRACKED_CLIENTS = 10_000


def _now() -> float:
    """The rate limiter's clock (wall-clock seconds, comparable across processes and
    replicas that share the buckets); tests replace it."""
    return time.time()


class TokenBuckets:
    """One token bucket per client key: ``per_minute`` tokens, refilled continuously."""

    def __init__(self, per_minute: int, clock: Callable[[], float] | None = None) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated)

    def take(self, key: str) -> float:
        """Spend one token of ``key``; return 0.0 if allowed, else seconds until one is free."""
        now = (self.clock or _now)()
        tokens, updated = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - updated) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_TRACKED_CLIENTS:
                self._forget_full(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely (they equal a fresh bucket)."""
        for key, (tokens, updated) in list(self._buckets.items()):
            if tokens + (now - updated) * self.rate >= self.capacity:
                del self._buckets[key]


class SharedBuckets:
    """Token buckets kept in the conversation store (SQLite or PostgreSQL), so every worker
    and replica spends from the same bucket: the limit is global, not per process."""

    def __init__(self, per_minute: int, store_opener: Callable[[], Any]) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._open = store_opener

    def take(self, key: str) -> float:
        return self._open().take_token(f"rate:{key}", self.capacity, self.rate, _now())


def shared_buckets(settings: Settings) -> SharedBuckets | None:
    """The store-backed buckets of ``settings.rate_limit_per_minute`` (None when 0: off)."""
    per_minute = int(settings.rate_limit_per_minute or 0)
    if per_minute <= 0:
        return None
    from assistant.conversations import open_store
    from assistant.serve.store import database_target

    target = database_target(settings)
    return SharedBuckets(per_minute, lambda: open_store(target))


async def refusal(buckets: SharedBuckets | TokenBuckets, client: str) -> JSONResponse | None:
    """The 429 (over the limit) or 503 (store down) answer for ``client``, or None to go on."""
    from starlette.concurrency import run_in_threadpool

    try:
        wait = await run_in_threadpool(buckets.take, client)
    except Exception as error:  # noqa: BLE001 - the store is down: say so, do not 500
        return error_json(503, f"rate limiter unavailable: {error}", {"Retry-After": "30"})
    if wait > 0:
        retry = str(max(1, math.ceil(wait)))
        message = f"rate limit exceeded ({int(buckets.capacity)} requests a minute); retry in {retry} s"
        return error_json(429, message, {"Retry-After": retry})
    return None
