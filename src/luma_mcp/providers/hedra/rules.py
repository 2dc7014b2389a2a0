"""Hedra v2's request rules for `POST /generations` (`type: video`), spec section 5, in one place.

`check_body` reads a body exactly as it goes on the wire, against the model's catalog entry (its menus,
limits and required inputs come from `GET /models`, so they are passed in) and the known voices. The
provider runs it before any upload or create (`strict=True`: also our own choices, such as exactly one
of audio and TTS, and no field outside spec 3.5); the emulator runs it on what it receives
(`strict=False`). Each violation carries the status the emulator answers: 422 for the schema (FastAPI's
list shape), 400 for the semantic checks. Also here: ids, statuses, error texts, language names.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..base import State, Violation

DEFAULT_MODEL = "together/hedra-avatar"
DEFAULT_PROMPT = "A person speaking to the camera"  # the guide's example: a style hint, not the script
ID_PREFIX = "hedra:"
# Where an asset id will go once the file is uploaded (after the money checks): what a dry run shows,
# and what the server's own check takes in place of an id. Never sent: the upload replaces it.
PENDING_UPLOAD = "<uploaded when submitted>"
TTS_MAX_CHARS = 5000  # [G] H10
TTS_CHARS_PER_SECOND = 14.0  # [G] spec 10: how long a script takes to speak
NAME_MAX_CHARS = 255
URL_MAX_CHARS = 2083
# Without per-model slots (H23): image <= 10 MiB; audio <= 100 MiB and 0.5 s to 10 min.
DEFAULT_LIMITS: dict[str, dict[str, int]] = {
    "start_frame": {"max_file_size_bytes": 10 * 2**20},
    "audio_input": {"max_file_size_bytes": 100 * 2**20, "min_duration_ms": 500, "max_duration_ms": 600_000},
}
LANGUAGES: tuple[str, ...] = (
    "Chinese", "Chinese,Yue", "English", "Arabic", "Russian", "Spanish", "French", "Portuguese", "German",
    "Turkish", "Dutch", "Ukrainian", "Vietnamese", "Indonesian", "Japanese", "Italian", "Korean", "Thai",
    "Polish", "Romanian", "Greek", "Czech", "Finnish", "Hindi", "Bulgarian", "Danish", "Hebrew", "Malay",
    "Persian", "Slovak", "Swedish", "Croatian", "Filipino", "Hungarian", "Norwegian", "Slovenian", "Catalan",
    "Nynorsk", "Tamil", "Afrikaans", "auto",
)  # fmt: skip
TOP_LEVEL_FIELDS = (
    "type", "model_slug", "name", "generation_id", "reserved_asset_id", "batch_size", "start_keyframe_id",
    "start_keyframe_url", "audio_id", "audio_generation", "audio_start_ms", "generated_video_inputs",
)  # fmt: skip
INPUT_FIELDS = ("text_prompt", "aspect_ratio", "resolution", "duration_ms")
TTS_FIELDS = ("type", "voice_id", "text", "language", "stability", "speed")
_STATES: dict[str, State] = {
    "queued": "queued",
    "pending": "queued",
    "processing": "processing",
    "finalizing": "processing",
    "complete": "completed",
    "completed": "completed",
    "error": "failed",
    "failed": "failed",
}


def public_id(generation_id: str) -> str:
    return ID_PREFIX + generation_id


def api_id(generation_id: str) -> str:
    return generation_id.removeprefix(ID_PREFIX)


def is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def canonical_language(name: str) -> str | None:
    """The exact spelling Hedra takes for a language named in any case (`english` -> `English`)."""
    wanted = name.strip().lower().replace(" ", "")
    return next((language for language in LANGUAGES if language.lower() == wanted), None)


def state_of(status: Any) -> State:
    return _STATES.get(str(status or "").strip().lower(), "processing")


def failure_of(status: Mapping[str, Any]) -> tuple[str, str]:
    """(failure_code, failure_reason) of an `error` status, from `error{type, reason_code, message}` or
    `error_message` (spec 6.2, 7)."""
    error = status.get("error")
    if isinstance(error, Mapping):
        kind, reason = str(error.get("type") or "UNKNOWN"), str(error.get("reason_code") or "")
        message = str(error.get("message") or kind)
        if kind == "MODERATION_FAILED":
            codes = {
                "MODERATION_LIKENESS": "moderation_likeness",
                "MODERATION_OUTPUT_TRANSIENT": "moderation_transient",
            }
            return codes.get(reason, "content_moderated"), message
        if kind == "INSUFFICIENT_BALANCE":
            return "budget_exhausted", message
        return kind.lower(), message
    text = status.get("error_message")
    return "generation_failed", str(text or "Hedra reported an error without a message")


def model_menus(model: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(aspect ratios, resolutions) the catalog entry offers."""
    aspects = tuple(str(value) for value in model.get("aspect_ratios") or ())
    resolutions = tuple(str(value) for value in model.get("resolutions") or ())
    return aspects, resolutions


