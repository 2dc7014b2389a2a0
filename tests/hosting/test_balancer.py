"""Replicas behind HAProxy (the shipped deploy/haproxy.cfg, rendered with loopback ports): 2025-11-25
sessions reach the replica that made them, 2026-07-28 requests spread, and every refusal a single server
makes is still made through the balancer, over real HTTP: a token for another audience, an expired
token, a token without the scope, and a valid token used on another user's generation.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import MCPError

from conftest import structured
from luma_mcp.settings import DEFAULT_AUTH_SCOPE

from .cluster_support import HAPROXY_EXAMPLE, Cluster, NoBalancer, cluster, connect, haproxy_binary, render_haproxy
from .pg_support import Schema

pytestmark = pytest.mark.hosting

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def haproxy() -> Iterator[str]:
    try:
        yield haproxy_binary()
    except NoBalancer as exc:
        pytest.skip(str(exc))


@pytest.fixture
async def hosted(haproxy: str, tmp_path: Path, postgres_schema: Schema) -> AsyncIterator[Cluster]:
    async with cluster(tmp_path, postgres_schema.url, replicas=3, job_seconds=0.5) as running:
        yield running


def test_the_shipped_example_renders_to_a_config_haproxy_accepts(haproxy: str, tmp_path: Path) -> None:
    config = tmp_path / "haproxy.cfg"
    rendered = render_haproxy(
        HAPROXY_EXAMPLE.read_text(), listen=18080, servers=[("r1", 18001), ("r2", 18002)], public_host="mcp.test"
    )
    config.write_text(rendered)
    checked = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "stick store-response res.hdr(mcp-session-id)" in rendered
    assert "stick match req.hdr(mcp-session-id)" in rendered
    assert rendered.count("server r") == 2


async def test_sessions_stick_to_their_replica_and_stateless_calls_spread(hosted: Cluster) -> None:
    # Three legacy sessions, each made on whichever replica the round robin gave it: a balancer that did not
    # follow the session id would send two calls in three to a replica that answers 404.
    for user in ("ana", "ben", "cai"):
        async with connect(hosted.url, hosted.token(user), mode="legacy") as client:
            for _ in range(6):
                listed = await client.call_tool("list_generations", {"limit": 5})
                assert not listed.is_error, listed
    async with connect(hosted.url, hosted.token("dee")) as client:
        for _ in range(9):
            assert not (await client.call_tool("list_generations", {"limit": 5})).is_error
    answered = Counter(entry.server for entry in hosted.logged() if entry.method == "POST")
    assert len(answered) == 3, f"the requests did not spread over the replicas: {answered}"
    assert not [entry for entry in hosted.logged() if entry.status >= 400], hosted.logs()


async def initialize_with(hosted: Cluster, token: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(hosted.url, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})


def challenge(response: httpx.Response) -> str:
    return response.headers.get("www-authenticate", "")


async def test_the_balancer_passes_every_refusal_through(hosted: Cluster) -> None:
    other_audience = hosted.token("ana", aud="https://other.example.com/mcp")
    expired = hosted.token("ana", exp=1_700_000_000, iat=1_699_999_000)
    unscoped = hosted.token("ana", scope="profile")
    for token, status in ((other_audience, 401), (expired, 401), (unscoped, 403)):
        refused = await initialize_with(hosted, token)
        assert refused.status_code == status, (refused.status_code, refused.text)
        assert "resource_metadata=" in challenge(refused) and f'scope="{DEFAULT_AUTH_SCOPE}"' in challenge(refused)
        assert token not in refused.text

    async with connect(hosted.url, hosted.token("ana")) as ana:
        made = structured(await ana.call_tool("generate_image", {"prompt": "ana's lighthouse", "wait_seconds": 30}))
        assert made["state"] == "completed", made
        generation_id = made["id"]
        own = await ana.read_resource(f"luma://generations/{generation_id}/outputs/0")
        assert own.contents, "the owner could not read her own output"

    async with connect(hosted.url, hosted.token("ben"), mode="legacy") as ben:
        taken = await ben.call_tool("get_generation", {"generation_id": generation_id})
        assert taken.is_error, f"ben read ana's generation: {taken}"
        for uri in (f"luma://generations/{generation_id}", f"luma://generations/{generation_id}/outputs/0"):
            read: Any = None
            with pytest.raises(MCPError):
                read = await ben.read_resource(uri)
            assert read is None
        listed = structured(await ben.call_tool("list_generations", {}))
        assert generation_id not in str(listed)
    assert not [entry for entry in hosted.logged() if entry.status >= 500], hosted.logs()
