"""The AI/ML API's sandbox videos (ray-2, ray-flash-2) reflect the request through the same shared
rendering as Luma's: the caption, start and end frames at their frames (a local image inline as a
`data:` URI, an image made by the Luma sandbox by its URL), extensions containing their source, loops.
Through the MCP client, both emulators behind one sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import session
from luma_mcp.providers.aimlapi.emulator import AimlEmulator, AimlEmulatorConfig
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings
from sandbox_frames import ABOVE_BAND, RED, completed, decode, dominant, output_path, png

SAME_PICTURE = 4.0


@pytest.fixture
def sandbox(emulator: Emulator) -> Sandbox:
    return Sandbox(luma=emulator, aimlapi=AimlEmulator(AimlEmulatorConfig(queued_seconds=0.05, generating_seconds=0.3)))


async def test_start_frame_inline_and_end_frame_from_a_luma_image(settings: Settings, sandbox: Sandbox) -> None:
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    red = Path(settings.output_dir) / "red.png"
    red.write_bytes(png(RED))
    async with session(settings, sandbox) as client:
        image = await completed(client, "generate_image", {"prompt": "a green valley", "aspect_ratio": "16:9"})
        video = await completed(
            client,
            "generate_video",
            {
                "prompt": "fly over the valley",
                "model": "ray-2",
                "resolution": "720p",
                "start_frame": {"path": str(red)},
                "end_frame": {"generation_id": image["id"]},
            },
        )
    count, frames = decode(output_path(video), {0, 60, 119})
    assert count == 120 and (frames[0].width, frames[0].height) == (1280, 720)
    assert dominant(frames[0].mean(ABOVE_BAND)) == "red"
    _, still = decode(output_path(image))
    for region in ((0.05, 0.3, 0.3, 0.7), (0.6, 0.3, 0.95, 0.7)):
        made, given = frames[119].mean(region), still[0].mean(region)
        assert all(abs(a - b) < 12 for a, b in zip(made, given, strict=True)), (region, made, given)
    assert frames[60].difference(frames[119], ABOVE_BAND) > 10


async def test_an_extension_contains_its_source_and_a_loop_ends_where_it_starts(
    settings: Settings, sandbox: Sandbox
) -> None:
    async with session(settings, sandbox) as client:
        source = await completed(
            client, "generate_video", {"prompt": "a kite", "model": "ray-flash-2", "resolution": "540p", "loop": True}
        )
        extended = await completed(
            client, "extend_video", {"generation_id": source["id"], "prompt": "it dives", "resolution": "540p"}
        )
    count, clip = decode(output_path(source))
    assert count == 120
    assert clip[119].difference(clip[0]) < SAME_PICTURE
    assert clip[60].difference(clip[0]) > 10
    count, frames = decode(output_path(extended))
    assert count == 240
    for index in (0, 59, 119):
        assert frames[index].difference(clip[index]) < SAME_PICTURE, index
    assert frames[200].difference(clip[119]) > 10
    band = (0.0, 0.92, 1.0, 1.0)
    assert frames[200].difference(frames[0], band) > 3  # the new part is captioned with its own prompt
