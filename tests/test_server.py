"""The uvicorn side of the limits (serve/server.py): a real uvicorn with the options `mgi
serve` uses (``server_options``) on a loopback port, in a thread, over a stand-in Assistant."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import pytest

from .fakes import fake_app, fake_settings


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
