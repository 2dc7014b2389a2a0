"""JSON-type checks on a generation body, before the documented rules (the "schema" step of 12.4).

The rule table assumes objects where the API has objects; a string where `video` should be would
otherwise be read as "no options". The real API (FastAPI) answers these with a list-shaped 422; we
answer 400 with a string detail, as the docs promise for invalid parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .checks import ApiError

_OBJECTS = (
    "video",
    "layering",
    "source",
    "video.edit",
    "video.source_position",
    "video.edit.controls",
    "video.start_frame",
    "video.end_frame",
)
_LISTS = (
    "image_ref",
    "video.keyframes",
    "video.keyframe_indexes",
    "video.edit.keyframes",
    "video.edit.keyframe_indexes",
)
_BOOLEANS = ("video.loop", "video.hdr", "video.exr_export", "video.edit.auto_controls")
_STRINGS = (
    "model",
    "type",
    "aspect_ratio",
    "style",
    "output_format",
    "user_id",
    "video.resolution",
    "video.duration",
    "video.edit.strength",
    "layering.resolution",
)
_REF_LISTS = ("image_ref", "video.keyframes", "video.edit.keyframes")
_KINDS: tuple[tuple[tuple[str, ...], str, Callable[[Any], bool]], ...] = (
    (_OBJECTS, "an object", lambda value: isinstance(value, dict)),
    (_LISTS, "a list", lambda value: isinstance(value, list)),
    (_BOOLEANS, "a boolean", lambda value: isinstance(value, bool)),
    (_STRINGS, "a string", lambda value: isinstance(value, str)),
)


def check_shapes(body: Mapping[str, Any]) -> None:
    """Raise ApiError(400) for the first field of the wrong JSON type (nulls already removed)."""
    for path, expected in _mistyped(body):
        raise ApiError(400, f"{path}: must be {expected}")


def _mistyped(body: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for paths, expected, test in _KINDS:
        for path in paths:
            value = _get(body, path)
            if value is not None and not test(value):
                yield path, expected
    for path in _REF_LISTS:
        items = _get(body, path)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                yield f"{path}[{index}]", "an object"


def _get(body: Mapping[str, Any], path: str) -> Any:
    value: Any = body
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
