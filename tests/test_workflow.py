"""The whole chain an agent runs, end to end through the MCP client against the emulator:
image -> image-to-video -> extend forward and backward -> reframe to 9:16 -> edit a local MP4 -> edit a local PNG.
For each step the wire body the emulator received is asserted and the saved file is decoded."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import av

from conftest import session, structured, text_of
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings


def video_shape(path: str) -> tuple[int, int, int]:
    with av.open(path) as container:
        stream = container.streams.video[0]
        return stream.width, stream.height, sum(1 for _ in container.decode(stream))


def image_size(path: str) -> tuple[int, int]:
    with av.open(path) as container:
        frame = next(container.decode(video=0))
        return frame.width, frame.height


async def call(client: Any, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    data = structured(result)
    assert data["state"] == "completed", data
    previews = [block for block in result.content if block.type == "image"]
    assert len(previews) == 1 and previews[0].mime_type == "image/jpeg"
    assert len(base64.b64decode(previews[0].data)) < 1_000_000
    return data


async def test_image_to_video_extend_reframe_edit(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        image = await call(client, "generate_image", {"prompt": "a lighthouse on a cliff", "aspect_ratio": "16:9"})
        video = await call(
            client, "generate_video", {"prompt": "waves crash", "start_frame": {"generation_id": image["id"]}}
        )
        forward = await call(client, "extend_video", {"generation_id": video["id"], "prompt": "the beam sweeps"})
        backward = await call(
            client, "extend_video", {"generation_id": video["id"], "prompt": "dusk falls", "direction": "backward"}
        )
        vertical = await call(
            client, "reframe_video", {"source": {"generation_id": forward["id"]}, "aspect_ratio": "9:16"}
        )
        local_mp4 = video["outputs"][0]["path"]
        edited = await call(client, "edit_video", {"source": {"path": local_mp4}, "prompt": "as an oil painting"})
        local_png = image["outputs"][0]["path"]
        retouched = await call(client, "edit_image", {"source": {"path": local_png}, "prompt": "add a red boat"})

    posts = emulator.generation_posts()
    assert [p["type"] for p in posts] == [
        "image",
        "video",
        "video",
        "video",
        "video_reframe",
        "video_edit",
        "image_edit",
    ]
    assert posts[0] == {"model": "uni-1", "type": "image", "prompt": "a lighthouse on a cliff", "aspect_ratio": "16:9"}
    assert "/_media/" in posts[1]["video"]["start_frame"]["url"]
    assert posts[2]["video"] == {"resolution": "720p", "start_frame": {"generation_id": video["id"]}}
    assert posts[3]["video"] == {"resolution": "720p", "end_frame": {"generation_id": video["id"]}}
    assert posts[4]["source"] == {"generation_id": forward["id"]} and posts[4]["aspect_ratio"] == "9:16"
    assert posts[4]["prompt"]  # the documented neutral default when the agent gives none
    assert set(posts[5]["source"]) == {"file_id"} and posts[5]["video"]["edit"] == {"auto_controls": True}
    assert posts[6]["source"]["media_type"] == "image/png" or set(posts[6]["source"]) == {"file_id"}

    assert image_size(image["outputs"][0]["path"]) == (2048, 1152)
    assert video_shape(video["outputs"][0]["path"]) == (1280, 720, 120)
    assert video_shape(forward["outputs"][0]["path"]) == (1280, 720, 240)
    assert video_shape(backward["outputs"][0]["path"]) == (1280, 720, 240)
    assert video_shape(vertical["outputs"][0]["path"]) == (720, 1280, 240)
    assert video_shape(edited["outputs"][0]["path"]) == (1280, 720, 120)
    assert Path(retouched["outputs"][0]["path"]).is_file()
    assert vertical["estimated_cost_usd"] == 1.2  # 10 s of source at $0.12 per second
