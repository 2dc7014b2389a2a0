"""An `aimlapi:` generation outlives the server that submitted it: a restarted server saves it on its own,
get_generation and the resources resolve it, and its id (which holds a '/') stays one URI segment."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import structured
from luma_mcp.media.probe import video_info
from luma_mcp.providers.aimlapi.emulator import AimlEmulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings

from .tools_support import PROMPT, call_ok, session, until_saved


async def test_a_restarted_server_saves_and_serves_what_the_last_one_left(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    async with session(settings, sandbox) as client:
        first = await call_ok(
            client, "generate_video", {"prompt": PROMPT, "model": "ray-2", "aspect_ratio": "4:3", "wait_seconds": 0}
        )
    assert first["state"] in ("queued", "processing") and first["outputs"] == []
    generation_id = first["id"]
    aiml.advance(60)  # the job finishes while no server runs
    uri = f"luma://generations/{quote(generation_id, safe=':')}"
    assert "/" not in uri.removeprefix("luma://generations/")

    async with session(settings, sandbox) as client:
        entry = await until_saved(client, generation_id)
        assert entry.get("state") == "completed" and entry["provider"] == "aimlapi", entry
        [saved] = entry["paths"]
        polls = len([r for r in aiml.requests if r.method == "GET" and r.path.startswith("/v2/")])
        got = await call_ok(client, "get_generation", {"generation_id": generation_id})
        resource = await client.read_resource(uri)
        output = await client.read_resource(f"{uri}/outputs/0")
        listed = await client.list_resources()

    assert polls >= 1, "recovery did not ask the API"
    assert got["state"] == "completed" and got["provider"] == "aimlapi" and got["model"] == "ray-2"
    assert got["outputs"][0]["path"] == saved, "saved twice"
    assert got["outputs"][0]["resource_uri"] == f"{uri}/outputs/0"
    assert Path(saved).is_file() and Path(saved).is_relative_to(settings.output_dir)
    info = video_info(Path(saved))
    assert info is not None and (info.width, info.height) == (960, 720)
    assert info.seconds == pytest.approx(5, abs=0.1)
    assert len(list(settings.output_dir.rglob("*.mp4"))) == 1

    [contents] = resource.contents
    data = json.loads(contents.text)  # type: ignore[union-attr]
    assert (data["id"], data["provider"], data["state"], data["model"]) == (
        generation_id,
        "aimlapi",
        "completed",
        "ray-2",
    )
    assert data["saved_paths"] == {"0": saved}
    [media] = output.contents
    assert media.mime_type == "video/mp4"
    assert [str(item.uri) for item in listed.resources][:2] == [uri, f"{uri}/outputs/0"]


async def test_get_generation_saves_a_job_finished_after_the_call_that_made_it(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    async with session(settings, sandbox) as client:
        first = await call_ok(
            client, "generate_video", {"prompt": f"{PROMPT} __stall", "model": "ray-flash-2", "wait_seconds": 0}
        )
        waiting = await call_ok(client, "get_generation", {"generation_id": first["id"], "wait_seconds": 0.2})
        assert waiting["state"] in ("queued", "processing") and waiting["provider"] == "aimlapi"
        assert "get_generation" in waiting["next_step"]
        aiml.advance(3600)  # the stalled job completes
        done = await call_ok(client, "get_generation", {"generation_id": first["id"], "wait_seconds": 10})
        [entry] = structured(await client.call_tool("list_generations", {}))["generations"]
    assert done["state"] == "completed" and done["model"] == "ray-flash-2"
    assert Path(done["outputs"][0]["path"]).is_file()
    assert entry["state"] == "completed" and entry["paths"] == [done["outputs"][0]["path"]]
    assert len(aiml.generation_posts()) == 1
