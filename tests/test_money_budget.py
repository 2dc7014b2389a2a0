"""LUMA_MCP_BUDGET_USD is per data dir and per UTC day (issue 11, item 11): the spend is kept in the history,
so a restart does not reset it and every server process on the data dir shares it."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
from mcp_types import ElicitRequestParams, ElicitResult

from conftest import session, text_of
from luma_mcp.history import History
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings

RAIN = {"prompt": "rain", "wait_seconds": 0}  # $0.30


async def test_a_restart_does_not_reset_the_days_spend(settings: Settings, emulator: Emulator) -> None:
    budgeted = replace(settings, budget_usd=0.65)
    async with session(budgeted, emulator) as client:
        first = [await client.call_tool("generate_video", RAIN) for _ in range(2)]
    async with session(budgeted, emulator) as client:  # a new server process on the same data dir
        after_restart = await client.call_tool("generate_video", RAIN)
    assert [r.is_error for r in first] == [False, False]
    message = text_of(after_restart)
    assert after_restart.is_error and "LUMA_MCP_BUDGET_USD=$0.65" in message and "$0.90" in message, message
    assert "today's spend" in message and "per UTC day" in message and "$0.60 spent today" in message
    assert "session" not in message
    assert len(emulator.generation_posts()) == 2


async def test_servers_sharing_a_data_dir_share_the_budget(settings: Settings, emulator: Emulator) -> None:
    budgeted = replace(settings, budget_usd=0.5)
    results: list[Any] = []
    async with session(budgeted, emulator) as one, session(budgeted, emulator) as two:

        async def call(client: Any) -> None:
            results.append(await client.call_tool("generate_video", RAIN))

        async with anyio.create_task_group() as group:
            for client in (one, two, one, two):
                group.start_soon(call, client)
    assert sorted(r.is_error for r in results) == [False, True, True, True]
    assert len(emulator.generation_posts()) == 1


async def test_a_declined_or_refused_request_gives_its_reservation_back(settings: Settings, emulator: Emulator) -> None:
    answers = iter([ElicitResult(action="decline"), ElicitResult(action="accept", content={"submit": True})])

    async def callback(context: Any, params: ElicitRequestParams) -> ElicitResult:
        return next(answers)

    hd = {**RAIN, "resolution": "1080p"}  # $1.20
    emulator.faults.add("POST /v1/generations", status=400, times=1)
    async with session(
        replace(settings, budget_usd=1.5, confirm_above_usd=1.0), emulator, elicitation_callback=callback
    ) as client:
        refused_by_api = await client.call_tool("generate_video", RAIN)
        declined = await client.call_tool("generate_video", hd)
        accepted = await client.call_tool("generate_video", hd)
    assert refused_by_api.is_error and declined.is_error and not accepted.is_error, text_of(accepted)
    assert await _spent_today(settings) == pytest.approx(1.2)


V2_SCHEMA = """
CREATE TABLE generations (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, model TEXT NOT NULL, prompt TEXT NOT NULL,
    request_json TEXT NOT NULL, estimated_cost_usd REAL, state TEXT NOT NULL, failure_code TEXT,
    failure_reason TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, paths_json TEXT NOT NULL DEFAULT '{}',
    provider TEXT NOT NULL DEFAULT 'luma', request_id TEXT
);
PRAGMA user_version = 2;
"""


async def test_the_migration_keeps_every_row_and_carries_todays_spend_over(
    settings: Settings, emulator: Emulator
) -> None:
    """A history written before the ledger existed: today's jobs count against the budget, older days' do not."""
    now = datetime.now(UTC)
    rows = [
        ("today-1", 0.30, now),
        ("today-2", 0.30, now),
        ("yesterday", 5.00, now - timedelta(days=1)),
        ("imported", None, now),  # met through get_generation: no estimate of ours
    ]
    settings.history_path.parent.mkdir(parents=True)
    with sqlite3.connect(settings.history_path) as db:
        db.executescript(V2_SCHEMA)
        for name, cost, when in rows:
            stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            db.execute(
                "INSERT INTO generations (id, type, model, prompt, request_json, estimated_cost_usd, state,"
                " created_at, updated_at) VALUES (?, 'video', 'ray-3.2', 'p', '{}', ?, 'completed', ?, ?)",
                (name, cost, stamp, stamp),
            )
    async with session(replace(settings, budget_usd=0.65), emulator) as client:
        over = await client.call_tool("generate_video", RAIN)
        listed = await client.call_tool("list_generations", {"limit": 10})
    assert over.is_error and "$0.60 spent today" in text_of(over), text_of(over)
    assert all(name in text_of(listed) for name in ("today-1", "today-2", "yesterday", "imported"))
    assert emulator.generation_posts() == []


async def _spent_today(settings: Settings) -> float:
    history = History(settings.history_path)
    await history.open()
    try:
        return await history.spent_today()
    finally:
        await history.close()
