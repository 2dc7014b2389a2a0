"""The API's enumerations and limits (spec sections 3, 4, 6 and 11).

Tool argument models build their `Literal` types from here, so the JSON schema an agent sees and the
checks the emulator applies can never drift apart.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = [
    "DEFAULT_DURATION",
    "DEFAULT_RESOLUTION",
    "DURATIONS",
    "DURATION_SECONDS",
    "EDIT_STRENGTHS",
    "EXTEND_RESOLUTIONS",
    "FAILURE_CODES",
    "FAILURE_REASONS",
    "FPS",
    "GENERATION_TYPES",
    "HDR_RESOLUTIONS",
    "IMAGE_ASPECT_RATIOS",
    "IMAGE_MAX_BYTES",
    "IMAGE_MAX_SIDE",
    "IMAGE_TYPES",
    "LAYERING_PROMPT_MAX_CHARS",
    "LAYERING_RESOLUTIONS",
    "MAX_IMAGE_REFS",
    "MAX_KEYFRAMES",
    "MODELS",
    "MODEL_TYPES",
    "OUTPUT_FORMATS",
    "POSE_STRENGTHS",
    "PROMPT_MAX_CHARS",
    "RESOLUTIONS",
    "RESOLUTION_SHORT_SIDE",
    "RETRYABLE_FAILURES",
    "SOURCE_MAX_SECONDS",
    "STYLES",
    "TERMINAL_STATES",
    "URL_TTL_SECONDS",
    "VERTICAL_ASPECT_RATIOS",
    "VIDEO_ASPECT_RATIOS",
    "VIDEO_SOURCE_MAX_BYTES",
    "VIDEO_TYPES",
    "Duration",
    "EditStrength",
    "FailureCode",
    "GenerationType",
    "ImageAspectRatio",
    "ImageModel",
    "Model",
    "OutputFormat",
    "PoseStrength",
    "Resolution",
    "State",
    "Style",
    "VideoAspectRatio",
    "frame_limit",
]

Model = Literal["uni-1", "uni-1-max", "ray-3.2"]
GenerationType = Literal["image", "image_edit", "video", "video_edit", "video_reframe", "layering"]
VideoAspectRatio = Literal["9:16", "3:4", "1:1", "4:3", "16:9", "21:9"]
ImageAspectRatio = Literal["3:1", "2:1", "16:9", "3:2", "1:1", "2:3", "9:16", "1:2", "1:3"]
Resolution = Literal["360p", "540p", "720p", "1080p"]
Duration = Literal["5s", "10s"]
Style = Literal["auto", "manga"]
OutputFormat = Literal["png", "jpeg"]
ImageModel = Literal["uni-1", "uni-1-max"]
EditStrength = Literal[
    "adhere_1", "adhere_2", "adhere_3", "flex_1", "flex_2", "flex_3", "reimagine_1", "reimagine_2", "reimagine_3"
]
PoseStrength = Literal["precise", "coarse"]
State = Literal["queued", "processing", "completed", "failed"]
FailureCode = Literal[
    "content_moderated",
    "generation_failed",
    "budget_exhausted",
    "output_not_found",
    "image_too_large",
    "unsupported_format",
    "corrupt_input",
    "invalid_request",
    "rate_limited",
]

MODELS: Final = get_args(Model)
GENERATION_TYPES: Final = get_args(GenerationType)
VIDEO_ASPECT_RATIOS: Final = get_args(VideoAspectRatio)
IMAGE_ASPECT_RATIOS: Final = get_args(ImageAspectRatio)
RESOLUTIONS: Final = get_args(Resolution)
DURATIONS: Final = get_args(Duration)
STYLES: Final = get_args(Style)
OUTPUT_FORMATS: Final = get_args(OutputFormat)
EDIT_STRENGTHS: Final = get_args(EditStrength)
POSE_STRENGTHS: Final = get_args(PoseStrength)
FAILURE_CODES: Final = get_args(FailureCode)
TERMINAL_STATES: Final = ("completed", "failed")

VIDEO_TYPES: Final = ("video", "video_edit", "video_reframe")
IMAGE_TYPES: Final = ("image", "image_edit", "layering")

MODEL_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "uni-1": ("image", "image_edit", "layering"),
    "uni-1-max": ("image", "image_edit"),
    "ray-3.2": VIDEO_TYPES,
}

FPS: Final = 24
DURATION_SECONDS: Final[dict[str, int]] = {"5s": 5, "10s": 10}
RESOLUTION_SHORT_SIDE: Final[dict[str, int]] = {"360p": 360, "540p": 540, "720p": 720, "1080p": 1080}
DEFAULT_RESOLUTION: Final = "720p"
DEFAULT_DURATION: Final = "5s"

PROMPT_MAX_CHARS: Final = 6000
LAYERING_PROMPT_MAX_CHARS: Final = 500
MAX_KEYFRAMES: Final = 64
MAX_IMAGE_REFS: Final[dict[str, int]] = {"image": 9, "image_edit": 8}
IMAGE_MAX_BYTES: Final = 50 * 1024 * 1024
IMAGE_MAX_SIDE: Final = 8000
VIDEO_SOURCE_MAX_BYTES: Final = 200 * 1024 * 1024
SOURCE_MAX_SECONDS: Final[dict[str, float]] = {"video_edit": 18.0, "video_reframe": 30.0}
HDR_RESOLUTIONS: Final = ("720p", "1080p")
EXTEND_RESOLUTIONS: Final = ("540p", "720p", "1080p")
VERTICAL_ASPECT_RATIOS: Final = ("9:16", "3:4")
LAYERING_RESOLUTIONS: Final = ("1k", "2k")
URL_TTL_SECONDS: Final = 3600

FAILURE_REASONS: Final[dict[str, str]] = {
    "content_moderated": "Generation output was flagged by our content moderation system.",
    "generation_failed": "Generation failed",
    "budget_exhausted": "Insufficient credits to complete this generation.",
    "output_not_found": "Output artifacts not found",
    "image_too_large": "An input image exceeded the size limit",
    "unsupported_format": "An input media file had an unsupported format",
    "corrupt_input": "An input media file could not be decoded",
    "invalid_request": "The request was rejected during processing",
    "rate_limited": "Upstream rate limit hit during processing",
}

# Whether resubmitting the same request can succeed (spec 6.3): drives the `next_step` we give agents.
RETRYABLE_FAILURES: Final = frozenset({"generation_failed", "output_not_found", "rate_limited"})


def frame_limit(duration: str | None) -> int:
    """The last valid output-frame index for a clip of `duration` (5s -> 120, 10s -> 240)."""
    return FPS * DURATION_SECONDS.get(duration or DEFAULT_DURATION, 5)
