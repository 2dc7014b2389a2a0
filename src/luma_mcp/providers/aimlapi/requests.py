"""Tool arguments -> `POST /v2/video/generations` bodies for ray-2 / ray-flash-2 (spec 3.3). Pure functions.

Bodies carry what the caller chose plus the settings that decide the price (`resolution`, `duration`),
so the price we quote is the price of the request we send; nothing else is sent as JSON `null`.
Images arrive already as URLs (http(s) or `data:`); an extend's anchor as the API's own id.
"""

from __future__ import annotations

from typing import Any, Literal

from .rules import MODELS

Body = dict[str, Any]
Direction = Literal["forward", "backward"]


def video_body(
    *,
    model: str,
    prompt: str,
    resolution: str,
    duration: int,
    aspect_ratio: str | None = None,
    loop: bool = False,
    first_frame: str | None = None,
    last_frame: str | None = None,
) -> Body:
    body: Body = {"model": MODELS.get(model, model), "prompt": prompt, "resolution": resolution, "duration": duration}
    if aspect_ratio is not None:
        body["aspect_ratio"] = aspect_ratio
    if loop:
        body["loop"] = True
    frames = {
        key: {"type": "image", "url": url}
        for key, url in (("frame0", first_frame), ("frame1", last_frame))
        if url is not None
    }
    if frames:
        body["keyframes"] = frames
    return body


def extend_body(
    *,
    model: str,
    prompt: str,
    anchor_id: str,
    direction: Direction,
    resolution: str,
    duration: int = 5,
    loop: bool = False,
) -> Body:
    """Forward puts the anchor at frame0 (append), backward at frame1 (prepend); no aspect ratio (A14, A17)."""
    frame = "frame0" if direction == "forward" else "frame1"
    body: Body = {"model": MODELS.get(model, model), "prompt": prompt, "resolution": resolution, "duration": duration}
    if loop:
        body["loop"] = True
    body["keyframes"] = {frame: {"type": "generation", "id": anchor_id}}
    return body
