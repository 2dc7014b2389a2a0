"""MediaRef -> the API's ImageRef: what a reference given by an agent becomes on the wire.

`resolve_ref` is the one entry point. By kind of reference:
- `url`: an http(s) URL goes as is (at a video position with a `media_type` told by its extension);
  a `data:` URI is split into base64 `data` + `media_type` (the API takes no data URIs), its bytes
  sniffed first; a video one above the inline limit goes through the Files API, as a local file would;
- `generation_id`: at an image position an image generation becomes its output's fresh URL (there
  the API would read a generation id as a video to extend); at a video position a completed video
  generation goes by id;
- `path`: confined to the allowed folders, then sniffed and measured (see `local`); small images go
  inline, larger ones and every video through the Files API.
Every refusal is a `RefError` whose message names the field and says what to give instead.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

import anyio.to_thread

from ...media import probe
from ...media.local import INLINE_MAX_BYTES, LocalMedia, RefError, RefLike, decode_data_uri, inspect_local, shown
from ...media.sniff import SNIFF_BYTES, sniff_kind
from ...media.wording import with_article
from ..errors import NotFound, ProviderError
from .requests import WireRef
from .rules import check_source_duration
from .rules.vocabulary import IMAGE_MAX_BYTES, VIDEO_SOURCE_MAX_BYTES, VIDEO_TYPES

URL_MAX_CHARS = 2048  # [G] as on the AI/ML API: no documented limit, but no real media URL is longer

if TYPE_CHECKING:
    import httpx

    from .client import Generation, LumaApi
    from .files import InMemory

__all__ = [
    "DRY_RUN_FILE_ID",
    "RefContext",
    "RefError",
    "RefLike",
    "ResolvedRef",
    "Want",
    "resolve_ref",
    "url_ref",
]

Want = Literal["image", "video"]

# What a dry run shows where an upload's file id will go: the file was checked, nothing was sent.
DRY_RUN_FILE_ID = "<uploaded when submitted>"
_VIDEO_URL_TYPES = {".mp4": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm", ".m4v": "video/mp4"}
_OTHER_VIDEO_SUFFIXES = (".mkv", ".avi")
_DATA_VIDEO_NAMES = {"video/quicktime": "video.mov", "video/webm": "video.webm"}
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")
_SEND_SOMETHING_ELSE = {
    "image": "give an image (PNG, JPEG, WebP) or an image generation id",
    "video": "give a video (MP4, MOV, WebM) or a video generation id",
}


@dataclass(frozen=True, slots=True)
class RefContext:
    """What resolving a reference may use; built by the tools layer for each call.

    `allowed_roots`: the only folders local paths may be read from (output dir, working dir,
    LUMA_MCP_INPUT_DIRS, the client's MCP roots). `http`: a client without the API key, for
    presigned uploads. `saved_path_of`: the local file saved for a generation id, if any (to measure
    a video's length). `working_dir`: what relative paths are relative to (None: the process's).
    `dry_run`: check local files fully but upload nothing (the wire shows `DRY_RUN_FILE_ID`).
    `owns`: whether the caller may use a generation id, asked before it is looked up (a hosted server's
    users share its key, so the API would answer about anyone's generation); None: any id of the key.
    """

    api: LumaApi | None
    allowed_roots: Sequence[Path]
    http: httpx.AsyncClient
    saved_path_of: Callable[[str], Awaitable[Path | None]] | None = None
    working_dir: Path | None = None
    dry_run: bool = False
    upload_timeout: float = 120.0
    upload_poll_interval: float = 0.5
    owns: Callable[[str], Awaitable[bool]] | None = None


@dataclass(frozen=True, slots=True)
class ResolvedRef:
    """The wire ImageRef, and what is known of the media: its kind, a video's length (None when unknown:
    a URL, a generation without a saved copy), its pixel size."""

    wire: WireRef
    kind: Want
    seconds: float | None = None
    width: int | None = None
    height: int | None = None


async def resolve_ref(
    ref: RefLike, *, want: Want, field: str, ctx: RefContext, source_for: str | None = None
) -> ResolvedRef:
    """The wire form of `ref` where `want` media is expected; `field` names the argument in messages
    (e.g. "source", "keyframes[2].image"). `source_for`: the generation type this video is the source of,
    so a local file over its length limit is refused before it is uploaded. Raises `RefError`; nothing
    is sent when it does."""
    if ref.path is not None:
        return await _from_path(ref.path, want, f"{field}.path", ctx, source_for)
    if ref.url is not None:
        if want == "image":
            return ResolvedRef(_image_url(ref.url, f"{field}.url"), "image")
        return await _video_url(ref.url, f"{field}.url", ctx)
    if ref.generation_id is not None:
        return await _from_generation(ref.generation_id, want, f"{field}.generation_id", ctx)
    raise RefError(f"{field}: give exactly one of generation_id, url or path")


# --- url --------------------------------------------------------------------------------------------


def url_ref(url: str) -> WireRef:
    """A URL or data: URI at an image position, checked without fetching anything."""
    return _image_url(url, "url")


def _image_url(url: str, name: str) -> WireRef:
    if url.startswith("data:"):
        return _image_data(url, name)
    suffix = _http_suffix(url, name)
    if suffix in _VIDEO_URL_TYPES or suffix in _OTHER_VIDEO_SUFFIXES:
        raise RefError(
            f"{name}: the URL ends in {suffix}, a video, but an image is wanted here; {_SEND_SOMETHING_ELSE['image']}"
        )
    return {"url": url}


async def _video_url(url: str, name: str, ctx: RefContext) -> ResolvedRef:
    if url.startswith("data:"):
        return await _video_data(url, name, ctx)
    suffix = _http_suffix(url, name)
    if suffix in _IMAGE_SUFFIXES:
        raise RefError(
            f"{name}: the URL ends in {suffix}, an image, but a video is wanted here; {_SEND_SOMETHING_ELSE['video']}"
        )
    # The API needs the type up front to dispatch video ingest before it fetches the bytes.
    return ResolvedRef({"url": url, "media_type": _VIDEO_URL_TYPES.get(suffix, "video/mp4")}, "video")


def _http_suffix(url: str, name: str) -> str:
    """The lower-cased extension of an http(s) URL's path; refuses anything else."""
    if len(url) > URL_MAX_CHARS:  # and never echoed: a long URL would flood the agent's context
        raise RefError(f"{name}: the URL is {len(url)} characters, over {URL_MAX_CHARS}; use a shorter one")
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise RefError(f"{name}: give an http(s) URL Luma can fetch, or a data: URI")
    return PurePosixPath(urllib.parse.unquote(parsed.path)).suffix.lower()


def _image_data(uri: str, name: str) -> WireRef:
    claimed, raw = decode_data_uri(uri, name, IMAGE_MAX_BYTES)
    if not claimed.startswith("image/"):
        raise RefError(f"{name}: the data: URI holds {claimed[:60]}, but an image is wanted here")
    head = raw[:SNIFF_BYTES]
    if sniff_kind(head) != "image":
        raise RefError(
            f"{name}: the data: URI claims {claimed[:60]}, but its bytes are not an image (PNG, JPEG, GIF, WebP)"
        )
    _check_size(len(raw), "image", name)
    return {"data": base64.b64encode(raw).decode("ascii"), "media_type": probe.media_type(head) or claimed}


async def _video_data(uri: str, name: str, ctx: RefContext) -> ResolvedRef:
    _, raw = decode_data_uri(uri, name, VIDEO_SOURCE_MAX_BYTES)
    head = raw[:SNIFF_BYTES]
    kind, media_type = sniff_kind(head), probe.media_type(head)
    if kind != "video" or media_type is None:
        found = "an image" if kind == "image" else "not a video this server recognises"
        raise RefError(f"{name}: the data: URI's bytes are {found}, but a video is wanted here (MP4, MOV, WebM)")
    _check_size(len(raw), "video", name)
    info = await anyio.to_thread.run_sync(probe.video_info, raw)
    if info is None:
        raise RefError(f"{name}: the data: URI's video could not be decoded; re-encode it as H.264 MP4")
    wire: WireRef
    if len(raw) <= INLINE_MAX_BYTES:
        wire = {"data": base64.b64encode(raw).decode("ascii"), "media_type": media_type}
    else:  # base64 inline is "only for small media files"; a large body is what the Files API is for
        from .files import InMemory

        upload = InMemory(_DATA_VIDEO_NAMES.get(media_type, "video.mp4"), raw)
        wire = {"file_id": await _upload(upload, media_type, name, ctx)}
    return ResolvedRef(wire, "video", _known(info.seconds), info.width, info.height)


def _check_size(size: int, kind: Want, name: str) -> None:
    limit = IMAGE_MAX_BYTES if kind == "image" else VIDEO_SOURCE_MAX_BYTES
    if size > limit:
        raise RefError(f"{name}: the {kind} is {size / 2**20:.1f} MB, over the API's {limit // 2**20} MB limit")


def _known(seconds: float | None) -> float | None:
    """A measured length, or None: a length of 0 was not measured, and an unknown length is priced at the
    longest the API takes, never as free."""
    return seconds if seconds is not None and seconds > 0 else None


# --- generation_id ----------------------------------------------------------------------------------


async def _from_generation(generation_id: str, want: Want, name: str, ctx: RefContext) -> ResolvedRef:
    if ctx.owns is not None and not await ctx.owns(generation_id):
        raise RefError(f"{name}: no generation '{generation_id}' of yours; list_generations shows yours")
    generation = await _completed_generation(generation_id, name, ctx.api)
    if want == "image":
        return ResolvedRef(_image_output_url(generation, name), "image")
    videos = [output for output in generation.output or [] if output.type == "video"]
    if generation.type not in VIDEO_TYPES or not videos:
        raise RefError(
            f"{name}: generation '{generation_id}' is {with_article(generation.type)} generation,"
            " but a video is wanted here;"
            f" {_SEND_SOMETHING_ELSE['video']}"
        )
    info = await _saved_video_info(generation_id, ctx)
    if info is None:
        return ResolvedRef({"generation_id": generation_id}, "video")
    return ResolvedRef({"generation_id": generation_id}, "video", _known(info.seconds), info.width, info.height)


async def _completed_generation(generation_id: str, name: str, api: LumaApi | None) -> Generation:
    if api is None:
        raise RefError(f"{name}: looking up a generation needs the Luma API; set LUMA_AGENTS_API_KEY or use --sandbox")
    try:
        generation = await api.get(generation_id)
    except NotFound:
        raise RefError(f"{name}: generation '{generation_id}' was not found for this API key") from None
    except ProviderError as exc:
        raise RefError(f"{name}: could not look up generation '{generation_id}': {exc}") from None
    if generation.state != "completed":
        raise RefError(
            f"{name}: generation '{generation_id}' is {generation.state}, not completed;"
            " wait for it with get_generation first"
        )
    return generation


def _image_output_url(generation: Generation, name: str) -> WireRef:
    images = [output for output in generation.output or [] if output.type == "image"]
    if not images:
        raise RefError(
            f"{name}: generation '{generation.id}' is {with_article(generation.type)} generation,"
            " but an image is wanted here"
            " (to continue a video, extend it instead)"
        )
    return {"url": images[0].url}


async def _saved_video_info(generation_id: str, ctx: RefContext) -> probe.VideoInfo | None:
    """The length and size of the copy saved on disk, if there is one (the API does not say)."""
    saved = await ctx.saved_path_of(generation_id) if ctx.saved_path_of is not None else None
    if saved is None:
        return None
    return await anyio.to_thread.run_sync(probe.video_info, saved)


# --- path -------------------------------------------------------------------------------------------


async def _from_path(raw: str, want: Want, name: str, ctx: RefContext, source_for: str | None) -> ResolvedRef:
    working_dir = ctx.working_dir or Path.cwd()
    media = await anyio.to_thread.run_sync(inspect_local, raw, want, name, tuple(ctx.allowed_roots), working_dir)
    seconds = _known(media.seconds)
    too_long = check_source_duration(source_for, seconds) if source_for and seconds else None
    if too_long is not None:
        raise RefError(f"{name}: {too_long.detail.removeprefix('source: ')}; {too_long.fix.rstrip('.')}")
    if media.inline is not None:
        wire: WireRef = {"data": base64.b64encode(media.inline).decode("ascii"), "media_type": media.media_type}
    else:
        wire = {"file_id": await _upload(media, media.media_type, name, ctx, shown(raw))}
    return ResolvedRef(wire, want, seconds, media.width, media.height)  # the kind was checked to be `want`


async def _upload(
    media: LocalMedia | InMemory, media_type: str, name: str, ctx: RefContext, what: str = "the data: URI's video"
) -> str:
    if ctx.dry_run:
        return DRY_RUN_FILE_ID
    if ctx.api is None:
        raise RefError(f"{name}: sending a local file needs the Luma API; set LUMA_AGENTS_API_KEY or use --sandbox")
    try:
        from .files import upload_file

        return await upload_file(
            ctx.api,
            ctx.http,
            media,  # streamed from the descriptor that passed the checks, not re-opened by path
            media_type,
            poll_interval=ctx.upload_poll_interval,
            timeout=ctx.upload_timeout,
        )
    except ProviderError as exc:
        raise RefError(f"{name}: uploading {what} to Luma failed: {exc}") from None
