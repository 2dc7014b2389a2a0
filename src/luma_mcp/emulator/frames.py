"""yuv420p frames as plain bytes, and the few operations the emulators compose them with.

No numpy: every operation is whole-buffer concatenation, `bytes.translate` or one slice copy per row,
all of which run in C, and scaling goes through PyAV's swscale. Buffers keep PyAV's own row stride for
their size (`Layout`), so a frame goes into and out of PyAV without repacking. Every size and position
is even, so the half-size chroma planes line up.

PyAV is imported inside functions: importing the emulator must stay cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .text import ADVANCE, LINE, draw_text, fold, text_width, wrap

if TYPE_CHECKING:
    from av.video.frame import VideoFrame
    from av.video.reformatter import VideoReformatter

BLACK, WHITE = 16, 235
NEUTRAL = 128
# The "SANDBOX" chip: black on yellow (BT.601, limited range).
CHIP_YUV = (182, 32, 166)
CARD_YUV = (112, 128, 128)


def even(value: float) -> int:
    """Round to the nearest even integer >= 2 (yuv420p needs even sides)."""
    return max(2, round(value / 2) * 2)


def _even_floor(value: float) -> int:
    return math.floor(value / 2) * 2


@dataclass(frozen=True, slots=True)
class Layout:
    """A frame size and the row strides PyAV uses for it (rows padded for alignment)."""

    width: int
    height: int
    stride: int
    chroma_stride: int


@lru_cache(maxsize=1024)
def layout(width: int, height: int) -> Layout:
    from av.video.frame import VideoFrame

    probe = VideoFrame(width, height, "yuv420p")
    return Layout(width, height, probe.planes[0].line_size, probe.planes[1].line_size)


@dataclass(frozen=True, slots=True)
class Yuv:
    """One frame: three planes, each `height` (chroma: `height // 2`) rows of the layout's stride."""

    layout: Layout
    y: bytes
    u: bytes
    v: bytes