def slot_limits(model: Mapping[str, Any] | None, role: str) -> dict[str, int]:
    """The enforced limits of the model's input slot `role` (`start_frame`, `audio_input`), else the defaults."""
    limits = dict(DEFAULT_LIMITS.get(role, {}))
    for mode in (model or {}).get("inputs") or ():
        for slot in mode.get("slots") or () if isinstance(mode, Mapping) else ():
            if isinstance(slot, Mapping) and slot.get("role") == role:
                limits.update(
                    {
                        key: int(value)
                        for key, value in slot.items()
                        if key.endswith(("_bytes", "_ms", "_px")) and isinstance(value, int | float)
                    }
                )
    return limits


def check_body(
    body: Mapping[str, Any],
    *,
    catalog: Mapping[str, Mapping[str, Any]] | None,
    voices: Sequence[str] | None,
    strict: bool,
) -> list[Violation]:
    """Every rule `body` breaks, schema first; `catalog` (slug -> model) and `voices` (ids) as Hedra lists them."""
    schema = list(_schema(body, strict=strict))
    if schema:
        return schema
    return list(_semantics(body, catalog, voices, strict=strict))


def _schema(body: Mapping[str, Any], *, strict: bool) -> Iterator[Violation]:
    if body.get("type", "video") != "video":
        yield _422("H2", "type", "Input should be 'video'", "Send type 'video'.")
    inputs = body.get("generated_video_inputs")
    if not isinstance(inputs, Mapping):
        yield _422("H3", "generated_video_inputs", "Field required", "Send generated_video_inputs.text_prompt.")
        inputs = {}
    elif not isinstance(inputs.get("text_prompt"), str):
        yield _422("H3", "generated_video_inputs.text_prompt", "Field required", "Give a prompt (a style hint).")
    for name in ("generation_id", "reserved_asset_id", "start_keyframe_id"):
        if name in body and not is_uuid(body[name]) and not (strict and body[name] == PENDING_UPLOAD):
            yield _422("H21", name, "Input should be a valid UUID", f"Send {name} as a UUID.")
    yield from _check_audio_id(body.get("audio_id"), strict=strict)
    yield from _check_tts(body.get("audio_generation"))
    url = body.get("start_keyframe_url")
    if url is not None and not (isinstance(url, str) and 1 <= len(url) <= URL_MAX_CHARS and _http(url)):
        yield _422("H6", "start_keyframe_url", "Input should be a valid URL", "Give a public http(s) image URL.")
    batch = body.get("batch_size", 1)
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= (1 if strict else 8):
        yield _422("H18", "batch_size", "Input should be less than or equal to 8", "Send batch_size 1.")
    label = body.get("name")
    if label is not None and (not isinstance(label, str) or len(label) > NAME_MAX_CHARS):
        yield _422("H22", "name", f"String should have at most {NAME_MAX_CHARS} characters", "Shorten the name.")
    duration = inputs.get("duration_ms")
    if duration is not None and (not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0):
        yield _422("H16", "generated_video_inputs.duration_ms", "Input should be greater than 0", "Give a length.")
    if strict:
        yield from _unknown(body, TOP_LEVEL_FIELDS, "")
        yield from _unknown(inputs, INPUT_FIELDS, "generated_video_inputs.")


def _check_audio_id(audio: Any, *, strict: bool) -> Iterator[Violation]:
    if audio is None or (strict and audio == PENDING_UPLOAD):
        return
    ids = audio if isinstance(audio, list) else [audio]
    if not ids or not all(is_uuid(item) for item in ids):
        yield _422("H9", "audio_id", "Input should be a valid UUID", "Send the uploaded audio asset's id.")


