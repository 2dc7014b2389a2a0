"""What media bytes are, told from their first bytes (magic numbers), never from names or claimed types."""

from __future__ import annotations

from typing import Literal

Kind = Literal["image", "video", "audio", "other"]

SNIFF_BYTES = 64
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")
_STILL_BRANDS = (b"avif", b"avis", b"heic", b"heix", b"mif1")  # ISO-BMFF brands that hold images
_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ")  # ISO-BMFF brands that hold only sound
_AUDIO_MAGIC = (b"ID3", b"OggS", b"fLaC")


def sniff_kind(head: bytes) -> Kind:
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head.startswith(_AUDIO_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WAVE") or _mpeg_audio(head):
        return "audio"
    if head[4:8] == b"ftyp":
        if head[8:12] in _AUDIO_BRANDS:
            return "audio"
        return "image" if head[8:12] in _STILL_BRANDS else "video"
    if head.startswith(b"\x1a\x45\xdf\xa3") or (head[:4] == b"RIFF" and head[8:12] == b"AVI "):
        return "video"
    return "other"


def _mpeg_audio(head: bytes) -> bool:
    """An MP3 (or ADTS AAC) frame header without an ID3 tag: 11 sync bits set, a valid layer."""
    return (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0) or (
        len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0
    )
