"""When an avatar job or its create goes wrong: an ambiguous create is found again by the id the server
chose (never re-sent); a create Hedra never took buys and records nothing; a job that completes without
a URL is fetched through its asset; a failed job is a result with its reason; progress is Hedra's own."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import anyio
import pytest
from aimlapi.tools_support import call_ok, history_rows, session

from conftest import Progress, structured, text_of
from luma_mcp.providers.hedra.emulator import HedraEmulator, HedraEmulatorConfig
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings

from .tools_support import API, FACE_URL, calls, tts_args

CREATE = "POST /generations"
STATUS = "GET /generations/{id}/status"


@pytest.mark.parametrize("how", ["500 after taking it", "connection dropped after taking it"])
async def test_an_ambiguous_create_is_found_by_its_own_id_and_never_resent(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator, how: str
) -> None:
    avatar.faults.add(CREATE, accept_then_fail=True, drop_connection=how.startswith("connection"), status=500)
    async with session(settings, sandbox) as client:
        result = await call_ok(client, "generate_avatar_video", tts_args(FACE_URL))
    [body] = avatar.generation_posts()
    assert result["id"] == f"hedra:{body['generation_id']}"
    assert result["state"] == "completed" and Path(result["outputs"][0]["path"]).is_file()
    [row] = history_rows(settings)
    assert (row["id"], row["state"]) == (result["id"], "completed")


async def test_a_create_hedra_never_took_buys_and_records_nothing(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator
) -> None:
    avatar.faults.add(CREATE, status=502)  # refused before the job was made: asking for its id finds nothing
    async with session(settings, sandbox) as client:
        result = await client.call_tool("generate_avatar_video", tts_args(FACE_URL))
        listed = structured(await client.call_tool("list_generations", {}))
    message = text_of(result)
    assert result.is_error, message
    assert "did not accept" in message and "Nothing was charged" in message, message
    assert len(avatar.generation_posts()) == 1, "re-sent, or not sent"
    assert avatar.store.jobs == {} and listed["generations"] == [] and history_rows(settings) == []
    # The ids it chose were asked for (three times, spaced), never created.
    assert calls(avatar).count(f"GET {API}/generations/{avatar.generation_posts()[0]['generation_id']}/status") == 3


async def test_an_unknown_outcome_is_recorded_then_settled_by_its_id(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator
) -> None:
    avatar.faults.add(CREATE, accept_then_fail=True, status=500)
    avatar.faults.add(STATUS, status=503, times=3)  # and the rechecks cannot tell: the outcome stays unknown
    async with session(settings, sandbox) as client:
        result = await client.call_tool("generate_avatar_video", tts_args(FACE_URL))
        message = text_of(result)
        assert result.is_error and "Do not resubmit" in message and "Hedra" in message, message
        [row] = history_rows(settings)
        assert row["state"] == "unknown" and row["request_id"] in message
        await anyio.sleep(0.5)  # the job finishes meanwhile
        listed = structured(await client.call_tool("list_generations", {"provider": "hedra"}))
    [body] = avatar.generation_posts()
    [entry] = listed["generations"]
    assert (entry["id"], entry["state"]) == (f"hedra:{body['generation_id']}", "completed"), entry
    assert len(history_rows(settings)) == 1


async def test_a_completion_without_a_url_is_fetched_through_its_asset(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator
) -> None:
    avatar.switches.update({"complete_without_url": True})
    async with session(settings, sandbox) as client:
        result = await call_ok(client, "generate_avatar_video", tts_args(FACE_URL))
    assert result["state"] == "completed"
    [output] = result["outputs"]
    assert Path(output["path"]).is_file() and output["duration_seconds"] > 0
    assert any(call == f"GET {API}/assets" for call in calls(avatar)), calls(avatar)


@pytest.mark.parametrize(
    ("marker", "code", "step"),
    [
        ("__fail", "generation_failed", "submit"),
        ("__moderate", "moderation_likeness", "different face"),
        ("__transient", "moderation_transient", "again may pass"),
    ],
)
async def test_a_failed_job_is_a_result_with_its_reason(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator, marker: str, code: str, step: str
) -> None:
    async with session(settings, sandbox) as client:
        failed = await call_ok(client, "generate_avatar_video", tts_args(FACE_URL, prompt=f"calm {marker}"))
        again = await call_ok(client, "get_generation", {"generation_id": failed["id"]})
    for result in (failed, again):
        assert (result["state"], result["provider"], result["failure_code"]) == ("failed", "hedra", code), result
        assert result["failure_reason"] and step in result["next_step"], result["next_step"]
        assert result["outputs"] == []
    assert not any(settings.output_dir.rglob("*.mp4"))


async def test_progress_is_hedras_own(settings: Settings, sandbox: Sandbox, avatar: HedraEmulator) -> None:
    progress = Progress()
    async with session(settings, sandbox) as client:
        result = await client.call_tool("generate_avatar_video", tts_args(FACE_URL), progress_callback=progress)
    assert structured(result)["state"] == "completed", text_of(result)
    messages = [message or "" for _, _, message in progress.events]
    assert any("%" in message and "processing" in message for message in messages), messages
    values = [value for value, _, _ in progress.events]
    assert values == sorted(values) and values[-1] == 100


async def test_an_expired_download_url_is_refreshed_from_the_status(settings: Settings, emulator: Emulator) -> None:
    config = HedraEmulatorConfig(queued_seconds=0.05, processing_seconds=0.3, finalizing_seconds=0.05)
    avatar = HedraEmulator(replace(config, url_ttl_seconds=1.0))
    # The first download is held past its URL's 1 s life: only a URL minted by a fresh status can work.
    avatar.faults.add("GET /_media/{id}", delay_seconds=1.5)
    async with session(settings, Sandbox(luma=emulator, hedra=avatar)) as client:
        result = await call_ok(client, "generate_avatar_video", tts_args(FACE_URL))
    assert Path(result["outputs"][0]["path"]).is_file(), result["next_step"]
    assert avatar.faults.pending() == [], "the download never met its expired URL"
