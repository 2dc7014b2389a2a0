"""What each video model can do, for the refusals that come before any provider's rule table: a value
the tool's schema allows (the union of every model's) but this model lacks. Each message names the
model and the fix, e.g. "ray-2 does not take keyframes: use start_frame/end_frame, or model ray-3.2"."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from .base import ProviderName, Violation

VideoModel = Literal["ray-3.2", "ray-2", "ray-flash-2"]
AnyResolution = Literal["360p", "540p", "720p", "1080p", "4k"]
AnyDuration = Literal["5s", "9s", "10s"]
AnyVideoAspectRatio = Literal["9:21", "9:16", "3:4", "1:1", "4:3", "16:9", "21:9"]
Feature = Literal["keyframes", "hdr", "exr_export"]


@dataclass(frozen=True)
class VideoModelSpec:
    name: str
    provider: ProviderName
    resolutions: tuple[str, ...]
    durations: tuple[str, ...]
    aspect_ratios: tuple[str, ...]
    features: frozenset[str]
    instead: str  # the model to suggest for what this one lacks


_RAY_2 = dict(
    provider="aimlapi",
    resolutions=("540p", "720p", "1080p", "4k"),
    durations=("5s", "9s"),
    aspect_ratios=("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"),
    features=frozenset(),
    instead="ray-3.2",
)
VIDEO_MODELS: dict[str, VideoModelSpec] = {
    "ray-3.2": VideoModelSpec(
        "ray-3.2",
        "luma",
        ("360p", "540p", "720p", "1080p"),
        ("5s", "10s"),
        ("9:16", "3:4", "1:1", "4:3", "16:9", "21:9"),
        frozenset({"keyframes", "hdr", "exr_export"}),
        "ray-2",
    ),
    "ray-2": VideoModelSpec("ray-2", **_RAY_2),  # type: ignore[arg-type]  # the shared fields, typed above
    "ray-flash-2": VideoModelSpec("ray-flash-2", **_RAY_2),  # type: ignore[arg-type]
}


def unsupported(
    model: str,
    *,
    resolution: str | None = None,
    duration: str | None = None,
    aspect_ratio: str | None = None,
    features: tuple[str, ...] = (),
    other_models: bool = True,
) -> list[Violation]:
    """What `model` lacks of the request, each as a violation naming the model and the fix; the fix
    suggests another model only where the caller can choose one (`other_models`)."""
    spec = VIDEO_MODELS[model]
    return list(_unsupported(spec, resolution, duration, aspect_ratio, features, other_models))


def _unsupported(
    spec: VideoModelSpec,
    resolution: str | None,
    duration: str | None,
    aspect: str | None,
    features: tuple[str, ...],
    other_models: bool,
) -> Iterator[Violation]:
    for field, value, allowed in (
        ("resolution", resolution, spec.resolutions),
        ("duration", duration, spec.durations),
        ("aspect_ratio", aspect, spec.aspect_ratios),
    ):
        if value is not None and value not in allowed:
            others = [m.name for m in VIDEO_MODELS.values() if value in _values(m, field) and m.name != spec.name]
            elsewhere = f", or model {others[0]}" if others and other_models else ""
            yield Violation(
                rule="MODEL",
                field=field,
                detail=f"{spec.name} does not offer {field} '{value}'",
                fix=f"Use one of {', '.join(allowed)}{elsewhere}.",
            )
    for feature in features:
        if feature not in spec.features:
            yield Violation(
                rule="MODEL",
                field=feature,
                detail=f"{spec.name} does not take {feature}",
                fix=f"{_FEATURE_FIX.get(feature, 'Remove it')}"
                + (f", or use model {spec.instead}." if other_models else "."),
            )


_FEATURE_FIX = {
    "keyframes": "Use start_frame/end_frame instead",
    "hdr": "Remove hdr",
    "exr_export": "Remove exr_export",
}


def _values(spec: VideoModelSpec, field: str) -> tuple[str, ...]:
    return {"resolution": spec.resolutions, "duration": spec.durations, "aspect_ratio": spec.aspect_ratios}[field]
