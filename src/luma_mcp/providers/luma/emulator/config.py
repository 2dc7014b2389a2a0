"""The emulator's knobs. Every field has a default, so `EmulatorConfig()` is a working sandbox."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

KEY_PREFIX = "luma-api-"
API_VERSION = "2026-04-01"
# Spec F8: what a caller not yet in the vertical 1080p reframe rollout is told.
VERTICAL_1080P_COMING_SOON = "1080p is coming soon for vertical video_reframe targets; use 720p, 540p, or 360p"

# The fault routes (see luma_mcp.emulator.faults): `"METHOD template"` and the requests each covers.
FAULT_ROUTES: tuple[tuple[str, str], ...] = (
    ("POST /v1/generations", r"POST /v1/generations/?"),
    ("GET /v1/generations/{id}", r"GET /v1/generations/[^/]+"),
    ("POST /v1/files", r"POST /v1/files/?"),
    ("GET /v1/files", r"GET /v1/files/?"),
    ("GET /v1/files/{id}", r"GET /v1/files/[^/]+"),
    ("POST /v1/files/{id}/complete", r"POST /v1/files/[^/]+/complete"),
    ("DELETE /v1/files/{id}", r"DELETE /v1/files/[^/]+"),
    ("PUT /_uploads/{id}", r"PUT /_uploads/[^/]+"),
    ("GET /_media/{id}", r"(?:GET|HEAD) /_media/.+"),
)

# Seconds a job spends `processing` when neither the config nor a `__slow:` directive says otherwise.
DEFAULT_PROCESSING_SECONDS: dict[str, float] = {
    "image": 4.0,
    "image_edit": 4.0,
    "layering": 4.0,
    "video": 20.0,
    "video_edit": 25.0,
    "video_reframe": 25.0,
}


@dataclass
class EmulatorConfig:
    """How the emulated API behaves.

    Timing is lazy: a job's state is computed from `clock` whenever it is read, so an injected fake
    clock moves jobs along without any background task or real sleep.
    """

    queued_seconds: float = 1.0
    processing_seconds: float | None = None  # None: per type, see DEFAULT_PROCESSING_SECONDS
    url_ttl_seconds: float = 3600
    rpm_limit: int = 30
    concurrency_limit: int = 10
    clock: Callable[[], float] = time.time
    accepted_keys: frozenset[str] | None = None  # None: any well-formed `luma-api-*` key
    revoked_keys: frozenset[str] = frozenset()
    expired_keys: frozenset[str] = frozenset()
    suspended_keys: frozenset[str] = frozenset()  # 403 `API client is suspended`
    insufficient_balance_keys: frozenset[str] = frozenset()  # 402 on POST /v1/generations
    hdr_access: bool = True
    layering_access: bool = True
    # Spec F8: 1080p reframes to 9:16 / 3:4 roll out per caller; off (refused) like today's API.
    vertical_1080p_reframe_access: bool = False
    signing_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def processing_for(self, gen_type: str) -> float:
        if self.processing_seconds is not None:
            return self.processing_seconds
        return DEFAULT_PROCESSING_SECONDS.get(gen_type, 4.0)


class AccessSwitches:
    """`/_emulator/switches`: what this API client may use (`EmulatorConfig`'s access flags), for tests
    driving the emulator from another process, e.g. `{"vertical_1080p_reframe_access": true}`."""

    NAMES = ("hdr_access", "layering_access", "vertical_1080p_reframe_access")

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config

    def update(self, payload: Mapping[str, Any]) -> None:
        """Set flags from JSON; raises ValueError, changing nothing, on an unknown name or a non-boolean."""
        for name, value in payload.items():
            if name not in self.NAMES:
                raise ValueError(f"unknown switch {name!r}; use one of: {', '.join(self.NAMES)}")
            if not isinstance(value, bool):
                raise ValueError(f"switch {name} takes true or false, not {value!r}")
        for name, value in payload.items():
            setattr(self.config, name, value)

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self.config, name) for name in self.NAMES}
