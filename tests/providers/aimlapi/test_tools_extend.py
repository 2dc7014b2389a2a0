"""extend_video on an `aimlapi:` generation: the anchor goes as a `generation` keyframe (frame0 forward,
frame1 backward), with the source's model and no aspect ratio (spec 3.3, A13-A17)."""

from __future__ import annotations

from pathlib import Path

import pytest

from luma_mcp.media.probe import video_info
from luma_mcp.providers.aimlapi.emulator import AimlEmulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings

from .tools_support import PROMPT, call_error, call_ok, price, session, wire

MORE = "The kite dives toward the surf, the camera follows"
BEFORE = "The kite lifts off a fence post into the wind"


def anchor(generation_id: str) -> dict[str, str]:
    assert generation_id.startswith("aimlapi:")
    return {"type": "generation", "id": generation_id.removeprefix("aimlapi:")}


async def test_extend_forward_and_backward_send_the_anchor_on_either_side(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    async with session(settings, sandbox) as client:
        source = await call_ok(
            client, "generate_video", {"prompt": PROMPT, "model": "ray-2", "aspect_ratio": "21:9", "resolution": "540p"}
        )
        assert source["state"] == "completed"
        dry = await call_ok(
            client,
            "extend_video",
            {"generation_id": source["id"], "prompt": MORE, "resolution": "540p", "dry_run": True},
        )
        assert len(aiml.generation_posts()) == 1, "a dry run submitted"
        forward = await call_ok(
            client, "extend_video", {"generation_id": source["id"], "prompt": MORE, "resolution": "540p"}
        )
        backward = await call_ok(
            client,
            "extend_video",
            {"generation_id": source["id"], "prompt": BEFORE, "direction": "backward", "wait_seconds": 0},
        )
    frame = anchor(source["id"])
    assert aiml.generation_posts() == [
        wire(resolution="540p", aspect_ratio="21:9"),
        wire(MORE, resolution="540p", keyframes={"frame0": frame}),
        wire(BEFORE, keyframes={"frame1": frame}),
    ]
    assert dry["request"] == wire(MORE, resolution="540p", keyframes={"frame0": frame})
    assert dry["estimated_cost_usd"] == pytest.approx(price("ray-2", "540p", 5))
    assert dry["provider"] == "aimlapi" and dry["model"] == "ray-2" and "without dry_run" in dry["next_step"]
    for result in (forward, backward):
        assert result["provider"] == "aimlapi" and result["model"] == "ray-2" and result["type"] == "video"
        assert result["id"].startswith("aimlapi:") and result["id"] != source["id"]
    assert backward["state"] in ("queued", "processing")
    assert forward["state"] == "completed"
    # The extension holds its source: the anchor's 5 s plus 5 s more, in the anchor's shape.
    info = video_info(Path(forward["outputs"][0]["path"]))
    assert info is not None and (info.width, info.height) == (1260, 540)
    assert info.seconds == pytest.approx(10, abs=0.1)


async def test_extend_keeps_the_source_model(settings: Settings, sandbox: Sandbox, aiml: AimlEmulator) -> None:
    async with session(settings, sandbox) as client:
        source = await call_ok(
            client, "generate_video", {"prompt": PROMPT, "model": "ray-flash-2", "resolution": "540p"}
        )
        extended = await call_ok(
            client,
            "extend_video",
            {"generation_id": source["id"], "prompt": MORE, "resolution": "1080p", "loop": True, "wait_seconds": 0},
        )
    assert aiml.generation_posts()[1] == wire(
        MORE, model="luma/ray-flash-2", resolution="1080p", loop=True, keyframes={"frame0": anchor(source["id"])}
    )
    assert extended["model"] == "ray-flash-2"
    assert extended["estimated_cost_usd"] == pytest.approx(price("ray-flash-2", "1080p", 5))


async def test_anchors_that_cannot_be_extended_are_refused_without_a_create(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    unknown = "aimlapi:0b7f5a5e-8a0e-4c43-9a55-2e4f3c3d1a11:luma/ray-2"
    async with session(settings, sandbox) as client:
        # `__stall` keeps the job generating until the emulator's clock is moved on.
        running = await call_ok(
            client, "generate_video", {"prompt": f"{PROMPT} __stall", "model": "ray-2", "wait_seconds": 0}
        )
        not_yet = await call_error(client, "extend_video", {"generation_id": running["id"], "prompt": MORE})
        missing = await call_error(client, "extend_video", {"generation_id": unknown, "prompt": MORE})
        failed = await call_ok(client, "generate_video", {"prompt": f"{PROMPT} __fail", "model": "ray-2"})
        assert failed["state"] == "failed"
        dead = await call_error(client, "extend_video", {"generation_id": failed["id"], "prompt": MORE})
        aiml.advance(3600)
        done = await call_ok(client, "get_generation", {"generation_id": running["id"], "wait_seconds": 10})
        as_image = await call_error(
            client, "generate_video", {"prompt": MORE, "model": "ray-2", "start_frame": {"generation_id": done["id"]}}
        )
    assert "generation_id" in not_yet and ("queued" in not_yet or "processing" in not_yet), not_yet
    assert "get_generation" in not_yet
    assert "generation_id" in missing and unknown in missing, missing
    assert "failed" in dead, dead
    assert "start_frame" in as_image and "image is wanted" in as_image, as_image
    assert len(aiml.generation_posts()) == 2, "only the two generations were submitted"


async def test_a_bare_uuid_anchor_is_completed_from_the_history(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    async with session(settings, sandbox) as client:
        source = await call_ok(
            client, "generate_video", {"prompt": PROMPT, "model": "ray-flash-2", "resolution": "540p"}
        )
        bare = source["id"].removeprefix("aimlapi:").split(":", 1)[0]
        extended = await call_ok(
            client, "extend_video", {"generation_id": f"aimlapi:{bare}", "prompt": MORE, "wait_seconds": 0}
        )
    assert aiml.generation_posts()[1] == wire(
        MORE, model="luma/ray-flash-2", keyframes={"frame0": anchor(source["id"])}
    )
    assert extended["model"] == "ray-flash-2"
