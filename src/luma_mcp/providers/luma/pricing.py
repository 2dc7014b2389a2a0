"""Price estimates in USD from the spec's tables (section 10): shown before anything is bought.

They are estimates: Luma bills in credits and publishes no price API. Where the spec has no figure
(HDR edits, 360p extends) we say so rather than guess low. Likewise a source of unknown length (a URL,
a generation id without a saved copy) is priced at the longest the API takes for its type: the
estimate is what the caps, the budget and the user's confirmation are judged on, and it must never
come out lower than the bill.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .rules.vocabulary import SOURCE_MAX_SECONDS

_VIDEO_SDR = {
    ("360p", "5s"): 0.06,
    ("540p", "5s"): 0.15,
    ("720p", "5s"): 0.30,
    ("1080p", "5s"): 1.20,
    ("360p", "10s"): 0.18,
    ("540p", "10s"): 0.45,
    ("720p", "10s"): 0.90,
    ("1080p", "10s"): 3.60,
}
_VIDEO_HDR = {"720p": 0.60, "1080p": 2.40}
_VIDEO_HDR_EXR = {"720p": 0.90, "1080p": 3.60}
_EXTEND = {"540p": 0.15, "720p": 0.30, "1080p": 1.20}
# Edits are quoted per 5 s of source; reframes per source second.
_EDIT_PER_5S = {"360p": 0.54, "540p": 0.72, "720p": 1.08, "1080p": 2.16}
_REFRAME_PER_SECOND = {"540p": 0.06, "720p": 0.12, "1080p": 0.36}
_IMAGE = {"uni-1": 0.0404, "uni-1-max": 0.1000}
_IMAGE_WITH_REFS = {"uni-1": 0.0434, "uni-1-max": 0.1030}
_EXTRA_REF = 0.0030


def estimate_cost(body: Mapping[str, Any], source_seconds: float | None = None) -> float | None:
    """The estimated price of `body`, or None where the spec publishes none.

    `source_seconds` is the measured length of an edit or reframe source; None (or 0, a length nothing
    measured) prices the longest source the API takes for that type.
    """
    gen_type = body.get("type") or "image"
    video: Mapping[str, Any] = body.get("video") or {}
    resolution = video.get("resolution") or "720p"
    if gen_type == "video":
        return _video_price(video, resolution)
    if gen_type == "video_edit":
        rate = None if video.get("hdr") else _EDIT_PER_5S.get(resolution)
        if rate is None:
            return None
        return round(rate * math.ceil(_billed_seconds(gen_type, source_seconds) / 5), 4)
    if gen_type == "video_reframe":
        per_second = _REFRAME_PER_SECOND.get(resolution)
        if per_second is None:
            return None
        return round(per_second * math.ceil(_billed_seconds(gen_type, source_seconds)), 4)
    return _image_price(body)


def _billed_seconds(gen_type: str, source_seconds: float | None) -> float:
    if not source_seconds or source_seconds <= 0:
        return SOURCE_MAX_SECONDS[gen_type]
    return round(source_seconds, 2)  # a container's millisecond rounding must not bill a whole extra step


def _video_price(video: Mapping[str, Any], resolution: str) -> float | None:
    if _is_extend(video):
        return _EXTEND.get(resolution)
    if video.get("hdr"):
        table = _VIDEO_HDR_EXR if video.get("exr_export") else _VIDEO_HDR
        return table.get(resolution)
    return _VIDEO_SDR.get((resolution, video.get("duration") or "5s"))


def _is_extend(video: Mapping[str, Any]) -> bool:
    return any(
        isinstance(video.get(name), Mapping) and video[name].get("generation_id")
        for name in ("start_frame", "end_frame")
    )


def _image_price(body: Mapping[str, Any]) -> float | None:
    model = body.get("model") or "uni-1"
    refs = len(body.get("image_ref") or []) + (1 if body.get("type") == "image_edit" else 0)
    if model not in _IMAGE:
        return None
    if refs == 0:
        return _IMAGE[model]
    return round(_IMAGE_WITH_REFS[model] + _EXTRA_REF * (refs - 1), 4)
