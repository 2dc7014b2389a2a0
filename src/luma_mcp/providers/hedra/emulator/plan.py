"""What an accepted create becomes: its ids, output shape and length, price, schedule and fate.

Prompt markers in `generated_video_inputs.text_prompt`, for tests and demos (they only steer the emulator):
- `__moderate`: the job ends `error` as it leaves the queue: `MODERATION_FAILED` / `MODERATION_LIKENESS`;
- `__transient`: the job ends `error` after processing: `MODERATION_FAILED` / `MODERATION_OUTPUT_TRANSIENT`;
- `__fail`: the job ends `error` after processing (`INTERNAL`, reported per the `error_style` switch).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..pricing import credits, speech_seconds
from .config import HedraEmulatorConfig, Switches
from .store import Asset, Failure, Job, canonical

DEFAULT_SECONDS = 5.0  # a model with neither audio nor `durations`
GENERATION_FAILED = "Generation failed"
LIKENESS = "The start frame appears to depict a real person; this cannot be generated"
TRANSIENT = "The output was flagged by moderation; a retry may pass"


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the checks found: the catalog entry, the assets the body names, the key's balance."""

    key: str
    model: Mapping[str, Any]
    face: Asset | None
    audio: Asset | None
    remaining: int


def output_seconds(body: Mapping[str, Any], model: Mapping[str, Any], audio: Asset | None) -> float:
    """`duration_ms`, else the uploaded audio's length, else the TTS script's, else the model's default."""
    inputs: Mapping[str, Any] = body["generated_video_inputs"]
    if isinstance(inputs.get("duration_ms"), int):
        return float(inputs["duration_ms"]) / 1000
    if audio is not None and audio.duration_ms:
        return audio.duration_ms / 1000
    tts = body.get("audio_generation")
    if isinstance(tts, Mapping) and isinstance(tts.get("text"), str):
        return speech_seconds(tts["text"])
    durations = [float(value) for value in model.get("durations") or () if str(value).isdigit()]
    return durations[0] if durations else DEFAULT_SECONDS


def estimate(body: Mapping[str, Any], given: Inputs) -> int:
    """Credits the job will debit when it completes (0 when the entry gives no price)."""
    seconds = output_seconds(body, given.model, given.audio)
    resolution = _choice(body, "resolution", given.model)
    return credits(given.model, seconds, {"resolution": resolution}) or 0


def build_job(body: dict[str, Any], given: Inputs, config: HedraEmulatorConfig, switches: Switches, now: float) -> Job:
    model = given.model
    aspect, resolution = _choice(body, "aspect_ratio", model), _choice(body, "resolution", model)
    size = model["dimensions"][aspect][resolution]
    queued_until = now + config.queued_seconds + switches.stall_queued_seconds
    processing_until = queued_until + config.processing_seconds
    price = estimate(body, given)
    tts = body.get("audio_generation")
    return Job(
        id=_id_or_new(body.get("generation_id")),
        key=given.key,
        asset_id=_id_or_new(body.get("reserved_asset_id")),
        model=str(model["slug"]),
        body=body,
        created=now,
        queued_until=queued_until,
        processing_until=processing_until,
        done_at=processing_until + config.finalizing_seconds,
        width=int(size["width"]),
        height=int(size["height"]),
        seconds=output_seconds(body, model, given.audio),
        resolution=resolution,
        aspect_ratio=aspect,
        credits=price,
        avatar=bool(model.get("requires_audio_input")),
        voice_id=str(tts.get("voice_id")) if isinstance(tts, Mapping) else None,
        face_id=given.face.id if given.face is not None else None,
        audio_id=given.audio.id if given.audio is not None else None,
        failure=_fate(body, price, given.remaining, switches),
    )


def _choice(body: Mapping[str, Any], name: str, model: Mapping[str, Any]) -> str:
    """The body's aspect ratio or resolution, else the model's default (its first aspect ratio) [G]."""
    value = body["generated_video_inputs"].get(name)
    if value is not None:
        return str(value)
    if name == "resolution":
        return str(model.get("default_resolution") or model["resolutions"][0])
    return str(model["aspect_ratios"][0])


def _id_or_new(value: Any) -> str:
    return canonical(value) if isinstance(value, str) else str(uuid.uuid4())


def _fate(body: Mapping[str, Any], price: int, remaining: int, switches: Switches) -> Failure | None:
    if price > remaining and switches.insufficient_balance == "async":
        shortfall = {"credits_needed": price, "credits_available": max(0, remaining)}
        return Failure("INSUFFICIENT_BALANCE", "Insufficient credits", at_queue=True, extra=shortfall)
    prompt = str(body["generated_video_inputs"].get("text_prompt") or "")
    if "__moderate" in prompt:
        return Failure("MODERATION_FAILED", LIKENESS, "MODERATION_LIKENESS", at_queue=True)
    if "__transient" in prompt:
        return Failure("MODERATION_FAILED", TRANSIENT, "MODERATION_OUTPUT_TRANSIENT")
    if "__fail" in prompt:
        return Failure("INTERNAL", GENERATION_FAILED)
    return None
