"""Limits at the edge (issue 13), each attack of the issue reproduced and now refused.

The socket-level ones (header size, idle and byte-by-byte connections, concurrency) run a
real uvicorn server with the options `mgi serve` uses (``limits.server_options``) on a
loopback port, in a thread, over a stand-in Assistant. The rest go through the app.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from .fakes import FakeAssistant, fake_app, fake_settings


@contextmanager
def running(app, settings):
    """uvicorn with server_options(settings) on a free loopback port; yields the port."""
    import uvicorn

    from assistant.serve.server import server_options

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on",
                            **server_options(settings))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes the connection (EOF or reset) within ``seconds``."""
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def response_of(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture()
def server(tmp_path):
    app, settings, _ = fake_app(tmp_path, header_timeout_s=1.0, keep_alive_timeout_s=1.0,
                                max_header_bytes=8192, limit_concurrency=4)
    with running(app, settings) as port:
        yield port


# ----------------------------------------------------------------------------- below the app


def test_a_huge_request_header_is_refused(server):
    """The issue: a 64 MB header was buffered whole. Now past max_header_bytes the server
    answers 400 and closes: the sender is reset once the kernel's socket buffers (a few
    MB on loopback) are full, long before 64 MB."""
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000)
        assert response_of(sock).startswith(b"HTTP/1.1 400")
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        try:
            while sent < 64 * 2**20:
                sock.sendall(b"a" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert sent < 64 * 2**20, "the server kept reading a 64 MB header"


def test_an_idle_connection_is_closed(server):
    """The issue: idle connections were kept open forever (no request ever sent)."""
    with socket.create_connection(("127.0.0.1", server)) as sock:
        assert closed_within(sock, 5)


def test_a_byte_by_byte_request_is_cut_off(server):
    """Slow-loris: one header byte every 0.2 s never completes within header_timeout_s."""
    with socket.create_connection(("127.0.0.1", server)) as sock:
        began = time.monotonic()
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
        try:
            for byte in request:
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
                if time.monotonic() - began > 6:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert closed_within(sock, 3)
        assert time.monotonic() - began < 6


def test_keep_alive_is_closed_after_the_timeout_but_works_meanwhile(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        for _ in range(2):  # two requests on one connection
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            head = response_of(sock)
            assert head.startswith(b"HTTP/1.1 200"), head[:100]
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            body = head.split(b"\r\n\r\n", 1)[1]
            while len(body) < length:
                body += sock.recv(65536)
        assert closed_within(sock, 4)


def test_concurrency_beyond_the_limit_is_503_not_a_queue(server):
    """limit_concurrency=4: idle sockets held open count as connections, so a fifth
    request is refused at once with 503 instead of piling up."""
    held = [socket.create_connection(("127.0.0.1", server)) for _ in range(4)]
    try:
        with socket.create_connection(("127.0.0.1", server)) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert response_of(sock).startswith(b"HTTP/1.1 503")
    finally:
        for sock in held:
            sock.close()


def test_uvicorn_never_trusts_forwarded_headers_itself(tmp_path):
    from assistant.serve.server import server_options

    options = server_options(fake_settings(tmp_path))
    assert options["proxy_headers"] is False and options["forwarded_allow_ips"] == ""
    assert options["h11_max_incomplete_event_size"] == 16_384
    assert options["http"].__name__ == "GuardedH11Protocol"  # h11: the header cap is enforced


# ----------------------------------------------------------------------------- rate limits


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


def test_the_rate_limit_is_shared_across_workers(tmp_path):
    """Two app instances (two workers) on one database spend from one bucket."""
    first_app, _, _ = fake_app(tmp_path, rate_limit_per_minute=4)
    second_app, _, _ = fake_app(tmp_path, rate_limit_per_minute=4)
    with TestClient(first_app, client=("192.0.2.9", 1)) as first, \
            TestClient(second_app, client=("192.0.2.9", 2)) as second:
        statuses = [(first if i % 2 else second).get("/api/documents").status_code for i in range(6)]
    assert statuses.count(200) == 4 and statuses.count(429) == 2


# ----------------------------------------------------------------------------- the app


def test_openapi_documents_the_question_cap_and_413(tmp_path):
    app, settings, _ = fake_app(tmp_path)
    spec = TestClient(app).get("/openapi.json").json()
    for name in ("AskRequest", "ConversationAsk"):
        assert spec["components"]["schemas"][name]["properties"]["question"]["maxLength"] == settings.max_question_chars
    assert "413" in spec["paths"]["/api/ask"]["post"]["responses"]
    assert "413" in spec["paths"]["/api/conversations/{conversation_id}/ask"]["post"]["responses"]
    with TestClient(app) as client:
        big = client.post("/api/ask", content=b'{"question": "' + b"a" * 70_000 + b'"}',
                          headers={"content-type": "application/json"})
    assert big.status_code == 413 and "limit" in big.json()["error"]


def test_head_works_on_get_routes(tmp_path):
    app, _, _ = fake_app(tmp_path)
    with TestClient(app) as client:
        for path in ("/healthz", "/", "/api/documents", "/conversations", "/docs", "/static/app.css"):
            head = client.head(path)
            get = client.get(path)
            assert head.status_code == get.status_code == 200, path
            assert head.content == b""
            assert head.headers["content-type"] == get.headers["content-type"]


def test_nul_is_refused_in_titles_and_history(tmp_path):
    app, _, _ = fake_app(tmp_path)
    with TestClient(app) as client:
        title = client.post("/api/conversations", json={"title": "a\x00b"})
        assert title.status_code == 422 and "NUL" in title.json()["error"]
        history = client.post("/api/ask", json={"question": "hola", "history": [{"question": "x\x00y"}]})
        assert history.status_code == 422 and "NUL" in history.json()["error"]
        answer = client.post("/api/ask", json={"question": "hola", "history": [{"question": "x", "answer": "\x00"}]})
        assert answer.status_code == 422
        assert client.get("/api/conversations").json() == []


def test_invalid_utf8_in_a_form_post_is_400_not_replacement_characters(tmp_path):
    """The issue: form bytes were decoded lossily and saved as U+FFFD."""
    app, _, assistant = fake_app(tmp_path)
    with TestClient(app) as client:
        for body, kind in ((b"question=caf%E9", "application/x-www-form-urlencoded"),
                           (b"question=\xff\xfe", "application/x-www-form-urlencoded")):
            response = client.post("/ask", content=body, headers={"content-type": kind})
            assert response.status_code == 400 and "UTF-8" in response.text
            assert response.headers["content-type"].startswith("text/html")  # a page for a form
        api = client.post("/api/ask", content=b'{"question": "caf\xe9"}', headers={"content-type": "application/json"})
        assert api.status_code == 400 and "UTF-8" in api.json()["error"]
        multipart = (b"--b\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\ncaf\xe9\r\n--b--\r\n")
        response = client.post("/ask", content=multipart, headers={"content-type": "multipart/form-data; boundary=b"})
        assert response.status_code == 400
        assert assistant.asked == 0 and client.get("/api/conversations").json() == []
        ok = client.post("/ask", data={"question": "café"}, follow_redirects=False)
        assert ok.status_code == 303


def test_a_timed_out_request_stores_no_turn(tmp_path):
    """The issue: a request answered 503 for its timeout still stored its turn, so the
    client's retry duplicated it. Now the late answer is dropped before it is stored."""
    settings = fake_settings(tmp_path, request_timeout_s=0.5)
    slow = FakeAssistant(settings, delay=1.5)
    app, _, _ = fake_app(tmp_path, slow, request_timeout_s=0.5)
    with TestClient(app) as client:
        conversation_id = client.post("/api/conversations", json={}).json()["id"]
        timed_out = client.post(f"/api/conversations/{conversation_id}/ask", json={"question": "hola"})
        assert timed_out.status_code == 503 and "nothing was stored" in timed_out.json()["error"]
        form = client.post(f"/c/{conversation_id}/ask", data={"question": "hola"}, follow_redirects=False)
        assert form.status_code == 503
        time.sleep(2.5)  # the abandoned answers have finished by now
        assert slow.asked == 2
        assert client.get(f"/api/conversations/{conversation_id}").json()["turns"] == []
        slow.delay = 0
        retried = client.post(f"/api/conversations/{conversation_id}/ask", json={"question": "hola"})
        assert retried.status_code == 200 and retried.headers["X-Conversation-Turn"] == "1"


def test_swagger_ui_is_served_locally(tmp_path):
    app, _, _ = fake_app(tmp_path)
    with TestClient(app) as client:
        page = client.get("/docs")
        assert page.status_code == 200 and "https://" not in page.text
        for asset in ("/swagger-ui/swagger-ui-bundle.js", "/swagger-ui/swagger-ui.css"):
            assert client.get(asset).status_code == 200, asset
        policy = page.headers["content-security-policy"]
        assert "https:" not in policy and "cdn" not in policy


def test_export_links_never_come_from_the_host_header(tmp_path):
    app, _, _ = fake_app(tmp_path, public_url="https://mgi.example.org/")
    with TestClient(app, base_url="https://testserver") as client:  # https: cookies are Secure
        conversation_id = client.post("/api/conversations", json={}).json()["id"]
        client.post(f"/api/conversations/{conversation_id}/ask", json={"question": "hola"})
        evil = {"Host": "evil-host.example", "X-Forwarded-Host": "evil-host.example",
                "Cookie": f"mgi_browser={client.cookies.get('mgi_browser')}"}
        for fmt in ("md", "csv", "bib", "json"):
            body = client.get(f"/api/conversations/{conversation_id}/export", params={"format": fmt},
                              headers=evil).text
            assert "https://mgi.example.org/documents/ley-a?start=" in body, fmt
            assert "evil-host" not in body, fmt
        page = client.get(f"/c/{conversation_id}/export", headers=evil).text
        assert "evil-host" not in page
