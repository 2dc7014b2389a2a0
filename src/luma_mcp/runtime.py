"""What the server holds for its lifetime: the providers, the download client, the history.

Opened by the server's lifespan, handed to every tool call through the request context. In sandbox
mode every provider's client and the download client talk to the built-in emulators in process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ToolError

from .owned_store import OwnedStore
from .providers import errors
from .providers.registry import Providers
from .settings import SANDBOX_HOST, Settings
from .store import Store, open_store

if TYPE_CHECKING:
    import httpx
    from anyio.abc import TaskGroup

    from .providers.base import Generation, Provider, ProviderName
    from .providers.luma.client import LumaApi
    from .providers.luma.emulator import Emulator
    from .providers.sandbox import Sandbox

DOWNLOAD_TIMEOUT_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 10.0


class Runtime:
    """The HTTP clients are built on first use, not at start: building them (TLS contexts, the SDK)
    costs more than the rest of the start, and a session that never calls a tool never needs them."""

    def __init__(self, settings: Settings, history: Store, sandbox: Sandbox | None = None) -> None:
        self.settings = settings
        # Every owner's rows: for work that is no caller's (recovery), which writes with `owner=record.owner`.
        self.store = history
        # The caller's rows only: what tool calls, resources and completions read and write.
        self.history = OwnedStore(history)
        self.sandbox = sandbox
        self.providers = Providers(settings, sandbox)
        self._http: httpx.AsyncClient | None = None
        # The server's background task group (set by its lifespan): downloads run there, so a client that
        # gives up does not stop them; `saving` holds the one download in flight per destination.
        self.background: TaskGroup | None = None
        self.saving: dict[Path, Any] = {}

    @property
    def http(self) -> httpx.AsyncClient:
        """The download client: presigned URLs must never see an API key, so it has no auth at all."""
        if self._http is None:
            import httpx

            timeout = httpx.Timeout(DOWNLOAD_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
            sandbox = self.providers.transport()
            # The emulators' media live at the sandbox host; any other URL (an audio file to fetch and
            # upload) is on the network, in the sandbox as in real use.
            mounts = {f"all://{SANDBOX_HOST.split('://', 1)[1]}": sandbox} if sandbox is not None else None
            self._http = httpx.AsyncClient(mounts=mounts, timeout=timeout, follow_redirects=True)
        return self._http

    @property
    def api(self) -> LumaApi | None:
        """Luma's SDK client (Luma's media uploads need it); None when Luma is off."""
        return self.providers.luma_api()

    def provider(self, name: ProviderName) -> Provider:
        """The provider, or a ToolError saying how to turn it on (nothing was sent)."""
        try:
            return self.providers.get(name)
        except errors.NotConfigured as exc:
            raise ToolError(str(exc)) from None

    def provider_for_id(self, generation_id: str) -> Provider:
        try:
            return self.providers.for_id(generation_id)
        except errors.NotConfigured as exc:
            raise ToolError(str(exc)) from None

    async def owns(self, generation_id: str) -> bool:
        """Whether the caller may use `generation_id`. In hosted mode only an id of their own history, judged
        before any request: the provider keys are every user's, so the API would answer about anyone's id.
        A single user may name any id of the key (one made elsewhere is imported when met)."""
        return not self.settings.hosted or await self.history.get(generation_id) is not None

    async def lookup(self, generation_id: str) -> Generation:
        """The generation as its provider reports it now; `NotFound`, with nothing sent, when `owns` says no."""
        if not await self.owns(generation_id):
            raise errors.NotFound(f"no generation '{generation_id}' of yours; list_generations shows yours")
        return await self.provider_for_id(generation_id).get(generation_id)

    async def aclose(self) -> None:
        await self.providers.aclose()
        if self._http is not None:
            await self._http.aclose()


@asynccontextmanager
async def open_runtime(settings: Settings, emulator: Emulator | Sandbox | None = None) -> AsyncIterator[Runtime]:
    """`emulator`: a sandbox (or just its Luma emulator) built by the caller, so tests can read what it received."""
    history = open_store(settings)  # StoreUnavailable: the caller reports it as the one line it is
    await history.open()
    runtime = Runtime(settings, history, _sandbox(settings, emulator) if settings.sandbox else None)
    try:
        yield runtime
    finally:
        await runtime.aclose()
        await history.close()


def _sandbox(settings: Settings, given: Emulator | Sandbox | None) -> Sandbox:
    from .providers.sandbox import Sandbox  # heavy (Starlette, PyAV on first media): only in sandbox mode

    if isinstance(given, Sandbox):
        return given
    # Built here (not by a test that reads what it received): its state lives under the data dir.
    state_dir = settings.data_dir / "sandbox" if given is None else None
    return Sandbox(luma=given, job_seconds=settings.sandbox_job_seconds, state_dir=state_dir)
