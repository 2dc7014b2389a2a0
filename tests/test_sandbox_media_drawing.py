"""The drawing code behind the sandbox media, unit by unit: the bitmap font, the caption band, frame
composition, inputs the renderer cannot read, and specs that survive the sandbox's persistence."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, ClassVar

import av
import pytest

from luma_mcp.emulator.frames import (
    BLACK,
    WHITE,
    Yuv,
    caption,
    flat,
    layout,
    paste,
    wipe,
    with_band,
)
from luma_mcp.emulator.media import Anchor, MediaSpec, Picture, Scene, render, render_cached
from luma_mcp.emulator.persist import StateFile
from luma_mcp.emulator.scene import Inputs, video_frames
from luma_mcp.emulator.text import ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, _glyphs, draw_text, fold, wrap
from sandbox_frames import RED, decode, dominant, png, saturation, write_mp4

A_ROWS = [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"]


def test_a_glyph_is_drawn_as_its_bitmap_at_its_scale() -> None:
    stride, scale = 40, 3
    plane = bytearray(stride * 30)
    draw_text(plane, stride, 2, 4, "A", scale, 200, stride)
    for y in range(GLYPH_HEIGHT * scale):
        for x in range(GLYPH_WIDTH * scale):
            lit = A_ROWS[y // scale][x // scale] == "#"
            assert plane[(4 + y) * stride + 2 + x] == (200 if lit else 0), (x, y)
    assert sum(plane) == 200 * scale * scale * sum(row.count("#") for row in A_ROWS)


def test_text_stops_at_the_right_edge_and_the_last_row() -> None:
    stride = 5 * ADVANCE * 2
    plane = bytearray(stride * GLYPH_HEIGHT * 2)
    draw_text(plane, stride, 0, 0, "HELLO WORLD", 2, 255, stride)
    assert all(value == 0 for row in range(len(plane) // stride) for value in plane[row * stride + stride - 2 :][:2])
    low = bytearray(stride * 10)
    draw_text(low, stride, 0, 5, "HI", 1, 255, stride)  # 5 + 7 rows do not fit in 10
    assert not any(low)


def test_every_printable_ascii_character_has_a_glyph() -> None:
    glyphs = _glyphs()
    assert all(chr(code) in glyphs for code in range(32, 127) if not chr(code).islower())
    assert all(len(rows) == GLYPH_HEIGHT for rows in glyphs.values())


def test_text_is_folded_to_what_the_font_has_and_wrapped_at_spaces() -> None:
    assert fold("Cr\u00e8me br\u00fbl\u00e9e \u2014 \u201cok\u201d 3\u00d74 \u65e5") == 'CREME BRULEE - "OK" 3X4 ?'
    assert wrap("a red kite over the chalk cliffs at dawn", 12, 3) == ["A RED KITE", "OVER THE", "CHALK..."]
    assert wrap("supercalifragilistic", 8, 3) == ["SUPERCAL", "IFRAGILI", "STIC"]
    assert wrap("", 10, 2) == []


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (720, 1280), (640, 360), (2048, 2048), (1260, 540)])
def test_the_caption_band_fits_in_a_quarter_of_the_frame(width: int, height: int) -> None:
    lay = layout(width, height)
    band = caption(lay, "generate_video / ray-3.2", "a long prompt " * 40)
    assert band is not None
    assert band.layout.width == width and band.layout.height % 2 == 0
    assert band.layout.height <= height // 4
    assert BLACK in band.y and WHITE in band.y
    framed = with_band(flat(lay, 100, 128, 128), band)
    assert len(framed.y) == lay.stride * height and len(framed.u) == lay.chroma_stride * height // 2


def test_a_frame_too_small_for_text_gets_no_band() -> None:
    assert caption(layout(16, 16), "generate_video", "a prompt") is None


def naive_paste(canvas: Yuv, item: Yuv, x: int, y: int) -> bytes:
    lay, inner = canvas.layout, item.layout
    out = bytearray(canvas.y)
    for row in range(inner.height):
        for column in range(inner.width):
            cx, cy = x + column, y + row
            if 0 <= cx < lay.width and 0 <= cy < lay.height:
                out[cy * lay.stride + cx] = item.y[row * inner.stride + column]
    return bytes(out)


@pytest.mark.parametrize(("x", "y"), [(0, 0), (4, 6), (-6, -4), (30, 20), (-20, 10), (40, 40), (-40, 0)])
def test_paste_clips_to_the_canvas(x: int, y: int) -> None:
    canvas = flat(layout(38, 26), 20, 128, 128)
    item_layout = layout(14, 10)
    pattern = bytes((i * 7) % 251 for i in range(item_layout.stride * 10))
    item = Yuv(item_layout, pattern, flat(item_layout, 0, 90, 90).u, flat(item_layout, 0, 160, 160).v)
    assert paste(canvas, item, x, y).y == naive_paste(canvas, item, x, y)


def test_wipe_takes_the_top_rows_of_one_frame_and_the_rest_of_the_other() -> None:
    lay = layout(8, 8)
    top, bottom = flat(lay, 50, 60, 70), flat(lay, 200, 210, 220)
    mixed = wipe(top, bottom, 4)
    assert (
        mixed.y[: 4 * lay.stride] == top.y[: 4 * lay.stride] and mixed.y[4 * lay.stride :] == bottom.y[4 * lay.stride :]
    )
    assert mixed.u[: 2 * lay.chroma_stride] == top.u[: 2 * lay.chroma_stride]


def test_inputs_the_renderer_cannot_read_become_cards(tmp_path: Path) -> None:
    inputs = Inputs()
    for picture in (
        Picture(data=b"not an image at all"),
        Picture(path=str(tmp_path / "deleted.png")),
        Picture(url="https://images.example.com/a.png"),
    ):
        card = inputs.still(picture, 320, 180)
        assert (card.layout.width, card.layout.height) == (320, 180)
        assert set(card.u) == {128} and WHITE in card.y  # grey, and written on
    red = inputs.still(Picture(data=png(RED, 40, 30)), 64, 36)
    assert red.layout.width == 64 and set(red.u) != {128}


def test_an_uploaded_video_is_sampled_at_24_fps(tmp_path: Path) -> None:
    clip = write_mp4(tmp_path / "red.mp4", RED, 160, 90, 12)  # half a second
    frames = list(Inputs().clip(Picture("video", path=str(clip)), 64, 36, 30))
    assert len(frames) == 30  # the last frame held for what the clip lacks
    spec = MediaSpec(
        "video", 64, 64, 30, "mp4", scene=Scene("reframe", "reframe_video", source=Picture("video", path=str(clip)))
    )
    count, decoded = decode(render_cached(spec), {29})
    assert count == 30 and dominant(decoded[29].mean((0.1, 0.3, 0.9, 0.6))) == "red"


def test_a_still_picture_of_a_video_spec_is_its_frame() -> None:
    clip = MediaSpec("video", 96, 64, 24, "mp4", scene=Scene("generate", "generate_video", "a moving bar"))
    first = next(video_frames(clip))
    still = Inputs().still(Picture(spec=clip), 96, 64)
    assert still.y == first.y


class Specs:
    PERSISTED: ClassVar[dict[str, Any]] = {"specs": dict[str, MediaSpec]}

    def __init__(self) -> None:
        self.specs: dict[str, MediaSpec] = {}

    def reindex(self) -> None:
        pass


def test_a_spec_with_its_scene_survives_the_sandbox_state_file(tmp_path: Path) -> None:
    source = MediaSpec("video", 128, 72, 24, "mp4", scene=Scene("generate", "generate_video / ray-3.2", "waves"))
    big = png(RED, 400, 300) + bytes(4096)  # past the inline limit: goes to a blob file
    spec = MediaSpec(
        "video",
        128,
        72,
        48,
        "mp4",
        scene=Scene(
            "extend",
            "extend_video / ray-3.2 / forward",
            "the tide turns",
            anchors=(Anchor(3, Picture(data=big)), Anchor(10, Picture(url="https://x.test/a.png"))),
            source=Picture("video", spec=source),
            position=(0.0, 0.25, 1.0, 0.5),
            loop=True,
        ),
    )
    saved = Specs()
    saved.specs["a"] = spec
    StateFile(tmp_path).save(saved)
    restored = Specs()
    assert StateFile(tmp_path).load(restored)
    assert restored.specs["a"] == spec
    assert render(restored.specs["a"]) == render(spec)


def test_the_plain_clip_still_says_sandbox() -> None:
    count, frames = decode(render(MediaSpec("video", 320, 180, 24, "mp4")), {0})
    assert count == 24
    chip = frames[0].values((0.0, 0.8, 0.2, 1.0), step=1)
    assert any(r > 180 and g > 150 and b < 80 for r, g, b in chip)
    assert saturation(frames[0].mean((0.0, 0.0, 1.0, 0.5))) > 40


def test_av_decodes_what_we_encode() -> None:
    data = render(MediaSpec("video", 1260, 540, 5, "mp4", scene=Scene("generate", "t", "odd stride")))
    with av.open(io.BytesIO(data)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 5


def test_the_emulators_directives_are_not_drawn() -> None:
    from luma_mcp.providers.luma.emulator.plan import shown_prompt

    assert shown_prompt("a kite __slow:2.5 over cliffs __fail:internal_error __moderate") == "a kite over cliffs"
    assert shown_prompt(None) == ""
