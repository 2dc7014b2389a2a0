"""Which tools and models the server lists for each set of keys (contract, Providers), what it says when a
provider has no key, and the `provider` every result and history entry carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from pydantic import SecretStr

from conftest import loopback, structured, text_of
from luma_mcp.providers.aimlapi.emulator import AimlEmulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings

from .tools_support import PROMPT, call_error, call_ok, session, wire

LUMA_TOOLS = {"generate_video", "extend_video", "edit_video", "reframe_video", "generate_image", "edit_image"}
READS = {"get_generation", "list_generations"}
AIML_TOOLS = {"generate_video", "extend_video"}
LUMA_ID = "d290f1ee-6c54-4b01-90e6-d701748f0851"
AIML_ID = "aimlapi:7c880e75-2f4b-4f8e-9d3a-0c1b2a3d4e5f:luma/ray-2"


def real(tmp_path: Path, **keys: Any) -> Settings:
    return Settings(
        output_dir=tmp_path / "out",
        data_dir=tmp_path / "data",
        wait_seconds=5,
        min_poll_interval=0.02,
        progress_interval=0.1,
        **keys,
    )


async def listing(client: Client) -> tuple[set[str], dict[str, Any]]:
    """The tool names, and generate_video's `model` schema with its values under `enum` (one value: `const`)."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    model = dict(tools["generate_video"].input_schema["properties"]["model"])
    model.setdefault("enum", [model["const"]] if "const" in model else None)
    return set(tools), model


async def test_sandbox_lists_every_tool_and_every_model(settings: Settings, sandbox: Sandbox) -> None:
    async with session(settings, sandbox) as client:
        names, model = await listing(client)
    assert names >= LUMA_TOOLS | READS
    assert model["enum"] == ["ray-3.2", "ray-2", "ray-flash-2"] and model["default"] == "ray-3.2"


async def test_only_an_aimlapi_key_lists_only_what_it_serves(tmp_path: Path, aiml: AimlEmulator) -> None:
    async with loopback(aiml.app) as base_url:
        settings = real(tmp_path, aimlapi_key=SecretStr("aiml-listing-key"), aimlapi_base_url=base_url)
        async with session(settings) as client:
            names, model = await listing(client)
            dry = await call_ok(client, "generate_video", {"prompt": PROMPT, "dry_run": True})
            luma_extend = await call_error(client, "extend_video", {"generation_id": LUMA_ID, "prompt": PROMPT})
            luma_get = await call_error(client, "get_generation", {"generation_id": LUMA_ID})
            ray_32 = await call_error(client, "generate_video", {"prompt": PROMPT, "model": "ray-3.2"})
    assert names == AIML_TOOLS | READS
    assert model["enum"] == ["ray-2", "ray-flash-2"] and model["default"] == "ray-2"
    # The default model is ray-2: a dry run prices it from the provider's catalogue, over real HTTP.
    assert dry["request"] == wire() and dry["provider"] == "aimlapi" and dry["estimated_cost_usd"] == pytest.approx(0.5)
    assert dry["sandbox"] is False
    for message in (luma_extend, luma_get):
        assert "LUMA_AGENTS_API_KEY" in message, message
    assert "model" in ray_32, ray_32
    assert aiml.generation_posts() == []


async def test_no_key_lists_the_luma_tools_and_says_how_to_set_each_key(tmp_path: Path) -> None:
    async with session(real(tmp_path)) as client:
        names, model = await listing(client)
        refused = await call_error(client, "generate_video", {"prompt": PROMPT})
        dry = await call_ok(client, "generate_video", {"prompt": PROMPT, "dry_run": True})
        ray_2 = await call_error(client, "generate_video", {"prompt": PROMPT, "model": "ray-2"})
        aiml_get = await call_error(client, "get_generation", {"generation_id": AIML_ID})
        aiml_extend = await call_error(client, "extend_video", {"generation_id": AIML_ID, "prompt": PROMPT})
    assert names == LUMA_TOOLS | READS
    assert model["enum"] == ["ray-3.2"] and model["default"] == "ray-3.2"
    for variable in ("LUMA_AGENTS_API_KEY", "AIMLAPI_API_KEY", "HEDRA_API_KEY", "--sandbox"):
        assert variable in refused, refused
    assert "nothing was charged" in refused
    assert dry["dry_run"] is True and dry["provider"] == "luma", "a dry run validates and prices without a key"
    assert "model" in ray_2 and "ray-3.2" in ray_2, ray_2
    for message in (aiml_get, aiml_extend):
        assert "AIMLAPI_API_KEY" in message, message


async def test_both_keys_list_everything(tmp_path: Path) -> None:
    settings = real(tmp_path, api_key=SecretStr("luma-api-listing"), aimlapi_key=SecretStr("aiml-listing-key"))
    async with session(settings) as client:
        names, model = await listing(client)
    assert names == LUMA_TOOLS | READS
    assert model["enum"] == ["ray-3.2", "ray-2", "ray-flash-2"] and model["default"] == "ray-3.2"


async def test_every_result_names_its_provider_and_the_history_filters_by_it(
    settings: Settings, sandbox: Sandbox
) -> None:
    async with session(settings, sandbox) as client:
        image = await call_ok(client, "generate_image", {"prompt": "a red kite on a white sky", "wait_seconds": 0})
        video = await call_ok(client, "generate_video", {"prompt": PROMPT, "model": "ray-2", "wait_seconds": 0})
        flash = await call_ok(client, "generate_video", {"prompt": PROMPT, "model": "ray-flash-2"})
        dry = await call_ok(client, "generate_video", {"prompt": PROMPT, "model": "ray-2", "dry_run": True})
        got = await call_ok(client, "get_generation", {"generation_id": video["id"], "wait_seconds": 10})
        extended = await call_ok(
            client, "extend_video", {"generation_id": flash["id"], "prompt": PROMPT, "wait_seconds": 0}
        )
        everything = await call_ok(client, "list_generations", {})
        aimlapi = await call_ok(client, "list_generations", {"provider": "aimlapi"})
        luma = await call_ok(client, "list_generations", {"provider": "luma"})
        hedra = await call_ok(client, "list_generations", {"provider": "hedra"})
        completed = await call_ok(client, "list_generations", {"provider": "aimlapi", "state": "completed"})
        bad = await client.call_tool("list_generations", {"provider": "openai"})
    assert image["provider"] == "luma"
    for result in (video, flash, dry, got, extended):
        assert result["provider"] == "aimlapi", result
    ours = [extended["id"], flash["id"], got["id"]]
    assert [entry["id"] for entry in aimlapi["generations"]] == ours
    assert all(entry["provider"] == "aimlapi" for entry in aimlapi["generations"])
    assert [entry["id"] for entry in luma["generations"]] == [image["id"]]
    assert hedra["generations"] == []
    assert {entry["id"] for entry in everything["generations"]} == {*ours, image["id"]}
    assert {entry["id"] for entry in completed["generations"]} == {got["id"], flash["id"]}
    assert bad.is_error


async def test_results_say_whether_anything_real_was_bought(settings: Settings, sandbox: Sandbox) -> None:
    async with session(settings, sandbox) as client:
        made = await client.call_tool("generate_video", {"prompt": PROMPT, "model": "ray-2", "wait_seconds": 0})
        dry = await call_ok(client, "generate_video", {"prompt": PROMPT, "model": "ray-2", "dry_run": True})
    assert structured(made)["sandbox"] is True and dry["sandbox"] is True
    assert "nothing real was made or bought" in text_of(made), text_of(made)
