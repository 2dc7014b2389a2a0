"""Synthetic media for the emulator: real MP4 / PNG / JPEG bytes made with PyAV.

Frames are cheap to build (whole planes repeated from one row, no numpy) and visibly change over
time: a bright bar sweeps left to right while the background hue rotates, so a contact sheet of a
few frames shows motion. Content depends only on the `MediaSpec`, which lets one encode serve every
generation with the same shape (a process-wide LRU cache keyed by the spec).

PyAV is imported inside functions: importing the emulator must stay cheap.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Literal, cast

import anyio.to_thread

if TYPE_CHECKING:
    from av.video.codeccontext import VideoCodecContext
    from av.video.frame import VideoFrame

FPS = 24
MediaKind = Literal["video", "image", "exr"]
MediaFormat = Literal["mp4", "png", "jpeg", "rgba_png", "exr"]

CONTENT_TYPES: dict[str, str] = {
    "mp4": "video/mp4",
    "png": "image/png",
    "rgba_png": "image/png",
    "jpeg": "image/jpeg",
    "exr": "image/x-exr",
}
EXTENSIONS: dict[str, str] = {"mp4": "mp4", "png": "png", "rgba_png": "png", "jpeg": "jpg", "exr": "exr"}

# A 1080p 10 s clip of flat colour encodes to a few MB; 32 entries bounds the cache well under 200 MB.
_CACHE_SIZE = 32


@dataclass(frozen=True, slots=True)
class MediaSpec:
    """What to render. `frames` is 1 for stills; `variant` tells apart layers of one layering job."""

    kind: MediaKind
    width: int
    height: int
    frames: int
    format: MediaFormat
    variant: int = 0

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def filename(self) -> str:
        return f"output.{EXTENSIONS[self.format]}"


def even(value: float) -> int:
    """Round to the nearest even integer >= 2 (yuv420p needs even sides)."""
    return max(2, round(value / 2) * 2)


def video_size(short_side: int, aspect: str) -> tuple[int, int]:
    """Width and height for a short side and an `a:b` ratio: 720 and 21:9 -> 1680x720."""
    a, b = (int(part) for part in aspect.split(":"))
    if a >= b:
        return even(short_side * a / b), short_side
    return short_side, even(short_side * b / a)


def image_size(long_side: int, aspect: str) -> tuple[int, int]:
    """Width and height for a long side and an `a:b` ratio: 2048 and 16:9 -> 2048x1152."""
    a, b = (int(part) for part in aspect.split(":"))
    if a >= b:
        return long_side, even(long_side * b / a)
    return even(long_side * a / b), long_side


def rescale_short_side(width: int, height: int, short_side: int) -> tuple[int, int]:
    """Keep a source's aspect while setting its short side (edits follow the source's shape)."""
    if width >= height:
        return even(width * short_side / height), short_side
    return short_side, even(height * short_side / width)


# --- frame painting ---------------------------------------------------------------------------------


def _hue_yuv(step: float) -> tuple[int, int, int]:
    """A saturated colour that walks the hue circle as `step` goes 0 -> 1, in BT.601 YUV."""
    sector, frac = divmod(step * 6.0, 1.0)
    rise, fall = int(255 * frac), int(255 * (1 - frac))
    corners = [(255, rise, 0), (fall, 255, 0), (0, 255, rise), (0, fall, 255), (rise, 0, 255), (255, 0, fall)]
    r, g, b = corners[int(sector) % 6]
    # Darkened so that the white bar stands out on every hue.
    r, g, b = r * 3 // 5, g * 3 // 5, b * 3 // 5
    y = int(16 + 0.257 * r + 0.504 * g + 0.098 * b)
    u = int(128 - 0.148 * r - 0.291 * g + 0.439 * b)
    v = int(128 + 0.439 * r - 0.368 * g - 0.071 * b)
    return y, u, v


def _paint_yuv(frame: VideoFrame, progress: float, hue: float) -> None:
    y_value, u_value, v_value = _hue_yuv(hue)
    luma = frame.planes[0]
    bar_width = max(2, luma.width // 12)
    bar_left = int((luma.width - bar_width) * progress)
    row = bytearray([y_value]) * luma.line_size
    row[bar_left : bar_left + bar_width] = b"\xeb" * bar_width
    luma.update(bytes(row) * luma.height)
    for plane, value in ((frame.planes[1], u_value), (frame.planes[2], v_value)):
        plane.update(bytes([value]) * (plane.line_size * plane.height))


def _frame(width: int, height: int, progress: float, hue: float) -> VideoFrame:
    from av.video.frame import VideoFrame

    frame = VideoFrame(width, height, "yuv420p")
    _paint_yuv(frame, progress, hue)
    return frame


# --- encoders ---------------------------------------------------------------------------------------


def encode_video(width: int, height: int, frames: int) -> bytes:
    """H.264 yuv420p MP4 at 24 fps with exactly `frames` frames and no audio."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "30"}
        for index in range(frames):
            progress = index / max(1, frames - 1)
            # The hue steps twice a second rather than every frame: whole-frame changes on every frame
            # make x264 twice as slow and the file twice as big, for no visible gain.
            hue_step = index // (FPS // 2)
            frame = _frame(width, height, progress, (hue_step % 10) / 10)
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def encode_image(width: int, height: int, image_format: MediaFormat, variant: int = 0) -> bytes:
    """One still: PNG, JPEG, or an RGBA PNG layer whose opaque region depends on `variant`."""
    import av

    frame = _frame(width, height, progress=0.35, hue=(0.13 + 0.29 * variant) % 1.0)
    codec = "mjpeg" if image_format == "jpeg" else "png"
    if image_format == "jpeg":
        frame = frame.reformat(format="yuvj420p")
    elif image_format == "rgba_png":
        frame = _with_alpha(frame.reformat(format="rgba"), variant)
    else:
        frame = frame.reformat(format="rgb24")
    context = cast("VideoCodecContext", av.CodecContext.create(codec, "w"))
    context.width, context.height, context.pix_fmt = width, height, frame.format.name
    context.time_base = Fraction(1, FPS)
    if codec == "mjpeg":
        context.options = {"qscale": "3"}
    packets = [*context.encode(frame), *context.encode(None)]
    return b"".join(bytes(packet) for packet in packets)


