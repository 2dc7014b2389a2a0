"""Tool arguments -> Hedra's `POST /generations` body (spec 3.5). A pure function: no I/O.

The body carries the ids the server chose (`generation_id`, `reserved_asset_id`), so that an ambiguous
create can be found again by its own id; the face as a public URL or an uploaded image asset; the speech
as an uploaded audio asset or Hedra's inline text-to-speech. Nothing outside spec 3.5 is ever sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rules import DEFAULT_PROMPT

Body = dict[str, Any]


def avatar_body(
    *,
    model: str,
    prompt: str | None,
    aspect_ratio: str,
    resolution: str,
    duration_seconds: float | None,
    image_url: str | None,
    image_id: str | None,
    audio_id: str | None,
    script: str | None,
    voice_id: str | None,
    language: str,
    generation_id: str,
    reserved_asset_id: str,
) -> Body:
    inputs: Body = {"text_prompt": prompt or DEFAULT_PROMPT, "aspect_ratio": aspect_ratio, "resolution": resolution}
    if duration_seconds is not None:
        inputs["duration_ms"] = round(duration_seconds * 1000)
    body: Body = {
        "type": "video",
        "model_slug": model,
        "generation_id": generation_id,
        "reserved_asset_id": reserved_asset_id,
        "batch_size": 1,
    }
    if image_url is not None:
        body["start_keyframe_url"] = image_url
    else:
        body["start_keyframe_id"] = image_id
    if audio_id is not None:
        body["audio_id"] = audio_id
    else:
        speech: Body = {"type": "text_to_speech", "voice_id": voice_id, "text": script}
        if language != "auto":
            speech["language"] = language
        body["audio_generation"] = speech
    body["generated_video_inputs"] = inputs
    return body


def subject(body: Mapping[str, Any]) -> str:
    """What an avatar video is of, for its history entry and file name: the style prompt when one was
    given, else the script it speaks, else just that it is a talking avatar."""
    inputs = body.get("generated_video_inputs") or {}
    prompt = inputs.get("text_prompt") if isinstance(inputs, dict) else None
    if isinstance(prompt, str) and prompt and prompt != DEFAULT_PROMPT:
        return prompt
    speech = body.get("audio_generation") or {}
    script = speech.get("text") if isinstance(speech, dict) else None
    return script if isinstance(script, str) and script else "talking avatar"