def flat(lay: Layout, y: int, u: int, v: int) -> Yuv:
    chroma = bytes([u]) * (lay.chroma_stride * (lay.height // 2)), bytes([v]) * (lay.chroma_stride * (lay.height // 2))
    return Yuv(lay, bytes([y]) * (lay.stride * lay.height), *chroma)


# --- the synthetic picture --------------------------------------------------------------------------


def hue_yuv(step: float) -> tuple[int, int, int]:
    """A saturated colour that walks the hue circle as `step` goes 0 -> 1, in BT.601 YUV."""
    sector, frac = divmod((step % 1.0) * 6.0, 1.0)
    rise, fall = int(255 * frac), int(255 * (1 - frac))
    corners = [(255, rise, 0), (fall, 255, 0), (0, 255, rise), (0, fall, 255), (rise, 0, 255), (255, 0, fall)]
    r, g, b = corners[int(sector) % 6]
    # Darkened so that the white bar and the captions stand out on every hue.
    r, g, b = r * 3 // 5, g * 3 // 5, b * 3 // 5
    y = int(16 + 0.257 * r + 0.504 * g + 0.098 * b)
    u = int(128 - 0.148 * r - 0.291 * g + 0.439 * b)
    v = int(128 + 0.439 * r - 0.368 * g - 0.071 * b)
    return y, u, v


def synthetic(lay: Layout, progress: float, hue: float) -> Yuv:
    """A flat hue with a bright vertical bar `progress` of the way across: motion a contact sheet shows."""
    y_value, u_value, v_value = hue_yuv(hue)
    bar_width = max(2, lay.width // 12)
    bar_left = int((lay.width - bar_width) * min(1.0, max(0.0, progress)))
    if lay.width >= 480:
        # Whole macroblocks: x264 then predicts the moving bar instead of coding its edges afresh.
        bar_left -= bar_left % 16
    row = bytearray([y_value]) * lay.stride
    row[bar_left : bar_left + bar_width] = bytes([WHITE]) * bar_width
    chroma_size = lay.chroma_stride * (lay.height // 2)
    return Yuv(lay, bytes(row) * lay.height, _filled(u_value, chroma_size), _filled(v_value, chroma_size))


@lru_cache(maxsize=64)  # whole chroma planes: a few dozen hues and sizes are in use at a time
def _filled(value: int, size: int) -> bytes:
    return bytes([value]) * size


# --- composition ------------------------------------------------------------------------------------


def wipe(top: Yuv, bottom: Yuv, rows: int) -> Yuv:
    """The first `rows` rows of `top` over the rest of `bottom` (same layout)."""
    lay = top.layout
    rows = min(lay.height, max(0, _even_floor(rows)))
    cut, chroma_cut = rows * lay.stride, (rows // 2) * lay.chroma_stride
    return Yuv(
        lay,
        top.y[:cut] + bottom.y[cut:],
        top.u[:chroma_cut] + bottom.u[chroma_cut:],
        top.v[:chroma_cut] + bottom.v[chroma_cut:],
    )


def with_band(frame: Yuv, band: Yuv | None) -> Yuv:
    """`band` (same width, fewer rows) over the bottom of `frame`."""
    if band is None:
        return frame
    lay, rows = frame.layout, frame.layout.height - band.layout.height
    cut, chroma_cut = rows * lay.stride, (rows // 2) * lay.chroma_stride
    return Yuv(lay, frame.y[:cut] + band.y, frame.u[:chroma_cut] + band.u, frame.v[:chroma_cut] + band.v)


def restyle(frame: Yuv, tint: tuple[int, int], keep: float) -> Yuv:
    """The same shapes and brightness in other colours: the chroma pulled toward `tint` (U, V),
    keeping `keep` (0..1) of the frame's own. Chroma planes are a quarter of the picture each, so this
    costs a fraction of a pass over the luma; with `keep` 0 it costs nothing (constant planes)."""
    lay = frame.layout
    if keep <= 0:
        size = lay.chroma_stride * (lay.height // 2)
        return Yuv(lay, frame.y, _filled(tint[0], size), _filled(tint[1], size))
    return Yuv(lay, frame.y, frame.u.translate(_mixed(tint[0], keep)), frame.v.translate(_mixed(tint[1], keep)))


@lru_cache(maxsize=256)
def _mixed(target: int, keep: float) -> bytes:
    return bytes(max(0, min(255, round(target + (value - target) * keep))) for value in range(256))


def muted(frame: Yuv) -> Yuv:
    """Darker and greyer: what stands for the area a reframe made up, beside the source it keeps."""
    chroma = _mixed(NEUTRAL, 0.35)
    return Yuv(
        frame.layout,
        frame.y.translate(_mixed(BLACK, 0.55)),
        frame.u.translate(chroma),
        frame.v.translate(chroma),
    )


def paste(canvas: Yuv, item: Yuv, x: int, y: int) -> Yuv:
    """`item` over `canvas` with its top-left corner at (x, y), clipped to the canvas."""
    x, y = _even_floor(x), _even_floor(y)
    lay, inner = canvas.layout, item.layout
    left, right = max(0, x), min(lay.width, x + inner.width)
    top, bottom = max(0, y), min(lay.height, y + inner.height)
    if left >= right or top >= bottom:
        return canvas
    planes = []
    for dst, src, dst_stride, src_stride, shift in (
        (canvas.y, item.y, lay.stride, inner.stride, 0),
        (canvas.u, item.u, lay.chroma_stride, inner.chroma_stride, 1),
        (canvas.v, item.v, lay.chroma_stride, inner.chroma_stride, 1),
    ):
        l0, r0, t0, b0 = left >> shift, right >> shift, top >> shift, bottom >> shift
        sx, sy = (left - x) >> shift, (top - y) >> shift
        if l0 == 0 and sx == 0 and r0 * 2**shift >= lay.width and dst_stride == src_stride:
            # Full rows: one block copy instead of a copy per row.
            block = src[sy * src_stride : (sy + b0 - t0) * src_stride]
            planes.append(dst[: t0 * dst_stride] + block + dst[b0 * dst_stride :])
            continue
        out, source, width = bytearray(dst), memoryview(src), r0 - l0
        for row in range(t0, b0):
            at, start = row * dst_stride + l0, (sy + row - t0) * src_stride + sx
            out[at : at + width] = source[start : start + width]
        planes.append(bytes(out))
    return Yuv(lay, planes[0], planes[1], planes[2])


def crop(frame: Yuv, x: int, y: int, width: int, height: int) -> Yuv:
    """The `width` x `height` region at (x, y) (inside the frame) as a frame of its own."""
    target = layout(width, height)
    return paste(flat(target, BLACK, NEUTRAL, NEUTRAL), frame, -x, -y)


# --- PyAV -------------------------------------------------------------------------------------------


def to_av(frame: Yuv, band: Yuv | None = None) -> VideoFrame:
    """A PyAV frame of `frame`, with `band` over its bottom rows: written straight into the frame's
    buffers, which saves `with_band`'s whole-frame copy on the way to the encoder."""
    from av.video.frame import VideoFrame

    lay = frame.layout
    out = VideoFrame(lay.width, lay.height, "yuv420p")
    if band is None:
        for plane, data in zip(out.planes, (frame.y, frame.u, frame.v), strict=True):
            plane.update(data)
        return out
    rows = lay.height - band.layout.height
    planes = out.planes
    for plane, data, over, cut in (
        (planes[0], frame.y, band.y, rows * lay.stride),
        (planes[1], frame.u, band.u, rows // 2 * lay.chroma_stride),
        (planes[2], frame.v, band.v, rows // 2 * lay.chroma_stride),
    ):
        target = memoryview(plane)
        target[:cut] = memoryview(data)[:cut]
        target[cut:] = over
    return out


def from_av(frame: VideoFrame, width: int, height: int, reformatter: VideoReformatter | None = None) -> Yuv:
    """Any decoded frame, scaled (swscale, without keeping its aspect) and converted to `width` x `height`.
    With a `reformatter` (one per stream of frames: it keeps its scaler) the scaling is the fast kind,
    several times cheaper a frame, for video sources; stills keep the default, sharper one."""
    lay = layout(width, height)
    if reformatter is None:
        converted = frame.reformat(width=width, height=height, format="yuv420p")
    else:
        converted = reformatter.reformat(frame, width, height, "yuv420p", interpolation="FAST_BILINEAR")
    planes = converted.planes
    if planes[0].line_size == lay.stride and planes[1].line_size == lay.chroma_stride:
        return Yuv(lay, bytes(planes[0]), bytes(planes[1]), bytes(planes[2]))
    return Yuv(
        lay,
        _restride(bytes(planes[0]), planes[0].line_size, lay.stride, height),
        _restride(bytes(planes[1]), planes[1].line_size, lay.chroma_stride, height // 2),
        _restride(bytes(planes[2]), planes[2].line_size, lay.chroma_stride, height // 2),
    )


def _restride(data: bytes, stride: int, wanted: int, rows: int) -> bytes:
    width = min(stride, wanted)
    pad = bytes(wanted - width)
    return b"".join(data[row * stride : row * stride + width] + pad for row in range(rows))


def cover(frame: VideoFrame, width: int, height: int) -> Yuv:
    """Scaled to fill `width` x `height`, keeping its aspect; what overflows is cut off evenly."""
    scale = max(width / frame.width, height / frame.height)
    full_width, full_height = max(width, even(frame.width * scale)), max(height, even(frame.height * scale))
    whole = from_av(frame, full_width, full_height)
    if (full_width, full_height) == (width, height):
        return whole
    return crop(whole, (full_width - width) // 2, (full_height - height) // 2, width, height)


def fit(frame: VideoFrame, width: int, height: int) -> Yuv:
    """Scaled to fit inside `width` x `height`, keeping its aspect (the result may be smaller)."""
    scale = min(width / frame.width, height / frame.height)
    return from_av(frame, min(width, even(frame.width * scale)), min(height, even(frame.height * scale)))


# --- captions and cards -----------------------------------------------------------------------------


def text_scale(lay: Layout) -> int:
    return max(1, min(lay.width, lay.height) // 240)


def caption(lay: Layout, title: str, prompt: str) -> Yuv | None:
    """The band written at the bottom of every made frame: a SANDBOX chip, the tool and model, then
    the prompt on up to two lines. Kept to a quarter of the frame: lines are dropped, then the text
    shrinks, and a frame too small for even that gets no band."""
    for scale in dict.fromkeys((text_scale(lay), 1)):
        margin = 3 * scale
        columns = (lay.width - 2 * margin) // (ADVANCE * scale)
        title_text = fold(title)[: max(0, columns - 8)]
        lines = wrap(prompt, columns, 2) if prompt.strip() and columns > 3 else []
        while True:
            height = even(2 * margin + (1 + len(lines)) * LINE * scale)
            if height <= lay.height // 4 or not lines:
                break
            lines.pop()
        if columns >= 8 and height <= lay.height // 4:
            return _band(layout(lay.width, height), scale, margin, title_text, lines)
    return None


def _band(band: Layout, scale: int, margin: int, title: str, lines: list[str]) -> Yuv:
    luma = bytearray([BLACK]) * (band.stride * band.height)
    chroma_size = band.chroma_stride * (band.height // 2)
    u_plane, v_plane = bytearray([NEUTRAL]) * chroma_size, bytearray([NEUTRAL]) * chroma_size
    chip = text_width("SANDBOX", scale) + 2 * scale
    top = margin
    chip_box = (margin - scale, top - scale, chip + 2 * scale, (LINE - 1) * scale)
    _fill_box(luma, band.stride, chip_box, CHIP_YUV[0], band)
    for plane, value in ((u_plane, CHIP_YUV[1]), (v_plane, CHIP_YUV[2])):
        box = tuple(part // 2 for part in chip_box)
        _fill_box(plane, band.chroma_stride, (box[0], box[1], box[2] + 1, box[3] + 1), value, band, chroma=True)
    draw_text(luma, band.stride, margin + scale, top, "SANDBOX", scale, BLACK, band.width)
    title_left = margin + chip + 3 * scale
    draw_text(luma, band.stride, title_left, top, title, scale, WHITE, band.width - margin)
    for index, line in enumerate(lines, start=1):
        draw_text(luma, band.stride, margin, top + index * LINE * scale, line, scale, WHITE, band.width - margin)
    return Yuv(band, bytes(luma), bytes(u_plane), bytes(v_plane))


def _fill_box(
    plane: bytearray, stride: int, box: tuple[int, ...], value: int, lay: Layout, *, chroma: bool = False
) -> None:
    x, y, width, height = box
    limit_x, limit_y = (lay.width // 2, lay.height // 2) if chroma else (lay.width, lay.height)
    x0, x1, y0, y1 = max(0, x), min(limit_x, x + width), max(0, y), min(limit_y, y + height)
    fill = bytes([value]) * max(0, x1 - x0)
    for row in range(y0, y1):
        plane[row * stride + x0 : row * stride + x1] = fill


def card(lay: Layout, lines: list[str]) -> Yuv:
    """A grey placeholder with a white frame and centred text: what stands in for media the emulator
    could not fetch or read."""
    scale = text_scale(lay)
    luma = bytearray([CARD_YUV[0]]) * (lay.stride * lay.height)
    border = 2 * scale
    for box in (
        (0, 0, lay.width, border),
        (0, lay.height - border, lay.width, border),
        (0, 0, border, lay.height),
        (lay.width - border, 0, border, lay.height),
    ):
        _fill_box(luma, lay.stride, box, WHITE, lay)
    columns = max(1, (lay.width - 4 * border) // (ADVANCE * scale))
    wrapped = [part for line in lines for part in wrap(line, columns, 3)]
    top = (lay.height - len(wrapped) * LINE * scale) // 2
    for index, line in enumerate(wrapped):
        left = (lay.width - text_width(line, scale)) // 2
        draw_text(luma, lay.stride, left, top + index * LINE * scale, line, scale, WHITE, lay.width - border)
    chroma = bytes([CARD_YUV[1]]) * (lay.chroma_stride * (lay.height // 2))
    return Yuv(lay, bytes(luma), chroma, chroma)
