"""What `POST /generations` answers before it accepts a body: the shared rule table's first broken
rule (422 in FastAPI's list shape, or 400 `{"detail": "<field>: <reason>"}`), then the emulator's own
look-ups of the assets the body names (spec 11.6)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ...base import Violation
from ..rules import check_body
from .responses import ApiError, entry, invalid
from .store import Asset, Store

# Pydantic's error `type` for each kind of message the rule table writes (spec 5: "[G] exact strings").
_TYPES: tuple[tuple[str, str], ...] = (
    ("Field required", "missing"),
    ("valid UUID", "uuid_parsing"),
    ("valid URL", "url_parsing"),
    ("valid dictionary", "dict_type"),
    ("valid integer", "int_type"),
    ("Input should be '", "literal_error"),
    ("Input should be one of", "enum"),
    ("characters", "string_too_long"),
    ("greater than 0", "greater_than"),
    ("less than or equal", "less_than_equal"),
    ("Extra inputs", "extra_forbidden"),
)
_BETWEEN = re.compile(r"between (?P<low>[\d.]+) and (?P<high>[\d.]+)")


def body_error(
    body: Mapping[str, Any], catalog: Mapping[str, Mapping[str, Any]], voices: Sequence[str]
) -> ApiError | None:
    """The answer to a body that breaks a rule, or None. A 422 lists every schema error, as FastAPI does."""
    violations = [*_extra_schema(body), *check_body(body, catalog=catalog, voices=voices, strict=False)]
    if not violations:
        return None
    first = violations[0]
    if first.status == 422:
        return invalid(*(violation_entry(violation, body) for violation in violations if violation.status == 422))
    return ApiError(first.status, f"{first.field}: {first.detail}")


def _extra_schema(body: Mapping[str, Any]) -> list[Violation]:
    """Schema rules the shared table leaves to the API: `audio_start_ms` is an integer (H17)."""
    start = body.get("audio_start_ms")
    if start is None or (isinstance(start, int) and not isinstance(start, bool)):
        return []
    fix = "Send audio_start_ms as whole milliseconds."
    return [Violation("H17", "audio_start_ms", "Input should be a valid integer", fix, status=422)]


def violation_entry(violation: Violation, body: Mapping[str, Any]) -> dict[str, Any]:
    path = violation.field.split(".")
    parent: Any = body
    for part in path[:-1]:
        parent = parent.get(part) if isinstance(parent, Mapping) else None
    value = parent.get(path[-1]) if isinstance(parent, Mapping) else None
    kind = _error_type(violation.detail, value)
    return entry(["body", *path], violation.detail, kind, parent if kind == "missing" else value)


def _error_type(detail: str, value: Any) -> str:
    between = _BETWEEN.search(detail)
    if between is not None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return "float_parsing"
        return "greater_than_equal" if value < float(between["low"]) else "less_than_equal"
    return next((kind for words, kind in _TYPES if words in detail), "value_error")


def referenced_assets(body: Mapping[str, Any], store: Store, key: str) -> tuple[Asset | None, Asset | None]:
    """(face, audio): the uploaded image and the first uploaded audio the body names, checked (400)."""
    face_id = body.get("start_keyframe_id")
    face = _uploaded(store, key, "start_keyframe_id", str(face_id), "image") if face_id is not None else None
    audio_ids = body.get("audio_id")
    if audio_ids is None:
        return face, None
    listed = audio_ids if isinstance(audio_ids, list) else [audio_ids]
    audios = [_uploaded(store, key, "audio_id", str(audio_id), "audio") for audio_id in listed]
    return face, audios[0]


def _uploaded(store: Store, key: str, field: str, asset_id: str, kind: str) -> Asset:
    asset = store.asset(asset_id, key)
    if asset is None or asset.type != kind:
        raise ApiError(400, f"{field}: '{asset_id}' is not an {kind} asset of this account")
    if asset.data is None:
        raise ApiError(400, f"{field}: asset '{asset_id}' has no uploaded file")
    return asset
