"""Every tool's rule table through the MCP client: each invalid call is refused, names the field, and sends
nothing at all (not even a lookup or an upload); the valid edge values are accepted."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from conftest import session, structured, text_of
from luma_mcp.emulator.media import encode_video
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings

G = "d290f1ee-6c54-4b01-90e6-d701748f0851"
IMG = {"url": "https://example.com/a.png"}
VID = {"url": "https://example.com/a.mp4"}
EDIT = {"source": {"generation_id": G}, "prompt": "as watercolor"}
REFRAME = {"source": {"generation_id": G}, "aspect_ratio": "9:16"}

INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("extend_video", {"generation_id": G, "prompt": "p", "resolution": "360p"}, "resolution"),
    ("extend_video", {"generation_id": G, "prompt": "p", "direction": "backward", "loop": True}, "loop"),
    ("extend_video", {"generation_id": G, "prompt": "p", "direction": "sideways"}, "direction"),
    ("extend_video", {"generation_id": "nope", "prompt": "p"}, "generation_id"),
    ("extend_video", {"generation_id": G}, "prompt"),
    ("edit_video", {"prompt": "p"}, "source"),
    ("edit_video", {**EDIT, "auto_controls": True, "strength": "flex_1"}, "strength"),
    ("edit_video", {**EDIT, "auto_controls": True, "controls": {"depth": {"enabled": True}}}, "controls"),
    ("edit_video", {**EDIT, "controls": {"depth": {"blur": 2}}}, "blur"),
    ("edit_video", {**EDIT, "controls": {"pose": {"strength": "loose"}}}, "strength"),
    ("edit_video", {**EDIT, "controls": {"gaze": {"enabled": True}}}, "gaze"),
    ("edit_video", {**EDIT, "strength": "medium"}, "strength"),
    ("edit_video", {**EDIT, "hdr": True, "resolution": "540p"}, "hdr"),
    ("edit_video", {**EDIT, "exr_export": True}, "exr_export"),
    ("edit_video", {**EDIT, "start_frame": IMG, "guide_frames": [{"frame": 3, "image": IMG}]}, "start_frame"),
    ("edit_video", {**EDIT, "guide_frames": [{"frame": 3, "image": IMG}] * 2}, "guide_frames[].frame"),
    ("edit_video", {**EDIT, "source": {"url": "ftp://example.com/a.mp4"}}, "source.url"),
    ("edit_video", {**EDIT, "source": {"path": "/etc/hostname"}}, "source.path"),
    ("reframe_video", {"source": {"generation_id": G}}, "aspect_ratio"),
    ("reframe_video", {**REFRAME, "aspect_ratio": "3:1"}, "aspect_ratio"),
    ("reframe_video", {**REFRAME, "source_position": {"x_norm": 0, "y_norm": 0, "w_norm": 0, "h_norm": 1}}, "w_norm"),
    ("reframe_video", {**REFRAME, "source_position": {"x_norm": 0, "y_norm": 0, "w_norm": 1}}, "h_norm"),
    ("reframe_video", {**REFRAME, "source_position": {"x_norm": 3, "y_norm": 0, "w_norm": 1, "h_norm": 1}}, "x_norm"),
    ("reframe_video", {**REFRAME, "prompt": ""}, "prompt"),
    ("reframe_video", {**REFRAME, "hdr": True}, "hdr"),
    ("generate_image", {"prompt": "p", "aspect_ratio": "21:9"}, "aspect_ratio"),
    ("generate_image", {"prompt": "p", "image_refs": [IMG] * 10}, "image_refs"),
    ("generate_image", {"prompt": "p", "model": "uni-2"}, "model"),
    ("generate_image", {"prompt": "p", "model": "ray-3.2"}, "model"),
    ("generate_image", {"prompt": "p", "style": "anime"}, "style"),
    ("generate_image", {"prompt": "p", "output_format": "gif"}, "output_format"),
    ("generate_image", {"prompt": "p", "image_refs": [VID | {"path": "x.png"}]}, "image_refs[0]"),
    ("edit_image", {"prompt": "p"}, "source"),
    ("edit_image", {"prompt": "p", "source": IMG, "image_refs": [IMG] * 9}, "image_refs"),
    ("edit_image", {"prompt": "p", "source": IMG, "aspect_ratio": "1:1"}, "aspect_ratio"),
    ("edit_image", {"prompt": "p", "source": {"url": "data:image/png;base64,aGVsbG8="}}, "source.url"),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "field"), INVALID, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(INVALID)]
)
async def test_invalid_calls_send_nothing(
    settings: Settings, emulator: Emulator, tool: str, arguments: dict[str, Any], field: str
) -> None:
    async with session(settings, emulator) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error and field in text_of(result), text_of(result)
    assert "nothing" in text_of(result).lower()
    assert emulator.requests == []


# A URL source has no known length: it is priced at the longest the API takes (18 s edits, 30 s reframes).
VALID: list[tuple[str, dict[str, Any], float]] = [
    (
        "edit_video",
        {"source": VID, "prompt": "p", "guide_frames": [{"frame": 0, "image": IMG}, {"frame": 431, "image": IMG}]},
        4.32,
    ),
    ("edit_video", {"source": VID, "prompt": "p", "strength": "reimagine_3", "controls": {"depth": {"blur": 1}}}, 4.32),
    ("edit_video", {"source": VID, "prompt": "p", "resolution": "1080p", "hdr": True, "exr_export": True}, 0),
    ("reframe_video", {"source": VID, "aspect_ratio": "9:16", "resolution": "720p"}, 3.60),
    (
        "reframe_video",
        {
            "source": VID,
            "aspect_ratio": "21:9",
            "resolution": "1080p",
            "source_position": {"x_norm": -2, "y_norm": 2, "w_norm": 2, "h_norm": 0.001},
        },
        10.80,
    ),
    (
        "generate_image",
        {
            "prompt": "p",
            "model": "uni-1-max",
            "aspect_ratio": "3:1",
            "style": "manga",
            "output_format": "jpeg",
            "web_search": True,
            "image_refs": [IMG] * 9,
        },
        0.127,
    ),
    ("edit_image", {"prompt": "p", "source": IMG, "image_refs": [IMG] * 8}, 0.0674),
]


@pytest.mark.parametrize(("tool", "arguments", "price"), VALID)
async def test_valid_edges_are_accepted(
    settings: Settings, emulator: Emulator, tool: str, arguments: dict[str, Any], price: float
) -> None:
    async with session(settings, emulator) as client:
        result = await client.call_tool(tool, {**arguments, "dry_run": True})
    assert not result.is_error, text_of(result)
    data = structured(result)
    assert data["dry_run"] and (data["estimated_cost_usd"] or 0) == pytest.approx(price)
    assert emulator.requests == []


@pytest.fixture
def media_dir(settings: Settings, tmp_path: Path) -> Path:
    folder = settings.output_dir
    folder.mkdir(parents=True)
    (folder / "clip.mp4").write_bytes(encode_video(64, 36, 24))
    (folder / "notes.png").write_text("not an image at all")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    os.symlink(outside / "secret.png", folder / "link.png")
    return folder


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("link.png", "outside the folders"),
        ("../elsewhere/secret.png", "outside the folders"),
        ("notes.png", "not an image"),
        ("clip.mp4", "video"),
        ("missing.png", "no file"),
    ],
)
async def test_local_files_are_confined_and_sniffed(
    settings: Settings, emulator: Emulator, media_dir: Path, name: str, words: str
) -> None:
    async with session(settings, emulator) as client:
        result = await client.call_tool("edit_image", {"prompt": "p", "source": {"path": str(media_dir / name)}})
    assert result.is_error and "source.path" in text_of(result) and words in text_of(result).lower(), text_of(result)
    assert emulator.requests == []


async def test_source_length_limits_are_read_from_local_files(settings: Settings, emulator: Emulator) -> None:
    settings.output_dir.mkdir(parents=True)
    long_clip = settings.output_dir / "long.mp4"
    long_clip.write_bytes(encode_video(64, 36, 19 * 24))  # 19 s: over the edit limit, under the reframe one
    async with session(settings, emulator) as client:
        edit = await client.call_tool("edit_video", {"source": {"path": str(long_clip)}, "prompt": "p"})
        assert emulator.requests == []
        reframe = await client.call_tool(
            "reframe_video", {"source": {"path": str(long_clip)}, "aspect_ratio": "1:1", "dry_run": True}
        )
    assert edit.is_error and "18 s" in text_of(edit) and "[rule" not in text_of(edit)
    assert not reframe.is_error and structured(reframe)["estimated_cost_usd"] == pytest.approx(0.12 * 19)


async def test_the_clients_roots_widen_what_may_be_read(settings: Settings, emulator: Emulator, tmp_path: Path) -> None:
    from mcp_types import ListRootsResult, Root

    shared = tmp_path / "client-project"
    shared.mkdir()
    picture = shared / "frame.png"
    picture.write_bytes(encode_image_png())

    async def roots(context: Any) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=shared.as_uri())])

    arguments = {"prompt": "p", "source": {"path": str(picture)}, "dry_run": True}
    async with session(settings, emulator) as client:
        without = await client.call_tool("edit_image", arguments)
    async with session(settings, emulator, list_roots_callback=roots, mode="legacy") as client:
        with_roots = await client.call_tool("edit_image", arguments)
    assert without.is_error and "outside the folders" in text_of(without)
    assert not with_roots.is_error, text_of(with_roots)
    assert structured(with_roots)["request"]["source"]["media_type"] == "image/png"


def encode_image_png() -> bytes:
    from luma_mcp.emulator.media import encode_image

    return encode_image(32, 32, "png")
