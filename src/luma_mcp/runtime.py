"""What the server holds for its lifetime: the API client, the download client, the history.

Opened by the server's lifespan, handed to every tool call through the request context. In sandbox
mode the API client and the download client both talk to the built-in emulator in process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from mcp.server.mcpserver.exceptions import ToolError

from .api.client import LumaApi
from .history import History
from .settings import Settings

if TYPE_CHECKING:
    from .emulator import Emulator

NO_KEY_MESSAGE = (
    "No Luma API key is configured, so nothing was sent and nothing was charged. "
    "Set LUMA_AGENTS_API_KEY (or LUMA_API_KEY) in this server's environment (for Claude Desktop: the "
    '"env" block of the luma entry in claude_desktop_config.json) and restart the server; or start it with '
    "--sandbox (LUMA_MCP_SANDBOX=1) to try every tool for free against the built-in emulator."
)

DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


@dataclass
class Runtime:
    settings: Settings
    history: History
    http: httpx.AsyncClient
    api: LumaApi | None
    emulator: Emulator | None = None
    spent_usd: float = field(default=0.0)

    def require_api(self) -> LumaApi:
        if self.api is None:
            raise ToolError(NO_KEY_MESSAGE)
        return self.api


@asynccontextmanager
async def open_runtime(settings: Settings, emulator: Emulator | None = None) -> AsyncIterator[Runtime]:
    """`emulator`: a sandbox emulator built by the caller (tests use it to read what it received)."""
    history = History(settings.history_path)
    await history.open()
    emulator = (emulator or _sandbox_emulator(settings)) if settings.sandbox else None
    # Like a real server, the sandbox answers its own crashes with a 500 rather than raising into our code.
    transport = httpx.ASGITransport(app=emulator.app, raise_app_exceptions=False) if emulator is not None else None
    # Downloads go through a client of their own: presigned URLs must never see the API key.
    http = httpx.AsyncClient(transport=transport, timeout=DOWNLOAD_TIMEOUT, follow_redirects=True)
    api_http = httpx.AsyncClient(transport=transport) if transport is not None else None
    key = settings.effective_api_key()
    api = (
        LumaApi(key, settings.effective_base_url, http_client=api_http, read_timeout=settings.api_timeout_seconds)
        if key
        else None
    )
    try:
        yield Runtime(settings=settings, history=history, http=http, api=api, emulator=emulator)
    finally:
        if api is not None:
            await api.aclose()
        await http.aclose()


def _sandbox_emulator(settings: Settings) -> Emulator:
    from .emulator import Emulator, EmulatorConfig  # heavy (PyAV, Starlette app): only in sandbox mode

    job = settings.sandbox_job_seconds
    return Emulator(EmulatorConfig(queued_seconds=min(1.0, job / 4), processing_seconds=job))