def _with_alpha(frame: VideoFrame, variant: int) -> VideoFrame:
    """Layer 0 is the background (opaque); later layers keep a horizontal band opaque, rest clear."""
    if variant == 0:
        return frame
    plane = frame.planes[0]
    data = bytearray(bytes(plane))
    band = plane.height // 4
    top = (variant * band) % max(1, plane.height - band)
    for y in range(plane.height):
        if not top <= y < top + band:
            row = y * plane.line_size
            data[row + 3 : row + plane.width * 4 : 4] = bytes(plane.width)
    plane.update(bytes(data))
    return frame


def encode_exr() -> bytes:
    """Any small bytes would do; these start with the OpenEXR magic number so sniffers agree."""
    return b"\x76\x2f\x31\x01" + b"\x02\x00\x00\x00" + b"luma-mcp emulator placeholder EXR\x00"


def render(spec: MediaSpec) -> bytes:
    if spec.kind == "video":
        return encode_video(spec.width, spec.height, spec.frames)
    if spec.kind == "exr":
        return encode_exr()
    return encode_image(spec.width, spec.height, spec.format, spec.variant)


# --- cache ------------------------------------------------------------------------------------------

_cache: OrderedDict[MediaSpec, bytes] = OrderedDict()
_cache_lock = threading.Lock()
_spec_locks: dict[MediaSpec, threading.Lock] = {}


def render_cached(spec: MediaSpec) -> bytes:
    """Render once per spec, even when two threads ask at the same time (blocking: call in a thread)."""
    with _cache_lock:
        if spec in _cache:
            _cache.move_to_end(spec)
            return _cache[spec]
        spec_lock = _spec_locks.setdefault(spec, threading.Lock())
    with spec_lock:
        with _cache_lock:
            if spec in _cache:
                return _cache[spec]
        data = render(spec)
        with _cache_lock:
            _cache[spec] = data
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
            _spec_locks.pop(spec, None)
        return data


async def render_async(spec: MediaSpec) -> bytes:
    """`render_cached` in a worker thread, so encoding never blocks the event loop."""
    with _cache_lock:
        cached = _cache.get(spec)
    if cached is not None:
        return cached
    return await anyio.to_thread.run_sync(render_cached, spec)
