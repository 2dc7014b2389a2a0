"""Which providers are on (a key is set, or the sandbox emulates them all), and who serves what:
a `model` name or a generation id -> its provider. Clients are built on first use, not at start."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import errors
from .base import PROVIDER_NAMES, Provider, ProviderName, Violation

if TYPE_CHECKING:
    import httpx

    from ..settings import Settings
    from .luma.client import LumaApi
    from .sandbox import Sandbox

# Public video model names -> the provider that serves them. The first available one is the default.
VIDEO_MODELS: dict[str, ProviderName] = {"ray-3.2": "luma", "ray-2": "aimlapi", "ray-flash-2": "aimlapi"}
ID_PREFIXES: dict[str, ProviderName] = {"aimlapi:": "aimlapi", "hedra:": "hedra"}
KEY_VARIABLES: dict[ProviderName, str] = {
    "luma": "LUMA_AGENTS_API_KEY",
    "aimlapi": "AIMLAPI_API_KEY",
    "hedra": "HEDRA_API_KEY",
}

NO_KEY_MESSAGE = (
    "No API key is configured for {provider}, so nothing was sent and nothing was charged. "
    'Set {variable} in this server\'s environment (for Claude Desktop: the "env" block of the luma entry in '
    "claude_desktop_config.json) and restart the server; the three keys are LUMA_AGENTS_API_KEY (Ray 3.2, Uni-1), "
    "AIMLAPI_API_KEY (Ray 2, Ray Flash 2) and HEDRA_API_KEY (talking avatars). Or start it with --sandbox "
    "(LUMA_MCP_SANDBOX=1) to try every tool for free against the built-in emulators."
)
_LABELS: dict[ProviderName, str] = {"luma": "the Luma Agents API", "aimlapi": "the AI/ML API", "hedra": "Hedra"}


def provider_of_id(generation_id: str) -> ProviderName:
    """Luma ids are bare UUIDs; the others carry their provider's prefix."""
    return next((name for prefix, name in ID_PREFIXES.items() if generation_id.startswith(prefix)), "luma")


def check_rules(name: ProviderName, body: Mapping[str, Any]) -> list[Violation]:
    """The provider's rules on `body`: pure, so they run (and dry runs validate) even without a key."""
    if name == "luma":
        from .luma.rules import check_generation

        return check_generation(body, strict=True)
    if name == "hedra":  # the catalog-bound rules are checked by the tool, which has the catalog
        from .hedra.rules import check_body as check_hedra

        return check_hedra(body, catalog=None, voices=None, strict=True)
    from .aimlapi.rules import check_body

    return check_body(body, strict=True)


def no_key_message(name: ProviderName) -> str:
    return NO_KEY_MESSAGE.format(provider=_LABELS[name], variable=KEY_VARIABLES[name])


class Providers:
    def __init__(self, settings: Settings, sandbox: Sandbox | None = None) -> None:
        self.settings = settings
        self.sandbox = sandbox
        self._built: dict[ProviderName, Provider] = {}
        self._clients: list[httpx.AsyncClient] = []

    def available(self) -> tuple[ProviderName, ...]:
        return tuple(name for name in PROVIDER_NAMES if self.is_available(name))

    def is_available(self, name: ProviderName) -> bool:
        if self.settings.sandbox:
            return True
        if name == "luma":
            return self.settings.api_key is not None
        if name == "hedra":
            return self.settings.hedra_key is not None
        return self.settings.aimlapi_key is not None

    def video_models(self) -> tuple[str, ...]:
        """The video models on offer, the default first; Luma's when no provider is on (it says how to get one)."""
        models = tuple(model for model, name in VIDEO_MODELS.items() if self.is_available(name))
        return models or ("ray-3.2",)

    def get(self, name: ProviderName) -> Provider:
        """The provider, built on first use; raises `NotConfigured` (saying how to set its key) when it is off."""
        provider = self._built.get(name)
        if provider is None:
            if not self.is_available(name):
                raise errors.NotConfigured(no_key_message(name))
            provider = self._built[name] = self._build(name)
        return provider

    def for_id(self, generation_id: str) -> Provider:
        return self.get(provider_of_id(generation_id))

    async def price(self, name: ProviderName, body: Mapping[str, Any], source_seconds: float | None) -> float | None:
        """Luma's prices are a table (known without a key); the others ask their provider, or are unknown."""
        if name == "luma":
            from .luma.pricing import estimate_cost

            return estimate_cost(body, source_seconds)
        return await self.get(name).price(body, source_seconds) if self.is_available(name) else None

    def describe(self, name: ProviderName, body: Mapping[str, Any]) -> tuple[str, str, str]:
        """(generation type, public model name, what it is of) of a wire body, for the history, the
        result and the saved file's name."""
        prompt = str(body.get("prompt") or "")
        if name == "luma":
            return str(body.get("type") or "image"), str(body.get("model") or "uni-1"), prompt
        if name == "hedra":
            from .hedra.requests import subject

            return "video", str(body.get("model_slug")), subject(body)
        from .aimlapi.rules import MODELS

        public = next((public for public, wire in MODELS.items() if wire == body.get("model")), "ray-2")
        return "video", public, prompt

    def for_model(self, model: str) -> Provider:
        return self.get(VIDEO_MODELS.get(model, "luma"))

    def luma_api(self) -> LumaApi | None:
        """Luma's SDK client, for Luma's own media uploads; None when Luma is off."""
        if not self.is_available("luma"):
            return None
        from .luma.provider import LumaProvider

        provider = self.get("luma")
        assert isinstance(provider, LumaProvider)
        return provider.api

    def transport(self) -> httpx.AsyncBaseTransport | None:
        import httpx

        if self.sandbox is None:
            return None
        # Like a real server, the sandbox answers its own crashes with a 500 rather than raising into our code.
        return httpx.ASGITransport(app=self.sandbox.app, raise_app_exceptions=False)

    def _build(self, name: ProviderName) -> Provider:
        import httpx

        transport = self.transport()
        http = httpx.AsyncClient(transport=transport) if transport is not None else None
        if http is not None:
            self._clients.append(http)
        if name == "luma":
            return self._build_luma(http)
        if name == "hedra":
            return self._build_hedra(http)
        return self._build_aimlapi(http)

    def _build_luma(self, http: httpx.AsyncClient | None) -> Provider:
        from .luma.client import LumaApi
        from .luma.provider import LumaProvider

        key = self.settings.effective_api_key()
        assert key is not None, "is_available() checked the key"
        api = LumaApi(
            key, self.settings.effective_base_url, http_client=http, read_timeout=self.settings.api_timeout_seconds
        )
        return LumaProvider(api)

    def _build_aimlapi(self, http: httpx.AsyncClient | None) -> Provider:
        from .aimlapi.provider import AimlProvider

        credentials = self.settings.aimlapi_credentials()
        assert credentials is not None, "is_available() checked the key"
        key, base_url = credentials
        return AimlProvider(key, base_url, http_client=http, read_timeout=self.settings.api_timeout_seconds)

    def _build_hedra(self, http: httpx.AsyncClient | None) -> Provider:
        from .hedra.provider import HedraProvider

        credentials = self.settings.hedra_credentials()
        assert credentials is not None, "is_available() checked the key"
        key, base_url = credentials
        return HedraProvider(
            key,
            base_url,
            usd_per_credit=self.settings.hedra_usd_per_credit,
            http_client=http,
            read_timeout=self.settings.api_timeout_seconds,
            poll_unit=self.settings.min_poll_interval,
        )

    async def aclose(self) -> None:
        for provider in self._built.values():
            await provider.aclose()
        for client in self._clients:
            await client.aclose()
