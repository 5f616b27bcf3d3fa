"""The real client address: the TCP peer, or — only when the peer is one of the trusted
proxies (``settings.forwarded_allow_ips``) — the right-most untrusted X-Forwarded-For hop.
"""

from __future__ import annotations

import ipaddress
import logging

from assistant.serve.asgi import Scope

log = logging.getLogger("assistant.serve.limits")  # the logger these warnings always used


def parse_networks(text: str) -> list:
    """The networks of a comma- or space-separated list (bad entries logged, skipped)."""
    nets = []
    for part in (text or "").replace(" ", ",").split(","):
        part = part.strip()
        if part:
            try:
                nets.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                log.warning("forwarded_allow_ips: ignoring %r (not an IP address or network)", part)
    return nets


def trusted(address: str | None, networks: list) -> bool:
    """Whether ``address`` is inside one of ``networks``."""
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def real_client(scope: Scope, networks: list) -> str:
    """The client's address: the TCP peer, unless the peer is a configured proxy — then the
    right-most X-Forwarded-For entry that is not itself a trusted proxy. An untrusted peer's
    X-Forwarded-For is ignored, so it cannot pick its own rate-limit bucket."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if not trusted(peer, networks):
        return peer
    forwarded = [
        hop.strip()
        for key, value in scope.get("headers", ())
        if key == b"x-forwarded-for"
        for hop in value.decode("latin-1").split(",")
        if hop.strip()
    ]
    for hop in reversed(forwarded):
        if not trusted(hop, networks):
            return hop
    return forwarded[0] if forwarded else peer
