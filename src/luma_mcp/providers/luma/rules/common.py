"""Rules that hold for every generation type: prompt, model/type, enums, and the ImageRef shape.

Every check reads the wire body exactly as it would be POSTed, with JSON `null` treated as absent,
so the MCP validator (which builds that body) and the emulator (which receives it) share one table.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ...base import Violation as Violation
from . import vocabulary as v

Body = Mapping[str, Any]


def present(mapping: Mapping[str, Any] | None, key: str) -> bool:
    return mapping is not None and mapping.get(key) is not None


def as_mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def as_list(value: Any) -> list[Any] | None:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str | bytes) else None


def _listing(values: Sequence[str]) -> str:
    # The API lists aspect ratios ordered by their parts ("1:3" before "16:9"); other enums read the same.
    return ", ".join(sorted(values, key=lambda value: value.split(":")))


def check_general(body: Body, *, strict: bool) -> Iterator[Violation]:
    yield from _check_prompt(body)
    yield from _check_model_and_type(body)
    yield from _check_aspect_ratio(body)
    yield from _check_image_options(body, strict=strict)


def _check_prompt(body: Body) -> Iterator[Violation]:
    prompt = body.get("prompt")
    if body.get("type") == "layering":
        if prompt is not None and (not isinstance(prompt, str) or len(prompt) > v.LAYERING_PROMPT_MAX_CHARS):
            yield Violation(
                "M7",
                "prompt",
                f"Prompt must be at most {v.LAYERING_PROMPT_MAX_CHARS} characters for layering",
                f"Shorten the prompt to {v.LAYERING_PROMPT_MAX_CHARS} characters or fewer.",
            )
        return
    if not isinstance(prompt, str) or not 1 <= len(prompt) <= v.PROMPT_MAX_CHARS:
        yield Violation(
            "G1",
            "prompt",
            "Prompt must be between 1 and 6000 characters",
            "Give a prompt of 1 to 6000 characters describing subject, motion, camera and light.",
        )


def _check_model_and_type(body: Body) -> Iterator[Violation]:
    model = body.get("model") or "uni-1"
    gen_type = body.get("type") or "image"
    if model not in v.MODELS:
        yield Violation("G2", "model", f"Unknown model: {model}", f"Use one of: {_listing(v.MODELS)}.")
        return
    if gen_type not in v.GENERATION_TYPES:
        yield Violation("G3", "type", f"Invalid type '{gen_type}'", f"Use one of: {_listing(v.GENERATION_TYPES)}.")
        return
    if gen_type not in v.MODEL_TYPES[model]:
        rule = "M6" if gen_type == "layering" else "G4"
        yield Violation(
            rule,
            "model",
            f"Type '{gen_type}' is not supported for model '{model}'",
            f"Type '{gen_type}' needs model {_model_for(gen_type)}.",
        )


def _model_for(gen_type: str) -> str:
    return " or ".join(f"'{m}'" for m, types in v.MODEL_TYPES.items() if gen_type in types)


def _check_aspect_ratio(body: Body) -> Iterator[Violation]:
    ratio = body.get("aspect_ratio")
    gen_type = body.get("type") or "image"
    if gen_type in v.VIDEO_TYPES:
        allowed: tuple[str, ...] = v.VIDEO_ASPECT_RATIOS
        rule = "G6"
    else:
        allowed, rule = v.IMAGE_ASPECT_RATIOS, "G5"
    if ratio is not None and ratio not in allowed:
        yield Violation(
            rule,
            "aspect_ratio",
            f"Invalid aspect_ratio '{ratio}'. Valid: {_listing(allowed)}",
            f"Use one of {_listing(allowed)} for type '{gen_type}'.",
        )


def _check_image_options(body: Body, *, strict: bool) -> Iterator[Violation]:
    gen_type = body.get("type") or "image"
    style, fmt, web = body.get("style"), body.get("output_format"), body.get("web_search")
    if style is not None and style not in v.STYLES:
        yield Violation("G7", "style", f"Invalid style '{style}'", f"Use one of: {_listing(v.STYLES)}.")
    if fmt is not None and fmt not in v.OUTPUT_FORMATS:
        yield Violation("G8", "output_format", f"Invalid output_format '{fmt}'", "Use 'png' or 'jpeg', or omit it.")
    if web is not None and not isinstance(web, bool):
        yield Violation("G9", "web_search", "web_search: Must be a boolean", "Pass true or false.")
    if gen_type in v.IMAGE_TYPES and body.get("video") is not None:
        yield Violation(
            "G10", "video", "video is only valid for model 'ray-3.2'", "Remove the video options for image types."
        )
    if gen_type in v.VIDEO_TYPES:
        if present(body, "image_ref"):
            yield Violation(
                "G11",
                "image_ref",
                f"image_ref is not supported for type '{gen_type}'",
                "Remove image_ref; video types take images as start_frame, keyframes or guide frames.",
            )
        if strict:
            for name in ("style", "output_format", "web_search"):
                if present(body, name):
                    yield Violation(
                        "Q6",
                        name,
                        f"{name} is not supported for type '{gen_type}'",
                        f"Remove {name}: it only applies to image generation.",
                    )


def check_image_ref(ref: Any, path: str, *, video_source: bool = False) -> Iterator[Violation]:
    """The ImageRef shape rules (I1-I4, I13, I14) for one position; `video_source` for the
    video_edit/video_reframe `source`, the only place a video may be given."""
    mapping = as_mapping(ref)
    if mapping is None:
        yield Violation(
            "I2",
            path,
            f"{path}: provide exactly one of 'url', 'data', 'generation_id', or 'file_id'",
            "Pass an object with exactly one of url, data (+ media_type), generation_id or file_id.",
        )
        return
    given = [key for key in ("url", "data", "generation_id", "file_id") if present(mapping, key)]
    if present(mapping, "url") and present(mapping, "data"):
        yield Violation("I1", path, f"{path}: provide either 'url' or 'data', not both", "Keep only one of them.")
        return
    if len(given) != 1:
        yield Violation(
            "I2",
            path,
            f"{path}: provide exactly one of 'url', 'data', 'generation_id', or 'file_id'",
            "Give exactly one way to reach the media.",
        )
        return
    yield from _check_ref_media(mapping, path, given[0], video_source)


def _check_ref_media(ref: Mapping[str, Any], path: str, kind: str, video_source: bool) -> Iterator[Violation]:
    media_type = ref.get("media_type")
    if kind == "data":
        if media_type is None:
            yield Violation(
                "I3",
                path,
                f"{path}: 'media_type' is required with 'data'",
                "Add media_type, e.g. 'image/png' or 'video/mp4'.",
            )
        elif not _is_base64(ref["data"]):
            yield Violation("I4", path, f"{path}: invalid base64 data", "Send standard base64.", status=422)
    if kind in ("url", "data"):
        if video_source and not (isinstance(media_type, str) and media_type.startswith("video/")):
            yield Violation(
                "I13",
                path,
                f"{path}: 'media_type' (video/*) is required with '{kind}' for this type",
                "Set media_type to the video's MIME type, e.g. 'video/mp4'.",
            )
        if not video_source and isinstance(media_type, str) and not media_type.startswith("image/"):
            yield Violation(
                "I14",
                path,
                f"{path}: content-type is not an image",
                "Give an image (PNG, JPEG, WebP) at this position.",
                status=422,
            )
    if kind == "url" and not _is_http_url(ref["url"]):
        yield Violation(
            "I5", path, f"{path}: failed to fetch URL", "Give an http(s) URL that Luma can fetch.", status=422
        )


def _is_http_url(url: Any) -> bool:
    return isinstance(url, str) and url.startswith(("http://", "https://")) and len(url) > len("https://")


def _is_base64(data: Any) -> bool:
    if not isinstance(data, str) or not data:
        return False
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def refs_in(values: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, ref) for each element of a list field such as `image_ref` or `video.keyframes`."""
    for index, ref in enumerate(as_list(values) or []):
        yield f"{path}[{index}]", ref


def check_unknown_fields(body: Body, known: Sequence[str], prefix: str = "") -> Iterator[Violation]:
    for name in body:
        if name not in known and body[name] is not None:
            yield Violation("Q0", f"{prefix}{name}", f"Unknown field '{prefix}{name}'", f"Remove '{prefix}{name}'.")
