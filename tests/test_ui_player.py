"""The player as the protocol sees it, in both eras: the tools that link it, the `ui://` resource and its
CSP, the extension's capability, and results unchanged for clients that do not speak MCP Apps."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
from mcp.client import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from conftest import session, structured
from luma_mcp.settings import Settings
from luma_mcp.tools.resources import MAX_RESOURCE_BYTES
from luma_mcp.ui import PLAYER_URI, PROGRESS_META
from luma_mcp.ui.player import media_origins

ERAS = ["legacy", "auto"]
SHOWN = {
    "generate_video",
    "extend_video",
    "edit_video",
    "reframe_video",
    "generate_image",
    "edit_image",
    "generate_avatar_video",
    "get_generation",
}
APPS = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})


@pytest.mark.parametrize("mode", ERAS)
async def test_every_generation_tool_and_get_generation_link_the_player(settings: Settings, mode: str) -> None:
    async with session(settings, mode=mode) as client:
        tools = (await client.list_tools()).tools
    links = {tool.name: (tool.meta or {}).get("ui") for tool in tools}
    assert {name for name, link in links.items() if link} == SHOWN
    assert all(links[name] == {"resourceUri": PLAYER_URI} for name in SHOWN)


@pytest.mark.parametrize("mode", ERAS)
async def test_the_view_is_one_self_contained_page(settings: Settings, mode: str) -> None:
    async with session(settings, mode=mode) as client:
        [view] = (await client.read_resource(PLAYER_URI)).contents
    html = getattr(view, "text", "")
    assert view.mime_type == APP_MIME_TYPE
    # Sandbox outputs come through the host (data: URLs): no media origin at all, and no network.
    assert view.meta == {"ui": {"csp": {"connectDomains": [], "resourceDomains": []}, "prefersBorder": True}}
    assert html.startswith("<!doctype html>") and "<script>" in html and "<style>" in html
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", html), "nothing is loaded from elsewhere"
    assert "file://" not in html and "{{" not in html
    assert len(html) < 40_000, "small enough to read in one sitting"
    config = json.loads(re.search(r'<script id="config" type="application/json">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    assert config["maxBytes"] == MAX_RESOURCE_BYTES and config["mediaOrigins"] == []


def test_the_csp_names_only_the_media_origins_of_the_providers_on(settings: Settings) -> None:
    real = dataclasses.replace(settings, sandbox=False)
    assert media_origins(real) == []
    assert media_origins(dataclasses.replace(real, aimlapi_key=_secret())) == ["https://cdn.aimlapi.com"]
    assert media_origins(dataclasses.replace(real, api_key=_secret(), hedra_key=_secret())) == []


async def test_a_modern_client_sees_the_extension_advertised(settings: Settings) -> None:
    async with session(settings, extensions=[APPS]) as client:
        capabilities = client.server_capabilities
    assert capabilities is not None and capabilities.extensions == {EXTENSION_ID: {}}


@pytest.mark.parametrize("mode", ERAS)
async def test_a_running_job_carries_the_players_timing_only_for_apps_clients(settings: Settings, mode: str) -> None:
    slow = dataclasses.replace(settings, sandbox_job_seconds=5)
    results: dict[str, Any] = {}
    for name, extensions in (("apps", [APPS]), ("plain", [])):
        async with session(slow, mode=mode, extensions=extensions) as client:
            made = await client.call_tool("generate_video", {"prompt": "a kite", "wait_seconds": 0})
            results[name] = await client.call_tool("get_generation", {"generation_id": structured(made)["id"]})
    apps, plain = results["apps"], results["plain"]
    assert structured(apps)["state"] in ("queued", "processing")
    timing = (apps.meta or {})[PROGRESS_META]
    assert timing["expected_seconds"] == 6 and 0 <= timing["elapsed_seconds"] < 5
    # A client without the extension gets the result exactly as before: no player data anywhere in it.
    assert PROGRESS_META not in (plain.meta or {})
    assert PROGRESS_META not in json.dumps(plain.model_dump(mode="json", by_alias=True))
    assert [block.type for block in plain.content] == [block.type for block in apps.content]
    assert set(structured(plain)) == set(structured(apps))


@pytest.mark.parametrize("mode", ERAS)
async def test_a_finished_job_reads_the_same_with_and_without_the_extension(settings: Settings, mode: str) -> None:
    async with session(settings, mode=mode, extensions=[APPS]) as client:
        made = await client.call_tool("generate_video", {"prompt": "a kite"})
        arguments = {"generation_id": structured(made)["id"]}
        with_apps = await client.call_tool("get_generation", arguments)
    async with session(settings, mode=mode) as client:  # the same data dir: the same history and files
        without = await client.call_tool("get_generation", arguments)
    assert structured(with_apps)["state"] == "completed"
    assert _unsigned(with_apps.model_dump(mode="json")) == _unsigned(without.model_dump(mode="json"))


def _unsigned(result: dict[str, Any]) -> dict[str, Any]:
    """Without the output URLs: every read of a generation mints freshly signed ones."""
    for output in result["structured_content"]["outputs"]:
        output.pop("url")
        output.pop("url_expires_at", None)
    return result


def _secret() -> Any:
    from pydantic import SecretStr

    return SecretStr("test-key-not-real")
