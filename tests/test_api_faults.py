"""What the API (or the way to it) says no with: each reaches the agent as a clear error, and no paid
generation is duplicated or left without a record."""

from __future__ import annotations

from pathlib import Path

from conftest import session, structured, text_of
from luma_mcp.emulator import Emulator, EmulatorConfig
from luma_mcp.settings import Settings

CREATE = "POST /v1/generations"
POLL = "GET /v1/generations/{id}"


async def test_rate_limited_create_says_when_to_retry_and_keeps_no_row(settings: Settings, emulator: Emulator) -> None:
    emulator.faults.add(CREATE, status=429, retry_after=7)
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "a lighthouse in fog"})
        history = structured(await client.call_tool("list_generations", {}))
    assert result.is_error
    assert "in 7 s" in text_of(result) and "Nothing was charged" in text_of(result)
    assert len(emulator.generation_posts()) == 1 and history["generations"] == []


async def test_server_error_after_acceptance_is_never_resent_and_is_recorded(
    settings: Settings, emulator: Emulator
) -> None:
    emulator.faults.add(CREATE, status=500, accept_then_fail=True)
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "a lighthouse in fog"})
        history = structured(await client.call_tool("list_generations", {}))
    assert result.is_error and "may have accepted" in text_of(result) and "Do not resubmit" in text_of(result)
    assert len(emulator.generation_posts()) == 1
    [entry] = history["generations"]
    assert entry["state"] == "unknown" and entry["prompt"] == "a lighthouse in fog"


async def test_dropped_connection_on_create_is_an_unknown_outcome(settings: Settings, emulator: Emulator) -> None:
    emulator.faults.add(CREATE, drop_connection=True, accept_then_fail=True)
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "a lighthouse in fog"})
        history = structured(await client.call_tool("list_generations", {"state": "unknown"}))
    assert result.is_error and "may have been accepted" in text_of(result)
    assert len(emulator.generation_posts()) == 1 and len(history["generations"]) == 1


async def test_bad_gateway_on_create_is_a_refusal(settings: Settings, emulator: Emulator) -> None:
    emulator.faults.add(CREATE, status=502)
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "a lighthouse in fog"})
        history = structured(await client.call_tool("list_generations", {}))
    assert result.is_error and "502" in text_of(result) and "Nothing was charged" in text_of(result)
    assert history["generations"] == []


async def test_polling_rides_out_server_errors(settings: Settings, emulator: Emulator) -> None:
    emulator.faults.add(POLL, status=503, times=4)
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "a lighthouse in fog"})
    assert structured(result)["state"] == "completed"


async def test_expired_download_url_is_refreshed(settings: Settings, emulator: Emulator) -> None:
    emulator.faults.add("GET /_media/{id}", status=403, times=1)
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "a lighthouse in fog"})
    data = structured(result)
    assert Path(data["outputs"][0]["path"]).is_file()


async def test_a_rejected_key_is_explained_without_echoing_it(settings: Settings) -> None:
    emulator = Emulator(
        EmulatorConfig(queued_seconds=0.05, processing_seconds=0.3, accepted_keys=frozenset({"luma-api-x"}))
    )
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "a lighthouse in fog"})
    assert result.is_error and "401" in text_of(result) and "LUMA_AGENTS_API_KEY" in text_of(result)
    assert "luma-api-sandbox" not in text_of(result)


async def test_a_feature_the_account_lacks_is_reported(settings: Settings) -> None:
    emulator = Emulator(EmulatorConfig(queued_seconds=0.05, processing_seconds=0.3, hdr_access=False))
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "neon rain", "hdr": True})
    assert result.is_error and "403" in text_of(result) and "Nothing was charged" in text_of(result)


async def test_unreadable_create_answer_is_an_unknown_outcome(settings: Settings, emulator: Emulator) -> None:
    emulator.faults.add(CREATE, malformed_json=True)
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "a lighthouse in fog"})
        history = structured(await client.call_tool("list_generations", {"state": "unknown"}))
    assert result.is_error and "unreadable" in text_of(result)
    assert len(emulator.generation_posts()) == 1 and len(history["generations"]) == 1


async def test_unreadable_poll_answers_are_ridden_out(settings: Settings, emulator: Emulator) -> None:
    emulator.faults.add(POLL, malformed_json=True, times=2)
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "a lighthouse in fog"})
    assert structured(result)["state"] == "completed"
