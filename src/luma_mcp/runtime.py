"""What the server holds for its lifetime: the API client, the download client, the history.

Opened by the server's lifespan, handed to every tool call through the request context. In sandbox
mode the API client and the download client both talk to the built-in emulator in process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from mcp.server.mcpserver.exceptions import ToolError

from .history import History
from .settings import Settings

if TYPE_CHECKING:
    import httpx

    from .providers.luma.client import LumaApi
    from .providers.luma.emulator import Emulator

NO_KEY_MESSAGE = (
    "No Luma API key is configured, so nothing was sent and nothing was charged. "
    "Set LUMA_AGENTS_API_KEY (or LUMA_API_KEY) in this server's environment (for Claude Desktop: the "
    '"env" block of the luma entry in claude_desktop_config.json) and restart the server; or start it with '
    "--sandbox (LUMA_MCP_SANDBOX=1) to try every tool for free against the built-in emulator."
)
DOWNLOAD_TIMEOUT_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 10.0


class Runtime:
    """The HTTP clients are built on first use, not at start: building them (two TLS contexts, the
    SDK) costs more than the rest of the start, and a session that never calls a tool never needs them."""

    def __init__(self, settings: Settings, history: History, emulator: Emulator | None = None) -> None:
        self.settings = settings
        self.history = history
        self.emulator = emulator
        self.spent_usd = 0.0
        self._http: httpx.AsyncClient | None = None
        self._api: LumaApi | None = None

    def _transport(self) -> httpx.ASGITransport | None:
        import httpx

        if self.emulator is None:
            return None
        # Like a real server, the sandbox answers its own crashes with a 500 rather than raising into our code.
        return httpx.ASGITransport(app=self.emulator.app, raise_app_exceptions=False)

    @property
    def http(self) -> httpx.AsyncClient:
        """The download client: presigned URLs must never see the API key, so it has no auth at all."""
        if self._http is None:
            import httpx

            timeout = httpx.Timeout(DOWNLOAD_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
            self._http = httpx.AsyncClient(transport=self._transport(), timeout=timeout, follow_redirects=True)
        return self._http

    @property
    def api(self) -> LumaApi | None:
        key = self.settings.effective_api_key()
        if self._api is None and key:
            import httpx

            from .providers.luma.client import LumaApi

            transport = self._transport()
            api_http = httpx.AsyncClient(transport=transport) if transport is not None else None
            self._api = LumaApi(
                key,
                self.settings.effective_base_url,
                http_client=api_http,
                read_timeout=self.settings.api_timeout_seconds,
            )
        return self._api

    def require_api(self) -> LumaApi:
        api = self.api
        if api is None:
            raise ToolError(NO_KEY_MESSAGE)
        return api

    async def aclose(self) -> None:
        if self._api is not None:
            await self._api.aclose()
        if self._http is not None:
            await self._http.aclose()


@asynccontextmanager
async def open_runtime(settings: Settings, emulator: Emulator | None = None) -> AsyncIterator[Runtime]:
    """`emulator`: a sandbox emulator built by the caller (tests use it to read what it received)."""
    history = History(settings.history_path)
    await history.open()
    emulator = (emulator or _sandbox_emulator(settings)) if settings.sandbox else None
    runtime = Runtime(settings, history, emulator)
    try:
        yield runtime
    finally:
        await runtime.aclose()
        await history.close()


def _sandbox_emulator(settings: Settings) -> Emulator:
    from .providers.luma.emulator import Emulator, EmulatorConfig  # heavy (PyAV, Starlette app): only in sandbox mode

    job = settings.sandbox_job_seconds
    return Emulator(EmulatorConfig(queued_seconds=min(1.0, job / 4), processing_seconds=job))
