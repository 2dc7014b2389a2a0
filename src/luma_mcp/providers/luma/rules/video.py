"""Rules for the Ray 3.2 types: `video` (5.4), `video_edit` (5.5) and `video_reframe` (5.6)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import vocabulary as v
from .common import Body, Violation, as_list, as_mapping, check_image_ref, present, refs_in

_ANCHORS = ("start_frame", "end_frame", "keyframes")


def options(body: Body) -> Mapping[str, Any]:
    return as_mapping(body.get("video")) or {}


def check_output_settings(body: Body) -> Iterator[Violation]:
    """Resolution, duration and the HDR family, shared by the three video types (V4, V5, V8, V11)."""
    video = options(body)
    resolution, duration = video.get("resolution"), video.get("duration")
    if resolution is not None and resolution not in v.RESOLUTIONS:
        yield Violation(
            "V4",
            "video.resolution",
            f"Invalid resolution '{resolution}'",
            "Use one of 360p, 540p, 720p, 1080p (default 720p).",
        )
    if duration is not None and duration not in v.DURATIONS:
        yield Violation("V5", "video.duration", f"Invalid duration '{duration}'", "Use '5s' or '10s'.")
    if video.get("hdr") and (resolution or v.DEFAULT_RESOLUTION) not in v.HDR_RESOLUTIONS:
        yield Violation(
            "V8",
            "video.hdr",
            f"hdr requires resolution 720p or 1080p, not {resolution}",
            "Use resolution 720p or 1080p with hdr, or turn hdr off.",
        )
    if video.get("exr_export") and not video.get("hdr"):
        yield Violation(
            "V11", "video.exr_export", "exr_export requires hdr: true", "Set hdr to true, or drop exr_export."
        )


def check_video(body: Body) -> Iterator[Violation]:
    video = options(body)
    if present(body, "source"):
        yield Violation(
            "V2",
            "source",
            "source is not supported for type 'video'",
            "To extend a video, pass its id as start_frame (forward) or end_frame (backward) generation_id.",
        )
    if present(video, "edit"):
        yield Violation(
            "V3", "video.edit", "video.edit is only valid for type 'video_edit'", "Use type video_edit to edit."
        )
    if present(video, "source_position"):
        yield Violation(
            "V23",
            "video.source_position",
            "video.source_position is only valid for type 'video_reframe'",
            "Remove source_position; it positions the source when reframing.",
        )
    yield from check_output_settings(body)
    yield from _check_duration_combinations(video)
    yield from _check_loop(video)
    yield from _check_keyframes(video)
    yield from _check_extend(video)
    for name in ("start_frame", "end_frame"):
        if present(video, name):
            yield from check_image_ref(video[name], f"video.{name}")
    for path, ref in refs_in(video.get("keyframes"), "video.keyframes"):
        yield from check_image_ref(ref, path)


def _check_duration_combinations(video: Mapping[str, Any]) -> Iterator[Violation]:
    if video.get("duration") != "10s":
        return
    anchors = [name for name in ("start_frame", "end_frame") if present(video, name)]
    if anchors:
        yield Violation(
            "V6",
            "video.duration",
            f"duration '10s' is not supported with {' or '.join(anchors)}",
            "Use duration '5s' with start/end frames, or pin images with keyframes for a 10 s clip.",
        )
    if video.get("hdr"):
        yield Violation(
            "V7", "video.duration", "duration '10s' is not supported with hdr", "Use duration '5s' for HDR."
        )


def _check_loop(video: Mapping[str, Any]) -> Iterator[Violation]:
    if video.get("hdr") and video.get("loop"):
        yield Violation("V9", "video.hdr", "hdr is not supported with loop", "Turn off either hdr or loop.")
    if not video.get("loop"):
        return
    clashes = [
        name
        for name, bad in (
            ("duration '10s'", video.get("duration") == "10s"),
            ("end_frame", present(video, "end_frame")),
            ("keyframes", present(video, "keyframes")),
        )
        if bad
    ]
    if clashes:
        yield Violation(
            "V12",
            "video.loop",
            f"loop is not supported with {', '.join(clashes)}",
            "Drop loop, or use a 5 s clip with at most a start_frame (forward extend may loop).",
        )


def _check_keyframes(video: Mapping[str, Any]) -> Iterator[Violation]:
    frames, indexes = video.get("keyframes"), video.get("keyframe_indexes")
    if frames is None and indexes is None:
        return
    yield from _check_parallel_keyframes(
        frames, indexes, "video", v.frame_limit(video.get("duration")), "V13", "V14", "V15"
    )
    clashes = [name for name in ("start_frame", "end_frame") if present(video, name)]
    if clashes and frames is not None:
        yield Violation(
            "V16",
            "video.keyframes",
            f"keyframes is mutually exclusive with {' and '.join(clashes)}",
            "Put every anchor image in keyframes (frame 0 = first frame), or use start_frame/end_frame only.",
        )


def _check_parallel_keyframes(
    frames: Any, indexes: Any, prefix: str, limit: int | None, both: str, length: str, index_rule: str
) -> Iterator[Violation]:
    frame_list, index_list = as_list(frames), as_list(indexes)
    if frame_list is None or index_list is None:
        yield Violation(
            both,
            f"{prefix}.keyframes",
            "keyframes and keyframe_indexes must be provided together",
            "Give each keyframe an image and a frame number.",
        )
        return
    if len(frame_list) != len(index_list) or not 1 <= len(frame_list) <= v.MAX_KEYFRAMES:
        yield Violation(
            length,
            f"{prefix}.keyframes",
            f"keyframes and keyframe_indexes must have the same length, between 1 and {v.MAX_KEYFRAMES}",
            f"Give 1 to {v.MAX_KEYFRAMES} keyframes, each with one frame number.",
        )
    yield from _check_indexes(index_list, f"{prefix}.keyframe_indexes", limit, index_rule)


def _check_indexes(indexes: list[Any], path: str, limit: int | None, rule: str) -> Iterator[Violation]:
    valid = all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in indexes)
    if not valid:
        yield Violation(rule, path, f"{path} must be non-negative integers", "Use frame numbers 0, 1, 2, ...")
    elif len(set(indexes)) != len(indexes):
        yield Violation(rule, path, f"{path} must be unique", "Give each keyframe a different frame number.")
    elif limit is not None and max(indexes, default=0) > limit:
        yield Violation(
            rule,
            path,
            f"{path} must be at most {limit} for this duration ({v.FPS} fps)",
            f"Use frames 0..{limit}; a 5 s clip has frames 0..120 and a 10 s clip 0..240.",
        )


def _generation_anchor(video: Mapping[str, Any], name: str) -> bool:
    ref = as_mapping(video.get(name))
    return ref is not None and ref.get("generation_id") is not None


def _check_extend(video: Mapping[str, Any]) -> Iterator[Violation]:
    forward, backward = _generation_anchor(video, "start_frame"), _generation_anchor(video, "end_frame")
    if not (forward or backward):
        return
    if sum(present(video, name) for name in _ANCHORS) > 1:
        yield Violation(
            "V18",
            "video.start_frame" if forward else "video.end_frame",
            "extend takes exactly one generation_id keyframe and no other anchor",
            "Extend with a single generation_id in start_frame (forward) or end_frame (backward), nothing else.",
        )
    for name in ("hdr", "exr_export"):
        if video.get(name):
            yield Violation(
                "V19",
                f"video.{name}",
                f"{name} is not supported when extending a video",
                f"Extend is SDR only: remove {name}.",
            )
    resolution = video.get("resolution") or v.DEFAULT_RESOLUTION
    if resolution in v.RESOLUTIONS and resolution not in v.EXTEND_RESOLUTIONS:
        yield Violation(
            "V22",
            "video.resolution",
            f"resolution '{resolution}' is not supported when extending",
            "Extend at 540p, 720p or 1080p.",
        )


def check_video_edit(body: Body, *, strict: bool) -> Iterator[Violation]:
    video = options(body)
    yield from _check_video_source(body, "video_edit")
    yield from check_output_settings(body)
    yield from _reject(video, ("loop", "end_frame", "keyframes", "keyframe_indexes", "source_position"), "video_edit")
    if strict and present(video, "duration"):
        yield _ignored("video.duration", "video_edit", "the output matches the source's length")
    if strict and present(body, "aspect_ratio"):
        yield _ignored("aspect_ratio", "video_edit", "the output keeps the source's aspect ratio")
    edit = as_mapping(video.get("edit")) or {}
    if present(video, "start_frame"):
        yield from check_image_ref(video["start_frame"], "video.start_frame")
        if present(edit, "keyframes"):
            yield Violation(
                "E8",
                "video.start_frame",
                "video.start_frame is mutually exclusive with video.edit.keyframes",
                "Use either one guide frame (start_frame) or guide frames on the source grid, not both.",
            )
    yield from _check_edit_options(edit)


def _check_edit_options(edit: Mapping[str, Any]) -> Iterator[Violation]:
    if edit.get("keyframes") is not None or edit.get("keyframe_indexes") is not None:
        yield from _check_parallel_keyframes(
            edit.get("keyframes"), edit.get("keyframe_indexes"), "video.edit", None, "E9", "E9", "E9"
        )
    for path, ref in refs_in(edit.get("keyframes"), "video.edit.keyframes"):
        yield from check_image_ref(ref, path)
    if edit.get("auto_controls") is True:
        for name, rule in (("controls", "E10"), ("strength", "E11")):
            if present(edit, name):
                yield Violation(
                    rule,
                    f"video.edit.{name}",
                    f"auto_controls cannot be combined with {name}",
                    f"Either set auto_controls true, or pass {name} (manual mode), not both.",
                )
    strength = edit.get("strength")
    if strength is not None and strength not in v.EDIT_STRENGTHS:
        yield Violation(
            "E13",
            "video.edit.strength",
            f"Invalid strength '{strength}'",
            "Use adhere_1..3 (closest to source), flex_1..3 or reimagine_1..3 (loosest).",
        )
    yield from _check_controls(as_mapping(edit.get("controls")) or {})


_CONTROL_RANGES = (("depth", "blur"), ("normals", "augmentation"), ("trajectory", "sparsity"))


def _check_controls(controls: Mapping[str, Any]) -> Iterator[Violation]:
    for signal, knob in _CONTROL_RANGES:
        value = (as_mapping(controls.get(signal)) or {}).get(knob)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1):
            yield Violation(
                "E13",
                f"video.edit.controls.{signal}.{knob}",
                f"{signal}.{knob} must be between 0 and 1",
                f"Use a number from 0 to 1 for {signal}.{knob}.",
            )
    pose = (as_mapping(controls.get("pose")) or {}).get("strength")
    if pose is not None and pose not in v.POSE_STRENGTHS:
        yield Violation(
            "E13", "video.edit.controls.pose.strength", f"Invalid pose strength '{pose}'", "Use precise or coarse."
        )


def check_video_reframe(body: Body, *, strict: bool) -> Iterator[Violation]:
    video = options(body)
    yield from _check_video_source(body, "video_reframe")
    ratio = body.get("aspect_ratio")
    if ratio is None:
        yield Violation(
            "F3",
            "aspect_ratio",
            "aspect_ratio is required for type 'video_reframe'",
            "Set the target aspect_ratio, e.g. '9:16' for vertical.",
        )
    yield from check_output_settings(body)
    yield from _reject(video, ("hdr", "exr_export", "loop", "edit", *_ANCHORS, "keyframe_indexes"), "video_reframe")
    if strict and present(video, "duration"):
        yield _ignored("video.duration", "video_reframe", "the output matches the source's length")
    # F8 (1080p to a vertical target) is rolling out per caller: never refused here; the API says.
    if present(video, "source_position"):
        yield from _check_source_position(video["source_position"])


def _check_source_position(position: Any) -> Iterator[Violation]:
    mapping = as_mapping(position) or {}
    for name, low, high, open_low in (
        ("x_norm", -2.0, 2.0, False),
        ("y_norm", -2.0, 2.0, False),
        ("w_norm", 0.0, 2.0, True),
        ("h_norm", 0.0, 2.0, True),
    ):
        value = mapping.get(name)
        inside = isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high
        if not inside or (open_low and value == low):
            bound = f"({low:g}, {high:g}]" if open_low else f"[{low:g}, {high:g}]"
            yield Violation(
                "F10",
                f"video.source_position.{name}",
                f"source_position.{name} must be in {bound}",
                f"Give all four of x_norm, y_norm, w_norm, h_norm; {name} in {bound}.",
            )


def _check_video_source(body: Body, gen_type: str) -> Iterator[Violation]:
    if not present(body, "source"):
        rule = "E2" if gen_type == "video_edit" else "F2"
        yield Violation(
            rule,
            "source",
            f"source is required for type '{gen_type}'",
            "Give the video to work on: a generation id, a video URL with media_type, or an uploaded file.",
        )
        return
    yield from check_image_ref(body["source"], "source", video_source=True)


def _reject(video: Mapping[str, Any], names: tuple[str, ...], gen_type: str) -> Iterator[Violation]:
    rules = {"video_edit": {"loop": "E5", "end_frame": "E6", "keyframes": "E7", "keyframe_indexes": "E7"}}
    for name in names:
        if present(video, name):
            rule = rules.get(gen_type, {}).get(name, "F5" if name in ("hdr", "exr_export") else "F6")
            if gen_type == "video_edit" and name == "source_position":
                rule = "E19"
            yield Violation(
                rule,
                f"video.{name}",
                f"video.{name} is not supported for type '{gen_type}'",
                f"Remove {name}; it does not apply to {gen_type.replace('_', ' ')}.",
            )


def _ignored(path: str, gen_type: str, why: str) -> Violation:
    return Violation("Q6", path, f"{path} is not used for type '{gen_type}'", f"Remove it: {why}.")


def check_source_duration(gen_type: str, seconds: float) -> Violation | None:
    """E3 / F4: the source video's length, known only once its media is seen."""
    limit = v.SOURCE_MAX_SECONDS.get(gen_type)
    if limit is None or seconds <= limit:
        return None
    rule = "E3" if gen_type == "video_edit" else "F4"
    return Violation(
        rule,
        "source",
        f"source: video is {seconds:.1f} s, longer than the {limit:g} s limit for {gen_type}",
        f"Trim the source to {limit:g} s or less.",
    )
