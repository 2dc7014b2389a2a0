"""Synthetic media: shapes per resolution and aspect, frames that change, sniffing and the encode cache."""

from __future__ import annotations

import io

import av
import pytest
from emulator_helpers import probe

from luma_mcp.emulator.media import (
    MediaSpec,
    encode_image,
    encode_video,
    image_size,
    render_cached,
    video_size,
)
from luma_mcp.media.probe import video_info as probe_video
from luma_mcp.media.sniff import sniff_kind


@pytest.mark.parametrize(
    ("resolution", "aspect", "size"),
    [
        (720, "16:9", (1280, 720)),
        (720, "9:16", (720, 1280)),
        (720, "1:1", (720, 720)),
        (720, "4:3", (960, 720)),
        (720, "3:4", (720, 960)),
        (720, "21:9", (1680, 720)),
        (1080, "16:9", (1920, 1080)),
        (540, "21:9", (1260, 540)),
        (360, "16:9", (640, 360)),
        (540, "9:16", (540, 960)),
    ],
)
def test_video_size_from_short_side_and_aspect(resolution: int, aspect: str, size: tuple[int, int]) -> None:
    assert video_size(resolution, aspect) == size


@pytest.mark.parametrize(
    ("aspect", "size"),
    [
        ("1:1", (2048, 2048)),
        ("16:9", (2048, 1152)),
        ("9:16", (1152, 2048)),
        ("3:1", (2048, 682)),
        ("1:3", (682, 2048)),
        ("3:2", (2048, 1366)),
    ],
)
def test_image_size_is_2048_on_the_long_side(aspect: str, size: tuple[int, int]) -> None:
    assert image_size(2048, aspect) == size


def test_video_has_exact_frames_and_visible_motion() -> None:
    data = encode_video(128, 72, 48)
    assert probe(data) == (128, 72, 48)
    info = probe_video(data)
    assert info is not None and (info.width, info.height, info.seconds) == (128, 72, 2.0)
    with av.open(io.BytesIO(data)) as container:
        frames = [bytes(frame.planes[0]) for frame in container.decode(video=0)]
    assert frames[0] != frames[-1]  # the bar has moved
    assert len(set(frames)) > 10


def test_images_sniff_as_images_and_videos_as_videos() -> None:
    for fmt in ("png", "jpeg", "rgba_png"):
        assert sniff_kind(encode_image(16, 16, fmt)[:64]) == "image"  # type: ignore[arg-type]
    assert sniff_kind(encode_video(16, 16, 2)[:64]) == "video"
    assert sniff_kind(b"hello world") == "other"
    assert probe_video(b"not a video") is None


def test_render_is_cached_per_spec() -> None:
    spec = MediaSpec("video", 32, 32, 24, "mp4")
    assert render_cached(spec) is render_cached(spec)
