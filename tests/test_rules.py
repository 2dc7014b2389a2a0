"""The rule table (spec section 5) on wire bodies: each rule fires on its breach and not on the edge values."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from luma_mcp.providers.luma.rules import check_generation, check_source_duration

PNG = {"url": "https://example.com/a.png"}
GEN = {"generation_id": "d290f1ee-6c54-4b01-90e6-d701748f0851"}
VIDEO_SRC = {"url": "https://example.com/a.mp4", "media_type": "video/mp4"}


def video(**options: Any) -> dict[str, Any]:
    return {"model": "ray-3.2", "type": "video", "prompt": "p", "video": options}


def edit(source: Any = VIDEO_SRC, **options: Any) -> dict[str, Any]:
    return {"model": "ray-3.2", "type": "video_edit", "prompt": "p", "source": source, "video": options}


def reframe(aspect: str | None = "9:16", **options: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "ray-3.2", "type": "video_reframe", "prompt": "p", "source": VIDEO_SRC}
    if aspect:
        body["aspect_ratio"] = aspect
    return {**body, "video": options}


def image(**fields: Any) -> dict[str, Any]:
    return {"model": "uni-1", "type": "image", "prompt": "p", **fields}


def image_edit(**fields: Any) -> dict[str, Any]:
    return {"model": "uni-1", "type": "image_edit", "prompt": "p", "source": PNG, **fields}


BROKEN: list[tuple[str, dict[str, Any], str]] = [
    ("G1", {**video(), "prompt": ""}, "prompt"),
    ("G1", {**video(), "prompt": "x" * 6001}, "prompt"),
    ("G2", {**video(), "model": "ray-2"}, "model"),
    ("G3", {**video(), "type": "movie"}, "type"),
    ("G4", {**video(), "model": "uni-1"}, "model"),
    ("G4", {"type": "video", "prompt": "p"}, "model"),
    ("G5", image(aspect_ratio="21:9"), "aspect_ratio"),
    ("G6", {**video(), "aspect_ratio": "3:1"}, "aspect_ratio"),
    ("G7", image(style="anime"), "style"),
    ("G8", image(output_format="gif"), "output_format"),
    ("G9", image(web_search="yes"), "web_search"),
    ("G10", image(video={"resolution": "720p"}), "video"),
    ("G11", {**video(), "image_ref": [PNG]}, "image_ref"),
    (
        "I1",
        video(start_frame={"url": "https://e.com/a.png", "data": "aGk=", "media_type": "image/png"}),
        "video.start_frame",
    ),
    ("I2", video(start_frame={}), "video.start_frame"),
    ("I3", video(start_frame={"data": "aGk="}), "video.start_frame"),
    ("I4", video(start_frame={"data": "not base64!!", "media_type": "image/png"}), "video.start_frame"),
    ("I5", video(start_frame={"url": "ftp://e.com/a.png"}), "video.start_frame"),
    ("I13", edit(source={"url": "https://e.com/a.mp4"}), "source"),
    ("I14", video(start_frame={"data": "aGk=", "media_type": "video/mp4"}), "video.start_frame"),
    ("V2", {**video(), "source": PNG}, "source"),
    ("V3", video(edit={"auto_controls": True}), "video.edit"),
    ("V4", video(resolution="4k"), "video.resolution"),
    ("V5", video(duration="9s"), "video.duration"),
    ("V6", video(duration="10s", start_frame=PNG), "video.duration"),
    ("V6", video(duration="10s", end_frame=PNG), "video.duration"),
    ("V7", video(duration="10s", hdr=True), "video.duration"),
    ("V7", video(duration="10s", hdr=True, keyframes=[PNG], keyframe_indexes=[0]), "video.duration"),
    ("V8", video(hdr=True, resolution="540p"), "video.hdr"),
    ("V8", video(hdr=True, resolution="360p"), "video.hdr"),
    ("V9", video(hdr=True, loop=True), "video.hdr"),
    ("V11", video(exr_export=True), "video.exr_export"),
    ("V12", video(loop=True, duration="10s"), "video.loop"),
    ("V12", video(loop=True, end_frame=PNG), "video.loop"),
    ("V12", video(loop=True, keyframes=[PNG], keyframe_indexes=[0]), "video.loop"),
    ("V13", video(keyframes=[PNG]), "video.keyframes"),
    ("V13", video(keyframe_indexes=[0]), "video.keyframes"),
    ("V14", video(keyframes=[PNG, PNG], keyframe_indexes=[0]), "video.keyframes"),
    ("V14", video(keyframes=[], keyframe_indexes=[]), "video.keyframes"),
    ("V14", video(keyframes=[PNG] * 65, keyframe_indexes=list(range(65))), "video.keyframes"),
    ("V15", video(keyframes=[PNG], keyframe_indexes=[-1]), "video.keyframe_indexes"),
    ("V15", video(keyframes=[PNG, PNG], keyframe_indexes=[3, 3]), "video.keyframe_indexes"),
    ("V15", video(keyframes=[PNG], keyframe_indexes=[121]), "video.keyframe_indexes"),
    ("V15", video(keyframes=[PNG], keyframe_indexes=[241], duration="10s"), "video.keyframe_indexes"),
    ("V16", video(keyframes=[PNG], keyframe_indexes=[0], start_frame=PNG), "video.keyframes"),
    ("V16", video(keyframes=[PNG], keyframe_indexes=[0], end_frame=PNG), "video.keyframes"),
    ("V18", video(start_frame=GEN, end_frame=PNG), "video.start_frame"),
    ("V18", video(end_frame=GEN, start_frame=PNG), "video.end_frame"),
    ("V19", video(start_frame=GEN, hdr=True), "video.hdr"),
    ("V22", video(start_frame=GEN, resolution="360p"), "video.resolution"),
    ("V23", video(source_position={"x_norm": 0, "y_norm": 0, "w_norm": 1, "h_norm": 1}), "video.source_position"),
    ("E2", {**edit(), "source": None}, "source"),
    ("E5", edit(loop=True), "video.loop"),
    ("E6", edit(end_frame=PNG), "video.end_frame"),
    ("E7", edit(keyframes=[PNG], keyframe_indexes=[0]), "video.keyframes"),
    ("E8", edit(start_frame=PNG, edit={"keyframes": [PNG], "keyframe_indexes": [0]}), "video.start_frame"),
    ("E9", edit(edit={"keyframes": [PNG]}), "video.edit.keyframes"),
    ("E9", edit(edit={"keyframes": [PNG, PNG], "keyframe_indexes": [1, 1]}), "video.edit.keyframe_indexes"),
    ("E10", edit(edit={"auto_controls": True, "controls": {"depth": {"enabled": True}}}), "video.edit.controls"),
    ("E11", edit(edit={"auto_controls": True, "strength": "flex_1"}), "video.edit.strength"),
    ("E13", edit(edit={"strength": "medium"}), "video.edit.strength"),
    ("E13", edit(edit={"controls": {"depth": {"blur": 1.5}}}), "video.edit.controls.depth.blur"),
    ("E13", edit(edit={"controls": {"pose": {"strength": "loose"}}}), "video.edit.controls.pose.strength"),
    ("V8", edit(hdr=True, resolution="540p"), "video.hdr"),
    ("E19", edit(source_position={"x_norm": 0, "y_norm": 0, "w_norm": 1, "h_norm": 1}), "video.source_position"),
    ("Q6", edit(duration="5s"), "video.duration"),
    ("F2", {**reframe(), "source": None}, "source"),
    ("F3", reframe(aspect=None), "aspect_ratio"),
    ("F5", reframe(hdr=True), "video.hdr"),
    ("F6", reframe(loop=True), "video.loop"),
    ("F6", reframe(start_frame=PNG), "video.start_frame"),
    (
        "F10",
        reframe(source_position={"x_norm": 0, "y_norm": 0, "w_norm": 0, "h_norm": 1}),
        "video.source_position.w_norm",
    ),
    (
        "F10",
        reframe(source_position={"x_norm": 2.5, "y_norm": 0, "w_norm": 1, "h_norm": 1}),
        "video.source_position.x_norm",
    ),
    ("F10", reframe(source_position={"x_norm": 0, "y_norm": 0, "w_norm": 1}), "video.source_position.h_norm"),
    ("M1", image(source=PNG), "source"),
    ("M2", {**image_edit(), "source": None}, "source"),
    ("M3", image(image_ref=[PNG] * 10), "image_ref"),
    ("M4", image_edit(image_ref=[PNG] * 9), "image_ref"),
    ("M5", image_edit(aspect_ratio="1:1"), "aspect_ratio"),
    ("M6", {"model": "uni-1-max", "type": "layering", "prompt": "p", "source": PNG}, "model"),
    ("M7", {"model": "uni-1", "type": "layering", "prompt": "x" * 501, "source": PNG}, "prompt"),
    (
        "M8",
        {"model": "uni-1", "type": "layering", "source": PNG, "layering": {"resolution": "4k"}},
        "layering.resolution",
    ),
    ("Q0", {**video(), "seed": 3}, "seed"),
]


@pytest.mark.parametrize(("rule", "body", "field"), BROKEN, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(BROKEN)])
def test_each_rule_fires_with_its_field(rule: str, body: dict[str, Any], field: str) -> None:
    found = {(violation.rule, violation.field) for violation in check_generation(body, strict=True)}
    assert (rule, field) in found


VALID: list[dict[str, Any]] = [
    video(),
    video(resolution="360p", duration="10s"),
    video(resolution="1080p", hdr=True, exr_export=True),
    video(resolution="720p", hdr=True),
    video(loop=True, start_frame=PNG),
    video(start_frame=PNG, end_frame=PNG),
    video(start_frame={"data": base64.b64encode(b"\x89PNG").decode(), "media_type": "image/png"}),
    video(keyframes=[PNG, PNG], keyframe_indexes=[0, 120]),
    video(keyframes=[PNG] * 64, keyframe_indexes=list(range(64))),
    video(keyframes=[PNG, PNG], keyframe_indexes=[0, 240], duration="10s"),
    video(keyframes=[PNG], keyframe_indexes=[60], hdr=True),
    video(keyframes=[GEN], keyframe_indexes=[0]),
    video(start_frame=GEN),
    video(start_frame=GEN, loop=True, resolution="540p"),
    video(end_frame=GEN, resolution="1080p"),
    {**video(), "aspect_ratio": "21:9"},
    edit(),
    edit(source=GEN, edit={"auto_controls": True}),
    edit(
        edit={
            "strength": "adhere_1",
            "controls": {"depth": {"enabled": True, "blur": 1}, "pose": {"strength": "coarse"}},
        }
    ),
    edit(start_frame=PNG, hdr=True, exr_export=True),
    edit(edit={"keyframes": [PNG, PNG], "keyframe_indexes": [0, 400]}),
    reframe(),
    reframe(aspect="16:9", resolution="1080p"),
    reframe(source_position={"x_norm": -2, "y_norm": 2, "w_norm": 2, "h_norm": 0.01}),
    image(),
    image(model="uni-1-max", aspect_ratio="3:1", style="manga", output_format="jpeg", web_search=True),
    image(image_ref=[PNG] * 9),
    image_edit(image_ref=[PNG] * 8),
    {"model": "uni-1", "type": "layering", "source": PNG, "layering": {"resolution": "2k"}},
]


@pytest.mark.parametrize("body", VALID)
def test_edge_values_are_accepted(body: dict[str, Any]) -> None:
    assert check_generation(body, strict=True) == []


def test_lenient_mode_accepts_what_the_api_ignores() -> None:
    body = {**edit(duration="5s"), "aspect_ratio": "1:1", "seed": 1}
    assert check_generation(body, strict=False) == []
    assert {v.rule for v in check_generation(body, strict=True)} == {"Q6", "Q0"}


def test_null_fields_count_as_absent() -> None:
    body = {**video(start_frame=None, hdr=None), "aspect_ratio": None, "source": None}
    assert check_generation(body, strict=True) == []


@pytest.mark.parametrize(
    ("gen_type", "seconds", "rule"),
    [
        ("video_edit", 18.0, None),
        ("video_edit", 18.5, "E3"),
        ("video_reframe", 30.0, None),
        ("video_reframe", 31, "F4"),
    ],
)
def test_source_length_limits(gen_type: str, seconds: float, rule: str | None) -> None:
    violation = check_source_duration(gen_type, seconds)
    assert (violation.rule if violation else None) == rule
