"""What an accepted request will produce: its schedule, its fate (prompt directives) and its outputs.

Prompt directives, for tests and demos (they only steer the emulator, never appear in outputs):
- `__fail:<failure_code>`: the job ends `failed` with that code and its documented failure_reason;
- `__moderate`: the job fails `content_moderated` straight from `queued` (moderation caught it early);
- `__slow:<seconds>`: this job's processing time.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from luma_mcp.emulator.media import MediaFormat, MediaSpec, even, image_size, rescale_short_side, video_size
from luma_mcp.providers.luma.rules.vocabulary import (
    DEFAULT_RESOLUTION,
    DURATION_SECONDS,
    FAILURE_CODES,
    FAILURE_REASONS,
    FPS,
    RESOLUTION_SHORT_SIDE,
)

from .checks import ApiError, MediaInfo
from .config import EmulatorConfig
from .store import Generation, Output

_FAIL = re.compile(r"__fail:([A-Za-z_]*)")
_SLOW = re.compile(r"__slow:(\d+(?:\.\d+)?)")
IMAGE_LONG_SIDE = 2048
LAYERING_LONG_SIDE = {"1k": 1024, "2k": 2048}
EXTEND_SECONDS = 5.0
# Layering answers front-to-back; the last layer is the opaque background (variant 0).
_LAYERS = (
    ({"label": "subject", "description": "The main subject, cut out", "alpha_hint": "soft"}, 1),
    ({"label": "prop", "description": "A secondary object before the background", "alpha_hint": "hard"}, 2),
    ({"label": "background", "description": "The scene behind everything else", "alpha_hint": "none"}, 0),
)


@dataclass(frozen=True, slots=True)
class Fate:
    failure_code: str | None
    processing_seconds: float
    skip_processing: bool = False


def read_directives(prompt: Any, gen_type: str, config: EmulatorConfig) -> Fate:
    text = prompt if isinstance(prompt, str) else ""
    slow = _SLOW.search(text)
    processing = float(slow.group(1)) if slow else config.processing_for(gen_type)
    if "__moderate" in text:
        return Fate("content_moderated", 0.0, skip_processing=True)
    fail = _FAIL.search(text)
    if fail is None:
        return Fate(None, processing)
    if fail.group(1) not in FAILURE_CODES:
        codes = ", ".join(FAILURE_CODES)
        raise ApiError(400, f"prompt: unknown __fail code '{fail.group(1)}'; use one of {codes}")
    return Fate(fail.group(1), processing)


@dataclass(frozen=True, slots=True)
class Shape:
    outputs: list[Output]
    width: int
    height: int
    seconds: float | None = None


def build_generation(
    key: str, body: Mapping[str, Any], refs: Mapping[str, MediaInfo], config: EmulatorConfig, now: float
) -> Generation:
    gen_type = str(body.get("type") or "image")
    fate = read_directives(body.get("prompt"), gen_type, config)
    shape = plan_outputs(body, refs)
    queued_until = now + config.queued_seconds
    return Generation(
        id=str(uuid.uuid4()),
        key=key,
        type=gen_type,
        model=str(body.get("model") or "uni-1"),
        created=now,
        queued_until=queued_until,
        done_at=queued_until + (0.0 if fate.skip_processing else fate.processing_seconds),
        outputs=shape.outputs,
        failure_code=fate.failure_code,
        failure_reason=FAILURE_REASONS.get(fate.failure_code) if fate.failure_code else None,
        width=shape.width,
        height=shape.height,
        seconds=shape.seconds,
    )


def plan_outputs(body: Mapping[str, Any], refs: Mapping[str, MediaInfo]) -> Shape:
    gen_type = body.get("type") or "image"
    if gen_type in ("video", "video_edit", "video_reframe"):
        return _plan_video(body, refs)
    if gen_type == "layering":
        return _plan_layering(body, refs.get("source"))
    fmt: MediaFormat = "jpeg" if body.get("output_format") == "jpeg" else "png"
    if gen_type == "image_edit":
        width, height = _still_size(refs.get("source"), IMAGE_LONG_SIDE)
    else:
        width, height = image_size(IMAGE_LONG_SIDE, str(body.get("aspect_ratio") or "1:1"))
    return Shape([Output("image", MediaSpec("image", width, height, 1, fmt))], width, height)


def _plan_video(body: Mapping[str, Any], refs: Mapping[str, MediaInfo]) -> Shape:
    video: Mapping[str, Any] = body.get("video") or {}
    short_side = RESOLUTION_SHORT_SIDE.get(str(video.get("resolution") or DEFAULT_RESOLUTION), 720)
    gen_type = body.get("type")
    anchor = _extend_anchor(video, refs)
    source = refs.get("source")
    if gen_type == "video" and anchor is not None:
        width, height = _follow(anchor, short_side)
        seconds = (anchor.seconds or 5.0) + EXTEND_SECONDS
    elif gen_type == "video_edit":
        width, height = _follow(source, short_side)
        seconds = source.seconds if source and source.seconds else 5.0
    else:
        width, height = video_size(short_side, str(body.get("aspect_ratio") or "16:9"))
        seconds = float(DURATION_SECONDS.get(str(video.get("duration") or "5s"), 5))
        if gen_type == "video_reframe":
            seconds = source.seconds if source and source.seconds else 5.0
    frames = max(1, round(seconds * FPS))
    outputs = [Output("video", MediaSpec("video", width, height, frames, "mp4"))]
    if video.get("exr_export"):
        outputs.append(Output("exr", MediaSpec("exr", width, height, 1, "exr")))
    return Shape(outputs, width, height, frames / FPS)


def _extend_anchor(video: Mapping[str, Any], refs: Mapping[str, MediaInfo]) -> MediaInfo | None:
    for name in ("start_frame", "end_frame"):
        info = refs.get(f"video.{name}")
        if info is not None and info.kind == "video":
            return info
    return None


def _follow(source: MediaInfo | None, short_side: int) -> tuple[int, int]:
    """A source's aspect at the requested resolution; 16:9 when the source's size is unknown."""
    if source is None or not source.width or not source.height:
        return video_size(short_side, "16:9")
    return rescale_short_side(source.width, source.height, short_side)


def _still_size(source: MediaInfo | None, long_side: int) -> tuple[int, int]:
    if source is None or not source.width or not source.height:
        return long_side, long_side
    scale = long_side / max(source.width, source.height)
    return even(source.width * scale), even(source.height * scale)


def _plan_layering(body: Mapping[str, Any], source: MediaInfo | None) -> Shape:
    options: Mapping[str, Any] = body.get("layering") or {}
    long_side = LAYERING_LONG_SIDE.get(str(options.get("resolution") or "1k"), 1024)
    width, height = _still_size(source, long_side)
    outputs = [
        Output("image", MediaSpec("image", width, height, 1, "rgba_png", variant), {"index": index, **layer})
        for index, (layer, variant) in enumerate(_LAYERS)
    ]
    return Shape(outputs, width, height)
