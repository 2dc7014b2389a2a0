"""MediaRef -> what Hedra takes, in two steps so that nothing leaves the machine before the money checks.

`stage_image` / `stage_audio` check a reference and bring it here: a public image URL is kept as a URL
(sent as `start_keyframe_url`, no upload); a local file is confined, sniffed and measured where it is;
a `data:` URI, an audio URL (Hedra takes no audio URL) or an image generation's output is fetched into
`scratch`, within the size limits, and checked the same way. `upload` then sends a staged file as an
asset, after the caller has priced the request and had it confirmed: a file of the user's is first copied
into `scratch` from a descriptor that is still the file that passed the checks, so a link or another file
swapped in since is refused, never sent (the scratch folder is the caller's private temporary folder).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

import anyio
import anyio.to_thread

from ...media.download import DownloadFailed, UrlExpired, save_url
from ...media.local import MAX_BYTES, LocalMedia, RefError, RefLike, decode_data_uri, inspect_local, open_checked
from ...media.wording import with_article
from ..base import Generation
from ..errors import InvalidRequest, ProviderError
from .rules import URL_MAX_CHARS, slot_limits

if TYPE_CHECKING:
    import httpx

    from .client import HedraApi

Kind = Literal["image", "audio"]
Lookup = Callable[[str], Awaitable[Generation]]
_NOT_IMAGES = (".mp4", ".mov", ".webm", ".m4v", ".mkv", ".avi", ".mp3", ".wav", ".m4a", ".ogg", ".aac", ".flac")


@dataclass(frozen=True)
class Staged:
    """A checked input: a URL Hedra fetches itself, or a file here to upload (`seconds`: audio length)."""

    kind: Kind
    url: str | None = None
    path: Path | None = None
    media_type: str | None = None
    seconds: float | None = None
    size: int = 0
    checked: LocalMedia | None = None  # a file of the user's: copied into `scratch` when uploaded
    scratch: Path | None = None


@dataclass(frozen=True)
class Where:
    """What staging may read and where it may write: the allowed folders, a scratch folder, a download client."""

    roots: Sequence[Path]
    scratch: Path
    http: httpx.AsyncClient
    lookup: Lookup
    model: Mapping[str, Any] | None


async def stage_image(ref: RefLike, field: str, where: Where) -> Staged:
    limits = slot_limits(where.model, "start_frame")
    if ref.url is not None and not ref.url.startswith("data:"):
        return Staged("image", url=_public_image_url(ref.url, f"{field}.url"))
    if ref.generation_id is not None:
        url = await _image_of_generation(ref.generation_id, f"{field}.generation_id", where.lookup)
        return await _checked(
            await _fetch(url, "image", f"{field}.generation_id", where, limits), "image", field, where
        )
    return await _local_or_inline(ref, "image", field, where, limits)


async def stage_audio(ref: RefLike, field: str, where: Where) -> Staged:
    limits = slot_limits(where.model, "audio_input")
    if ref.generation_id is not None:
        raise RefError(f"{field}.generation_id: no generation holds speech on its own; give an audio file or URL")
    if ref.url is not None and not ref.url.startswith("data:"):
        name = f"{field}.url"
        _http_url(ref.url, name)
        staged = await _checked(await _fetch(ref.url, "audio", name, where, limits), "audio", field, where)
    else:
        staged = await _local_or_inline(ref, "audio", field, where, limits)
    _check_length(staged.seconds, f"{field}", limits)
    return staged


async def upload(api: HedraApi, staged: Staged) -> str:
    """The asset id of the staged file, uploaded now (free; never before the money checks). Raises
    `InvalidRequest` when a file of the user's changed after its checks (nothing was sent)."""
    assert staged.path is not None and staged.media_type is not None, "only staged files are uploaded"
    path = staged.path
    if staged.checked is not None and staged.scratch is not None:
        try:
            path = await anyio.to_thread.run_sync(_copy_checked, staged.checked, staged.scratch)
        except RefError as exc:
            raise InvalidRequest(str(exc)) from None
    return await api.upload_asset(path, staged.kind, staged.media_type, str(uuid.uuid4()))


def _copy_checked(media: LocalMedia, scratch: Path) -> Path:
    """A private copy of what passed the checks, under the file's own name (Hedra shows it)."""
    folder = scratch / f"upload-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    copy = folder / media.path.name
    with open_checked(media) as source, copy.open("xb") as sink:
        shutil.copyfileobj(source, sink)
    return copy


