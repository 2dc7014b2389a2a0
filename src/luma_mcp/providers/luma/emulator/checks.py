"""The checks that need state: does each referenced generation or file exist for this key, is it
finished, is it the right kind of media, and how long is a source video (spec 5.2 I5-I14, E3, F4).

URLs are never fetched. Any http(s) URL is taken as fetchable, with these test hooks:
- a path segment `__<status>` (e.g. `https://example.com/__404/cat.png`) fails the fetch with that status;
- a `__duration=<seconds>` query parameter gives a video URL's length (otherwise 5 s, 16:9);
- a video extension at an image position (or an image extension at a video one) is the wrong content-type;
- the emulator's own `/_media/...` URLs are resolved to the generation they belong to (and 403 once expired).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import anyio.to_thread

from luma_mcp.media.probe import VideoInfo
from luma_mcp.media.probe import image_size as probe_image_size
from luma_mcp.media.probe import video_info as probe_video
from luma_mcp.media.sniff import sniff_kind
from luma_mcp.providers.luma.rules import check_source_duration
from luma_mcp.providers.luma.rules.vocabulary import IMAGE_MAX_BYTES, VIDEO_SOURCE_MAX_BYTES

from .store import Generation, Store

Expect = Literal["image", "video", "any"]

_STATUS_HOOK = re.compile(r"/__(\d{3})(?:/|$)")
_VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".mkv", ".m4v", ".avi")
_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")
_MEDIA_PATH = re.compile(r"/_media/([0-9a-f-]{36})/(\d+)/([^/]+)")
_URL_DEFAULT = VideoInfo(1280, 720, 5.0, 120)


class ApiError(Exception):
    """An error answer: `status` with `{"detail": detail}` and optional extra headers."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What a reference turned out to be; sizes and length when known."""

    kind: Literal["image", "video"]
    width: int | None = None
    height: int | None = None
    seconds: float | None = None


def positions(body: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], Expect]]:
    """Every ImageRef in a (null-free) body, with its path and the media kind it must hold."""
    gen_type = body.get("type") or "image"
    video = _mapping(body.get("video"))
    if gen_type in ("image", "image_edit"):
        yield from _listed(body.get("image_ref"), "image_ref", "image")
    if "source" in body and gen_type in ("image_edit", "layering", "video_edit", "video_reframe"):
        expect: Expect = "video" if gen_type.startswith("video_") else "image"
        yield "source", _mapping(body["source"]), expect
    if gen_type == "video":
        for name in ("start_frame", "end_frame"):
            if name in video:
                ref = _mapping(video[name])
                yield f"video.{name}", ref, "video" if "generation_id" in ref else "image"
        for path, ref, _ in _listed(video.get("keyframes"), "video.keyframes", "image"):
            yield path, ref, "any" if "generation_id" in ref else "image"
    if gen_type == "video_edit":
        if "start_frame" in video:
            yield "video.start_frame", _mapping(video["start_frame"]), "image"
        edit = _mapping(video.get("edit"))
        yield from _listed(edit.get("keyframes"), "video.edit.keyframes", "image")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _listed(values: Any, path: str, expect: Expect) -> Iterator[tuple[str, Mapping[str, Any], Expect]]:
    for index, ref in enumerate(values if isinstance(values, list) else []):
        yield f"{path}[{index}]", _mapping(ref), expect


async def resolve_references(store: Store, key: str, body: Mapping[str, Any]) -> dict[str, MediaInfo]:
    """Check every reference in `body` against the store; raise ApiError for the first bad one."""
    resolved = {path: await _resolve(store, key, path, ref, expect) for path, ref, expect in positions(body)}
    gen_type = body.get("type") or "image"
    source = resolved.get("source")
    if source is not None and source.seconds is not None:
        violation = check_source_duration(gen_type, source.seconds)
        if violation is not None:
            raise ApiError(violation.status, violation.detail)
    return resolved


async def _resolve(store: Store, key: str, path: str, ref: Mapping[str, Any], expect: Expect) -> MediaInfo:
    if "generation_id" in ref:
        return _from_generation(store, key, path, str(ref["generation_id"]), expect)
    if "file_id" in ref:
        return await _from_file(store, key, path, str(ref["file_id"]), expect)
    if "data" in ref:
        return await _from_data(path, ref["data"], expect)
    return _from_url(store, path, str(ref.get("url", "")), expect)


def _from_generation(store: Store, key: str, path: str, generation_id: str, expect: Expect) -> MediaInfo:
    generation = store.generation(key, generation_id)
    if generation is None:
        raise ApiError(400, f"{path}: generation '{generation_id}' not found")
    if generation.state(store.now()) != "completed":
        raise ApiError(400, f"{path}: generation '{generation_id}' is not completed")
    if expect != "any" and not generation.has_output(expect):
        raise ApiError(400, f"{path}: generation '{generation_id}' has no {expect} output")
    if expect == "any":
        return generation_media(generation, "video" if generation.has_output("video") else "image")
    return generation_media(generation, expect)