def _check_tts(tts: Any) -> Iterator[Violation]:
    if tts is None:
        return
    if not isinstance(tts, Mapping):
        yield _422("H10", "audio_generation", "Input should be a valid dictionary", "Send {voice_id, text}.")
        return
    if tts.get("type", "text_to_speech") != "text_to_speech":
        yield _422("H10", "audio_generation.type", "Input should be 'text_to_speech'", "Send text_to_speech.")
    if not is_uuid(tts.get("voice_id")):
        detail = "Field required" if tts.get("voice_id") is None else "Input should be a valid UUID"
        yield _422("H10", "audio_generation.voice_id", detail, "Pick a voice_id from list_voices.")
    text = tts.get("text")
    if not isinstance(text, str):
        yield _422("H10", "audio_generation.text", "Field required", "Give the script to speak.")
    elif not text.strip() or len(text) > TTS_MAX_CHARS:
        yield _400("H10", "audio_generation.text", f"the script must have 1 to {TTS_MAX_CHARS} characters",
                   f"Give a script of at most {TTS_MAX_CHARS} characters.")  # fmt: skip
    for field, low, high in (("stability", 0.0, 1.0), ("speed", 0.7, 1.2)):
        value = tts.get(field)
        if value is not None and (not isinstance(value, int | float) or not low <= value <= high):
            yield _422("H12", f"audio_generation.{field}", f"Input should be between {low} and {high}",
                       f"Send {field} from {low} to {high}.")  # fmt: skip
    language = tts.get("language")
    if language is not None and language not in LANGUAGES:
        yield _422("H13", "audio_generation.language", f"Input should be one of Hedra's languages, got '{language}'",
                   "Use a language name such as English, Spanish or auto.")  # fmt: skip


def _semantics(
    body: Mapping[str, Any],
    catalog: Mapping[str, Mapping[str, Any]] | None,
    voices: Sequence[str] | None,
    *,
    strict: bool,
) -> Iterator[Violation]:
    slug = body.get("model_slug")
    model = (catalog or {}).get(str(slug)) if slug else None
    if not slug or (catalog is not None and model is None):
        listed = ", ".join(sorted(catalog or {})) or "none"
        problem = f"unknown model '{slug}'" if slug else "no model given"
        yield _400("H5", "model_slug", problem, f"Use a Hedra video model slug: {listed}.")
    starts = [name for name in ("start_keyframe_id", "start_keyframe_url") if body.get(name) is not None]
    if len(starts) != 1 and (strict or not starts) and (model is None or model.get("requires_start_frame", True)):
        yield _400("H6", "start_keyframe_id", "give exactly one start frame (an image asset id or a public URL)",
                   "Give the face image.")  # fmt: skip
    audio, tts = body.get("audio_id") is not None, body.get("audio_generation") is not None
    if (audio and tts and strict) or (not audio and not tts and (model is None or model.get("requires_audio_input"))):
        yield _400("H8", "audio_id", "give exactly one of uploaded audio and text-to-speech",
                   "Give audio, or script with voice_id, not both.")  # fmt: skip
    voice = (body.get("audio_generation") or {}).get("voice_id")
    if tts and voices is not None and voice not in voices:
        yield _400("H11", "audio_generation.voice_id", f"unknown voice '{voice}'", "Pick a voice_id from list_voices.")
    if model is not None:
        yield from _check_menus(body.get("generated_video_inputs") or {}, model)


def _check_menus(inputs: Mapping[str, Any], model: Mapping[str, Any]) -> Iterator[Violation]:
    aspects, resolutions = model_menus(model)
    slug = model.get("slug")
    for field, value, menu in (("aspect_ratio", inputs.get("aspect_ratio"), aspects),
                               ("resolution", inputs.get("resolution"), resolutions)):  # fmt: skip
        if value is not None and menu and value not in menu:
            yield _400("H15", f"generated_video_inputs.{field}", f"{slug} does not offer {field} '{value}'",
                       f"Use one of {', '.join(menu)}.")  # fmt: skip
    longest, duration = model.get("max_duration_ms"), inputs.get("duration_ms")
    if isinstance(longest, int) and isinstance(duration, int) and duration > longest:
        yield _400("H16", "generated_video_inputs.duration_ms", f"{slug} makes at most {longest / 1000:g} s",
                   f"Ask for at most {longest / 1000:g} s.")  # fmt: skip
    prompt = inputs.get("text_prompt") or ""
    shortest, most = model.get("min_prompt_length"), model.get("max_prompt_length")
    if (isinstance(shortest, int) and len(prompt) < shortest) or (isinstance(most, int) and len(prompt) > most):
        yield _400("H4", "generated_video_inputs.text_prompt", f"{slug} takes prompts of {shortest or 0} to "
                   f"{most or 'any'} characters", "Change the prompt's length.")  # fmt: skip


def _unknown(mapping: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> Iterator[Violation]:
    for key in mapping:
        if key not in allowed:
            yield _422("H28", prefix + key, "Extra inputs are not permitted", "Remove it: the server never sends it.")


def _http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _422(rule: str, field: str, detail: str, fix: str) -> Violation:
    return Violation(rule=rule, field=field, detail=detail, fix=fix, status=422)


def _400(rule: str, field: str, detail: str, fix: str) -> Violation:
    return Violation(rule=rule, field=field, detail=detail, fix=fix, status=400)
