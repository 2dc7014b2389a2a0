"""Results that do not flood the context, and logs that tell the story (issue 12, items 7 and 8)."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from conftest import session, structured, text_of
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings

PROMPT = "A lighthouse beam sweeping over a stormy sea at night"


async def test_a_finished_job_seen_before_comes_back_without_its_preview(
    settings: Settings, emulator: Emulator
) -> None:
    async with session(settings, emulator) as client:
        made = await client.call_tool("generate_video", {"prompt": PROMPT, "resolution": "360p"})
        generation_id = structured(made)["id"]
        again = await client.call_tool("get_generation", {"generation_id": generation_id})
        asked = await client.call_tool("get_generation", {"generation_id": generation_id, "preview": True})
    kinds = [[block.type for block in result.content] for result in (made, again, asked)]
    assert "image" in kinds[0], "the first completed result carries its contact sheet"
    assert "image" not in kinds[1], "the same picture again, unasked"
    assert "image" in kinds[2], "preview=true brings it back"
    assert [o["path"] for o in structured(again)["outputs"]] == [o["path"] for o in structured(made)["outputs"]]


async def test_a_job_first_seen_finished_by_get_generation_brings_its_preview(
    settings: Settings, emulator: Emulator
) -> None:
    async with session(settings, emulator) as client:
        queued = structured(await client.call_tool("generate_video", {"prompt": PROMPT, "wait_seconds": 0}))
        done = await client.call_tool("get_generation", {"generation_id": queued["id"], "wait_seconds": 20})
    assert structured(done)["state"] == "completed", text_of(done)
    assert "image" in [block.type for block in done.content]


async def test_the_server_logs_submits_states_saves_and_refusals(
    settings: Settings, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="luma_mcp"):
        async with session(settings, emulator) as client:
            made = structured(await client.call_tool("generate_video", {"prompt": PROMPT, "resolution": "360p"}))
        async with session(replace(settings, max_cost_usd=0.01), emulator) as client:
            refused = await client.call_tool("generate_video", {"prompt": PROMPT})
    assert refused.is_error
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("luma_mcp")]
    story = "\n".join(lines)
    assert "generate_video submitted to luma (ray-3.2, est. $" in story and made["id"] in story, story
    assert f"{made['id']} is completed" in story, story
    assert f"Saved output 0 of {made['id']}: " in story and " bytes)" in story, story
    assert "generate_video refused: " in story and "LUMA_MCP_MAX_COST_USD" in story, story
