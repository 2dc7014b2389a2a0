"""Slow and greedy HTTP clients (issue 11, item 13), over real sockets against uvicorn serving the server.

The server runs in a thread with short limits, so a client that drips its request head, stalls its body
or opens connection after connection is cut in seconds; a client that behaves, an SSE stream that stays
open longer than every limit included, is not.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import httpx
import pytest

from luma_mcp.http_limits import Limits
from luma_mcp.http_transport import HttpOptions, uvicorn_config
from luma_mcp.server import build_server
from luma_mcp.settings import Settings

LIMITS = Limits(head_seconds=1.0, body_idle_seconds=1.0, connections_per_client=4, keep_alive_seconds=5)
TOKEN = "limits-test-token"
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
).encode()


@contextmanager
def serving(settings: Settings, token: str | None = None) -> Iterator[int]:
    import uvicorn

    sock = socket.create_server(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    options = HttpOptions(host="127.0.0.1", port=port, token=token, limits=LIMITS)
    server = uvicorn.Server(uvicorn_config(build_server(settings), options, port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def head(port: int, length: int, token: str | None = None) -> bytes:
    lines = [
        "POST /mcp HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Accept: application/json, text/event-stream",
        "Content-Type: application/json",
        f"Content-Length: {length}",
    ]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def closed_within(conn: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """(whether the server closed the connection within `seconds`, what it sent before)."""
    conn.settimeout(seconds)
    received = b""
    try:
        while chunk := conn.recv(65536):
            received += chunk
    except TimeoutError:
        return False, received
    except ConnectionResetError:
        pass
    return True, received


@pytest.fixture
def sandbox(settings: Settings) -> Settings:
    return replace(settings, sandbox=True)


def test_a_request_head_dripped_byte_by_byte_is_cut(sandbox: Settings) -> None:
    with serving(sandbox) as port, socket.create_connection(("127.0.0.1", port)) as conn:
        started = time.monotonic()
        cut = False
        for byte in head(port, len(INITIALIZE)):  # one byte every 0.2 s: 30 s for the head at this pace
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                cut = True
                break
            time.sleep(0.2)
            if time.monotonic() - started > 6:
                break
        if not cut:
            cut, _ = closed_within(conn, 3)
        assert cut and time.monotonic() - started < 6


def test_an_idle_connection_that_never_sends_is_cut(sandbox: Settings) -> None:
    with serving(sandbox) as port, socket.create_connection(("127.0.0.1", port)) as conn:
        closed, received = closed_within(conn, 4)
    assert closed and received == b""


def test_a_stalled_body_is_answered_408(sandbox: Settings) -> None:
    with serving(sandbox) as port, socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(head(port, len(INITIALIZE)) + INITIALIZE[:10])  # then nothing
        closed, received = closed_within(conn, 5)
    assert closed and received.startswith(b"HTTP/1.1 408")


def test_without_the_token_the_body_is_never_waited_for(sandbox: Settings) -> None:
    with serving(sandbox, token=TOKEN) as port, socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(head(port, 10_000_000))  # announces 10 MB, sends none of it
        conn.settimeout(3)
        answer = conn.recv(65536)
    assert answer.startswith(b"HTTP/1.1 401")


def test_one_client_cannot_hold_every_connection(sandbox: Settings) -> None:
    with serving(sandbox) as port:
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(LIMITS.connections_per_client)]
        try:
            extra = socket.create_connection(("127.0.0.1", port))
            closed, received = closed_within(extra, 2)
            extra.close()
            assert closed and received == b""
        finally:
            for conn in held:
                conn.close()
        time.sleep(0.3)  # the server sees them close
        answer = httpx.post(f"http://127.0.0.1:{port}/mcp", content=INITIALIZE, headers=MCP_HEADERS, timeout=10)
    assert answer.status_code == 200  # slots come back when their connections close


def test_a_client_that_behaves_is_served_past_every_limit(sandbox: Settings) -> None:
    """A session's SSE stream stays open longer than the head and body limits; requests on a kept-alive
    connection are each on their own clock."""
    with serving(sandbox) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        first = http.post("/mcp", content=INITIALIZE, headers=MCP_HEADERS)
        assert first.status_code == 200
        session = first.headers["mcp-session-id"]
        headers = {**MCP_HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25"}
        http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
        with http.stream("GET", "/mcp", headers={**headers, "Accept": "text/event-stream"}) as stream:
            assert stream.status_code == 200
            time.sleep(LIMITS.head_seconds + LIMITS.body_idle_seconds + 0.5)
            listed = httpx.post(
                f"http://127.0.0.1:{port}/mcp",
                json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                headers=headers,
                timeout=10,
            )
            assert listed.status_code == 200 and "generate_video" in listed.text
            assert not stream.is_closed
        time.sleep(LIMITS.head_seconds / 2)
        again = http.post("/mcp", json={"jsonrpc": "2.0", "id": 3, "method": "ping"}, headers=headers)
        assert again.status_code == 200


def test_limits_reach_uvicorn(settings: Settings) -> None:
    options = HttpOptions(limits=LIMITS)
    config = uvicorn_config(build_server(settings), options, 8000)
    assert (config.limit_concurrency, config.timeout_keep_alive, config.h11_max_incomplete_event_size) == (
        LIMITS.connections,
        LIMITS.keep_alive_seconds,
        LIMITS.head_bytes,
    )
