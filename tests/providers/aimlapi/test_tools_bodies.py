"""generate_video on ray-2 / ray-flash-2: the exact `POST /v2/video/generations` body of every valid shape
(spec 3.3), as the AI/ML API emulator received it, with its price, its dry run and its trace id."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conftest import structured
from luma_mcp.providers.aimlapi.emulator import AimlEmulator
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings
from luma_mcp.tools.results import generation_uri

from .tools_support import (
    CLIENT_REQUEST_ID,
    FRAME_A,
    FRAME_B,
    PROMPT,
    call_ok,
    creates,
    history_rows,
    price,
    session,
    wire,
    write_png,
)

# (case, tool arguments beyond the prompt, the body the API must receive, (model, resolution, seconds) priced)
SHAPES: list[tuple[str, dict[str, Any], dict[str, Any], tuple[str, str, int]]] = [
    ("text-defaults", {"model": "ray-2"}, wire(), ("ray-2", "720p", 5)),
    (
        "text-every-option",
        {"model": "ray-2", "aspect_ratio": "9:21", "resolution": "4k", "duration": "9s", "loop": True},
        wire(resolution="4k", duration=9, aspect_ratio="9:21", loop=True),
        ("ray-2", "4k", 9),
    ),
    (
        "540p-square",
        {"model": "ray-2", "aspect_ratio": "1:1", "resolution": "540p"},
        wire(resolution="540p", aspect_ratio="1:1"),
        ("ray-2", "540p", 5),
    ),
    (
        "start-frame",
        {"model": "ray-2", "start_frame": {"url": FRAME_A}},
        wire(keyframes={"frame0": {"type": "image", "url": FRAME_A}}),
        ("ray-2", "720p", 5),
    ),
    (
        "end-frame",
        {"model": "ray-2", "end_frame": {"url": FRAME_B}, "resolution": "1080p"},
        wire(resolution="1080p", keyframes={"frame1": {"type": "image", "url": FRAME_B}}),
        ("ray-2", "1080p", 5),
    ),
    (
        "start-and-end-frames",
        {"model": "ray-2", "start_frame": {"url": FRAME_A}, "end_frame": {"url": FRAME_B}, "aspect_ratio": "21:9"},
        wire(
            aspect_ratio="21:9",
            keyframes={"frame0": {"type": "image", "url": FRAME_A}, "frame1": {"type": "image", "url": FRAME_B}},
        ),
        ("ray-2", "720p", 5),
    ),
    ("flash-defaults", {"model": "ray-flash-2"}, wire(model="luma/ray-flash-2"), ("ray-flash-2", "720p", 5)),
    (
        "flash-frames-9s",
        {"model": "ray-flash-2", "start_frame": {"url": FRAME_A}, "duration": "9s", "aspect_ratio": "9:16"},
        wire(
            model="luma/ray-flash-2",
            duration=9,
            aspect_ratio="9:16",
            keyframes={"frame0": {"type": "image", "url": FRAME_A}},
        ),
        ("ray-flash-2", "720p", 9),
    ),
]


@pytest.mark.parametrize(("case", "arguments", "body", "priced"), SHAPES, ids=[case for case, *_ in SHAPES])
async def test_each_valid_shape_sends_exactly_its_body(
    settings: Settings,
    sandbox: Sandbox,
    aiml: AimlEmulator,
    case: str,
    arguments: dict[str, Any],
    body: dict[str, Any],
    priced: tuple[str, str, int],
) -> None:
    arguments = {"prompt": PROMPT, **arguments}
    async with session(settings, sandbox) as client:
        dry = await call_ok(client, "generate_video", {**arguments, "dry_run": True})
        assert aiml.generation_posts() == [], "a dry run submitted"
        made = await call_ok(client, "generate_video", {**arguments, "wait_seconds": 0})
    assert aiml.generation_posts() == [body]
    assert dry["dry_run"] is True and dry["id"] is None and dry["request"] == body
    for result in (dry, made):
        assert result["provider"] == "aimlapi" and result["type"] == "video"
        assert result["model"] == arguments["model"]
        assert result["estimated_cost_usd"] == pytest.approx(price(*priced))
    assert made["state"] in ("queued", "processing")
    assert made["id"].startswith("aimlapi:") and made["id"].endswith(":" + body["model"])
    assert "get_generation" in made["next_step"] and made["id"] in made["next_step"]


async def test_a_local_png_goes_inline_as_a_data_uri_and_is_elided_in_the_history(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator, tmp_path: Path
) -> None:
    frames = tmp_path / "frames"
    settings = replace(settings, input_dirs=(frames,))
    image = write_png(frames)
    in_output_dir = write_png(settings.output_dir, "last.png")
    encoded = base64.b64encode(image.read_bytes()).decode("ascii")
    arguments = {
        "prompt": PROMPT,
        "model": "ray-2",
        "start_frame": {"path": str(image)},
        "end_frame": {"path": str(in_output_dir)},
    }
    async with session(settings, sandbox) as client:
        dry = await call_ok(client, "generate_video", {**arguments, "dry_run": True})
        made = await call_ok(client, "generate_video", {**arguments, "wait_seconds": 0})
    data_uri = f"data:image/png;base64,{encoded}"
    assert aiml.generation_posts() == [
        wire(keyframes={"frame0": {"type": "image", "url": data_uri}, "frame1": {"type": "image", "url": data_uri}})
    ]
    elided = f"data:image/png;base64,<{len(image.read_bytes())} bytes of base64 elided>"
    assert dry["request"]["keyframes"]["frame0"] == {"type": "image", "url": elided}
    [row] = history_rows(settings)
    assert row["id"] == made["id"] and row["provider"] == "aimlapi"
    assert encoded not in row["request_json"] and "bytes of base64 elided" in row["request_json"]


async def test_an_image_generation_id_becomes_its_output_url(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator, emulator: Emulator
) -> None:
    async with session(settings, sandbox) as client:
        image = await call_ok(client, "generate_image", {"prompt": "chalk cliffs at dawn, a red kite"})
        assert image["state"] == "completed" and image["provider"] == "luma"
        await call_ok(
            client,
            "generate_video",
            {"prompt": PROMPT, "model": "ray-2", "start_frame": {"generation_id": image["id"]}, "wait_seconds": 0},
        )
    [body] = aiml.generation_posts()
    sent = body["keyframes"]["frame0"]["url"]
    assert body == wire(keyframes={"frame0": {"type": "image", "url": sent}})
    # The image's own output URL (freshly signed by the lookup): same host and object, a query that may differ.
    expected = urlsplit(image["outputs"][0]["url"])
    assert urlsplit(sent)[:3] == expected[:3]
    assert f"/{image['id']}/" in expected.path


async def test_every_create_carries_a_fresh_trace_id_kept_in_the_history(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    async with session(settings, sandbox) as client:
        first = await call_ok(client, "generate_video", {"prompt": PROMPT, "model": "ray-2", "wait_seconds": 0})
        second = await call_ok(client, "generate_video", {"prompt": PROMPT, "model": "ray-flash-2", "wait_seconds": 0})
    trace_ids = [headers.get("x-client-request-id") for headers in creates(aiml)]
    assert len(trace_ids) == 2 and len(set(trace_ids)) == 2, trace_ids
    assert all(value is not None and CLIENT_REQUEST_ID.fullmatch(value) for value in trace_ids), trace_ids
    rows = {row["id"]: row for row in history_rows(settings)}
    assert [rows[first["id"]]["request_id"], rows[second["id"]]["request_id"]] == trace_ids
    # The API logged each trace id against the job it created: an unknown outcome can be reconciled.
    jobs = {job.client_request_id: job.id for job in aiml.store.jobs.values()}
    assert [f"aimlapi:{jobs[value]}" for value in trace_ids] == [first["id"], second["id"]]


async def test_a_completed_result_is_dated_measured_linked_and_previewed(settings: Settings, sandbox: Sandbox) -> None:
    arguments = {"prompt": PROMPT, "model": "ray-2", "aspect_ratio": "9:16", "resolution": "540p"}
    async with session(settings, sandbox) as client:
        result = await client.call_tool("generate_video", arguments)
    done = structured(result)
    assert done["state"] == "completed" and done["provider"] == "aimlapi"
    assert done["created_at"], "the contract's created_at is missing"
    [output] = done["outputs"]
    path = Path(output["path"])
    assert path.is_file() and path.is_relative_to(settings.output_dir)
    # The name shows the date, the prompt and the API id's head (not the "aimlapi:" prefix).
    api_head = done["id"].removeprefix("aimlapi:")[:8]
    assert path.name.startswith(f"{done['created_at'][:10]}_red-kite-banking-"), path.name
    assert path.name.endswith(f"_{api_head}.mp4"), path.name
    assert (output["width"], output["height"]) == (540, 960)
    assert output["duration_seconds"] == pytest.approx(5, abs=0.1)
    kinds = [block.type for block in result.content]
    assert kinds[:2] == ["text", "image"], kinds  # the summary, then a contact sheet to look at
    links = [str(block.uri) for block in result.content if block.type == "resource_link"]
    assert links == [generation_uri(done["id"]), output["resource_uri"]]
    assert links[0] == "luma://generations/" + done["id"].replace("/", "%2F")


async def test_sandbox_outputs_are_kept_apart_from_real_ones(settings: Settings, sandbox: Sandbox) -> None:
    async with session(settings, sandbox) as client:
        done = await call_ok(client, "generate_video", {"prompt": PROMPT, "model": "ray-flash-2", "resolution": "540p"})
    assert Path(done["outputs"][0]["path"]).parent == settings.output_dir / "sandbox"
