"""The request timeout (``settings.request_timeout_s``; 0 = off): a request still running
after it is answered 503 with Retry-After, and the turn it was about to store is not stored
(``TurnGuard``); if the turn is being committed at that moment, the response waits for it
and is delivered instead.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading

from assistant.serve.asgi import ASGIApp, Message, Receive, Scope, Send
from assistant.serve.handlers import error_json

log = logging.getLogger("assistant.serve.limits")  # the logger the timeout always used


class TurnGuard:
    """Entered around the transaction that stores a turn. After the request has been
    answered 503 (timeout) it refuses, so nothing is stored that the client was told failed;
    while a commit is running, the timeout waits for it instead (the turn is then
    delivered, not half-done)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.abandoned = False

    def __enter__(self) -> TurnGuard:
        self._lock.acquire()
        if self.abandoned:
            self._lock.release()
            raise RequestAbandoned("the request timed out and was answered 503; nothing stored")
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()

    def abandon(self) -> bool:
        """Mark abandoned unless a commit is in progress (then False: let it finish)."""
        if not self._lock.acquire(blocking=False):
            return False
        self.abandoned = True
        self._lock.release()
        return True


class RequestAbandoned(RuntimeError):
    """The request was answered 503 for its timeout before its turn was stored."""


def turn_guard(scope: Scope) -> TurnGuard | None:
    return scope.get("state", {}).get("mgi_turn_guard")


async def run_with_timeout(app: ASGIApp, timeout: float, scope: Scope, receive: Receive, send: Send) -> None:
    """Call the app, answering 503 if it runs past the timeout (when one is set). A turn
    the request was storing is then not stored (TurnGuard), so a retry cannot duplicate it."""
    if timeout <= 0:
        await app(scope, receive, send)
        return
    guard = TurnGuard()
    scope = {**scope, "state": {**scope.get("state", {}), "mgi_turn_guard": guard}}
    state = {"started": False, "abandoned": False}

    async def guarded(message: Message) -> None:
        if state["abandoned"]:
            return
        if message["type"] == "http.response.start":
            state["started"] = True
        await send(message)

    task = asyncio.ensure_future(app(scope, receive, guarded))
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if task not in done and not guard.abandon():
        # a turn is being committed right now: it will be stored, so deliver it
        done, _ = await asyncio.wait({task}, timeout=max(10.0, timeout))
    if task in done:
        task.result()
        return
    guard.abandoned = True
    state["abandoned"] = True
    task.cancel()
    task.add_done_callback(_consume)
    log.warning("%s %s timed out after %.1f s", scope.get("method"), scope.get("path"), timeout)
    if not state["started"]:
        retry = str(max(1, math.ceil(timeout)))
        message = f"request took longer than {timeout:g} s and was abandoned; nothing was stored"
        await error_json(503, message, {"Retry-After": retry})(scope, receive, send)


def _consume(task: asyncio.Future) -> None:
    """Retrieve an abandoned task's outcome so asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()