async def _local_or_inline(ref: RefLike, kind: Kind, field: str, where: Where, limits: Mapping[str, int]) -> Staged:
    if ref.path is not None:
        staged = await _checked(ref.path, kind, f"{field}.path", where, roots=where.roots)
    else:
        assert ref.url is not None
        written = await _write_data_uri(ref.url, f"{field}.url", where, kind, limits)
        staged = await _checked(written, kind, f"{field}.url", where)
    _check_size(staged, f"{field}", limits)
    return staged


async def _checked(raw: str | Path, kind: Kind, name: str, where: Where, roots: Sequence[Path] | None = None) -> Staged:
    allowed = tuple(roots if roots is not None else (where.scratch,))
    media = await anyio.to_thread.run_sync(inspect_local, str(raw), kind, name, allowed, Path.cwd())
    theirs = roots is not None  # the user's file, not one this call wrote into its scratch folder
    return Staged(
        kind,
        path=media.path,
        media_type=media.media_type,
        seconds=media.seconds,
        size=media.size,
        checked=media if theirs else None,
        scratch=where.scratch if theirs else None,
    )


async def _write_data_uri(uri: str, name: str, where: Where, kind: Kind, limits: Mapping[str, int]) -> Path:
    most = limits.get("max_file_size_bytes") or MAX_BYTES[kind]
    _, data = decode_data_uri(uri, name, most)  # refused by its size before it is decoded
    path = where.scratch / f"inline-{uuid.uuid4().hex[:8]}"
    await anyio.Path(path).write_bytes(data)
    return path


async def _fetch(url: str, kind: Kind, name: str, where: Where, limits: Mapping[str, int]) -> Path:
    destination = where.scratch / f"fetched-{kind}-{uuid.uuid4().hex[:8]}"
    try:
        await save_url(where.http, url, destination, max_bytes=limits.get("max_file_size_bytes"))
    except (DownloadFailed, UrlExpired) as exc:
        raise RefError(f"{name}: could not fetch it ({exc}); give a local file instead") from None
    return destination


def _public_image_url(url: str, name: str) -> str:
    _http_url(url, name)
    if PurePosixPath(unquote(urlsplit(url).path)).suffix.lower() in _NOT_IMAGES:
        raise RefError(f"{name}: the URL is not an image (a face photo is wanted here: PNG, JPEG or WebP)")
    return url


def _http_url(url: str, name: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RefError(f"{name}: give a public http(s) URL, a data: URI, or a local path")
    if len(url) > URL_MAX_CHARS:
        raise RefError(f"{name}: the URL is {len(url)} characters, over {URL_MAX_CHARS}; use a shorter one")


async def _image_of_generation(generation_id: str, name: str, lookup: Lookup) -> str:
    try:
        generation = await lookup(generation_id)
    except ProviderError as exc:
        raise RefError(f"{name}: could not look up generation '{generation_id}': {exc}") from None
    images = [output.url for output in generation.outputs if output.type == "image"]
    if generation.state != "completed" or not images:
        what = generation.state if generation.state != "completed" else f"{with_article(generation.type)} generation"
        raise RefError(f"{name}: generation '{generation_id}' is {what}; a completed image generation is wanted")
    return images[0]


def _check_size(staged: Staged, name: str, limits: Mapping[str, int]) -> None:
    most = limits.get("max_file_size_bytes")
    size = staged.size
    if most is not None and size > most:
        raise RefError(f"{name}: the file is {size / 2**20:.1f} MB, over Hedra's {most / 2**20:.0f} MB for it")


def _check_length(seconds: float | None, name: str, limits: Mapping[str, int]) -> None:
    shortest, longest = limits.get("min_duration_ms"), limits.get("max_duration_ms")
    milliseconds = (seconds or 0) * 1000
    if shortest is not None and milliseconds < shortest:
        raise RefError(f"{name}: the speech lasts {milliseconds / 1000:.2f} s, under Hedra's {shortest / 1000:g} s")
    if longest is not None and milliseconds > longest:
        raise RefError(f"{name}: the speech lasts {milliseconds / 1000:.0f} s, over Hedra's {longest / 1000:g} s")
