"""MediaRef -> the API's ImageRef: what a reference given by an agent becomes on the wire.

A `url` goes as is; a `data:` URI is split into base64 `data` + `media_type` (the API takes no data
URIs); an image generation id becomes its output's fresh URL, since at an image position the API
reads a generation id as a video to extend.
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from typing import Protocol

from ..api.client import LumaApi
from ..api.errors import LumaApiError, NotFound
from ..api.requests import WireRef
from .sniff import SNIFF_BYTES, sniff_kind


class RefError(ValueError):
    """A reference that cannot be used; the message says why and what to give instead."""


class RefLike(Protocol):
    @property
    def generation_id(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def path(self) -> str | None: ...


def url_ref(url: str) -> WireRef:
    """A URL or data: URI at an image position, checked without fetching anything."""
    if url.startswith("data:"):
        return _data_uri(url)
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise RefError("url must be an http(s) URL Luma can fetch, or a data: URI")
    return {"url": url}


def _data_uri(uri: str) -> WireRef:
    header, comma, payload = uri[len("data:") :].partition(",")
    if not comma:
        raise RefError("data: URI has no ',' before its payload")
    parts = header.split(";")
    media_type = parts[0] or "text/plain"
    if not media_type.startswith("image/"):
        raise RefError(f"data: URI holds {media_type}, but an image is wanted here")
    if "base64" in parts[1:]:
        try:
            raw = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise RefError("data: URI payload is not valid base64") from None
    else:
        raw = urllib.parse.unquote_to_bytes(payload)
    if sniff_kind(raw[:SNIFF_BYTES]) != "image":
        raise RefError(f"data: URI claims {media_type}, but its bytes are not an image (PNG, JPEG, GIF, WebP)")
    return {"data": base64.b64encode(raw).decode("ascii"), "media_type": media_type}


async def image_ref(ref: RefLike, api: LumaApi | None) -> WireRef:
    """The wire form of `ref` at an image position (start/end frame, keyframe)."""
    if ref.url is not None:
        return url_ref(ref.url)
    if ref.generation_id is not None:
        return await _image_generation_url(ref.generation_id, api)
    raise RefError(
        "path: local files are not accepted by this version yet; give the image as an http(s) url or a data: URI"
    )


async def _image_generation_url(generation_id: str, api: LumaApi | None) -> WireRef:
    if api is None:
        raise RefError("generation_id needs the Luma API; set LUMA_AGENTS_API_KEY or use --sandbox")
    try:
        generation = await api.get(generation_id)
    except NotFound:
        raise RefError(f"generation '{generation_id}' was not found for this API key") from None
    except LumaApiError as exc:
        raise RefError(f"could not look up generation '{generation_id}': {exc}") from None
    if generation.state != "completed":
        raise RefError(f"generation '{generation_id}' is {generation.state}, not completed; wait for it first")
    images = [output for output in generation.output or [] if output.type == "image"]
    if not images:
        raise RefError(
            f"generation '{generation_id}' is a {generation.type}, but an image is wanted here"
            " (to continue a video, extend it instead)"
        )
    return {"url": images[0].url}
