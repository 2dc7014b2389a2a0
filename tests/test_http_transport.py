"""Streamable HTTP as users run it: `python -m luma_mcp --transport streamable-http`, on loopback only.

The server runs as a subprocess on port 0 and announces its URL on stderr. Host/Origin checks, the
bearer token and the refusal to listen beyond loopback without a token are checked on the wire.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import server_env, structured
from luma_mcp.http_transport import TOKEN_ENV, is_loopback, security_settings

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
DRY_RUN = {"prompt": "A lighthouse beam sweeping through fog", "dry_run": True}


def luma_mcp_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "luma_mcp", "--transport", "streamable-http", *args]


@contextmanager
def http_server(tmp_path: Path, *args: str, **env: str) -> Iterator[str]:
    """Run the server on 127.0.0.1 port 0 until the block ends; yields its MCP URL (read from stderr)."""
    log, out = tmp_path / "server-stderr.log", tmp_path / "server-stdout.log"
    with log.open("wb") as errors, out.open("wb") as output:
        process = subprocess.Popen(
            luma_mcp_command("--sandbox", "--port", "0", *args),
            env=server_env(tmp_path, **env),
            stdout=output,
            stderr=errors,
        )
    try:
        yield _announced_url(process, log)
    finally:
        process.terminate()
        process.wait(10)
    assert out.read_bytes() == b"", "the HTTP server wrote to stdout; its logs belong on stderr"


def _announced_url(process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if "streamable HTTP at " in line:
                return line.split("streamable HTTP at ", 1)[1].split()[0]
        assert process.poll() is None, f"server exited: {log.read_text(errors='replace')}"
        time.sleep(0.05)
    raise AssertionError(f"server did not start: {log.read_text(errors='replace')}")


@asynccontextmanager
async def client_with_token(url: str, token: str) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300)) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


async def post(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **(headers or {})})


async def assert_tools_work(client: Client) -> None:
    names = {tool.name for tool in (await client.list_tools()).tools}
    assert {"generate_video", "get_generation", "list_generations"} <= names
    data = structured(await client.call_tool("generate_video", DRY_RUN))
    assert data["dry_run"] is True and data["request"]["prompt"] == DRY_RUN["prompt"]


async def test_tools_over_streamable_http_on_loopback(tmp_path: Path) -> None:
    with http_server(tmp_path) as url:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")
        async with Client(url) as client:
            await assert_tools_work(client)
        port = url.split(":")[2].split("/")[0]
        assert (await post(url, {"Host": f"localhost:{port}"})).status_code == 200


async def test_foreign_host_or_origin_is_refused(tmp_path: Path) -> None:
    with http_server(tmp_path) as url:
        assert (await post(url, {"Host": "evil.example"})).status_code == 421
        port = url.split(":")[2].split("/")[0]
        assert (await post(url, {"Host": f"evil.example:{port}"})).status_code == 421
        assert (await post(url, {"Origin": "http://evil.example"})).status_code == 403
        assert (await post(url, {"Origin": f"http://127.0.0.1:{port}"})).status_code == 200


async def test_bearer_token_guards_every_request(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(32)
    with http_server(tmp_path, **{TOKEN_ENV: token}) as url:
        refusals = [
            await post(url),
            await post(url, {"Authorization": "Bearer wrong"}),
            await post(url, {"Authorization": f"Bearer {token}x"}),
            await post(url, {"Authorization": f"Basic {token}"}),
        ]
        async with httpx.AsyncClient(timeout=30) as http:
            refusals += [await http.get(url), await http.delete(url), await http.get(url.removesuffix("/mcp"))]
        for response in refusals:
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"
            assert token not in response.text and len(response.text) < 100
        assert (await post(url, {"Authorization": f"Bearer {token}"})).status_code == 200
        assert (await post(url, {"Authorization": f"Bearer {token}", "Host": "evil.example"})).status_code == 421
        async with client_with_token(url, token) as client:
            await assert_tools_work(client)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_non_loopback_bind_without_token_exits(tmp_path: Path, host: str) -> None:
    """The check runs before any socket is opened, so nothing is ever bound beyond loopback here."""
    done = subprocess.run(
        luma_mcp_command("--sandbox", "--host", host, "--port", "0"),
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert TOKEN_ENV in done.stderr and "refusing" in done.stderr and done.stdout == ""


def test_loopback_detection() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.0.2.10", "example.com", "localhost.evil.example", ""):
        assert not is_loopback(host), host


def test_allowed_hosts_follow_the_bound_address() -> None:
    local = security_settings("127.0.0.1", 8123)
    assert local.enable_dns_rebinding_protection
    assert {"127.0.0.1:8123", "localhost:8123", "[::1]:8123"} == set(local.allowed_hosts)
    assert "http://localhost:8123" in local.allowed_origins
    remote: Any = security_settings("192.0.2.10", 8123)
    assert remote.allowed_hosts == ["192.0.2.10:8123"]
    assert security_settings("::1", 0).allowed_hosts[0] == "[::1]:*"
    assert security_settings("0.0.0.0", 9000).allowed_hosts  # the machine's own names and addresses
