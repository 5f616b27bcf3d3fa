"""The uvicorn side of the limits: the options `mgi serve` runs with (``server_options``)
and an h11 protocol with a request-header deadline (``GuardedH11Protocol``).
"""

from __future__ import annotations

from typing import Any

import h11  # uvicorn's HTTP/1.1 parser, used by the protocol below
from uvicorn.protocols.http.h11_impl import H11Protocol

from assistant.settings import Settings

class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-header deadline: a connection that has not sent
    complete request headers ``header_timeout`` seconds after it opened (or after its last
    response) is closed, so idle and byte-by-byte (slow-loris) connections cannot pile up.
    uvicorn's own ``timeout_keep_alive`` only starts after a first response.

    A module-level class (uvicorn pickles its config into worker processes); the deadline
    comes from ``header_timeout_s`` in the worker's settings (environment)."""

    header_timeout: float | None = None

    def _arm_header_deadline(self) -> None:
        if GuardedH11Protocol.header_timeout is None:
            from assistant.settings import get_settings

            GuardedH11Protocol.header_timeout = float(get_settings().header_timeout_s)
        self._header_deadline = self.loop.call_later(GuardedH11Protocol.header_timeout,
                                                     self._header_deadline_hit)

    def _header_deadline_hit(self) -> None:
        waiting = self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)
        if waiting and not self.transport.is_closing():
            self.logger.info("closing a connection that sent no complete request headers in time")
            self.transport.close()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def handle_events(self) -> None:
        super().handle_events()
        deadline = getattr(self, "_header_deadline", None)
        if deadline is not None and self.conn.their_state is not h11.IDLE:
            deadline.cancel()  # headers complete: the request timeout takes over

    def on_response_complete(self) -> None:
        deadline = getattr(self, "_header_deadline", None)
        if deadline is not None:
            deadline.cancel()
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_deadline()

    def connection_lost(self, exc) -> None:
        deadline = getattr(self, "_header_deadline", None)
        if deadline is not None:
            deadline.cancel()
        super().connection_lost(exc)


def server_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options `mgi serve` runs with: the limits below the app.

    - ``http``: h11 (its header-size cap is enforced; httptools buffers any size) with the
      header deadline of ``GuardedH11Protocol``;
    - ``h11_max_incomplete_event_size``: request line + headers cap (``max_header_bytes``);
      larger is answered 400 and the connection closed;
    - ``timeout_keep_alive``: idle keep-alive connections are closed;
    - ``limit_concurrency``: beyond it, new requests get 503 at once instead of queueing;
    - ``proxy_headers=False``: uvicorn never rewrites the client from X-Forwarded-For; the
      app's middleware does, and only for ``forwarded_allow_ips`` peers.
    """
    GuardedH11Protocol.header_timeout = float(settings.header_timeout_s)  # this process
    return {
        "http": GuardedH11Protocol,
        "h11_max_incomplete_event_size": int(settings.max_header_bytes),
        "timeout_keep_alive": max(1, int(round(settings.keep_alive_timeout_s))),
        "limit_concurrency": int(settings.limit_concurrency),
        "proxy_headers": False,
        "forwarded_allow_ips": "",
        "server_header": False,
        "timeout_graceful_shutdown": 30,
    }
