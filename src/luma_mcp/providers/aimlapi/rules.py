"""The AI/ML API's request rules for `luma/ray-2` and `luma/ray-flash-2` (spec section 5), in one place.

`check_body` reads a `POST /v2/video/generations` body exactly as it goes on the wire. The provider
runs it before sending (`strict=True`: our own [G] choices too, such as the prompt bound and http(s)
URLs only); the emulator runs it on what it receives (`strict=False`: lenient where the spec says the
API probably is, e.g. `duration` as a numeric string). Also here: ids, statuses and error texts, the
vocabulary both sides share.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from ..base import State, Violation

# Public model names (what agents pass as `model`) -> the API's names.
MODELS: dict[str, str] = {"ray-2": "luma/ray-2", "ray-flash-2": "luma/ray-flash-2"}
WIRE_MODELS: tuple[str, ...] = tuple(MODELS.values())
RESOLUTIONS: tuple[str, ...] = ("540p", "720p", "1080p", "4k")
ASPECT_RATIOS: tuple[str, ...] = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
DURATIONS: tuple[int, ...] = (5, 9)
DEFAULT_RESOLUTION, DEFAULT_ASPECT_RATIO, DEFAULT_DURATION = "1080p", "16:9", 5
PROMPT_MAX_CHARS = 6000  # [G] Luma Agents' bound, reused (A3)
URL_MAX_CHARS = 2048  # [G] (A9)
TOP_LEVEL_FIELDS = ("model", "prompt", "resolution", "aspect_ratio", "duration", "loop", "keyframes")
FRAME_KEYS = ("frame0", "frame1")
# Short side in pixels per resolution ("the number is the short side"; 4k is 2160).
SHORT_SIDE: dict[str, int] = {"540p": 540, "720p": 720, "1080p": 1080, "4k": 2160}
# A typical run (S002: about 1 min 48 s at 720p for ray-2; flash is "nearly twice as fast").
TYPICAL_SECONDS: dict[str, float] = {"luma/ray-2": 108.0, "luma/ray-flash-2": 54.0}

ID_PREFIX = "aimlapi:"
CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")  # A20
_STATES: dict[str, State] = {
    "queued": "queued",
    "waiting": "queued",
    "generating": "processing",
    "active": "processing",
    "processing": "processing",
    "completed": "completed",
    "error": "failed",
    "failed": "failed",
}

VALIDATION = "Body validation error!"


def public_id(api_id: str) -> str:
    return ID_PREFIX + api_id


def api_id(generation_id: str) -> str:
    """The API's own id inside one of ours (`aimlapi:<id>`); the id as given when it has no prefix."""
    return generation_id.removeprefix(ID_PREFIX)


def bare_uuid(api_generation_id: str) -> str | None:
    """The UUID part of a `<uuid>:<model>` id (or a bare UUID), canonical; None for other id forms."""
    head = api_generation_id.split(":", 1)[0]
    try:
        return str(uuid.UUID(head))
    except ValueError:
        return None


def model_of(api_generation_id: str) -> str | None:
    """The public model name a ray id carries after its colon (`<uuid>:luma/ray-2` -> `ray-2`)."""
    _, _, wire_model = api_generation_id.partition(":")
    return next((name for name, wire in MODELS.items() if wire == wire_model), None)


def state_of(status: Any, has_url: bool) -> State:
    """The API's status word -> our four states; unknown words read as still running (spec 6.3)."""
    word = str(status or "").strip().lower()
    if word == "complete":  # the seed's older wording, meaningful only with a result
        return "completed" if has_url else "processing"
    return _STATES.get(word, "processing")


def error_text(error: Any) -> str | None:
    """A failure's message from either error shape: `{name, message}` or `{detail: [{msg}]}` (spec 6.2)."""
    if error is None:
        return None
    if isinstance(error, str):
        return error or None
    if isinstance(error, Mapping):
        if isinstance(error.get("message"), str) and error["message"]:
            return str(error["message"])
        detail = error.get("detail")
        if isinstance(detail, list):
            messages = [str(item["msg"]) for item in detail if isinstance(item, Mapping) and item.get("msg")]
            if messages:
                return "; ".join(messages)
        if isinstance(detail, str) and detail:
            return detail
    return json.dumps(error)[:500]


def check_body(body: Mapping[str, Any], *, strict: bool) -> list[Violation]:
    """Every rule `body` breaks, most basic first; empty when the API should accept it."""
    return list(_check(body, strict=strict))


def _check(body: Mapping[str, Any], *, strict: bool) -> Iterator[Violation]:
    model = body.get("model")
    if model not in WIRE_MODELS:
        detail = (
            "Required" if model is None else f"Invalid enum value. Expected {_listing(WIRE_MODELS)}, received '{model}'"
        )
        yield _bad("A1", "model", detail, _models_fix())
    yield from _check_prompt(body.get("prompt"), strict=strict)
    yield from _check_enum(body, "resolution", RESOLUTIONS, "A4")
    yield from _check_enum(body, "aspect_ratio", ASPECT_RATIOS, "A5")
    yield from _check_duration(body.get("duration"), strict=strict)
    loop = body.get("loop")
    if loop is not None and not isinstance(loop, bool):
        yield _bad("A7", "loop", f"Expected boolean, received {type(loop).__name__}", "Send loop as true or false.")
    if "keyframes" in body and body["keyframes"] is not None:
        yield from _check_keyframes(body["keyframes"], strict=strict)
    unknown = [key for key in body if key not in TOP_LEVEL_FIELDS]
    if unknown:
        listed = ", ".join(f"'{key}'" for key in unknown)
        yield _bad("A12", unknown[0], f"Unrecognized key(s) in object: {listed}", "Remove it: ray-2 does not take it.")


