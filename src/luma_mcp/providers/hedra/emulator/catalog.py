"""The model catalog (`GET /models`) and the TTS voices (`GET /voices`), spec 4 and 11.2-11.3.

The entries served here are also what the emulator checks bodies against (`rules.check_body`), sizes
outputs by (`dimensions`) and charges (`pricing.credits`), so a client reading them agrees with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from luma_mcp.emulator.media import video_size

from ..rules import DEFAULT_MODEL, slot_limits
from .config import HedraEmulatorConfig
from .responses import authenticate, entry, invalid, media_url
from .store import Store, iso

AVATAR_MODEL = DEFAULT_MODEL
TEXT_TO_VIDEO_MODEL = "fal/grok-video-t2v"
GENERATION_TYPES = ("image", "video", "audio", "voice")  # [G] the GenerationType values `?types=` takes
ASPECT_RATIOS = ("16:9", "9:16", "1:1")
SHORT_SIDES: dict[str, int] = {"480p": 480, "540p": 540, "720p": 720}
CATALOG_CREATED = 1_767_225_600.0  # 2026-01-01: when the fixed voices "were made"


def dimensions(resolutions: Sequence[str]) -> dict[str, dict[str, dict[str, int]]]:
    """`{aspect: {resolution: {width, height}}}`: 540p 16:9 is 960x540, 720p 9:16 is 720x1280."""
    table: dict[str, dict[str, dict[str, int]]] = {}
    for aspect in ASPECT_RATIOS:
        for resolution in resolutions:
            width, height = video_size(SHORT_SIDES[resolution], aspect)
            table.setdefault(aspect, {})[resolution] = {"width": width, "height": height}
    return table


def _slot(kind: str, role: str, limits: Mapping[str, int]) -> dict[str, Any]:
    return {"type": kind, "role": role, "required": True, "min_count": 1, "max_count": 1, **limits}


def _common(config: HedraEmulatorConfig, resolutions: list[str]) -> dict[str, Any]:
    return {
        "type": "video",
        "aspect_ratios": list(ASPECT_RATIOS),
        "resolutions": resolutions,
        "dimensions": dimensions(resolutions),
        "requires_end_frame": False,
        "requires_input_video": False,
        "requires_character_orientation": False,
        "eta_ms": round(config.run_seconds * 1000),
    }


def avatar_model(config: HedraEmulatorConfig) -> dict[str, Any]:
    slots = [
        _slot("image", "start_frame", slot_limits(None, "start_frame")),
        _slot("audio", "audio_input", slot_limits(None, "audio_input")),
    ]
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, AVATAR_MODEL)),
        "slug": AVATAR_MODEL,
        "name": "Hedra Avatar",
        "description": "Lip-synced talking avatar; requires an image and audio input.",
        **_common(config, ["540p", "720p"]),
        "default_resolution": "540p",
        "max_duration_ms": 600_000,
        "requires_start_frame": True,
        "requires_audio_input": True,
        "inputs": [{"mode": "avatar", "slots": slots}],
        "min_prompt_length": None,
        "max_prompt_length": None,
        "price_details": {"credit_cost": 7, "unit_scale": 1, "billing_unit": "second"},
        "pricing": {"base_cost": 0, "credits_per_second": 7, "modifiers": {"resolution": {"720p": 1.5}}},
    }


def text_to_video_model(config: HedraEmulatorConfig) -> dict[str, Any]:
    """A model that is not an avatar: no start frame or audio, fixed lengths, priced by `price_details`."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, TEXT_TO_VIDEO_MODEL)),
        "slug": TEXT_TO_VIDEO_MODEL,
        "name": "Grok Video (text to video)",
        "description": "Text to video.",
        **_common(config, ["480p", "720p"]),
        "default_resolution": "720p",
        "durations": ["6", "10"],
        "max_duration_ms": 10_000,
        "requires_start_frame": False,
        "requires_audio_input": False,
        "inputs": None,
        "min_prompt_length": 1,
        "max_prompt_length": 4000,
        "price_details": {"credit_cost": 10, "unit_scale": 1, "billing_unit": "second"},
        "pricing": None,
    }


def models(config: HedraEmulatorConfig) -> dict[str, dict[str, Any]]:
    """The catalog by slug, in the order `GET /models` lists it."""
    return {model["slug"]: model for model in (avatar_model(config), text_to_video_model(config))}


@dataclass(frozen=True, slots=True)
class Voice:
    id: str
    name: str
    gender: str
    accent: str
    age: str
    pitch_hz: float  # of its preview, and of the tone that stands in for its speech

    def to_json(self, preview_url: str) -> dict[str, Any]:
        labels = [{"name": name, "value": value} for name, value in self.labels().items()]
        asset = {"type": "voice", "external_id": self.id.replace("-", "")[:20], "labels": labels,
                 "preview_url": preview_url, "source": "elevenlabs"}  # fmt: skip
        return {"id": self.id, "name": self.name, "type": "voice", "thumbnail_url": None,
                "created_at": iso(CATALOG_CREATED), "asset": asset}  # fmt: skip

    def labels(self) -> dict[str, str]:
        return {"gender": self.gender, "accent": self.accent, "age": self.age}


VOICES: tuple[Voice, ...] = (
    Voice("f412c62f-e94f-41c0-bfc6-97f63289941c", "Maya", "female", "american", "young", 220.0),
    Voice("3b1c5e0a-7d2f-4c8e-9a61-5f0d2b7e8c43", "Arthur", "male", "british", "middle_aged", 120.0),
    Voice("9e7d4a21-1c6b-4f3e-8d05-a2b9c6e41f70", "Ines", "female", "spanish", "old", 180.0),
)
VOICE_IDS: tuple[str, ...] = tuple(voice.id for voice in VOICES)
VOICES_BY_ID: dict[str, Voice] = {voice.id: voice for voice in VOICES}


class Catalog:
    def __init__(self, store: Store, config: HedraEmulatorConfig) -> None:
        self.store = store
        self.config = config

    async def models(self, request: Request) -> Response:
        """A bare array; repeated `?types=` filters by generation type (an unknown one is 422)."""
        authenticate(request, self.config)
        wanted = request.query_params.getlist("types")
        for index, kind in enumerate(wanted):
            if kind not in GENERATION_TYPES:
                listed = ", ".join(f"'{choice}'" for choice in GENERATION_TYPES)
                raise invalid(entry(["query", "types", index], f"Input should be {listed}", "enum", kind))
        chosen = [model for model in models(self.config).values() if not wanted or model["type"] in wanted]
        return JSONResponse(chosen)

    async def voices(self, request: Request) -> Response:
        authenticate(request, self.config)
        return JSONResponse(self.voice_assets(request))

    def voice_assets(self, request: Request) -> list[dict[str, Any]]:
        """The voices as `Asset`s, each with a freshly signed preview URL."""
        return [voice.to_json(media_url(request, self.store, f"{voice.id}.wav")) for voice in VOICES]
