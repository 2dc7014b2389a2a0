"""Avatar videos: the face image as a still, the speech as its AAC track, in a real MP4 (PyAV, no numpy).

The contract a client relies on is only "an avatar video shows the face image and carries the speech
as its audio track", so no lips move: the face is fitted into the frame on a dark background, and one
second of it is encoded once (a keyframe and 23 empty P-frames) and muxed again and again, so the
picture of a 10-minute clip costs a fraction of a second (its AAC track takes ~5 s: the cache matters).
The audio is the uploaded file decoded and re-encoded to AAC, cut or padded with silence to the video's
length; text-to-speech jobs get a syllable-paced tone.

PyAV is imported inside functions: importing the emulator must stay cheap.
"""

from __future__ import annotations

import array
import io
import math
import sys
import threading
import wave
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import anyio.to_thread

from luma_mcp.emulator.media import FPS

if TYPE_CHECKING:
    from av.audio.stream import AudioStream
    from av.container import OutputContainer
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

SAMPLE_RATE = 24_000
DEFAULT_PITCH_HZ = 200.0
BACKGROUND_YUV = (40, 128, 128)  # dark grey around a fitted face
PLACEHOLDER_YUV = (150, 90, 170)  # a flat "face" for start_keyframe_url: the emulator cannot fetch it
_TONE_BLOCK_SECONDS = 0.5  # whole cycles of every pitch used and of the 4 Hz syllable beat fit in it
_CACHE_SIZE = 8


@dataclass(frozen=True, slots=True)
class AvatarSpec:
    """What to render. `face` and `audio` are digests of the uploaded bytes (None: placeholder, tone)."""

    width: int
    height: int
    frames: int
    face: str | None
    audio: str | None
    pitch_hz: float = DEFAULT_PITCH_HZ

    @property
    def samples(self) -> int:
        return round(self.frames * SAMPLE_RATE / FPS)


class Renderer:
    """Renders each spec once (a small LRU cache), in a worker thread, one encode at a time."""

    def __init__(self) -> None:
        self._cache: OrderedDict[AvatarSpec, bytes] = OrderedDict()
        self._lock = threading.Lock()

    async def render(self, spec: AvatarSpec, face: bytes | None, audio: bytes | None) -> bytes:
        return await anyio.to_thread.run_sync(self._render_cached, spec, face, audio)

    def _render_cached(self, spec: AvatarSpec, face: bytes | None, audio: bytes | None) -> bytes:
        with self._lock:
            if spec not in self._cache:
                self._cache[spec] = encode_avatar(spec, face, audio)
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(spec)
            return self._cache[spec]


def encode_avatar(spec: AvatarSpec, face: bytes | None, audio: bytes | None) -> bytes:
    """An H.264 + AAC MP4 at 24 fps: `spec.frames` frames of the face, and as long a sound track."""
    import av

    frame = still_frame(face, spec.width, spec.height)
    pcm = speech_pcm(audio, spec.samples) if audio is not None else None
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        # Both streams before the first packet: the header is written then.
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = spec.width, spec.height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "28", "g": str(FPS), "keyint_min": str(FPS),
                         "sc_threshold": "0", "bf": "0"}  # fmt: skip
        sound = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        _mux_still(container, video, frame, spec.frames)
        _mux_audio(container, sound, pcm if pcm is not None else tone_pcm(spec.samples, spec.pitch_hz))
    return buffer.getvalue()


# --- the picture ------------------------------------------------------------------------------------


