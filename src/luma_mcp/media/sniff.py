"""What media bytes are, told from their first bytes (magic numbers), never from names or claimed types."""

from __future__ import annotations

from typing import Literal

Kind = Literal["image", "video", "other"]

SNIFF_BYTES = 64
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")
_STILL_BRANDS = (b"avif", b"avis", b"heic", b"heix", b"mif1")  # ISO-BMFF brands that hold images


def sniff_kind(head: bytes) -> Kind:
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head[4:8] == b"ftyp":
        return "image" if head[8:12] in _STILL_BRANDS else "video"
    if head.startswith(b"\x1a\x45\xdf\xa3") or (head[:4] == b"RIFF" and head[8:12] == b"AVI "):
        return "video"
    return "other"
