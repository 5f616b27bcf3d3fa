"""The real client address (serve/proxies.py): X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

from fastapi.testclient import TestClient

from assistant.serve.proxies import parse_networks, real_client, trusted

from .fakes import fake_app


def test_x_forwarded_for_from_an_untrusted_peer_does_not_bypass_the_rate_limit(tmp_path):
    """The issue: a different X-Forwarded-For per request got a fresh bucket each time."""
    app, _, _ = fake_app(tmp_path, rate_limit_per_minute=3)
    with TestClient(app, client=("203.0.113.7", 5000)) as attacker:
        statuses = [attacker.get("/api/documents", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                    for i in range(6)]
    assert statuses == [200, 200, 200, 429, 429, 429]


def test_a_configured_proxy_is_trusted_for_the_real_client(tmp_path):
    app, _, _ = fake_app(tmp_path, rate_limit_per_minute=2, forwarded_allow_ips="10.0.0.0/8")
    with TestClient(app, client=("10.1.2.3", 5000)) as proxy:
        first = [proxy.get("/api/documents", headers={"X-Forwarded-For": "198.51.100.1"}).status_code
                 for _ in range(3)]
        # a client cannot spoof past the proxy: the proxy appends the address it saw
        spoofed = proxy.get("/api/documents", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.1"})
        other = proxy.get("/api/documents", headers={"X-Forwarded-For": "198.51.100.2"})
    assert first == [200, 200, 429]
    assert spoofed.status_code == 429
    assert other.status_code == 200


def test_real_client_trusts_only_configured_proxies():
    proxies = parse_networks("10.0.0.0/8, 192.0.2.1 not-an-ip")
    assert len(proxies) == 2 and trusted("10.9.9.9", proxies) and not trusted("203.0.113.1", proxies)
    assert not trusted(None, proxies) and not trusted("garbage", proxies)
    forwarded = [(b"x-forwarded-for", b"1.2.3.4, 198.51.100.1, 10.0.0.2")]
    assert real_client({"client": ("10.1.1.1", 1), "headers": forwarded}, proxies) == "198.51.100.1"
    assert real_client({"client": ("203.0.113.9", 1), "headers": forwarded}, proxies) == "203.0.113.9"
    assert real_client({"client": ("10.1.1.1", 1), "headers": []}, proxies) == "10.1.1.1"
    assert real_client({"headers": []}, []) == "unknown"
