"""Media arguments that would flood the context or the memory are refused before they are used: a
huge URL (and it is never echoed back), a data: URI too large to decode."""

from __future__ import annotations

from conftest import session, text_of
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings


async def test_a_huge_url_is_refused_and_not_echoed(settings: Settings, emulator: Emulator) -> None:
    url = "https://images.example.com/" + "a" * 100_000 + ".png"
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "a kite", "start_frame": {"url": url}})
    message = text_of(result)
    assert result.is_error and "start_frame" in message and "characters" in message, message[:300]
    assert len(message) < 1000, "the URL was echoed back"
    assert emulator.requests == []


async def test_a_data_uri_too_large_is_refused_by_its_size_before_decoding(
    settings: Settings, emulator: Emulator
) -> None:
    uri = "data:image/png;base64," + "A" * (70 * 2**20) + "!"  # 52 MB of image (over 50), not even valid base64
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "a kite", "start_frame": {"url": uri}})
    message = text_of(result)
    assert result.is_error and "MB" in message and "base64" not in message, message[:300]
    assert emulator.requests == []
