"""generate_video and get_generation end to end through the MCP client against the emulator."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import av
import pytest

from conftest import Progress, session, structured, text_of
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.luma.rules import FAILURE_CODES
from luma_mcp.settings import Settings

PROMPT = "A slow dolly shot through a misty greenhouse at sunrise"


def decode(path: str) -> tuple[int, int, int, float]:
    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return stream.width, stream.height, frames, float(stream.average_rate or 0)


async def test_text_to_video_saves_a_playable_file_and_reports_progress(settings: Settings, emulator: Emulator) -> None:
    progress = Progress()
    async with session(settings, emulator) as client:
        result = await client.call_tool(
            "generate_video", {"prompt": PROMPT, "aspect_ratio": "16:9"}, progress_callback=progress
        )
    assert not result.is_error, text_of(result)
    data = structured(result)
    assert data["state"] == "completed" and data["type"] == "video" and data["model"] == "ray-3.2"
    assert data["estimated_cost_usd"] == pytest.approx(0.30)
    path = data["outputs"][0]["path"]
    assert Path(path).parent == settings.output_dir / "sandbox" and Path(path).name.endswith(f"{data['id'][:8]}.mp4")
    assert "misty-greenhouse" in Path(path).name
    assert decode(path) == (1280, 720, 120, 24.0)
    assert emulator.generation_posts() == [
        {
            "model": "ray-3.2",
            "type": "video",
            "prompt": PROMPT,
            "aspect_ratio": "16:9",
            "video": {"resolution": "720p", "duration": "5s"},
        }
    ]
    assert progress.events, "no progress notifications arrived"
    values = [event[0] for event in progress.events]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert all(event[2] for event in progress.events)
    links = [block for block in result.content if block.type == "resource_link"]
    assert [str(link.uri) for link in links] == [
        f"luma://generations/{data['id']}",
        f"luma://generations/{data['id']}/outputs/0",
    ]
    assert not list(settings.output_dir.glob(".*.part"))


@pytest.mark.parametrize(
    ("resolution", "aspect", "duration", "size", "frames"),
    [
        ("360p", "9:16", "10s", (360, 640), 240),
        ("540p", "1:1", "5s", (540, 540), 120),
    ],
)
async def test_output_follows_resolution_aspect_and_duration(
    settings: Settings,
    emulator: Emulator,
    resolution: str,
    aspect: str,
    duration: str,
    size: tuple[int, int],
    frames: int,
) -> None:
    async with session(settings, emulator) as client:
        result = await client.call_tool(
            "generate_video", {"prompt": PROMPT, "aspect_ratio": aspect, "resolution": resolution, "duration": duration}
        )
    width, height, count, _ = decode(structured(result)["outputs"][0]["path"])
    assert ((width, height), count) == (size, frames)


async def test_long_job_is_handed_back_then_finished_by_get_generation(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        first = await client.call_tool("generate_video", {"prompt": f"{PROMPT} __slow:1.5", "wait_seconds": 0.3})
        data = structured(first)
        assert not first.is_error and data["state"] in ("queued", "processing")
        assert "get_generation" in data["next_step"] and data["id"] in data["next_step"]
        assert data["outputs"] == []
        progress = Progress()
        done = await client.call_tool(
            "get_generation", {"generation_id": data["id"], "wait_seconds": 20}, progress_callback=progress
        )
        finished = structured(done)
        assert finished["state"] == "completed" and Path(finished["outputs"][0]["path"]).is_file()
        assert progress.events
        again = structured(await client.call_tool("get_generation", {"generation_id": data["id"]}))
    assert again["outputs"][0]["path"] == finished["outputs"][0]["path"]
    assert len(list(settings.output_dir.iterdir())) == 1


@pytest.mark.parametrize("code", FAILURE_CODES)
async def test_each_failure_code_is_surfaced(settings: Settings, emulator: Emulator, code: str) -> None:
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": f"a fox __fail:{code}"})
    data = structured(result)
    assert data["state"] == "failed" and data["failure_code"] == code and data["failure_reason"]
    assert (
        (data["outputs"] == [] and code in data["next_step"])
        or "moderation" in data["next_step"]
        or "funds" in data["next_step"]
    )
    assert code in text_of(result) or data["failure_reason"] in text_of(result)


INVALID: list[tuple[dict[str, Any], str]] = [
    ({}, "prompt"),
    ({"prompt": ""}, "prompt"),
    ({"prompt": "x" * 6001}, "prompt"),
    ({"prompt": "p", "aspect_ratio": "5:4"}, "aspect_ratio"),
    ({"prompt": "p", "resolution": "4k"}, "resolution"),
    ({"prompt": "p", "duration": "9s"}, "duration"),
    ({"prompt": "p", "duraton": "5s"}, "duraton"),
    ({"prompt": "p", "wait_seconds": 601}, "wait_seconds"),
    ({"prompt": "p", "wait_seconds": -1}, "wait_seconds"),
    ({"prompt": "p", "duration": "10s", "start_frame": {"url": "https://e.com/a.png"}}, "duration"),
    ({"prompt": "p", "duration": "10s", "end_frame": {"url": "https://e.com/a.png"}}, "duration"),
    ({"prompt": "p", "duration": "10s", "hdr": True}, "duration"),
    ({"prompt": "p", "hdr": True, "resolution": "540p"}, "hdr"),
    ({"prompt": "p", "hdr": True, "loop": True}, "hdr"),
    ({"prompt": "p", "exr_export": True}, "exr_export"),
    ({"prompt": "p", "loop": True, "duration": "10s"}, "loop"),
    ({"prompt": "p", "loop": True, "end_frame": {"url": "https://e.com/a.png"}}, "loop"),
    ({"prompt": "p", "loop": True, "keyframes": [{"frame": 0, "image": {"url": "https://e.com/a.png"}}]}, "loop"),
    ({"prompt": "p", "keyframes": []}, "keyframes"),
    ({"prompt": "p", "keyframes": [{"frame": 121, "image": {"url": "https://e.com/a.png"}}]}, "keyframes[].frame"),
    ({"prompt": "p", "keyframes": [{"frame": -1, "image": {"url": "https://e.com/a.png"}}]}, "keyframes[0].frame"),
    ({"prompt": "p", "keyframes": [{"frame": 5, "image": {"url": "https://e.com/a.png"}}] * 2}, "keyframes[].frame"),
    (
        {
            "prompt": "p",
            "start_frame": {"url": "https://e.com/a.png"},
            "keyframes": [{"frame": 9, "image": {"url": "https://e.com/a.png"}}],
        },
        "keyframes",
    ),
    ({"prompt": "p", "start_frame": {}}, "start_frame"),
    ({"prompt": "p", "start_frame": {"url": "https://e.com/a.png", "path": "a.png"}}, "start_frame"),
    ({"prompt": "p", "start_frame": {"url": "ftp://e.com/a.png"}}, "url"),
    ({"prompt": "p", "start_frame": {"url": "data:text/plain;base64,aGk="}}, "image"),
    ({"prompt": "p", "start_frame": {"url": "data:image/png;base64,@@@"}}, "base64"),
    ({"prompt": "p", "start_frame": {"url": "data:image/png;base64,aGVsbG8="}}, "not an image"),
    ({"prompt": "p", "start_frame": "https://e.com/a.png"}, "start_frame"),
    ({"prompt": "p", "hdr": "very"}, "hdr"),
]


@pytest.mark.parametrize(("arguments", "field"), INVALID, ids=[f"{i}-{f}" for i, (_, f) in enumerate(INVALID)])
async def test_invalid_calls_are_refused_before_any_request(
    settings: Settings, emulator: Emulator, arguments: dict[str, Any], field: str
) -> None:
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", arguments)
        history = structured(await client.call_tool("list_generations", {}))
    assert result.is_error
    message = text_of(result)
    assert field in message, message
    assert "nothing was sent" in message.lower()
    assert "Traceback" not in message and "pydantic" not in message
    assert emulator.requests == []
    assert history["generations"] == []


async def test_dry_run_returns_the_exact_body_and_price_and_sends_nothing(
    settings: Settings, emulator: Emulator
) -> None:
    arguments = {
        "prompt": PROMPT,
        "resolution": "1080p",
        "hdr": True,
        "exr_export": True,
        "dry_run": True,
        "start_frame": {"url": "data:image/png;base64,iVBORw0KGgo="},
    }
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", arguments)
        history = structured(await client.call_tool("list_generations", {}))
    data = structured(result)
    assert not result.is_error and data["dry_run"] and data["id"] is None and data["state"] is None
    assert data["estimated_cost_usd"] == pytest.approx(3.60)
    assert data["request"] == {
        "model": "ray-3.2",
        "type": "video",
        "prompt": PROMPT,
        "video": {
            "resolution": "1080p",
            "duration": "5s",
            "hdr": True,
            "exr_export": True,
            "start_frame": {"data": "<8 bytes of base64 elided>", "media_type": "image/png"},
        },
    }
    assert emulator.requests == [] and history["generations"] == []


async def test_without_a_key_tools_are_listed_and_explain_the_fix(settings: Settings) -> None:
    keyless = replace(settings, sandbox=False, api_key=None, base_url="http://127.0.0.1:9/v1")
    async with session(keyless) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("generate_video", {"prompt": PROMPT})
        status = await client.call_tool("get_generation", {"generation_id": "d290f1ee-6c54-4b01-90e6-d701748f0851"})
        dry = await client.call_tool("generate_video", {"prompt": PROMPT, "dry_run": True})
    assert {"generate_video", "get_generation", "list_generations"} <= names
    for refused in (result, status):
        assert refused.is_error
        assert "LUMA_AGENTS_API_KEY" in text_of(refused) and "--sandbox" in text_of(refused)
    assert not dry.is_error and structured(dry)["estimated_cost_usd"] == pytest.approx(0.30)


async def test_history_survives_a_restart(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        made = structured(await client.call_tool("generate_video", {"prompt": PROMPT}))
    async with session(settings, emulator) as client:
        listed = structured(await client.call_tool("list_generations", {"type": "video"}))
        empty = structured(await client.call_tool("list_generations", {"type": "image"}))
    [entry] = listed["generations"]
    assert entry["id"] == made["id"] and entry["state"] == "completed" and entry["prompt"] == PROMPT
    assert entry["paths"] == [made["outputs"][0]["path"]] and entry["estimated_cost_usd"] == pytest.approx(0.3)
    assert empty["generations"] == []


async def test_cancelling_stops_the_wait_and_keeps_the_record(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        with anyio.move_on_after(0.5):
            await client.call_tool("generate_video", {"prompt": f"{PROMPT} __slow:30"})
        await anyio.sleep(0.3)
        polls_after_cancel = len(emulator.requests)
        await anyio.sleep(0.5)
        assert len(emulator.requests) == polls_after_cancel, "the server kept polling after the cancel"
        listed = structured(await client.call_tool("list_generations", {}))
    [entry] = listed["generations"]
    assert entry["state"] in ("queued", "processing")


async def test_unknown_generation_id_is_a_clear_error(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        missing = await client.call_tool("get_generation", {"generation_id": "d290f1ee-6c54-4b01-90e6-d701748f0851"})
        malformed = await client.call_tool("get_generation", {"generation_id": "not-an-id"})
    assert missing.is_error and "list_generations" in text_of(missing)
    assert malformed.is_error and "generation_id" in text_of(malformed)
    assert [r.method for r in emulator.requests] == ["GET"]
