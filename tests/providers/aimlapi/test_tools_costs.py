"""ray-2's money rules (spec A22, section 10): the catalogue's price is checked against the cap, the budget and
the user's confirmation before the create; a price that cannot be read is unknown, never guessed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mcp_types import ElicitRequestParams, ElicitResult

from conftest import text_of
from luma_mcp.providers.aimlapi.emulator import AimlEmulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings

from .tools_support import PROMPT, call_ok, session

COSTLY = {"prompt": PROMPT, "model": "ray-2", "resolution": "4k", "duration": "9s", "wait_seconds": 0}  # $3.60
CHEAP = {"prompt": PROMPT, "model": "ray-2", "resolution": "540p", "wait_seconds": 0}  # $0.25


async def test_the_cap_and_the_budget_refuse_before_the_create(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    async with session(replace(settings, max_cost_usd=1.0, budget_usd=0.6), sandbox) as client:
        capped = await client.call_tool("generate_video", COSTLY)
        first = await client.call_tool("generate_video", CHEAP)
        second = await client.call_tool("generate_video", CHEAP)
        over = await client.call_tool("generate_video", CHEAP)
    assert capped.is_error and "$3.60" in text_of(capped) and "LUMA_MCP_MAX_COST_USD=$1.00" in text_of(capped)
    assert [first.is_error, second.is_error, over.is_error] == [False, False, True]
    assert "LUMA_MCP_BUDGET_USD=$0.60" in text_of(over) and "$0.75" in text_of(over)
    assert len(aiml.generation_posts()) == 2


async def test_an_unreadable_catalogue_means_an_unknown_price(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    aiml.faults.add("GET /v1/models", status=404, times=None)
    async with session(settings, sandbox) as client:
        dry = await call_ok(client, "generate_video", {**CHEAP, "dry_run": True})
        made = await call_ok(client, "generate_video", CHEAP)
    assert dry["estimated_cost_usd"] is None and made["estimated_cost_usd"] is None
    assert len(aiml.generation_posts()) == 1
    aiml.reset()
    aiml.faults.add("GET /v1/models", status=404, times=None)
    async with session(replace(settings, max_cost_usd=5.0), sandbox) as client:
        refused = await client.call_tool("generate_video", CHEAP)
    assert refused.is_error and "unpublished price" in text_of(refused), text_of(refused)
    assert aiml.generation_posts() == []


async def test_a_costly_request_is_confirmed_by_the_user_first(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    asked: list[str] = []

    async def decline(context: Any, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="decline")

    async with session(settings, sandbox, elicitation_callback=decline, mode="legacy") as client:
        refused = await client.call_tool("generate_video", COSTLY)
        cheap = await client.call_tool("generate_video", CHEAP)
    assert len(asked) == 1 and "$3.60" in asked[0]
    assert refused.is_error and "did not confirm" in text_of(refused)
    assert not cheap.is_error and len(aiml.generation_posts()) == 1
