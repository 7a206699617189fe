"""Connections that never finish their request headers, or sit idle, are closed: against a
real uvicorn served as `make run` and the Docker image serve it."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import httpx2 as httpx

from tests.live_server import LiveServer

DEADLINE = 2.0  # TABLECLOTH_HEADER_TIMEOUT_SECONDS for these tests (10 by default)
KEEP_ALIVE = 5.0  # uvicorn's --timeout-keep-alive


def closed_by_server(sock: socket.socket, until: float) -> bool:
    """True once the server closes `sock` (end of file, or a reset) before `until`."""
    while time.monotonic() < until:
        sock.settimeout(max(0.01, until - time.monotonic()))
        try:
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
    return False


def trickled_until_closed(sock: socket.socket, until: float) -> bool:
    """Send a request's headers a byte every 0.25 s; True once the server has closed it."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 200
    for byte in request:
        if time.monotonic() > until:
            return False
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return True
        time.sleep(0.25)
    return False


def one_response(sock: socket.socket) -> bytes:
    """One whole HTTP response (its head and its Content-Length of body) from `sock`."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "closed before a whole response"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length: *(\d+)", head)
    assert length
    while len(body) < int(length.group(1)):
        chunk = sock.recv(4096)
        assert chunk, "closed before a whole response"
        body += chunk
    return head + b"\r\n\r\n" + body


def test_connections_that_never_finish_their_headers_are_closed(
    database_url: str, tmp_path: Path
) -> None:
    """50 connections send half a request's headers, one trickles a byte at a time and one
    sends nothing: all are closed within the deadline, while a normal request is answered
    at once meanwhile."""
    env = {"TABLECLOTH_HEADER_TIMEOUT_SECONDS": str(DEADLINE)}
    server = LiveServer(database_url=database_url, log_dir=tmp_path, extra_env=env).start()
    slow: list[socket.socket] = []
    try:
        began = time.monotonic()
        for _ in range(50):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slo")
            slow.append(sock)
        silent = socket.create_connection(("127.0.0.1", server.port))
        trickle = socket.create_connection(("127.0.0.1", server.port))
        with httpx.Client(base_url=server.url, timeout=2) as client:
            r = client.get("/healthz")
            assert r.status_code == 200
            assert r.json() == {"status": "ok"}
        until = began + DEADLINE + 1.5
        # A byte every 0.25 s, past the deadline: each byte resets no timer.
        assert trickled_until_closed(trickle, until)
        assert all(closed_by_server(sock, until) for sock in slow)
        assert closed_by_server(silent, until)
        assert time.monotonic() - began >= DEADLINE - 0.5  # not closed before the deadline
        for sock in (silent, trickle):
            sock.close()
    finally:
        for sock in slow:
            sock.close()
        server.stop()


def test_a_kept_alive_connection_serves_requests_and_is_closed_when_idle(
    database_url: str, tmp_path: Path
) -> None:
    """Between requests the header deadline does not run: a connection idle for longer
    than it still takes the next request, and is closed after uvicorn's keep-alive."""
    env = {"TABLECLOTH_HEADER_TIMEOUT_SECONDS": "1"}
    server = LiveServer(database_url=database_url, log_dir=tmp_path, extra_env=env).start()
    try:
        sock = socket.create_connection(("127.0.0.1", server.port))
        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        sock.sendall(request)
        sock.settimeout(2)
        assert one_response(sock).startswith(b"HTTP/1.1 200")
        time.sleep(1.5)  # longer than the header deadline, shorter than the keep-alive
        sock.sendall(request)
        assert one_response(sock).startswith(b"HTTP/1.1 200")
        idle_from = time.monotonic()
        assert closed_by_server(sock, idle_from + KEEP_ALIVE + 2)
        assert time.monotonic() - idle_from >= KEEP_ALIVE - 0.5
        sock.close()
    finally:
        server.stop()
