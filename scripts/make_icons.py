"""Draw the small icons hosts show beside the server and each tool: src/luma_mcp/icons/*.png.

    uv run python scripts/make_icons.py

One glyph per tool kind, white on the brand's violet disc, 48 px square (hosts show them at 16-32 px), kept
under a kilobyte each since they travel as data URIs in tools/list; the server's icon is the bundle's
assets/icon.png scaled down. Pure Python (shapes sampled 4x4 per pixel for smooth edges) plus PyAV for the
one downscale, so the output is the same on every machine.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "luma_mcp" / "icons"
SIZE = 48
SUB = 4  # samples per pixel side
DISC = (109, 74, 255)
INK = (255, 255, 255)

Shape = Callable[[float, float], bool]  # (x, y) in 0..1 -> inside


def polygon(*points: tuple[float, float]) -> Shape:
    def inside(x: float, y: float) -> bool:
        hit = False
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                hit = not hit
        return hit

    return inside


def rect(x0: float, y0: float, x1: float, y1: float) -> Shape:
    return lambda x, y: x0 <= x <= x1 and y0 <= y <= y1


def ring(cx: float, cy: float, outer: float, inner: float) -> Shape:
    return lambda x, y: inner**2 <= (x - cx) ** 2 + (y - cy) ** 2 <= outer**2


def disc(cx: float, cy: float, r: float) -> Shape:
    return ring(cx, cy, r, 0)


def frame(x0: float, y0: float, x1: float, y1: float, width: float) -> Shape:
    outer, inner = rect(x0, y0, x1, y1), rect(x0 + width, y0 + width, x1 - width, y1 - width)
    return lambda x, y: outer(x, y) and not inner(x, y)


def union(*shapes: Shape) -> Shape:
    return lambda x, y: any(shape(x, y) for shape in shapes)


PLAY = polygon((0.40, 0.32), (0.40, 0.68), (0.70, 0.50))
GLYPHS: dict[str, Shape] = {
    "generate_video": PLAY,
    "extend_video": union(
        polygon((0.26, 0.32), (0.26, 0.68), (0.50, 0.50)), polygon((0.50, 0.32), (0.50, 0.68), (0.74, 0.50))
    ),
    "edit_video": union(
        polygon((0.30, 0.64), (0.62, 0.32), (0.70, 0.40), (0.38, 0.72), (0.28, 0.74)), rect(0.28, 0.76, 0.72, 0.79)
    ),
    "reframe_video": union(frame(0.24, 0.34, 0.76, 0.66, 0.05), frame(0.40, 0.22, 0.60, 0.78, 0.05)),
    "generate_image": union(
        frame(0.24, 0.28, 0.76, 0.72, 0.045),
        polygon((0.28, 0.68), (0.44, 0.46), (0.56, 0.60), (0.62, 0.52), (0.72, 0.68)),
        disc(0.62, 0.40, 0.05),
    ),
    "edit_image": union(
        frame(0.22, 0.26, 0.66, 0.66, 0.045), polygon((0.44, 0.74), (0.72, 0.46), (0.80, 0.54), (0.52, 0.82))
    ),
    "generate_avatar_video": union(
        disc(0.50, 0.40, 0.12), polygon((0.28, 0.76), (0.34, 0.58), (0.66, 0.58), (0.72, 0.76))
    ),
    "list_voices": union(
        *(
            rect(0.26 + i * 0.1, 0.5 - h / 2, 0.32 + i * 0.1, 0.5 + h / 2)
            for i, h in enumerate((0.14, 0.3, 0.44, 0.26, 0.12))
        )
    ),
    "get_generation": union(
        rect(0.46, 0.24, 0.54, 0.56), polygon((0.34, 0.52), (0.66, 0.52), (0.50, 0.68)), rect(0.28, 0.72, 0.72, 0.78)
    ),
    "list_generations": union(*(rect(0.28, y, 0.72, y + 0.07) for y in (0.30, 0.465, 0.63))),
}


def draw(glyph: Shape) -> bytes:
    rows = []
    for py in range(SIZE):
        row = bytearray([0])  # PNG filter: none
        for px in range(SIZE):
            in_disc = in_ink = 0
            for sy in range(SUB):
                for sx in range(SUB):
                    x, y = (px + (sx + 0.5) / SUB) / SIZE, (py + (sy + 0.5) / SUB) / SIZE
                    if math.hypot(x - 0.5, y - 0.5) <= 0.48:
                        in_disc += 1
                        in_ink += glyph(x, y)
            n = SUB * SUB
            ink = in_ink / max(in_disc, 1)
            colour = [round(d + (i - d) * ink) for d, i in zip(DISC, INK, strict=True)]
            row += bytes([*colour, round(255 * in_disc / n)])
        rows.append(bytes(row))
    return png(SIZE, SIZE, b"".join(rows))


def png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def server_icon() -> bytes:
    import av

    with av.open(str(ROOT / "assets" / "icon.png")) as container:
        picture = next(container.decode(video=0)).reformat(width=64, height=64, format="rgba")
    plane = picture.planes[0]
    stride = plane.line_size
    data = bytes(plane)
    raw = b"".join(b"\x00" + data[y * stride : y * stride + 64 * 4] for y in range(64))
    return png(64, 64, raw)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, glyph in GLYPHS.items():
        (OUT / f"{name}.png").write_bytes(draw(glyph))
    (OUT / "server.png").write_bytes(server_icon())
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