def _check_prompt(prompt: Any, *, strict: bool) -> Iterator[Violation]:
    if not isinstance(prompt, str):
        yield _bad("A2", "prompt", "Required" if prompt is None else "Expected string", "Give a text prompt.")
    elif strict and not prompt.strip():
        yield _bad("A3", "prompt", "the prompt is empty", "Describe the shot in the prompt.")
    elif strict and len(prompt) > PROMPT_MAX_CHARS:
        yield _bad(
            "A3",
            "prompt",
            f"the prompt is {len(prompt)} characters, over {PROMPT_MAX_CHARS}",
            f"Shorten it to {PROMPT_MAX_CHARS} characters or fewer.",
        )


def _check_enum(body: Mapping[str, Any], name: str, allowed: tuple[str, ...], rule: str) -> Iterator[Violation]:
    value = body.get(name)
    if value is not None and value not in allowed:
        yield _bad(
            rule,
            name,
            f"Invalid enum value. Expected {_listing(allowed)}, received '{value}'",
            f"Use one of {', '.join(allowed)}.",
        )


def _check_duration(duration: Any, *, strict: bool) -> Iterator[Violation]:
    if duration is None:
        return
    lenient = not strict and isinstance(duration, str) and duration.strip().isdigit()
    value = int(duration) if lenient else duration
    if not isinstance(value, int) or isinstance(value, bool) or value not in DURATIONS:
        yield _bad(
            "A6",
            "duration",
            f"Invalid enum value. Expected 5 | 9, received '{duration}'",
            "Send duration as the integer 5 or 9.",
        )


def _check_keyframes(keyframes: Any, *, strict: bool) -> Iterator[Violation]:
    if not isinstance(keyframes, Mapping):
        yield _bad("A8", "keyframes", "Expected object", "Send keyframes as {frame0?, frame1?}.")
        return
    extra = [key for key in keyframes if key not in FRAME_KEYS]
    if extra:
        yield _bad(
            "A8", f"keyframes.{extra[0]}", f"Unrecognized key(s) in object: '{extra[0]}'", "Use only frame0 and frame1."
        )
    frames = {key: keyframes.get(key) for key in FRAME_KEYS if keyframes.get(key) is not None}
    if strict and not frames:
        yield _bad("A8", "keyframes", "keyframes has no frame set", "Omit keyframes, or set frame0 or frame1.")
    for key, frame in frames.items():
        yield from _check_frame(f"keyframes.{key}", frame, strict=strict)
    kinds = [frame.get("type") for frame in frames.values() if isinstance(frame, Mapping)]
    if strict and "generation" in kinds and len(kinds) > 1:
        yield _bad(
            "A15",
            "keyframes",
            "a generation keyframe cannot be combined with another keyframe",
            "Extend from one generation alone, without image frames.",
        )


def _check_frame(path: str, frame: Any, *, strict: bool) -> Iterator[Violation]:
    if not isinstance(frame, Mapping) or frame.get("type") not in ("image", "generation"):
        yield _bad(
            "A8", path, "Invalid input: expected an image or a generation keyframe", "Send {type, url} or {type, id}."
        )
        return
    if frame["type"] == "image":
        if set(frame) != {"type", "url"}:
            yield _bad("A9", path, "an image keyframe is exactly {type, url}", "Send only type and url.")
        yield from _check_url(f"{path}.url", frame.get("url"), strict=strict)
        return
    if set(frame) != {"type", "id"}:
        yield _bad("A11", path, "a generation keyframe is exactly {type, id}", "Send only type and id.")
    if not isinstance(frame.get("id"), str) or not frame["id"].strip():
        yield _bad("A11", f"{path}.id", "Required", "Give the id of the generation to extend.")


def _check_url(path: str, url: Any, *, strict: bool) -> Iterator[Violation]:
    """A9/A10: an absolute http(s) URL, or a `data:` image URI (the lenient path of open question Q2)."""
    if not isinstance(url, str) or not url:
        yield _bad("A9", path, "Invalid url", "Give a public http(s) image URL.")
        return
    if url.startswith("data:"):
        if not url.startswith("data:image/") or ";base64," not in url:
            yield _bad("A10", path, "Invalid url", "Give a base64 data:image/... URI or an http(s) URL.")
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        yield _bad("A9", path, "Invalid url", "Give a public http(s) image URL.")
    elif strict and len(url) > URL_MAX_CHARS:
        yield _bad("A9", path, f"the URL is {len(url)} characters, over {URL_MAX_CHARS}", "Use a shorter URL.")


def _bad(rule: str, field: str, detail: str, fix: str) -> Violation:
    return Violation(rule=rule, field=field, detail=detail, fix=fix)


def _listing(values: tuple[Any, ...]) -> str:
    return " | ".join(f"'{value}'" for value in values)


def _models_fix() -> str:
    return f"Use model {' or '.join(MODELS)}."
