"""Cost controls: per-request cap, per-process budget, and asking the user first where the client can."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import anyio
import pytest

from conftest import answering, session, structured, text_of
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings

HD = {"prompt": "a storm over the sea", "resolution": "1080p"}  # estimated $1.20


async def test_a_request_above_the_cap_is_refused_with_price_and_cap(settings: Settings, emulator: Emulator) -> None:
    async with session(replace(settings, max_cost_usd=1.0), emulator) as client:
        refused = await client.call_tool("generate_video", HD)
        cheap = await client.call_tool("generate_video", {"prompt": "a storm over the sea", "wait_seconds": 0})
    assert refused.is_error and "$1.20" in text_of(refused) and "LUMA_MCP_MAX_COST_USD=$1.00" in text_of(refused)
    assert not cheap.is_error and len(emulator.generation_posts()) == 1


async def test_the_budget_counts_what_was_submitted(settings: Settings, emulator: Emulator) -> None:
    async with session(replace(settings, budget_usd=0.65), emulator) as client:
        results = [await client.call_tool("generate_video", {"prompt": "rain", "wait_seconds": 0}) for _ in range(3)]
    assert [r.is_error for r in results] == [False, False, True]
    assert "LUMA_MCP_BUDGET_USD=$0.65" in text_of(results[2]) and "$0.90" in text_of(results[2])
    assert len(emulator.generation_posts()) == 2


@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize(
    ("action", "submit", "sent"), [("accept", True, 1), ("accept", False, 0), ("decline", None, 0)]
)
async def test_costly_requests_are_confirmed_by_the_user(
    settings: Settings, emulator: Emulator, mode: str, action: str, submit: bool | None, sent: int
) -> None:
    callback = answering(action, submit)
    async with session(
        replace(settings, confirm_above_usd=1.0), emulator, elicitation_callback=callback, mode=mode
    ) as c:
        result = await c.call_tool("generate_video", {**HD, "wait_seconds": 0})
        cheap = await c.call_tool("generate_video", {"prompt": "rain", "wait_seconds": 0})
    assert len(callback.asked) == 1 and "$1.20" in callback.asked[0]
    assert result.is_error == (sent == 0) and not cheap.is_error
    assert len(emulator.generation_posts()) == sent + 1
    if sent == 0:
        assert "did not confirm" in text_of(result)
    else:
        assert structured(result)["state"] == "queued"


async def test_concurrent_requests_cannot_overrun_the_budget(settings: Settings, emulator: Emulator) -> None:
    results: list[Any] = []
    async with session(replace(settings, budget_usd=0.5), emulator) as client:

        async def one() -> None:
            results.append(await client.call_tool("generate_video", {"prompt": "rain", "wait_seconds": 0}))

        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(one)
    assert sorted(r.is_error for r in results) == [False, True, True, True]
    assert len(emulator.generation_posts()) == 1


async def test_a_call_cancelled_mid_create_still_records_the_job(settings: Settings, emulator: Emulator) -> None:
    emulator.faults.add("POST /v1/generations", delay_seconds=0.8)
    async with session(settings, emulator) as client:
        with anyio.move_on_after(0.3):
            await client.call_tool("generate_video", {"prompt": "rain"})
        await anyio.sleep(1.0)
        [entry] = structured(await client.call_tool("list_generations", {}))["generations"]
    assert entry["state"] in ("queued", "processing") and not entry["id"].startswith("pending-")
