"""The fault suite: each way the API (or the road to it) can fail, with the POSTs the emulator received,
the final state, and what the agent is told. A paid generation is never duplicated or left unrecorded."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from conftest import loopback, session, structured, text_of
from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig
from luma_mcp.settings import Settings

CREATE = "POST /v1/generations"
POLL = "GET /v1/generations/{id}"
MEDIA = "GET /_media/{id}"
PROMPT = "a lighthouse in fog"
KEY = SecretStr("luma-api-test")

# (fault route, fault switches, POSTs received, final state or None for an error, words the agent must see,
#  history state or None for no row)
SUITE: list[tuple[str, dict[str, Any], int, str | None, list[str], str | None]] = [
    (CREATE, {"status": 429, "retry_after": 0.2}, 2, "completed", [], "completed"),
    (
        CREATE,
        {"status": 429, "retry_after": 60, "detail": "Too many concurrent jobs"},
        1,
        None,
        ["Too many concurrent jobs", "in 60 s", "Nothing was charged"],
        None,
    ),
    (CREATE, {"status": 502}, 2, "completed", [], "completed"),
    (CREATE, {"status": 503, "times": None}, 4, None, ["503", "Nothing was charged"], None),
    (CREATE, {"status": 500, "accept_then_fail": True}, 1, None, ["may have accepted", "Do not resubmit"], "unknown"),
    (CREATE, {"status": 500}, 1, None, ["may have accepted"], "unknown"),
    (CREATE, {"drop_connection": True, "accept_then_fail": True}, 1, None, ["may have"], "unknown"),
    (CREATE, {"malformed_json": True}, 1, None, ["unreadable"], "unknown"),
    (POLL, {"status": 503, "times": 3}, 1, "completed", [], "completed"),
    (POLL, {"status": 429, "retry_after": 1, "times": 2}, 1, "completed", [], "completed"),
    (POLL, {"status": 500, "times": 2}, 1, "completed", [], "completed"),
    (POLL, {"drop_connection": True, "times": 2}, 1, "completed", [], "completed"),
    (POLL, {"malformed_json": True, "times": 2}, 1, "completed", [], "completed"),
    (MEDIA, {"status": 403, "times": 1}, 1, "completed", [], "completed"),
]


@pytest.mark.parametrize(
    ("route", "fault", "posts", "state", "words", "recorded"), SUITE, ids=[f"{r}-{f}" for r, f, *_ in SUITE]
)
async def test_fault_suite(
    settings: Settings,
    emulator: Emulator,
    route: str,
    fault: dict[str, Any],
    posts: int,
    state: str | None,
    words: list[str],
    recorded: str | None,
) -> None:
    emulator.faults.add(route, **fault)
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": PROMPT})
        history = structured(await client.call_tool("list_generations", {}))["generations"]
    assert len(emulator.generation_posts()) == posts
    if state is None:
        assert result.is_error
    else:
        data = structured(result)
        assert data["state"] == state and Path(data["outputs"][0]["path"]).is_file()
    for word in words:
        assert word in text_of(result)
    assert [entry["state"] for entry in history] == ([recorded] if recorded else [])


async def test_a_create_that_times_out_is_never_resent(settings: Settings, tmp_path: Path) -> None:
    emulator = Emulator(EmulatorConfig(queued_seconds=0.05, processing_seconds=0.3))
    emulator.faults.add(CREATE, delay_seconds=3)
    async with loopback(emulator.app) as base_url:
        real = replace(settings, sandbox=False, base_url=f"{base_url}/v1", api_timeout_seconds=0.5, api_key=KEY)
        async with session(real) as client:
            result = await client.call_tool("generate_video", {"prompt": PROMPT})
            history = structured(await client.call_tool("list_generations", {}))["generations"]
    assert result.is_error and "did not answer in time" in text_of(result)
    assert len(emulator.generation_posts()) == 1 and [e["state"] for e in history] == ["unknown"]


async def test_an_unreachable_api_costs_nothing(settings: Settings) -> None:
    real = replace(settings, sandbox=False, base_url="http://127.0.0.1:9/v1", api_timeout_seconds=1, api_key=KEY)
    async with session(real) as client:
        result = await client.call_tool("generate_video", {"prompt": PROMPT, "wait_seconds": 1})
        history = structured(await client.call_tool("list_generations", {}))["generations"]
    assert result.is_error and "nothing was submitted" in text_of(result) and history == []


async def test_a_rejected_key_is_explained_without_echoing_it(settings: Settings) -> None:
    emulator = Emulator(
        EmulatorConfig(queued_seconds=0.05, processing_seconds=0.3, accepted_keys=frozenset({"luma-api-x"}))
    )
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": PROMPT})
    assert result.is_error and "401" in text_of(result) and "LUMA_AGENTS_API_KEY" in text_of(result)
    assert "luma-api-sandbox" not in text_of(result)


async def test_a_feature_the_account_lacks_is_reported(settings: Settings) -> None:
    emulator = Emulator(EmulatorConfig(queued_seconds=0.05, processing_seconds=0.3, hdr_access=False))
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "neon rain", "hdr": True})
    assert result.is_error and "403" in text_of(result) and "Nothing was charged" in text_of(result)
