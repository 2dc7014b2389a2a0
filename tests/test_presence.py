"""Honest capabilities and presentation (issue 13, item 5), through the MCP client in both protocol eras:
what get_generation's annotations say, the server's description, web address and icons, a small PNG icon
per tool, and the cache hints of the 2026-07-28 protocol (lists for the process's life, saved outputs as
immutable, the history never)."""

from __future__ import annotations

import base64

import pytest

from conftest import session, structured
from luma_mcp.presence import DAY_MS, OUTPUT_HINT
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_of(data_uri: str) -> bytes:
    head, _, payload = data_uri.partition(",")
    assert head == "data:image/png;base64"
    return base64.b64decode(payload)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_get_generation_says_it_writes_files_and_is_idempotent(
    settings: Settings, emulator: Emulator, mode: str
) -> None:
    async with session(settings, emulator, mode=mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    hints = tools["get_generation"].annotations
    assert hints is not None
    assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == (False, False, True)
    listing = tools["list_generations"].annotations
    assert listing is not None and listing.read_only_hint is True


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_the_server_and_every_tool_show_a_small_png_icon(
    settings: Settings, emulator: Emulator, mode: str
) -> None:
    async with session(settings, emulator, mode=mode) as client:
        info = client.server_info
        tools = (await client.list_tools()).tools
    assert info is not None and info.description and "sandbox" in info.description
    assert info.website_url and info.website_url.startswith("https://")
    assert info.icons and png_of(info.icons[0].src).startswith(PNG_MAGIC)
    sources = set()
    for tool in tools:
        assert tool.icons, f"{tool.name} has no icon"
        [icon] = tool.icons
        data = png_of(icon.src)
        assert data.startswith(PNG_MAGIC) and len(data) < 1024, tool.name
        assert icon.mime_type == "image/png" and icon.sizes == ["48x48"]
        sources.add(icon.src)
    assert len(sources) == len(tools)  # one of its own each


async def test_lists_are_cacheable_for_the_process_life_and_the_history_is_not(
    settings: Settings, emulator: Emulator
) -> None:
    async with session(settings, emulator, mode="auto") as client:
        tools = await client.list_tools()
        templates = await client.list_resource_templates()
        history = await client.list_resources()
    assert (tools.ttl_ms, tools.cache_scope) == (DAY_MS, "public")
    assert (templates.ttl_ms, templates.cache_scope) == (DAY_MS, "public")
    assert (history.ttl_ms, history.cache_scope) == (0, "private")


async def test_a_saved_output_is_immutable_and_a_generation_is_not(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator, mode="auto") as client:
        made = await client.call_tool("generate_image", {"prompt": "a red kite over dunes", "wait_seconds": 60})
        generation_id = structured(made)["id"]
        output = await client.read_resource(f"luma://generations/{generation_id}/outputs/0")
        state = await client.read_resource(f"luma://generations/{generation_id}")
    assert (output.ttl_ms, output.cache_scope) == (OUTPUT_HINT.ttl_ms, "private")
    assert output.ttl_ms >= 30 * DAY_MS
    assert (state.ttl_ms, state.cache_scope) == (0, "private")


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_no_change_notifications_are_advertised_since_none_are_sent(
    settings: Settings, emulator: Emulator, mode: str
) -> None:
    async with session(settings, emulator, mode=mode) as client:
        capabilities = client.server_capabilities
    assert capabilities.resources is not None and capabilities.tools is not None and capabilities.prompts is not None
    assert (capabilities.resources.subscribe, capabilities.resources.list_changed) == (False, False)
    assert capabilities.tools.list_changed is False and capabilities.prompts.list_changed is False
