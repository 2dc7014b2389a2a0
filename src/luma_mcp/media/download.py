"""Streamed, atomic saves of finished outputs.

Bytes go to a hidden `.part` file beside the destination and are renamed only when whole, so a file
with a final name is always complete, whatever happened to the process while it was written.
"""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

if TYPE_CHECKING:
    import httpx

CHUNK_BYTES = 1 << 20
_EXTENSIONS = {"video": ".mp4", "image": ".png", "exr": ".exr"}
_CONTENT_EXTENSIONS = {"video/mp4": ".mp4", "image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


class UrlExpired(Exception):
    """The presigned URL is past its hour (HTTP 403): fetch the generation again for a fresh one."""


class DownloadFailed(Exception):
    pass


def _declared_length(response: httpx.Response) -> int | None:
    raw = response.headers.get("content-length")
    return int(raw) if raw is not None and raw.isdigit() else None


def output_filename(
    generation_id: str, created_at: str | None, prompt: str, index: int, output_type: str, url: str
) -> str:
    """`2026-11-21_misty-greenhouse-dolly_d290f1ee.mp4`: sortable, readable, unique per output.
    A provider's prefix (`aimlapi:`, `hedra:`) is left out of the name: the id's own head is what differs."""
    from urllib.parse import urlsplit

    suffix = Path(urlsplit(url).path).suffix.lower() or _EXTENSIONS.get(output_type, ".bin")
    if suffix == ".jpeg":
        suffix = ".jpg"
    date = created_at[:10] if created_at and re.fullmatch(r"\d{4}-\d\d-\d\d", created_at[:10]) else "undated"
    counter = f"-{index + 1}" if index else ""
    head = re.sub(r"[^A-Za-z0-9]", "", re.sub(r"^[a-z]+:", "", generation_id))[:8]
    return f"{date}_{slug(prompt)}_{head}{counter}{suffix}"


_FILLER = frozenset({"a", "an", "the", "of", "and", "in", "on", "at", "to", "with", "into", "as"})


def slug(text: str, limit: int = 40) -> str:
    """The prompt's telling words, whole, within `limit` characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = [word for word in re.split(r"[^a-z0-9]+", ascii_text) if word and word not in _FILLER]
    kept: list[str] = []
    for word in words:
        if len("-".join([*kept, word])) > limit:
            break
        kept.append(word)
    return "-".join(kept) or (words[0][:limit] if words else "untitled")


class TooLarge(DownloadFailed):
    """The download passed the size its caller allows (checked as the bytes arrive)."""


async def save_url(http: httpx.AsyncClient, url: str, destination: Path, *, max_bytes: int | None = None) -> Path:
    """Stream `url` to `destination`; never holds the whole file in memory, never writes past `max_bytes`."""
    import httpx

    partial = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.part")
    await anyio.to_thread.run_sync(lambda: destination.parent.mkdir(parents=True, exist_ok=True))
    try:
        async with http.stream("GET", url) as response:
            if response.status_code == 403:
                raise UrlExpired(url)
            if response.status_code != 200:
                raise DownloadFailed(f"download answered HTTP {response.status_code}")
            expected = _declared_length(response)
            if max_bytes is not None and expected is not None and expected > max_bytes:
                raise TooLarge(f"the file is {expected / 2**20:.1f} MB, over {max_bytes / 2**20:.0f} MB")
            written = 0
            async with await anyio.open_file(partial, "wb") as sink:
                async for chunk in response.aiter_bytes(CHUNK_BYTES):
                    written += len(chunk)
                    if max_bytes is not None and written > max_bytes:
                        raise TooLarge(f"the file is over {max_bytes / 2**20:.0f} MB")
                    await sink.write(chunk)
            if written == 0 or (expected is not None and written != expected):
                raise DownloadFailed(f"download ended early ({written} of {expected or '?'} bytes)")
        await anyio.to_thread.run_sync(os.replace, partial, destination)
    except httpx.HTTPError as exc:
        raise DownloadFailed(f"download failed ({type(exc).__name__})") from exc
    finally:
        await anyio.to_thread.run_sync(lambda: partial.unlink(missing_ok=True))
    return destination
