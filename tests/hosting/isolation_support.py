"""A hosted server for the isolation tests: the real server behind uvicorn on loopback with OAuth on, tokens
from the in-test IdP (auth_support), the sandbox's emulators in process so every provider request is seen."""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import loopback
from luma_mcp.emulator.middleware import RecordedRequest
from luma_mcp.http_transport import HttpOptions, uvicorn_config
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.server import build_server
from luma_mcp.settings import Settings

from .auth_support import AUDIENCE, Idp, rsa_key

JOB_SECONDS = 0.3


@dataclass
class Hosted:
    url: str
    idp: Idp
    sandbox: Sandbox
    settings: Settings

    def user(self, sub: str) -> str:
        """Who `sub` is to the server (identity.current_user)."""
        return f"{self.idp.issuer}|{sub}"

    @asynccontextmanager
    async def client(self, sub: str, mode: str = "auto") -> AsyncIterator[Client]:
        """An MCP client over streamable HTTP carrying a token of `sub`'s."""
        headers = {"Authorization": f"Bearer {self.idp.token(sub=sub)}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=120)) as http,
            Client(streamable_http_client(self.url, http_client=http), mode=mode) as client,
        ):
            yield client

    def provider_requests(self) -> list[RecordedRequest]:
        """Every request the three emulated APIs have received so far (media downloads too)."""
        sandbox = self.sandbox
        return [*sandbox.luma.requests, *sandbox.aimlapi.requests, *sandbox.hedra.requests]


def hosted_settings(tmp_path: Path, issuer: str, **changes: Any) -> Settings:
    base = Settings(
        sandbox=True,
        output_dir=tmp_path / "out",
        data_dir=tmp_path / "data",
        wait_seconds=20,
        min_poll_interval=0.02,
        progress_interval=0.1,
        sandbox_job_seconds=JOB_SECONDS,
        auth_issuer=issuer,
        auth_audience=AUDIENCE,
    )
    return replace(base, **changes)


@asynccontextmanager
async def hosted(tmp_path: Path, **changes: Any) -> AsyncIterator[Hosted]:
    """An IdP and a hosted server (sandbox, OAuth on) for the duration of the block."""
    idp = Idp([rsa_key("rsa-1")])
    async with loopback(idp.app()) as issuer:
        idp.issuer = issuer
        sandbox = Sandbox(job_seconds=JOB_SECONDS)
        _ = sandbox.luma, sandbox.aimlapi, sandbox.hedra  # built here, not raced for by the server's thread
        settings = hosted_settings(tmp_path, issuer, **changes)
        async with serving(settings, sandbox) as url:
            yield Hosted(url, idp, sandbox, settings)


@asynccontextmanager
async def serving(settings: Settings, sandbox: Sandbox) -> AsyncIterator[str]:
    """The server as `luma-mcp --transport streamable-http` runs it with OAuth, on an ephemeral port."""
    import uvicorn

    sock = socket.create_server(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    options = HttpOptions(host="127.0.0.1", port=port, oauth=True)
    server = uvicorn.Server(uvicorn_config(build_server(settings, sandbox), options, port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:  # uvicorn exposes only a flag, set from its own thread
            assert thread.is_alive(), "the server thread died while starting"
            await anyio.sleep(0.02)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        await anyio.to_thread.run_sync(thread.join, 15)
        sock.close()