def generation_media(generation: Generation, kind: Literal["image", "video"]) -> MediaInfo:
    seconds = generation.seconds if kind == "video" else None
    return MediaInfo(kind, generation.width, generation.height, seconds)


async def _from_file(store: Store, key: str, path: str, file_id: str, expect: Expect) -> MediaInfo:
    stored = store.file(key, file_id)
    if stored is None:
        raise ApiError(400, f"{path}: file '{file_id}' not found")
    if stored.state != "ready" or stored.path is None:
        raise ApiError(400, f"{path}: file '{file_id}' is not ready")
    with stored.path.open("rb") as handle:
        head = handle.read(64)
    return await _from_bytes(path, head, stored.path, expect, lenient=True)


async def _from_data(path: str, data: Any, expect: Expect) -> MediaInfo:
    try:
        raw = base64.b64decode(str(data), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, f"{path}: invalid base64 data") from None
    if expect == "video" and len(raw) > VIDEO_SOURCE_MAX_BYTES:
        raise ApiError(413, f"{path}: video exceeds {VIDEO_SOURCE_MAX_BYTES // 2**20} MB limit")
    if expect != "video" and len(raw) > IMAGE_MAX_BYTES:
        raise ApiError(413, f"{path}: image exceeds {IMAGE_MAX_BYTES // 2**20} MB limit")
    return await _from_bytes(path, raw[:64], raw, expect, lenient=False)


async def _from_bytes(path: str, head: bytes, media: bytes | Path, expect: Expect, *, lenient: bool) -> MediaInfo:
    """Sniff, then probe: an image where one is wanted, a decodable video where a video is wanted.
    Uploaded files are judged leniently (an undecodable video counts as 5 s 16:9): ingest accepted them."""
    sniffed = sniff_kind(head)
    if expect == "video":
        if sniffed == "image":
            raise ApiError(422, f"{path}: content-type is not a video")
        info = await anyio.to_thread.run_sync(probe_video, media)
        if info is None and not lenient:
            raise ApiError(422, f"{path}: video data could not be decoded")
        info = info or _URL_DEFAULT
        return MediaInfo("video", info.width, info.height, info.seconds)
    if sniffed != "image":
        raise ApiError(422, f"{path}: content-type is not an image")
    if path != "source":
        return MediaInfo("image")
    size = await anyio.to_thread.run_sync(probe_image_size, media)
    return MediaInfo("image", size[0], size[1]) if size else MediaInfo("image")


def _from_url(store: Store, path: str, url: str, expect: Expect) -> MediaInfo:
    parts = urlsplit(url)
    hook = _STATUS_HOOK.search(parts.path)
    if hook:
        raise ApiError(422, f"{path}: failed to fetch URL (HTTP {hook.group(1)})")
    own = _MEDIA_PATH.fullmatch(parts.path)
    if own:
        return _from_own_url(store, path, own, dict(_first(parts.query)), expect)
    lowered = parts.path.lower()
    if expect != "video" and lowered.endswith(_VIDEO_EXTENSIONS):
        raise ApiError(422, f"{path}: content-type is not an image")
    if expect == "video" and lowered.endswith(_IMAGE_EXTENSIONS):
        raise ApiError(422, f"{path}: content-type is not a video")
    if expect == "image" or (expect == "any" and not lowered.endswith(_VIDEO_EXTENSIONS)):
        return MediaInfo("image")
    hint = dict(_first(parts.query)).get("__duration")
    seconds = _float(hint) if hint is not None else _URL_DEFAULT.seconds
    return MediaInfo("video", _URL_DEFAULT.width, _URL_DEFAULT.height, seconds)


def _from_own_url(store: Store, path: str, match: re.Match[str], params: dict[str, str], expect: Expect) -> MediaInfo:
    generation = store.by_id.get(match.group(1))
    index = int(match.group(2))
    if generation is None or index >= len(generation.outputs):
        raise ApiError(422, f"{path}: failed to fetch URL (HTTP 404)")
    resource = f"{generation.id}/{index}/{match.group(3)}"
    if store.signer.verify(resource, params, store.now()) != "ok":
        raise ApiError(422, f"{path}: failed to fetch URL (HTTP 403)")
    kind = generation.outputs[index].type
    if kind != "exr" and expect in ("any", kind):
        return generation_media(generation, kind)
    raise ApiError(422, f"{path}: content-type is not {'a video' if expect == 'video' else 'an image'}")


def _first(query: str) -> Iterator[tuple[str, str]]:
    for name, values in parse_qs(query).items():
        yield name, values[0]


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return _URL_DEFAULT.seconds
