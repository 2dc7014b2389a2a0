"""A create that fails before a byte left (a key httpx will not write, a URL it cannot use, a refused
connection) is `Unavailable` saying nothing was sent, never an unknown outcome that would be kept as
possibly bought. The start-up check keeps such keys and URLs out; these clients must not rely on it."""

from __future__ import annotations

import pytest

from conftest import loopback
from luma_mcp.providers import errors
from luma_mcp.providers.aimlapi.client import AimlApi
from luma_mcp.providers.aimlapi.emulator import AimlEmulator
from luma_mcp.providers.hedra.client import HedraApi
from luma_mcp.providers.hedra.emulator import HedraEmulator

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
