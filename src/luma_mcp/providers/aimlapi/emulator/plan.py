"""What an accepted create becomes: its anchors, its output shape, its price, its schedule, its fate,
and the scene its video shows (the prompt, the keyframe images, the clips it extends: see
`luma_mcp.emulator.scene`).

Prompt markers, for tests and demos (they only steer the emulator):
- `__fail`: the job ends `error` after its normal run;
- `__moderate`: the job ends `error` straight from `queued` (the content filter caught the prompt);
- `__stall`: the job stays `generating` until `stall_seconds` after its create, then completes.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from luma_mcp.emulator import sources
from luma_mcp.emulator.media import FPS, Anchor, MediaSpec, Picture, Scene, rescale_short_side, video_size

from ..rules import DEFAULT_ASPECT_RATIO, DEFAULT_DURATION, DEFAULT_RESOLUTION, FRAME_KEYS, MODELS, SHORT_SIDE
from .catalog import canonical_price
from .config import AimlEmulatorConfig, Switches
from .responses import invalid
from .store import Failure, Job, Store

GENERATION_FAILED = "Generation failed"
MODERATED = "Prompt was rejected by the content filter"
PUBLIC_NAMES: dict[str, str] = {wire: public for public, wire in MODELS.items()}
# "Nearly twice as fast" (spec 3): flash runs on half of every configured phase.
SPEED: dict[str, float] = {"luma/ray-2": 1.0, "luma/ray-flash-2": 0.5}
_MARKERS = re.compile(r"__(?:fail|moderate|stall)")


@dataclass(frozen=True, slots=True)
class Anchors:
    jobs: list[Job]
    not_ready: str | None = None  # the first anchor id that was not completed (switch `fail_later`)


def resolve_anchors(body: Mapping[str, Any], store: Store, switches: Switches) -> Anchors:
    """The generations an extend names, in both id forms as the switches allow (spec 12.3)."""
    keyframes: Mapping[str, Any] = body.get("keyframes") or {}
    jobs: list[Job] = []
    not_ready: str | None = None
    for key in FRAME_KEYS:
        frame = keyframes.get(key)
        if not isinstance(frame, Mapping) or frame.get("type") != "generation":
            continue
        anchor_id = str(frame["id"])
        job = store.anchor(anchor_id, switches.anchor_id_form)
        if job is None:
            raise invalid(f"Unknown generation id '{anchor_id}'")
        if job.status(store.now()) != "completed":
            if switches.anchor_not_ready == "reject":
                raise invalid(f"Generation '{anchor_id}' is not completed")
            not_ready = not_ready or anchor_id
        jobs.append(job)
    return Anchors(jobs, not_ready)


def build_job(
    body: Mapping[str, Any],
    anchors: Anchors,
    config: AimlEmulatorConfig,
    now: float,
    *,
    client_request_id: str | None,
) -> Job:
    model = str(body["model"])
    duration = int(body.get("duration") or DEFAULT_DURATION)  # a numeric string passed the lenient rules
    resolution = str(body.get("resolution") or DEFAULT_RESOLUTION)
    width, height = _frame_size(body, anchors, SHORT_SIDE[resolution])
    dimensions = {**body, "resolution": resolution, "duration": duration}
    speed = SPEED.get(model, 1.0)
    queued_until = now + config.queued_seconds * speed
    job_uuid = str(uuid.uuid4())
    job = Job(
        id=f"{job_uuid}:{model}",
        uuid=job_uuid,
        model=model,
        created=now,
        queued_until=queued_until,
        done_at=queued_until + config.generating_seconds * speed,
        width=width,
        height=height,
        seconds=sum(anchor.seconds for anchor in anchors.jobs) + duration,
        price=canonical_price(config.pricing, PUBLIC_NAMES[model], dimensions),
        request_id=str(uuid.uuid4()),
        client_request_id=client_request_id,
    )
    _apply_fate(job, str(body.get("prompt") or ""), anchors, config)
    return job


def _frame_size(body: Mapping[str, Any], anchors: Anchors, short_side: int) -> tuple[int, int]:
    """An extend keeps its anchor's shape; everything else follows `aspect_ratio`, image keyframes included."""
    if anchors.jobs:
        first = anchors.jobs[0]
        return rescale_short_side(first.width, first.height, short_side)
    return video_size(short_side, str(body.get("aspect_ratio") or DEFAULT_ASPECT_RATIO))


def _apply_fate(job: Job, prompt: str, anchors: Anchors, config: AimlEmulatorConfig) -> None:
    if anchors.not_ready is not None:
        job.failure = Failure("anchor_not_ready", f"Generation '{anchors.not_ready}' is not completed")
        job.done_at = job.queued_until
    elif "__moderate" in prompt:
        job.failure = Failure("content_filter", MODERATED)
        job.done_at = job.queued_until
    elif "__fail" in prompt:
        job.failure = Failure("generation_error", GENERATION_FAILED)
    elif "__stall" in prompt:
        job.done_at = max(job.done_at, job.created + config.stall_seconds)


def plan_media(body: Mapping[str, Any], anchors: Anchors, job: Job, spec_of: Callable[[Job], MediaSpec]) -> MediaSpec:
    """The job's video: its shape (`job.spec`) showing the request; `spec_of` gives an anchor job's video."""
    keyframes: Mapping[str, Any] = body.get("keyframes") or {}
    new_frames = round(int(body.get("duration") or DEFAULT_DURATION) * FPS)
    anchor_jobs = iter(anchors.jobs)
    clips: dict[str, Picture] = {}
    pinned: list[Anchor] = []
    for key in FRAME_KEYS:
        frame = keyframes.get(key)
        if not isinstance(frame, Mapping):
            continue
        if frame.get("type") == "generation":
            anchor = next(anchor_jobs, None)
            if anchor is not None:
                clips[key] = Picture("video", spec=spec_of(anchor))
        elif frame.get("type") == "image":
            at = 0 if key == "frame0" else new_frames - 1
            pinned.append(Anchor(at, sources.picture_from_url(str(frame.get("url") or ""), "image")))
    model = PUBLIC_NAMES.get(job.model, job.model)
    prompt = " ".join(_MARKERS.sub(" ", str(body.get("prompt") or "")).split())
    loop = body.get("loop") is True
    if clips:
        direction = "forward" if "frame0" in clips else "backward"
        title = f"extend_video / {model} / {direction}"
        scene = Scene("extend", title, prompt, tuple(pinned), clips.get("frame0"), clips.get("frame1"), loop=loop)
    else:
        scene = Scene("generate", f"generate_video / {model}", prompt, tuple(pinned), loop=loop)
    return dataclasses.replace(job.spec, scene=scene)
