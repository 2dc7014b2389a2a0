"""Tool arguments -> POST /generations bodies. Pure functions: no I/O, easy to test exhaustively.

Bodies carry only what the caller chose plus the settings the API would otherwise pick for us:
`model` and `type` always (the API defaults to an image model), resolution and duration always (so
the price we quote is the price of the request we send). Media arrive already turned into wire
references (`{"url": ...}`, `{"data": ..., "media_type": ...}`, `{"generation_id": ...}`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..base import elide_inline_data

__all__ = [
    "Body",
    "WireRef",
    "edit_body",
    "elide_inline_data",
    "extend_body",
    "image_body",
    "reframe_body",
    "video_body",
]

WireRef = dict[str, str]
Body = dict[str, Any]


def video_body(
    *,
    prompt: str,
    aspect_ratio: str | None = None,
    resolution: str = "720p",
    duration: str = "5s",
    loop: bool = False,
    hdr: bool = False,
    exr_export: bool = False,
    start_frame: WireRef | None = None,
    end_frame: WireRef | None = None,
    keyframes: Sequence[tuple[int, WireRef]] | None = None,
) -> Body:
    video: dict[str, Any] = {"resolution": resolution, "duration": duration}
    for name, flag in (("loop", loop), ("hdr", hdr), ("exr_export", exr_export)):
        if flag:
            video[name] = True
    if start_frame is not None:
        video["start_frame"] = start_frame
    if end_frame is not None:
        video["end_frame"] = end_frame
    if keyframes is not None:
        video["keyframes"] = [ref for _, ref in keyframes]
        video["keyframe_indexes"] = [frame for frame, _ in keyframes]
    body: Body = {"model": "ray-3.2", "type": "video", "prompt": prompt}
    if aspect_ratio is not None:
        body["aspect_ratio"] = aspect_ratio
    body["video"] = video
    return body


def extend_body(
    *, prompt: str, generation_id: str, direction: str = "forward", resolution: str = "720p", loop: bool = False
) -> Body:
    """Extend: the prior video as the single generation_id anchor (start = forward, end = backward)."""
    anchor = "start_frame" if direction == "forward" else "end_frame"
    video: dict[str, Any] = {"resolution": resolution, anchor: {"generation_id": generation_id}}
    if loop:
        video["loop"] = True
    return {"model": "ray-3.2", "type": "video", "prompt": prompt, "video": video}


def edit_body(
    *,
    prompt: str,
    source: WireRef,
    resolution: str = "720p",
    hdr: bool = False,
    exr_export: bool = False,
    start_frame: WireRef | None = None,
    edit: Mapping[str, Any] | None = None,
    guide_frames: Sequence[tuple[int, WireRef]] | None = None,
) -> Body:
    video: dict[str, Any] = {"resolution": resolution}
    for name, flag in (("hdr", hdr), ("exr_export", exr_export)):
        if flag:
            video[name] = True
    if start_frame is not None:
        video["start_frame"] = start_frame
    options = dict(edit or {})
    if guide_frames is not None:
        options["keyframes"] = [ref for _, ref in guide_frames]
        options["keyframe_indexes"] = [frame for frame, _ in guide_frames]
    if options:
        video["edit"] = options
    return {"model": "ray-3.2", "type": "video_edit", "prompt": prompt, "source": source, "video": video}


def reframe_body(
    *,
    prompt: str,
    source: WireRef,
    aspect_ratio: str,
    resolution: str = "720p",
    source_position: Mapping[str, float] | None = None,
) -> Body:
    video: dict[str, Any] = {"resolution": resolution}
    if source_position is not None:
        video["source_position"] = dict(source_position)
    return {
        "model": "ray-3.2",
        "type": "video_reframe",
        "prompt": prompt,
        "aspect_ratio": aspect_ratio,
        "source": source,
        "video": video,
    }


def image_body(
    *,
    prompt: str,
    model: str = "uni-1",
    aspect_ratio: str | None = None,
    style: str | None = None,
    output_format: str | None = None,
    image_refs: Sequence[WireRef] = (),
    web_search: bool = False,
) -> Body:
    body: Body = {"model": model, "type": "image", "prompt": prompt}
    optional = {"aspect_ratio": aspect_ratio, "style": style, "output_format": output_format}
    body.update({name: value for name, value in optional.items() if value is not None})
    if image_refs:
        body["image_ref"] = list(image_refs)
    if web_search:
        body["web_search"] = True
    return body


def image_edit_body(
    *,
    prompt: str,
    source: WireRef,
    model: str = "uni-1",
    image_refs: Sequence[WireRef] = (),
    output_format: str | None = None,
) -> Body:
    body: Body = {"model": model, "type": "image_edit", "prompt": prompt, "source": source}
    if image_refs:
        body["image_ref"] = list(image_refs)
    if output_format is not None:
        body["output_format"] = output_format
    return body