def still_frame(face: bytes | None, width: int, height: int) -> VideoFrame:
    """The face fitted (whole, centred) into a `width`x`height` yuv420p frame; a flat placeholder without one."""
    from av.video.frame import VideoFrame

    canvas = VideoFrame(width, height, "yuv420p")
    picture = _decode_image(face) if face is not None else None
    _fill(canvas, BACKGROUND_YUV if picture is not None else PLACEHOLDER_YUV)
    if picture is not None:
        scale = min(width / picture.width, height / picture.height)
        fitted_width = min(width, max(2, int(picture.width * scale) // 2 * 2))
        fitted_height = min(height, max(2, int(picture.height * scale) // 2 * 2))
        fitted = picture.reformat(width=fitted_width, height=fitted_height, format="yuv420p")
        _paste(canvas, fitted, (width - fitted_width) // 4 * 2, (height - fitted_height) // 4 * 2)
    return canvas


def _decode_image(data: bytes) -> VideoFrame | None:
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            return next(container.decode(video=0), None)
    except (av.FFmpegError, ValueError, OSError):
        return None


def _fill(frame: VideoFrame, yuv: tuple[int, int, int]) -> None:
    for plane, value in zip(frame.planes, yuv, strict=True):
        plane.update(bytes([value]) * plane.buffer_size)


def _paste(canvas: VideoFrame, picture: VideoFrame, left: int, top: int) -> None:
    """Copy `picture`'s planes into `canvas` at an even (`left`, `top`), row by row (chroma at half size)."""
    for index, (target, source) in enumerate(zip(canvas.planes, picture.planes, strict=True)):
        shift = 0 if index == 0 else 1
        data, rows = bytearray(bytes(target)), bytes(source)
        row_bytes, x, y = picture.width >> shift, left >> shift, top >> shift
        for row in range(picture.height >> shift):
            start, origin = (y + row) * target.line_size + x, row * source.line_size
            data[start : start + row_bytes] = rows[origin : origin + row_bytes]
        target.update(bytes(data))


def _mux_still(container: OutputContainer, stream: VideoStream, frame: VideoFrame, frames: int) -> None:
    """Encode one second of the still (keyframe first), then mux copies of it with shifted timestamps."""
    import av

    packets = []
    for index in range(min(FPS, frames)):
        frame.pts = index
        packets.extend(stream.encode(frame))
    packets.extend(stream.encode(None))
    # Muxing rescales a packet's timestamps in place: keep the encoder's before the first mux.
    second = [(bytes(packet), packet.pts or 0, packet.dts or 0, packet.is_keyframe) for packet in packets]
    time_base = packets[0].time_base
    for start in range(0, frames, FPS):
        for data, pts, dts, keyframe in second[: frames - start]:
            copy = av.Packet(data)
            copy.time_base, copy.pts, copy.dts, copy.duration = time_base, pts + start, dts + start, 1
            copy.is_keyframe, copy.stream = keyframe, stream
            container.mux(copy)


# --- the sound --------------------------------------------------------------------------------------


def speech_pcm(audio: bytes, samples: int) -> bytes | None:
    """The uploaded audio as mono s16 at 24 kHz, cut or padded to `samples`; None if it does not decode."""
    import av

    out = bytearray()
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    try:
        with av.open(io.BytesIO(audio), mode="r") as container:
            for decoded in container.decode(audio=0):
                for frame in resampler.resample(decoded):
                    out += bytes(frame.planes[0])[: frame.samples * 2]
                if len(out) >= samples * 2:
                    break
    except (av.FFmpegError, ValueError, OSError):
        return None
    return bytes(out[: samples * 2]) + bytes(max(0, samples * 2 - len(out)))


def tone_pcm(samples: int, pitch_hz: float) -> bytes:
    """A voice stand-in: a tone at `pitch_hz` that swells and fades four times a second (mono s16)."""
    block = round(SAMPLE_RATE * _TONE_BLOCK_SECONDS)
    wave_samples = array.array("h")
    for index in range(block):
        t = index / SAMPLE_RATE
        envelope = 0.5 - 0.5 * math.cos(2 * math.pi * 4 * t)
        wave_samples.append(int(9000 * envelope * math.sin(2 * math.pi * pitch_hz * t)))
    if sys.byteorder == "big":
        wave_samples.byteswap()
    data = wave_samples.tobytes()
    return (data * (samples // block + 1))[: samples * 2]


def _mux_audio(container: OutputContainer, stream: AudioStream, pcm: bytes) -> None:
    from av.audio.frame import AudioFrame

    chunk = SAMPLE_RATE * 2  # one second of s16 mono
    for offset in range(0, len(pcm), chunk):
        data = pcm[offset : offset + chunk]
        frame = AudioFrame(format="s16", layout="mono", samples=len(data) // 2)
        plane = frame.planes[0]
        plane.update(data + bytes(plane.buffer_size - len(data)))
        frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, offset // 2, Fraction(1, SAMPLE_RATE)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def tone_wav(seconds: float, pitch_hz: float) -> bytes:
    """A WAV of `tone_pcm`: the voices' preview files."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(tone_pcm(round(seconds * SAMPLE_RATE), pitch_hz))
    return buffer.getvalue()
