"""MediaRef -> the AI/ML API's image keyframe URL. The API has no upload endpoint (spec 2.1): every
image goes as a URL. An http(s) URL goes as given; a `data:` URI and a small local image go inline
as a `data:` URI (open question Q2, its lenient path); an image generation (of any provider) goes
as its fresh output URL, looked up through `lookup`."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import anyio.to_thread

from ...media.local import LocalMedia, RefError, RefLike, decode_data_uri, inspect_local, open_checked
from ...media.sniff import sniff_kind
from ...media.wording import with_article
from ..base import Generation
from ..errors import ProviderError
from .rules import URL_MAX_CHARS

# A keyframe rides inside the JSON body: keep it to a size a gateway takes in one request.
DATA_URI_MAX_BYTES = 4 * 1024 * 1024
_VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".m4v", ".mkv", ".avi")
Lookup = Callable[[str], Awaitable[Generation]]


async def image_url(ref: RefLike, *, field: str, roots: Sequence[Path], lookup: Lookup) -> str:
    """The URL the API will read this image from; raises `RefError` naming the field (nothing sent)."""
    if ref.url is not None:
        return _given_url(ref.url, f"{field}.url")
    if ref.path is not None:
        return await _local(ref.path, f"{field}.path", roots)
    if ref.generation_id is not None:
        return await _generation(ref.generation_id, f"{field}.generation_id", lookup)
    raise RefError(f"{field}: give exactly one of generation_id, url or path")


def _given_url(url: str, name: str) -> str:
    if url.startswith("data:"):
        if not url.partition(",")[0].endswith(";base64"):
            raise RefError(f"{name}: give a base64 data:image/... URI of a PNG, JPEG or WebP image")
        # Refused by its size before it is decoded; decoded only to be sniffed.
        _, raw = decode_data_uri(url, name, DATA_URI_MAX_BYTES)
        if sniff_kind(raw[:64]) != "image":
            raise RefError(f"{name}: give a base64 data:image/... URI of a PNG, JPEG or WebP image")
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RefError(f"{name}: give a public http(s) image URL the AI/ML API can fetch, or a data: URI")
    if PurePosixPath(unquote(parts.path)).suffix.lower() in _VIDEO_SUFFIXES:
        raise RefError(f"{name}: the URL is a video, but an image is wanted here")
    if len(url) > URL_MAX_CHARS:
        raise RefError(f"{name}: the URL is {len(url)} characters, over {URL_MAX_CHARS}; use a shorter one")
    return url


async def _local(raw: str, name: str, roots: Sequence[Path]) -> str:
    media = await anyio.to_thread.run_sync(inspect_local, raw, "image", name, tuple(roots), Path.cwd())
    _check_size(media.size, name)
    data = media.inline if media.inline is not None else await anyio.to_thread.run_sync(_read_checked, media)
    return f"data:{media.media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _read_checked(media: LocalMedia) -> bytes:
    """The bytes of the file that passed the checks, never of one swapped in since."""
    with open_checked(media) as handle:
        return handle.read(media.size)


def _check_size(size: int, name: str) -> None:
    if size > DATA_URI_MAX_BYTES:
        raise RefError(
            f"{name}: the image is {size / 2**20:.1f} MB; the AI/ML API takes images as URLs (no uploads) and this "
            f"server inlines at most {DATA_URI_MAX_BYTES // 2**20} MB: pass a public http(s) URL of it instead"
        )


async def _generation(generation_id: str, name: str, lookup: Lookup) -> str:
    try:
        generation = await lookup(generation_id)
    except ProviderError as exc:
        raise RefError(f"{name}: could not look up generation '{generation_id}': {exc}") from None
    if generation.state != "completed":
        raise RefError(f"{name}: generation '{generation_id}' is {generation.state}; wait for it with get_generation")
    images = [output.url for output in generation.outputs if output.type == "image"]
    if not images:
        raise RefError(
            f"{name}: generation '{generation_id}' is {with_article(generation.type)} generation, but an image is"
            " wanted here"
            " (to continue a video, extend it instead)"
        )
    return images[0]
