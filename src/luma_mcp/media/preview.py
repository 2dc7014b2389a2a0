"""Previews a model can look at: a contact sheet of a few frames for a video, a thumbnail for an image.

Both are JPEGs kept well under the 1 MB a client accepts in one result (aimed at ~200 KB), built with
PyAV alone: frames are scaled by swscale, the sheet is composed from rgb24 rows (no numpy, no PIL),
then encoded by FFmpeg's mjpeg encoder. Each frame of a sheet carries its time ("2.5 S", in the
emulators' bitmap font), from the first frame to the last, so a model can tell where in the clip it
looks. Everything runs in a worker thread, and any failure gives None: a preview adorns a result, it
never fails the call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import anyio
import anyio.to_thread

from ..emulator.text import GLYPH_HEIGHT, draw_text, fold, text_width

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

__all__ = ["Preview", "build_preview", "preview_of"]

logger = logging.getLogger(__name__)

SHEET_COLUMNS, SHEET_ROWS = 3, 2
TILE_WIDTH = 320
TILE_MAX_HEIGHT = 576  # a 9:16 tile at 320 wide; taller shapes are narrowed instead
GUTTER = 4
BACKGROUND = 0x18  # dark grey between tiles
THUMBNAIL_LONG_SIDE = 768
TARGET_BYTES = 200_000
# mjpeg quantiser from fine to coarse (FFmpeg's 2..31): the first that fits TARGET_BYTES wins.
QUANTISERS = (4, 7, 11, 16, 23, 31)
# A frame's time, top left of its tile (captions and subtitles sit at the bottom): white on a black box,
# big enough to survive the JPEG.
LABEL_SCALE, LABEL_PAD, LABEL_MARGIN = 2, 3, 4
LABEL_BOX, LABEL_INK = 0x00, 0xFF


@dataclass(frozen=True)
class Preview:
    """A JPEG to look at, and for a contact sheet the time (seconds into the clip) of each of its frames."""

    jpeg: bytes
    seconds: tuple[float, ...] = ()


_LIMITER: list[anyio.CapacityLimiter] = []


def _limiter() -> anyio.CapacityLimiter:
    # Decoding holds the GIL for long stretches: more threads than cores only starve the event loop.
    if not _LIMITER:
        _LIMITER.append(anyio.CapacityLimiter(1))
    return _LIMITER[0]


async def preview_of(path: Path, kind: Literal["image", "video"], *, labels: bool = True) -> Preview | None:
    """A contact sheet of `path` for a video (its frames labelled with their times unless `labels` is
    false), a thumbnail for an image; None when it cannot be made."""
    try:
        if kind == "video":
            return await anyio.to_thread.run_sync(_contact_sheet, path, labels, limiter=_limiter())
        return await anyio.to_thread.run_sync(_thumbnail, path, limiter=_limiter())
    except Exception as exc:  # any decoder failure: the result goes out without a preview
        logger.warning("No preview for %s: %s: %s", path.name, type(exc).__name__, exc)
        return None


async def build_preview(path: Path, kind: Literal["image", "video"]) -> bytes | None:
    """JPEG bytes showing `path` (a contact sheet for a video, a thumbnail for an image), or None."""
    made = await preview_of(path, kind)
    return made.jpeg if made is not None else None


# --- video: a contact sheet -------------------------------------------------------------------------


def _contact_sheet(path: Path, labels: bool = True) -> Preview:
    import av
    from av.video.reformatter import Interpolation

    count = SHEET_COLUMNS * SHEET_ROWS
    with path.open("rb") as handle, av.open(handle, mode="r") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tile_width, tile_height = tile_size(stream.codec_context.width, stream.codec_context.height)
        start, moments = _moments(container, stream, count)
        frames = [_frame_at(container, stream, moment) for moment in moments]
        tiles = [frame.reformat(tile_width, tile_height, "rgb24", interpolation=Interpolation.AREA) for frame in frames]
    seconds = tuple(
        max(0.0, (frame.time if frame.time is not None else moment) - start)
        for frame, moment in zip(frames, moments, strict=True)
    )
    sheet = _compose(tiles, tile_width, tile_height, seconds if labels else None)
    return Preview(_encode_jpeg(sheet), seconds)


def tile_size(width: int, height: int) -> tuple[int, int]:
    """A tile TILE_WIDTH wide with the source's aspect (even sides, as 4:2:0 JPEG wants)."""
    tile_height = _even(TILE_WIDTH * height / width)
    if tile_height <= TILE_MAX_HEIGHT:
        return TILE_WIDTH, tile_height
    return _even(TILE_MAX_HEIGHT * width / height), TILE_MAX_HEIGHT


