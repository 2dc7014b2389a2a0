"""Each valid generate_video call puts exactly the body the spec prescribes on the wire."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from luma_agents import AsyncLuma

from conftest import session, structured, text_of
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import SANDBOX_API_KEY, SANDBOX_BASE_URL, Settings

IMG = "https://example.com/frame.png"
PNG_HEAD = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(8)).decode()
V = {"model": "ray-3.2", "type": "video", "prompt": "p"}

CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({}, {**V, "video": {"resolution": "720p", "duration": "5s"}}),
    (
        {"aspect_ratio": "21:9", "resolution": "1080p", "duration": "10s"},
        {**V, "aspect_ratio": "21:9", "video": {"resolution": "1080p", "duration": "10s"}},
    ),
    (
        {"resolution": "360p", "loop": True, "start_frame": {"url": IMG}},
        {**V, "video": {"resolution": "360p", "duration": "5s", "loop": True, "start_frame": {"url": IMG}}},
    ),
    (
        {"start_frame": {"url": IMG}, "end_frame": {"url": IMG}},
        {
            **V,
            "video": {"resolution": "720p", "duration": "5s", "start_frame": {"url": IMG}, "end_frame": {"url": IMG}},
        },
    ),
    (
        {"hdr": True, "exr_export": True},
        {**V, "video": {"resolution": "720p", "duration": "5s", "hdr": True, "exr_export": True}},
    ),
    (
        {
            "keyframes": [
                {"frame": 60, "image": {"url": IMG}},
                {"frame": 0, "image": {"url": f"data:image/png;base64,{PNG_HEAD}"}},
            ]
        },
        {
            **V,
            "video": {
                "resolution": "720p",
                "duration": "5s",
                "keyframes": [{"url": IMG}, {"data": PNG_HEAD, "media_type": "image/png"}],
                "keyframe_indexes": [60, 0],
            },
        },
    ),
]


@pytest.mark.parametrize(("arguments", "body"), CASES)
async def test_wire_body(
    settings: Settings, emulator: Emulator, arguments: dict[str, Any], body: dict[str, Any]
) -> None:
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "p", "wait_seconds": 0, **arguments})
    assert not result.is_error, text_of(result)
    assert emulator.generation_posts() == [body]


async def make_image(emulator: Emulator) -> str:
    """An image generation made straight through the SDK with the sandbox's key (generate_image comes later)."""
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport) as http:
        luma = AsyncLuma(auth_token=SANDBOX_API_KEY, base_url=SANDBOX_BASE_URL, http_client=http)
        image = await luma.generations.create(model="uni-1", type="image", prompt="a red door")
    emulator.advance(60)
    return image.id


async def test_an_image_generation_id_becomes_its_fresh_url(settings: Settings, emulator: Emulator) -> None:
    image_id = await make_image(emulator)
    async with session(settings, emulator) as client:
        result = await client.call_tool(
            "generate_video", {"prompt": "the door opens", "start_frame": {"generation_id": image_id}}
        )
        video_id = structured(result)["id"]
        refused = await client.call_tool("generate_video", {"prompt": "x", "end_frame": {"generation_id": video_id}})
    [body, *_] = emulator.generation_posts()[1:]
    assert (
        body["video"]["start_frame"]["url"].startswith("http://") and "/_media/" in body["video"]["start_frame"]["url"]
    )
    assert refused.is_error and "an image is wanted" in text_of(refused)
    assert len(emulator.generation_posts()) == 2
