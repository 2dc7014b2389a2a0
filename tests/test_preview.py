"""Previews: contact sheets of emulator-made videos, thumbnails of stills, None for anything broken."""

from __future__ import annotations

import io
from pathlib import Path

import av
import pytest

from luma_mcp.emulator.media import encode_image, encode_video
from luma_mcp.media.preview import BACKGROUND, GUTTER, SHEET_COLUMNS, SHEET_ROWS, build_preview, tile_size
from luma_mcp.media.probe import image_size, media_type, video_info

MAX_PREVIEW_BYTES = 1_000_000


def decode_rgb(jpeg: bytes) -> tuple[int, int, bytes, int]:
    """(width, height, rgb24 plane bytes, line size) of a JPEG, decoded with PyAV."""
    with av.open(io.BytesIO(jpeg), mode="r") as container:
        assert container.format.name in ("jpeg_pipe", "image2", "mjpeg")
        frame = next(container.decode(video=0)).reformat(format="rgb24")
    plane = frame.planes[0]
    return frame.width, frame.height, bytes(plane), plane.line_size


def pixel(rgb: bytes, stride: int, x: int, y: int) -> tuple[int, int, int]:
    at = y * stride + x * 3
    return rgb[at], rgb[at + 1], rgb[at + 2]


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (720, 1280)])
async def test_contact_sheet_of_a_five_second_clip(tmp_path: Path, width: int, height: int) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(encode_video(width, height, 120))
    sheet = await build_preview(path, "video")
    assert sheet is not None and sheet.startswith(b"\xff\xd8") and len(sheet) < MAX_PREVIEW_BYTES
    tile_width, tile_height = tile_size(width, height)
    assert abs(tile_width / tile_height - width / height) < 0.02
    sheet_width, sheet_height, rgb, stride = decode_rgb(sheet)
    assert sheet_width == SHEET_COLUMNS * (tile_width + GUTTER) + GUTTER
    assert sheet_height == SHEET_ROWS * (tile_height + GUTTER) + GUTTER
    # Every tile holds a frame (saturated colour), every gutter the dark background.
    for index in range(SHEET_COLUMNS * SHEET_ROWS):
        row, column = divmod(index, SHEET_COLUMNS)
        left, top = GUTTER + column * (tile_width + GUTTER), GUTTER + row * (tile_height + GUTTER)
        assert max(pixel(rgb, stride, left + tile_width * 3 // 4, top + tile_height // 2)) > 100
        assert max(pixel(rgb, stride, left - GUTTER // 2, top + tile_height // 2)) < BACKGROUND + 24


async def test_contact_sheet_frames_move_along_the_clip(tmp_path: Path) -> None:
    # The emulator's clips change hue twice a second: first and last tiles must differ.
    path = tmp_path / "clip.mp4"
    path.write_bytes(encode_video(640, 360, 120))
    sheet = await build_preview(path, "video")
    assert sheet is not None
    _, _, rgb, stride = decode_rgb(sheet)
    tile_width, tile_height = tile_size(640, 360)
    first = pixel(rgb, stride, GUTTER + tile_width * 3 // 4, GUTTER + tile_height // 2)
    last_left = GUTTER + (SHEET_COLUMNS - 1) * (tile_width + GUTTER)
    last_top = GUTTER + (SHEET_ROWS - 1) * (tile_height + GUTTER)
    last = pixel(rgb, stride, last_left + tile_width // 4, last_top + tile_height // 2)
    assert sum(abs(a - b) for a, b in zip(first, last, strict=True)) > 60


@pytest.mark.parametrize(("width", "height", "expected"), [(2048, 2048, (768, 768)), (2048, 1152, (768, 432))])
async def test_thumbnail_of_a_large_png(tmp_path: Path, width: int, height: int, expected: tuple[int, int]) -> None:
    path = tmp_path / "still.png"
    path.write_bytes(encode_image(width, height, "png"))
    thumbnail = await build_preview(path, "image")
    assert thumbnail is not None and len(thumbnail) < MAX_PREVIEW_BYTES
    assert decode_rgb(thumbnail)[:2] == expected


async def test_a_small_image_is_not_enlarged(tmp_path: Path) -> None:
    path = tmp_path / "small.jpg"
    path.write_bytes(encode_image(200, 100, "jpeg"))
    thumbnail = await build_preview(path, "image")
    assert thumbnail is not None and decode_rgb(thumbnail)[:2] == (200, 100)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 200, "video"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 300, "image"),
        (b"just some text, not media at all\n", "image"),
        (b"", "video"),
    ],
)
async def test_corrupt_input_gives_none(
    tmp_path: Path, content: bytes, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "broken.bin"
    path.write_bytes(content)
    assert await build_preview(path, "video" if kind == "video" else "image") is None
    assert "No preview for broken.bin" in caplog.text


async def test_a_missing_file_gives_none(tmp_path: Path) -> None:
    assert await build_preview(tmp_path / "gone.mp4", "video") is None


def test_probes_read_size_length_and_type(tmp_path: Path) -> None:
    clip, still = tmp_path / "clip.mp4", tmp_path / "still.png"
    clip.write_bytes(encode_video(320, 180, 48))
    still.write_bytes(encode_image(300, 200, "png"))
    info = video_info(clip)
    assert info is not None and (info.width, info.height, info.frames) == (320, 180, 48)
    assert info.seconds == pytest.approx(2.0, abs=0.05)
    assert image_size(still) == (300, 200) and image_size(still.read_bytes()) == (300, 200)
    assert media_type(clip.read_bytes()[:64]) == "video/mp4" and media_type(still.read_bytes()[:64]) == "image/png"
    assert video_info(b"not a video") is None and image_size(tmp_path / "missing.png") is None
