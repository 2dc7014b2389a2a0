"""What a local media file holds: its MIME type (from its first bytes), pixel size, and length.

The probes are blocking (PyAV reads the container and walks its packets): call them from a worker
thread. They never raise for bad media, they answer None: a file that does not decode is the caller's
message to write, not a crash. PyAV is imported inside the functions so that importing this module
stays cheap.

A length is what the stream holds, not what the container says: a header is a claim anyone can edit
(an MP4 whose header says 5 s can hold 25 s, a WebM recorded live declares none), while the API bills
and limits what it plays. So the packets are walked (read, not decoded) to their last timestamp, and
where the header disagrees with them by more than a codec's framing (an MP3's padded last frame, an
AAC priming delay), the packets win.
"""

from __future__ import annotations

import io
from contextlib import AbstractContextManager, nullcontext
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

__all__ = ["VideoInfo", "audio_seconds", "image_size", "media_type", "video_info"]

# How far a header may be from the packets and still be believed: it knows the encoder's delay and
# padding, which the packets' timestamps include (up to about 0.3 s for MP3 at 8 kHz).
FRAMING_SECONDS = 0.5

# The still formats the API ingests (spec 3.2: PNG, JPEG, WebP; GIF is read as its first frame).
_IMAGE_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class VideoInfo(NamedTuple):
    width: int
    height: int
    seconds: float  # 0.0 when no length can be measured: callers read it as unknown, never as free
    frames: int


def media_type(head: bytes) -> str | None:
    """The MIME type told by a file's first bytes (at least 64 of them), for the formats we send on;
    None for anything else (BMP, HEIC, AVIF, text...)."""
    for magic, mime in _IMAGE_TYPES:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    audio = _audio_type(head)
    if audio is not None:
        return audio
    if head[4:8] == b"ftyp":
        return _iso_media_type(head[8:12])
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM, or Matroska when its DocType says so
        return "video/x-matroska" if b"matroska" in head else "video/webm"
    return None


def _audio_type(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 in (0xE2, 0xE4, 0xE6)):
        return "audio/mpeg"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head[4:8] == b"ftyp" and head[8:12] in (b"M4A ", b"M4B ", b"M4P "):
        return "audio/mp4"
    return None


def _iso_media_type(brand: bytes) -> str | None:
    if brand in (b"avif", b"avis", b"heic", b"heix", b"mif1"):
        return None  # ISO-BMFF stills: not formats the API documents
    return "video/quicktime" if brand == b"qt  " else "video/mp4"


def video_info(source: Path | bytes | BinaryIO) -> VideoInfo | None:
    """Size, length and frame count of the first video stream; None when there is none or it does
    not open. The frame count is estimated from the rate when the container does not store it."""
    import av

    try:
        with _open(source) as handle, av.open(handle, mode="r") as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            declared = _seconds(container.duration, stream.duration, stream.time_base)
            rate = float(stream.average_rate or 0)
            measured, packets = _measure(container, stream)
    except (av.FFmpegError, ValueError, OSError):
        return None
    if width <= 0 or height <= 0:
        return None
    seconds = _believed(declared, measured)
    return VideoInfo(width, height, seconds, packets or round(seconds * rate))


def audio_seconds(source: Path | bytes | BinaryIO) -> float | None:
    """The length of the first audio stream, in seconds; None when there is none or it does not open."""
    import av

    try:
        with _open(source) as handle, av.open(handle, mode="r") as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            declared = _seconds(container.duration, stream.duration, stream.time_base)
            measured, _ = _measure(container, stream)
    except (av.FFmpegError, ValueError, OSError):
        return None
    seconds = _believed(declared, measured)
    return seconds if seconds > 0 else None


def image_size(source: Path | bytes | BinaryIO) -> tuple[int, int] | None:
    """Width and height of an encoded still, read from its headers; None when it does not open."""
    import av

    try:
        with _open(source) as handle, av.open(handle, mode="r") as container:
            if not container.streams.video:
                return None
            context = container.streams.video[0].codec_context
            size = context.width, context.height
    except (av.FFmpegError, ValueError, OSError):
        return None
    return size if size[0] > 0 and size[1] > 0 else None


def _open(source: Path | bytes | BinaryIO) -> AbstractContextManager[BinaryIO]:
    """A file object, never a name: FFmpeg reads "proto:..." names as protocols (http:, concat:).
    An open handle stays open (its owner closes it): it is read from the start."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, Path):
        return source.open("rb")
    source.seek(0)
    return nullcontext(source)


def _seconds(container_us: int | None, duration: int | None, time_base: Fraction | None) -> float:
    """What the headers declare: the stream's own duration when it has one, else the container's (in
    microseconds). Used only where the packets carry no timestamps to measure."""
    if duration is not None and time_base is not None and duration > 0:
        return float(duration * time_base)
    return container_us / 1_000_000 if container_us and container_us > 0 else 0.0


def _believed(declared: float, measured: float) -> float:
    """The header's length where the packets bear it out (it accounts for codec padding), else theirs."""
    if measured > 0 and (declared <= 0 or abs(measured - declared) > FRAMING_SECONDS):
        return measured
    return declared


def _measure(container: Any, stream: Any) -> tuple[float, int]:
    """(seconds from the first packet's start to the last one's end, packets): what the stream holds.
    (0.0, 0) when its packets carry no timestamps."""
    first: int | None = None
    end: int | None = None
    packets = 0
    for packet in container.demux(stream):
        if packet.pts is None or packet.size == 0:  # the demuxer's closing flush packet
            continue
        packets += 1
        first = packet.pts if first is None else min(first, packet.pts)
        stop = packet.pts + max(packet.duration or 0, 0)
        end = stop if end is None else max(end, stop)
    if first is None or end is None or stream.time_base is None:
        return 0.0, packets
    return max(float((end - first) * stream.time_base), 0.0), packets
