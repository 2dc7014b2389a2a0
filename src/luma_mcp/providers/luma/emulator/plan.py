"""What an accepted request will produce: its schedule, its fate (prompt directives) and its outputs,
with the scene they show (the prompt and tool, the request's images and source clip: see
`luma_mcp.emulator.scene`).

Prompt directives, for tests and demos (they only steer the emulator, never appear in outputs):
- `__fail:<failure_code>`: the job ends `failed` with that code and its documented failure_reason;
- `__moderate`: the job fails `content_moderated` straight from `queued` (moderation caught it early);
- `__slow:<seconds>`: this job's processing time.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from luma_mcp.emulator import sources
from luma_mcp.emulator.media import (
    Anchor,
    MediaFormat,
    MediaSpec,
    Picture,
    Scene,
    even,
    image_size,
    rescale_short_side,
    video_size,
)
from luma_mcp.emulator.scene import centred_fit
from luma_mcp.emulator.spec import Mode, PictureKind
from luma_mcp.providers.luma.rules.vocabulary import (
    DEFAULT_RESOLUTION,
    DURATION_SECONDS,
    EDIT_STRENGTHS,
    FAILURE_CODES,
    FAILURE_REASONS,
    FPS,
    RESOLUTION_SHORT_SIDE,
)

from .checks import ApiError, MediaInfo
from .config import EmulatorConfig
from .store import Generation, Output, Store

_FAIL = re.compile(r"__fail:([A-Za-z_]*)")
_SLOW = re.compile(r"__slow:(\d+(?:\.\d+)?)")
_DIRECTIVE = re.compile(r"__(?:fail:[A-Za-z_]*|slow:\d+(?:\.\d+)?|moderate)")
_OWN_MEDIA = re.compile(r".*/_media/([0-9a-f-]{36})/(\d+)/[^/]+")
_TOOLS = {
    "video": "generate_video",
    "video_edit": "edit_video",
    "video_reframe": "reframe_video",
    "image": "generate_image",
    "image_edit": "edit_image",
    "layering": "layering",
}
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
    key: str,
    body: Mapping[str, Any],
    refs: Mapping[str, MediaInfo],
    config: EmulatorConfig,
    now: float,
    pictures: Pictures | None = None,
) -> Generation:
    """`pictures` finds the request's media for the scene; without it outputs show only the prompt."""
    gen_type = str(body.get("type") or "image")
    fate = read_directives(body.get("prompt"), gen_type, config)
    shape = plan_outputs(body, refs)
    scene = plan_scene(body, pictures or Pictures(None, key), shape, refs.get("source"))
    outputs = [
        dataclasses.replace(output, spec=dataclasses.replace(output.spec, scene=scene))
        if output.type != "exr"
        else output
        for output in shape.outputs
    ]
    queued_until = now + config.queued_seconds
    return Generation(
        id=str(uuid.uuid4()),
        key=key,
        type=gen_type,
        model=str(body.get("model") or "uni-1"),
        created=now,
        queued_until=queued_until,
        done_at=queued_until + (0.0 if fate.skip_processing else fate.processing_seconds),
        outputs=outputs,
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


# --- scenes -----------------------------------------------------------------------------------------


class Pictures:
    """The request's media as the renderer can reach them (after `checks` found every one valid)."""

    def __init__(self, store: Store | None, key: str) -> None:
        self.store = store
        self.key = key

    def of(self, ref: Any, kind: PictureKind) -> Picture:
        ref = ref if isinstance(ref, Mapping) else {}
        if "generation_id" in ref:
            return self._generation(str(ref["generation_id"]), kind)
        if "file_id" in ref:
            stored = self.store.file(self.key, str(ref["file_id"])) if self.store is not None else None
            path = stored.path if stored is not None else None
            return Picture(kind, path=str(path)) if path is not None else Picture(kind)
        if "data" in ref:
            try:
                return Picture(kind, data=base64.b64decode(str(ref["data"]), validate=True))
            except (binascii.Error, ValueError):
                return Picture(kind)
        return sources.picture_from_url(str(ref.get("url") or ""), kind)

    def _generation(self, generation_id: str, kind: PictureKind) -> Picture:
        generation = self.store.generation(self.key, generation_id) if self.store is not None else None
        if generation is None:
            return Picture(kind)
        wanted = [output for output in generation.outputs if output.type == kind]
        usable = wanted or [output for output in generation.outputs if output.type != "exr"]
        return Picture(kind, spec=usable[0].spec) if usable else Picture(kind)


class OwnMedia:
    """Finds this emulator's outputs by their `/_media/...` path, for `sources` (a URL handed back to it,
    or to another emulator of the sandbox)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def spec_for_path(self, path: str) -> MediaSpec | None:
        match = _OWN_MEDIA.fullmatch(path)
        generation = self.store.by_id.get(match.group(1)) if match else None
        if match is None or generation is None or int(match.group(2)) >= len(generation.outputs):
            return None
        return generation.outputs[int(match.group(2))].spec


def shown_prompt(prompt: Any) -> str:
    """The prompt as drawn on the frames: without the emulator's directives, which steer it only."""
    return " ".join(_DIRECTIVE.sub(" ", prompt).split()) if isinstance(prompt, str) else ""


def plan_scene(body: Mapping[str, Any], pictures: Pictures, shape: Shape, measured: MediaInfo | None = None) -> Scene:
    """What the outputs show; `measured` is the source as `checks` found it (its size places a reframe)."""
    gen_type = str(body.get("type") or "image")
    video: Mapping[str, Any] = body.get("video") or {}
    prompt = shown_prompt(body.get("prompt"))
    model = str(body.get("model") or "uni-1")
    frames = shape.outputs[0].spec.frames
    title = f"{_TOOLS.get(gen_type, gen_type)} / {model}"
    if gen_type == "video":
        return _video_scene(video, pictures, prompt, model, title, frames)
    if gen_type == "video_edit":
        edit: Mapping[str, Any] = video.get("edit") or {}
        guides = [(0, video["start_frame"])] if "start_frame" in video else []
        guides += list(zip(edit.get("keyframe_indexes") or [], edit.get("keyframes") or [], strict=False))
        strength = edit.get("strength")
        # adhere_1 keeps half of the source's colour, reimagine_3 none of it; auto_controls: none.
        keep = 0.5 - EDIT_STRENGTHS.index(strength) / 16 if strength in EDIT_STRENGTHS else 0.0
        if strength in EDIT_STRENGTHS:
            title = f"{title} / {strength}"
        anchors = tuple(Anchor(min(int(at), frames - 1), pictures.of(ref, "image")) for at, ref in guides)
        clip = pictures.of(body.get("source"), "video")
        return Scene("edit", title, prompt, anchors=anchors, source=clip, keep=keep)
    if gen_type == "video_reframe":
        given: Mapping[str, Any] = video.get("source_position") or {}
        place = [float(given[name]) for name in ("x_norm", "y_norm", "w_norm", "h_norm") if name in given]
        position = (place[0], place[1], place[2], place[3]) if len(place) == 4 else None
        if position is None and measured is not None and measured.width and measured.height:
            position = centred_fit(measured.width, measured.height, shape.width, shape.height)
        clip = pictures.of(body.get("source"), "video")
        return Scene("reframe", f"{title} / {body.get('aspect_ratio')}", prompt, source=clip, position=position)
    refs = tuple(pictures.of(ref, "image") for ref in body.get("image_ref") or [])
    still = pictures.of(body["source"], "image") if "source" in body else None
    mode: Mode = "image_edit" if gen_type == "image_edit" else "layering" if gen_type == "layering" else "image"
    return Scene(mode, title, prompt, source=still, refs=refs)


def _video_scene(
    video: Mapping[str, Any], pictures: Pictures, prompt: str, model: str, title: str, frames: int
) -> Scene:
    loop = bool(video.get("loop"))
    for name in ("start_frame", "end_frame"):
        ref = video.get(name)
        if isinstance(ref, Mapping) and "generation_id" in ref:
            clip = pictures.of(ref, "video")
            title = f"extend_video / {model} / {'forward' if name == 'start_frame' else 'backward'}"
            if name == "start_frame":
                return Scene("extend", title, prompt, source=clip, loop=loop)
            return Scene("extend", title, prompt, after=clip)
    pinned = [(0, video.get("start_frame")), (frames - 1, video.get("end_frame"))]
    pinned += list(zip(video.get("keyframe_indexes") or [], video.get("keyframes") or [], strict=False))
    anchors = tuple(
        Anchor(min(int(at), frames - 1), pictures.of(ref, "image")) for at, ref in pinned if ref is not None
    )
    return Scene("generate", title, prompt, anchors=anchors, loop=loop)
