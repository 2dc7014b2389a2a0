"""Tool arguments -> POST /generations bodies. Pure functions: no I/O, easy to test exhaustively.

Bodies carry only what the caller chose plus the settings the API would otherwise pick for us:
`model` and `type` always (the API defaults to an image model), resolution and duration always (so
the price we quote is the price of the request we send). Media arrive already turned into wire
references (`{"url": ...}`, `{"data": ..., "media_type": ...}`, `{"generation_id": ...}`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

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


def elide_inline_data(body: Mapping[str, Any]) -> Body:
    """A copy of `body` fit to show or store: inline base64 replaced by a note of its size."""
    copied: Body = copy.deepcopy(dict(body))
    _elide(copied)
    return copied


def _elide(node: Any) -> None:
    if isinstance(node, dict):
        data = node.get("data")
        if isinstance(data, str):
            node["data"] = f"<{len(data) * 3 // 4 - data[-2:].count('=')} bytes of base64 elided>"
        for value in node.values():
            _elide(value)
    elif isinstance(node, list):
        for item in node:
            _elide(item)
