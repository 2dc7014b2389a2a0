"""Sandbox videos reflect the request (contract, Sandbox), through the MCP client against the Luma
emulator: the caption band, start / end / keyframe images at their frames (or a placeholder card for a
URL the sandbox cannot fetch), extensions that contain their source clip, loops that end where they
start. Each check decodes the saved MP4 and compares its frames with the inputs."""

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
    saturation,
)

BAND: tuple[float, float, float, float] = (0.0, 0.9, 1.0, 1.0)
# Two x264 encodes of the same picture (the source clip, and the extension that contains it).
SAME_PICTURE = 4.0


def image_file(settings: Settings, name: str, rgb: tuple[int, int, int]) -> str:
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    path = Path(settings.output_dir) / name
    path.write_bytes(png(rgb))
    return str(path)


async def test_start_end_and_keyframe_images_appear_at_their_frames(settings: Settings, emulator: Emulator) -> None:
    red, blue, green = (image_file(settings, f"{n}.png", c) for n, c in (("r", RED), ("b", BLUE), ("g", GREEN)))
    async with session(settings, emulator) as client:
        ends = await completed(
            client,
            "generate_video",
            {"prompt": "a kite at dawn", "start_frame": {"path": red}, "end_frame": {"path": blue}},
        )
        keyed = await completed(
            client,
            "generate_video",
            {
                "prompt": "a kite at noon",
                "keyframes": [{"frame": 0, "image": {"path": blue}}, {"frame": 60, "image": {"path": green}}],
            },
        )
    count, frames = decode(output_path(ends), {0, 60, 119})
    assert count == 120
    assert dominant(frames[0].mean(ABOVE_BAND)) == "red"
    assert dominant(frames[119].mean(ABOVE_BAND)) == "blue"
    assert dominant(frames[60].mean(ABOVE_BAND)) not in ("red", "blue")  # the clip moves on in between
    _, frames = decode(output_path(keyed), {0, 30, 60})
    assert dominant(frames[0].mean(ABOVE_BAND)) == "blue"
    assert dominant(frames[60].mean(ABOVE_BAND)) == "green"
    assert frames[30].difference(frames[60], ABOVE_BAND) > 20


async def test_an_image_url_the_sandbox_cannot_fetch_is_a_placeholder_card(
    settings: Settings, emulator: Emulator
) -> None:
    async with session(settings, emulator) as client:
        made = await completed(
            client,
            "generate_video",
            {"prompt": "a kite", "start_frame": {"url": "https://images.example.com/kite.png"}},
        )
    _, frames = decode(output_path(made), {0, 60})
    assert saturation(frames[0].mean(ABOVE_BAND)) < 12  # a grey card, not the synthetic picture's colour
    assert saturation(frames[60].mean(ABOVE_BAND)) > 40
    texts = [value for value in frames[0].values((0.3, 0.4, 0.7, 0.6)) if min(value) > 200]
    assert texts  # the card is written on


async def test_the_caption_band_writes_the_request_on_every_frame(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        first = await completed(client, "generate_video", {"prompt": "a red kite over chalk cliffs"})
        second = await completed(client, "generate_video", {"prompt": "a lighthouse in a storm at night"})
    _, a = decode(output_path(first), {0, 119})
    _, b = decode(output_path(second), {0})
    band = a[0].values(BAND, step=1)
    assert sum(1 for value in band if max(value) < 40) > len(band) / 2  # a dark band...
    assert any(min(value) > 200 for value in band)  # ...with white text
    chip = a[0].values((0.0, 0.9, 0.1, 0.95), step=1)
    assert any(r > 180 and g > 150 and b_ < 80 for r, g, b_ in chip)  # the yellow SANDBOX chip
    assert a[0].difference(a[119], BAND) < 3  # the same on every frame
    assert a[0].difference(b[0], BAND) > 3  # and it says what was asked


async def test_an_extension_contains_its_source_clip(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        source = await completed(client, "generate_video", {"prompt": "waves crash"})
        forward = await completed(client, "extend_video", {"generation_id": source["id"], "prompt": "the tide turns"})
        backward = await completed(
            client, "extend_video", {"generation_id": source["id"], "prompt": "dawn", "direction": "backward"}
        )
    _, clip = decode(output_path(source))
    count, ahead = decode(output_path(forward))
    assert count == 240
    for index in (0, 1, 37, 90, 119):
        assert ahead[index].difference(clip[index]) < SAME_PICTURE, index
    assert ahead[160].difference(clip[119]) > 10  # then something new
    count, behind = decode(output_path(backward))
    assert count == 240
    for index in (0, 50, 119):
        assert behind[120 + index].difference(clip[index]) < SAME_PICTURE, index
    assert behind[40].difference(clip[0]) > 10
    # The new part runs into the source: the backward one ends on its first frame, the forward one starts
    # from its last.
    assert behind[119].difference(clip[0], (0, 0, 1, 0.85)) < SAME_PICTURE
    assert ahead[120].difference(clip[119], (0, 0, 1, 0.85)) < SAME_PICTURE


async def test_a_loop_ends_where_it_starts(settings: Settings, emulator: Emulator) -> None:
    red = image_file(settings, "start.png", RED)
    async with session(settings, emulator) as client:
        plain = await completed(client, "generate_video", {"prompt": "a spinning top", "loop": True})
        anchored = await completed(
            client, "generate_video", {"prompt": "a spinning top", "loop": True, "start_frame": {"path": red}}
        )
        extended = await completed(
            client, "extend_video", {"generation_id": plain["id"], "prompt": "it keeps spinning", "loop": True}
        )
    for made in (plain, anchored):
        count, frames = decode(output_path(made), {0, 60, 119})
        assert count == 120
        assert frames[119].difference(frames[0]) < SAME_PICTURE
        assert frames[60].difference(frames[0]) > 10  # it moves in between
    count, frames = decode(output_path(extended), {0, 239})
    assert count == 240
    assert frames[239].difference(frames[0], (0, 0, 1, 0.85)) < SAME_PICTURE


async def test_an_image_generation_as_start_frame_is_that_image(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        image = await completed(client, "generate_image", {"prompt": "a lighthouse", "aspect_ratio": "16:9"})
        video = await completed(
            client, "generate_video", {"prompt": "waves crash", "start_frame": {"generation_id": image["id"]}}
        )
    assert "/_media/" in emulator.generation_posts()[1]["video"]["start_frame"]["url"]  # sent as its output URL
    _, still = decode(output_path(image))
    _, frames = decode(output_path(video), {0})
    for region in ((0.05, 0.3, 0.3, 0.7), (0.6, 0.3, 0.95, 0.7)):
        made, given = frames[0].mean(region), still[0].mean(region)
        assert all(abs(a - b) < 12 for a, b in zip(made, given, strict=True)), (region, made, given)


async def test_after_a_restart_an_old_clip_still_shows_its_request(settings: Settings) -> None:
    red = image_file(settings, "start.png", RED)
    async with session(settings) as client:  # the built-in sandbox, its state under the data dir
        source = await completed(client, "generate_video", {"prompt": "a kite", "start_frame": {"path": red}})
    async with session(settings) as client:
        extended = await completed(client, "extend_video", {"generation_id": source["id"], "prompt": "it dives"})
    _, before = decode(output_path(source), {0})
    _, after = decode(output_path(extended), {0})
    assert dominant(after[0].mean(ABOVE_BAND)) == "red"
    assert after[0].difference(before[0]) < SAME_PICTURE
