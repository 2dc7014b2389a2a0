"""What the demo asks the server for, step by step, and which steps a run may take.

The Luma steps chain generation ids (image -> video from it -> extend -> reframe -> edit); the Hedra steps
pick a voice, then make a talking avatar whose face is the demo's image (or `--face`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..providers.luma import requests
from ..providers.luma.pricing import estimate_cost

DEFAULT_PROMPT = "A lighthouse keeper in a yellow raincoat smiles at the camera on a rainy pier at dusk"
SCRIPT = "Hello! An AI agent made this video with luma-mcp, one tool call at a time."
# Stands in for the face when pricing the avatar: a public URL is sent as is, so a dry run fetches nothing.
PRICING_FACE = "https://example.com/face.jpg"

Made = dict[str, dict[str, Any]]
Provider = Literal["luma", "hedra"]


@dataclass(frozen=True)
class Step:
    name: str
    tool: str
    provider: Provider
    arguments: Callable[[Made], dict[str, Any]]
    generates: bool = True  # a generation (waits, costs); else a free read such as list_voices


def luma_steps(prompt: str) -> list[Step]:
    return [
        Step("image", "generate_image", "luma", lambda made: {"prompt": prompt, "aspect_ratio": "16:9"}),
        Step(
            "video",
            "generate_video",
            "luma",
            lambda made: {
                "prompt": f"{prompt}; the camera slowly dollies in",
                "aspect_ratio": "16:9",
                "start_frame": {"generation_id": made["image"]["id"]},
            },
        ),
        Step(
            "extend",
            "extend_video",
            "luma",
            lambda made: {"generation_id": made["video"]["id"], "prompt": "the camera keeps moving as the light fades"},
        ),
        Step(
            "reframe",
            "reframe_video",
            "luma",
            lambda made: {"source": {"generation_id": made["extend"]["id"]}, "aspect_ratio": "9:16"},
        ),
        Step(
            "edit",
            "edit_video",
            "luma",
            lambda made: {"source": {"generation_id": made["video"]["id"]}, "prompt": "as a hand-painted watercolor"},
        ),
    ]


def hedra_steps(face: Path | None) -> list[Step]:
    def avatar(made: Made) -> dict[str, Any]:
        image = {"path": str(face)} if face is not None else {"generation_id": made["image"]["id"]}
        return avatar_arguments(image, first_voice(made))

    return [
        Step("voices", "list_voices", "hedra", lambda made: {"limit": 5}, generates=False),
        Step("avatar", "generate_avatar_video", "hedra", avatar),
    ]


def avatar_arguments(image: dict[str, str], voice_id: str) -> dict[str, Any]:
    return {"image": image, "script": SCRIPT, "voice_id": voice_id, "aspect_ratio": "9:16", "resolution": "540p"}


def first_voice(made: Made) -> str:
    voices = made.get("voices", {}).get("voices") or [{}]
    return str(voices[0].get("id", ""))


def luma_estimate() -> float:
    """The Luma steps' price, from the tables the server quotes (the video is 5 s, the extension 10 s)."""
    image = {"url": "https://example.com/frame.png"}
    video = {"generation_id": "00000000-0000-4000-8000-000000000000"}
    bodies = [
        (requests.image_body(prompt="p"), None),
        (requests.video_body(prompt="p", start_frame=image), None),
        (requests.extend_body(prompt="p", generation_id=video["generation_id"]), None),
        (requests.reframe_body(prompt="p", source=video, aspect_ratio="9:16"), 10.0),
        (requests.edit_body(prompt="p", source=video), 5.0),
    ]
    return sum(estimate_cost(body, seconds) or 0.0 for body, seconds in bodies)
