"""Synthetic media for the emulators: real MP4 / PNG / JPEG bytes made with PyAV.

What a clip shows is its `MediaSpec`'s scene (see `scene`): the prompt, the tool and "SANDBOX" on a
band at the bottom, the request's images at their frames, the clip it extends, edits or reframes.
A spec without a scene gets the plain picture: a bright bar sweeping over a rotating hue, so a contact
sheet of a few frames shows motion. Content depends only on the spec, which lets one encode serve
every request for it (a process-wide LRU cache keyed by the spec).

PyAV is imported inside functions: importing the emulator must stay cheap.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, cast

import anyio.to_thread

from .frames import Yuv, even, to_av
from .spec import (
    CONTENT_TYPES,
    EXTENSIONS,
    FPS,
    Anchor,
    MediaFormat,
    MediaKind,
    MediaSpec,
    Mode,
    Picture,
    Scene,
)

if TYPE_CHECKING:
    from av.video.codeccontext import VideoCodecContext
    from av.video.frame import VideoFrame

__all__ = [
    "CONTENT_TYPES",
    "EXTENSIONS",
    "FPS",
    "Anchor",
    "MediaFormat",
    "MediaKind",
    "MediaSpec",
    "Mode",
    "Picture",
    "Scene",
    "encode_exr",
    "encode_image",
    "encode_video",
    "even",
    "image_size",
    "render",
    "render_async",
    "render_cached",
    "rescale_short_side",
    "video_size",
]

# A 1080p 10 s clip encodes to a few MB; 32 entries bounds the cache well under 200 MB.
_CACHE_SIZE = 32
# One encoder thread: x264's frame threads cost more CPU than they save on these simple pictures, and
# make the file twice as big. A constant quantizer rather than a CRF: no rate-control analysis of every
# frame, a quarter less CPU, and flat synthetic pictures look the same either way.
_X264_OPTIONS = {"preset": "ultrafast", "qp": "30", "threads": "1"}


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


# --- encoders ---------------------------------------------------------------------------------------


def encode_frames(frames: Iterable[tuple[Yuv, Yuv | None]], width: int, height: int) -> bytes:
    """H.264 yuv420p MP4 at 24 fps of `frames` (all `width` x `height`, each with the band to lay over
    its bottom, if any), no audio."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = dict(_X264_OPTIONS)
        for index, (frame, band) in enumerate(frames):
            picture = to_av(frame, band)
            picture.pts = index
            container.mux(stream.encode(picture))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def encode_video(width: int, height: int, frames: int) -> bytes:
    """The plain clip (no scene) of exactly `frames` frames."""
    return render(MediaSpec("video", width, height, frames, "mp4"))


def encode_image(width: int, height: int, image_format: MediaFormat, variant: int = 0) -> bytes:
    """The plain still (no scene): PNG, JPEG, or an RGBA PNG layer whose opaque region depends on `variant`."""
    return render(MediaSpec("image", width, height, 1, image_format, variant))


def encode_still(frame: Yuv, image_format: MediaFormat, variant: int = 0) -> bytes:
    import av

    lay = frame.layout
    picture = to_av(frame)
    codec = "mjpeg" if image_format == "jpeg" else "png"
    if image_format == "jpeg":
        picture = picture.reformat(format="yuvj420p")
    elif image_format == "rgba_png":
        picture = _with_alpha(picture.reformat(format="rgba"), variant)
    else:
        picture = picture.reformat(format="rgb24")
    context = cast("VideoCodecContext", av.CodecContext.create(codec, "w"))
    context.width, context.height, context.pix_fmt = lay.width, lay.height, picture.format.name
    context.time_base = Fraction(1, FPS)
    if codec == "mjpeg":
        context.options = {"qscale": "3"}
    packets = [*context.encode(picture), *context.encode(None)]
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
    from .scene import layered_frames, still_frame

    if spec.kind == "video":
        return encode_frames(layered_frames(spec), spec.width, spec.height)
    if spec.kind == "exr":
        return encode_exr()
    return encode_still(still_frame(spec), spec.format, spec.variant)


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
