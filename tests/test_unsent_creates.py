"""A create that fails before a byte left (a key httpx will not write, a URL it cannot use, a refused
connection) is `Unavailable` saying nothing was sent, never an unknown outcome that would be kept as
possibly bought. The start-up check keeps such keys and URLs out; these clients must not rely on it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp import Client

from conftest import loopback, structured, text_of
from luma_mcp.providers import errors
from luma_mcp.providers.aimlapi.client import AimlApi
from luma_mcp.providers.aimlapi.emulator import AimlEmulator
from luma_mcp.providers.hedra.client import HedraApi
from luma_mcp.providers.hedra.emulator import HedraEmulator
from luma_mcp.server import build_server
from luma_mcp.settings import Settings

BAD_KEYS = ["line\nbreak", "smart\u201cquote"]


@pytest.mark.parametrize("key", BAD_KEYS, ids=["newline", "non-ascii"])
async def test_hedra_create_with_an_unwritable_key_sent_nothing(key: str) -> None:
    emulator = HedraEmulator()
    async with loopback(emulator.app) as base:
        api = HedraApi(key, f"{base}/web-app/public")
        try:
            with pytest.raises(errors.Unavailable, match="nothing was sent"):
                await api.create_generation({"type": "video"})
        finally:
            await api.aclose()
    assert emulator.requests == []


@pytest.mark.parametrize("key", BAD_KEYS, ids=["newline", "non-ascii"])
async def test_aimlapi_create_with_an_unwritable_key_sent_nothing(key: str) -> None:
    emulator = AimlEmulator()
    async with loopback(emulator.app) as base:
        api = AimlApi(key, base)
        try:
            with pytest.raises(errors.Unavailable, match="nothing was sent"):
                await api.create({"model": "luma/ray-2"}, request_id="r-1")
        finally:
            await api.aclose()
    assert emulator.requests == []


@pytest.mark.parametrize("base", ["127.0.0.1:9/v2", "ftp://127.0.0.1/"], ids=["no-scheme", "not-http"])
async def test_a_create_to_an_unusable_url_sent_nothing(base: str) -> None:
    api = HedraApi("key", base)
    try:
        with pytest.raises(errors.Unavailable, match="nothing was sent"):
            await api.create_generation({"type": "video"})
    finally:
        await api.aclose()


async def test_an_unexpected_failure_mid_create_is_kept_as_possibly_bought(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = httpx.AsyncClient.post

    async def broken(self: httpx.AsyncClient, url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
        if str(url).endswith("/v2/video/generations"):
            raise RuntimeError("a library bug after the bytes left")
        return await original(self, url, *args, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "post", broken)  # httpx's, not ours: the server must survive it
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("generate_video", {"prompt": "a kite", "model": "ray-2"})
        listed = structured(await client.call_tool("list_generations", {}))
    message = text_of(result)
    assert result.is_error and "RuntimeError" in message and "Do not resubmit" in message, message
    [entry] = listed["generations"]
    assert entry["state"] == "unknown" and entry["id"] in message
