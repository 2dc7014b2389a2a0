"""How long Luma jobs typically take: paces polling and scales the progress bar (never a deadline)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_RESOLUTION_FACTOR = {"360p": 0.5, "540p": 0.7, "720p": 1.0, "1080p": 2.0}


def expected_seconds(body: Mapping[str, Any]) -> float:
    """A rough typical run time, used to pace polling and to scale the progress bar."""
    gen_type = body.get("type") or "image"
    if gen_type in ("image", "image_edit", "layering"):
        return 15.0
    video: Mapping[str, Any] = body.get("video") or {}
    base = 180.0 if gen_type in ("video_edit", "video_reframe") else 75.0
    base *= _RESOLUTION_FACTOR.get(video.get("resolution") or "720p", 1.0)
    if video.get("duration") == "10s":
        base *= 2
    return base * (2 if video.get("hdr") else 1)
