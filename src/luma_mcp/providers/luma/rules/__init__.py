"""The Luma Agents API's documented request rules (spec section 5), in one place.

`check_generation` reads a POST /generations body exactly as it goes on the wire and lists every rule
it breaks. The MCP tools run it before sending anything (`strict=True` also refuses fields the API
would silently ignore, so an agent never pays for a request that does not mean what it asked); the
emulator runs it on what it receives (`strict=False`) and answers the first violation.
Rules that need state (does a generation id exist, how long is a source video) are checked by the
party that has that state, with `check_source_duration` shared for the length limits.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import vocabulary
from .common import Body, Violation, check_general, check_unknown_fields
from .image import check_image, check_image_edit, check_layering
from .video import check_source_duration, check_video, check_video_edit, check_video_reframe
from .vocabulary import *  # noqa: F403  (re-exported: the vocabulary is part of this module's surface)

__all__ = ["Violation", "check_generation", "check_source_duration"]
__all__ += vocabulary.__all__

TOP_LEVEL_FIELDS = (
    "prompt",
    "model",
    "type",
    "aspect_ratio",
    "image_ref",
    "source",
    "style",
    "output_format",
    "web_search",
    "user_id",
    "video",
    "layering",
)
VIDEO_FIELDS = (
    "resolution",
    "duration",
    "loop",
    "hdr",
    "exr_export",
    "start_frame",
    "end_frame",
    "keyframes",
    "keyframe_indexes",
    "source_position",
    "edit",
)


def check_generation(body: Body, *, strict: bool) -> list[Violation]:
    """Every documented rule `body` breaks, most basic first; empty when the API should accept it."""
    general = list(check_general(body, strict=strict))
    if any(violation.rule in ("G2", "G3", "G4", "M6") for violation in general):
        return general  # the per-type rules would only add noise for a request of the wrong kind
    return general + list(_check_by_type(body, strict=strict))


def _check_by_type(body: Body, *, strict: bool) -> Iterator[Violation]:
    if strict:
        yield from check_unknown_fields(body, TOP_LEVEL_FIELDS)
        video = body.get("video")
        if isinstance(video, dict):
            yield from check_unknown_fields(video, VIDEO_FIELDS, "video.")
    gen_type = body.get("type") or "image"
    if gen_type == "video":
        yield from check_video(body)
    elif gen_type == "video_edit":
        yield from check_video_edit(body, strict=strict)
    elif gen_type == "video_reframe":
        yield from check_video_reframe(body, strict=strict)
    elif gen_type == "image":
        yield from check_image(body)
    elif gen_type == "image_edit":
        yield from check_image_edit(body, strict=strict)
    else:
        yield from check_layering(body)
