"""Sandbox edits, reframes and images reflect the request (contract, Sandbox), through the MCP client
against the Luma emulator: a reframe shows its source where `source_position` puts it, an edit visibly
differs from its source and shows its guide frames, images show their reference images. Each check
decodes the saved file and compares it with the inputs."""

from __future__ import annotations

from pathlib import Path

from conftest import session
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings
from sandbox_frames import (
    ABOVE_BAND,
    BLUE,
    GREEN,
    RED,
    completed,
    decode,
    dominant,
    output_path,
    png,
    write_mp4,
)


def inputs(settings: Settings) -> Path:
    folder = Path(settings.output_dir) / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_a_reframe_places_the_source_where_source_position_says(settings: Settings, emulator: Emulator) -> None:
    clip = write_mp4(inputs(settings) / "red.mp4", RED, 640, 360, 48)  # an upload: decoded by the sandbox
    position = {"x_norm": 0.0, "y_norm": 0.25, "w_norm": 1.0, "h_norm": 0.25}
    async with session(settings, emulator) as client:
        placed = await completed(
            client,
            "reframe_video",
            {"source": {"path": str(clip)}, "aspect_ratio": "9:16", "source_position": position},
        )
        centred = await completed(client, "reframe_video", {"source": {"path": str(clip)}, "aspect_ratio": "1:1"})
    count, frames = decode(output_path(placed), {0, 47})
    assert count == 48 and (frames[0].width, frames[0].height) == (720, 1280)
    for frame in frames.values():
        assert dominant(frame.mean((0.05, 0.27, 0.95, 0.48))) == "red"  # inside the placed source
        assert dominant(frame.mean((0.05, 0.02, 0.95, 0.23))) != "red"  # the new area above it
        assert dominant(frame.mean((0.05, 0.52, 0.95, 0.8))) != "red"  # and below it
    _, frames = decode(output_path(centred), {10})
    square = frames[10]  # a 16:9 source fitted into 1:1: full width, centred, bars above and below
    assert dominant(square.mean((0.05, 0.3, 0.95, 0.7))) == "red"
    assert dominant(square.mean((0.05, 0.02, 0.95, 0.18))) != "red"


async def test_an_edit_differs_from_its_source_and_shows_its_guide_frames(
    settings: Settings, emulator: Emulator
) -> None:
    green = inputs(settings) / "green.png"
    green.write_bytes(png(GREEN))
    async with session(settings, emulator) as client:
        source = await completed(client, "generate_video", {"prompt": "a sailing boat"})
        edited = await completed(
            client, "edit_video", {"source": {"generation_id": source["id"]}, "prompt": "as an oil painting"}
        )
        guided = await completed(
            client,
            "edit_video",
            {
                "source": {"generation_id": source["id"]},
                "prompt": "at night",
                "guide_frames": [{"frame": 48, "image": {"path": str(green)}}],
            },
        )
    _, original = decode(output_path(source), {0, 48, 100})
    count, restyled = decode(output_path(edited), {0, 48, 100})
    assert count == 120
    for index in (0, 48, 100):
        assert restyled[index].difference(original[index], ABOVE_BAND) > 25, index
    _, frames = decode(output_path(guided), {0, 48})
    assert dominant(frames[48].mean(ABOVE_BAND)) == "green"
    assert dominant(frames[0].mean(ABOVE_BAND)) != "green"


async def test_images_show_their_reference_images(settings: Settings, emulator: Emulator) -> None:
    red, blue = inputs(settings) / "red.png", inputs(settings) / "blue.png"
    red.write_bytes(png(RED))
    blue.write_bytes(png(BLUE, 48, 64))
    async with session(settings, emulator) as client:
        made = await completed(
            client,
            "generate_image",
            {"prompt": "a poster", "image_refs": [{"path": str(red)}, {"path": str(blue)}]},
        )
        plain = await completed(client, "generate_image", {"prompt": "a poster"})
        edited = await completed(
            client,
            "edit_image",
            {"source": {"path": str(red)}, "prompt": "make it dusk", "image_refs": [{"path": str(blue)}]},
        )
    _, frames = decode(output_path(made))
    image = frames[0]
    assert (image.width, image.height) == (2048, 2048)
    strip = image.values((0.0, 0.0, 0.5, 0.25), step=8)  # thumbnails along the top, left to right
    assert any(r > 180 and g < 80 and b < 80 for r, g, b in strip)
    assert any(b > 180 and r < 80 and g < 80 for r, g, b in strip)
    _, frames = decode(output_path(plain))
    assert not any(r > 180 and g < 80 and b < 80 for r, g, b in frames[0].values((0.0, 0.0, 0.5, 0.25), step=8))
    _, frames = decode(output_path(edited))
    retouched = frames[0]
    assert (retouched.width, retouched.height) == (2048, 1536)  # the source's shape
    body = retouched.mean((0.05, 0.4, 0.95, 0.8))
    assert dominant(body) != "red"  # visibly changed from the red source
    assert dominant(retouched.mean((0.0, 0.02, 0.15, 0.2))) == "blue"  # the reference in the corner