def _moments(container: InputContainer, stream: VideoStream, count: int) -> tuple[float, list[float]]:
    """The stream's start, and `count` instants evenly spread from its first frame to its end: the first
    and last frames are the ones a start frame, an end frame or a loop shows in."""
    time_base = stream.time_base or Fraction(1, 1_000_000)
    start = float(stream.start_time * time_base) if stream.start_time else 0.0
    seconds = float(stream.duration * time_base) if stream.duration else (container.duration or 0) / 1_000_000
    return start, [start + seconds * index / (count - 1) for index in range(count)]


def _frame_at(container: InputContainer, stream: VideoStream, moment: float) -> VideoFrame:
    """The first frame shown at or after `moment` (the last one when the video ends before)."""
    time_base = stream.time_base or Fraction(1, 1_000_000)
    container.seek(int(moment / time_base), stream=stream, backward=True)
    found: VideoFrame | None = None
    for frame in container.decode(stream):
        found = frame
        if frame.time is not None and frame.time >= moment:
            break
    if found is None:
        raise ValueError("no frame decoded")
    return found


def _compose(
    tiles: Sequence[VideoFrame], tile_width: int, tile_height: int, seconds: Sequence[float] | None = None
) -> VideoFrame:
    """The tiles in a SHEET_COLUMNS x SHEET_ROWS grid, copied row by row into one rgb24 frame, each
    labelled with its time when `seconds` are given."""
    from av.video.frame import VideoFrame

    width = SHEET_COLUMNS * (tile_width + GUTTER) + GUTTER
    height = SHEET_ROWS * (tile_height + GUTTER) + GUTTER
    sheet = VideoFrame(width, height, "rgb24")
    stride = sheet.planes[0].line_size  # rows may be padded past width * 3
    canvas = bytearray([BACKGROUND]) * (stride * height)
    for index, tile in enumerate(tiles):
        row, column = divmod(index, SHEET_COLUMNS)
        left, top = GUTTER + column * (tile_width + GUTTER), GUTTER + row * (tile_height + GUTTER)
        _blit(canvas, stride, tile, left, top)
        if seconds is not None:
            _label(canvas, stride, f"{seconds[index]:.1f} s", left, top, left + tile_width)
    sheet.planes[0].update(bytes(canvas))
    return sheet


def _label(canvas: bytearray, stride: int, text: str, left: int, top: int, right: int) -> None:
    """`text` in a box at the top left of the tile whose corner is (`left`, `top`), ending at column `right`."""
    text = fold(text)
    width = text_width(text, LABEL_SCALE) + 2 * LABEL_PAD
    height = GLYPH_HEIGHT * LABEL_SCALE + 2 * LABEL_PAD
    x, y = left + LABEL_MARGIN, top + LABEL_MARGIN
    box = bytes([LABEL_BOX]) * (min(width, right - x) * 3)
    for row in range(y, y + height):
        canvas[row * stride + x * 3 : row * stride + x * 3 + len(box)] = box
    draw_text(canvas, stride, x + LABEL_PAD, y + LABEL_PAD, text, LABEL_SCALE, LABEL_INK, right, channels=3)


def _blit(canvas: bytearray, stride: int, tile: VideoFrame, left: int, top: int) -> None:
    plane = tile.planes[0]
    source, source_stride, row_bytes = memoryview(plane), plane.line_size, tile.width * 3
    for y in range(tile.height):
        at = (top + y) * stride + left * 3
        canvas[at : at + row_bytes] = source[y * source_stride : y * source_stride + row_bytes]


# --- image: a thumbnail -----------------------------------------------------------------------------


def _thumbnail(path: Path) -> Preview:
    import av
    from av.video.reformatter import Interpolation

    with path.open("rb") as handle, av.open(handle, mode="r") as container:
        frame = next(container.decode(video=0))
    scale = min(1.0, THUMBNAIL_LONG_SIDE / max(frame.width, frame.height))
    small = frame.reformat(
        _even(frame.width * scale), _even(frame.height * scale), "rgb24", interpolation=Interpolation.AREA
    )
    return Preview(_encode_jpeg(small))


# --- JPEG -------------------------------------------------------------------------------------------


def _encode_jpeg(frame: VideoFrame) -> bytes:
    """The finest-quality JPEG of `frame` within TARGET_BYTES (the coarsest one if none fits)."""
    yuv = frame.reformat(format="yuvj420p")  # mjpeg takes full-range 4:2:0
    data = b""
    for quantiser in QUANTISERS:
        data = _mjpeg(yuv, quantiser)
        if len(data) <= TARGET_BYTES:
            break
    return data


def _mjpeg(frame: VideoFrame, quantiser: int) -> bytes:
    import av

    context = av.CodecContext.create("mjpeg", "w")
    context.width, context.height, context.pix_fmt = frame.width, frame.height, "yuvj420p"
    context.time_base = Fraction(1, 25)
    context.qmin = context.qmax = quantiser  # a fixed quantiser: the encoder's own rate control ignores size
    packets = [*context.encode(frame), *context.encode(None)]
    return b"".join(bytes(packet) for packet in packets)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)
