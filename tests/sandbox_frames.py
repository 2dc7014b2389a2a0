"""Helpers for the sandbox media tests: inputs made without the emulator's code (PNG by hand, MP4 with
PyAV), and decoded frames to compare with them (rgb24, sampled on a grid: no numpy)."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from conftest import structured, text_of

RED, GREEN, BLUE = (220, 30, 30), (30, 200, 40), (30, 40, 220)
Box = tuple[float, float, float, float]  # left, top, right, bottom as fractions of the frame
ABOVE_BAND: Box = (0.05, 0.05, 0.95, 0.7)  # clear of the caption band at the bottom


def png(rgb: tuple[int, int, int], width: int = 64, height: int = 48) -> bytes:
    """A solid-colour RGB PNG, written by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def write_mp4(path: Path, rgb: tuple[int, int, int], width: int, height: int, frames: int) -> Path:
    """A solid-colour H.264 clip at 24 fps."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            frame = av.VideoFrame(width, height, "rgb24")
            frame.planes[0].update(_rows(bytes(rgb) * width, frame.planes[0].line_size, height))
            frame.pts = index
            container.mux(stream.encode(frame.reformat(format="yuv420p")))
        container.mux(stream.encode(None))
    return path


def _rows(row: bytes, line_size: int, height: int) -> bytes:
    return (row + bytes(line_size - len(row))) * height


@dataclass(frozen=True)
class Frame:
    width: int
    height: int
    stride: int
    rgb: bytes

    def mean(self, box: Box = (0.0, 0.0, 1.0, 1.0), step: int = 6) -> tuple[float, float, float]:
        totals, count = [0, 0, 0], 0
        for x, y in self._grid(box, step):
            at = y * self.stride + x * 3
            totals[0] += self.rgb[at]
            totals[1] += self.rgb[at + 1]
            totals[2] += self.rgb[at + 2]
            count += 1
        return totals[0] / count, totals[1] / count, totals[2] / count

    def difference(self, other: Frame, box: Box = (0.0, 0.0, 1.0, 1.0), step: int = 6) -> float:
        """Mean absolute difference per channel (0..255) over the sampled pixels."""
        assert (self.width, self.height) == (other.width, other.height)
        total, count = 0, 0
        for x, y in self._grid(box, step):
            for channel in range(3):
                total += abs(
                    self.rgb[y * self.stride + x * 3 + channel] - other.rgb[y * other.stride + x * 3 + channel]
                )
            count += 3
        return total / count

    def values(self, box: Box, step: int = 2) -> list[tuple[int, int, int]]:
        return [
            (
                self.rgb[y * self.stride + x * 3],
                self.rgb[y * self.stride + x * 3 + 1],
                self.rgb[y * self.stride + x * 3 + 2],
            )
            for x, y in self._grid(box, step)
        ]

    def _grid(self, box: Box, step: int) -> list[tuple[int, int]]:
        left, top, right, bottom = box
        xs = range(int(left * self.width), max(int(left * self.width) + 1, int(right * self.width)), step)
        ys = range(int(top * self.height), max(int(top * self.height) + 1, int(bottom * self.height)), step)
        return [(x, y) for y in ys for x in xs]


def decode(media: str | Path | bytes, wanted: set[int] | None = None) -> tuple[int, dict[int, Frame]]:
    """The number of frames of a file (or bytes), and the `wanted` ones (all if None) as rgb24."""
    frames: dict[int, Frame] = {}
    count = 0
    with av.open(io.BytesIO(media) if isinstance(media, bytes) else str(media)) as container:
        for count, frame in enumerate(container.decode(video=0), start=1):
            index = count - 1
            if wanted is None or index in wanted:
                rgb = frame.reformat(format="rgb24")
                plane = rgb.planes[0]
                frames[index] = Frame(rgb.width, rgb.height, plane.line_size, bytes(plane))
    return count, frames


def dominant(rgb: tuple[float, float, float]) -> str:
    """Which channel leads clearly, or `grey`."""
    ordered = sorted(zip(rgb, ("red", "green", "blue"), strict=True), reverse=True)
    return ordered[0][1] if ordered[0][0] > ordered[1][0] + 60 else "grey"


def saturation(rgb: tuple[float, float, float]) -> float:
    return max(rgb) - min(rgb)


async def completed(client: Any, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    data = structured(result)
    assert data["state"] == "completed", data
    return data


def output_path(data: dict[str, Any]) -> str:
    path = data["outputs"][0]["path"]
    assert path, data
    return str(path)
