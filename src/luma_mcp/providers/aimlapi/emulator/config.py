"""The emulator's knobs: its configuration (fixed per instance) and its switches (changed by tests).

Every field has a default, so `AimlEmulatorConfig()` is a working sandbox. Timing is lazy: a job's
status is computed from `clock` whenever it is read, so tests move jobs along with `advance()`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, get_args

from ..rules import MODELS, RESOLUTIONS

# The gateway's documented texts (spec 7.2), verbatim: clients match on them.
UNAUTHORIZED = (
    "This request requires a valid API key. You can create a new API key on the Billing page: "
    "https://aimlapi.com/app/keys"
)
OUT_OF_CREDITS = (
    "You've run out of credits. Please top up your balance or update your payment method to continue: "
    "https://aimlapi.com/app/billing/"
)
NO_VIDEO_SCOPE = "This API key is not allowed to call video models"

CREATE_ROUTE = "POST /v2/video/generations"
# The fault routes (see luma_mcp.emulator.faults): `"METHOD template"` and the requests each covers.
FAULT_ROUTES: tuple[tuple[str, str], ...] = (
    (CREATE_ROUTE, r"POST /v2/video/generations/?"),
    ("GET /v2/video/generations", r"GET /v2/video/generations/?"),
    ("GET /v1/models", r"GET /v1/models/?"),
    ("GET /v2/billing", r"GET /v2/billing/?"),
    ("GET /v2/logs", r"GET /v2/logs/?"),
    ("GET /_media/{id}", r"(?:GET|HEAD) /_media/.+"),
)

# Placeholders: the real ray-2 prices are unpublished (spec 10.1, Q3); only their shape matters.
RAY_2_PRICES: dict[str, float] = {"540p": 0.05, "720p": 0.10, "1080p": 0.20, "4k": 0.40}
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "ray-2": RAY_2_PRICES,
    "ray-flash-2": {resolution: round(price / 3, 4) for resolution, price in RAY_2_PRICES.items()},
}


def variants_block(prices: Mapping[str, float]) -> dict[str, Any]:
    """A `pricing` block as `/v1/models?include=pricing` serves it: per second, keyed on resolution."""
    return {
        "kind": "variants",
        "currency": "USD",
        "dimensions": ["resolution"],
        "variants": [
            {"when": {"resolution": resolution}, "price": prices[resolution], "unit": "second", "per": 1}
            for resolution in RESOLUTIONS
            if resolution in prices
        ],
    }


def default_pricing() -> dict[str, dict[str, Any]]:
    return {name: variants_block(DEFAULT_PRICES[name]) for name in MODELS}


AnchorIdForm = Literal["full", "bare", "both"]
AnchorNotReady = Literal["reject", "fail_later"]
CreateStatus = Literal[200, 201]
StatusWords = Literal["canonical", "extended"]
UnknownId = Literal["404", "error200"]
ErrorShape = Literal["name_message", "detail_list"]


@dataclass
class Switches:
    """Behaviours the spec leaves open (12.3-12.7): each value is one reading of an unverified fact."""

    anchor_id_form: AnchorIdForm = "both"
    anchor_not_ready: AnchorNotReady = "reject"
    create_status: CreateStatus = 200
    usage_at_submit: bool = False
    status_words: StatusWords = "canonical"
    unknown_id: UnknownId = "404"
    error_shape: ErrorShape = "name_message"

    def update(self, payload: Mapping[str, Any]) -> None:
        """Set fields from JSON (`POST /_emulator/switches`); raises ValueError, changing nothing, on a bad one."""
        for name, value in payload.items():
            allowed = SWITCH_VALUES.get(name)
            if allowed is None:
                raise ValueError(f"unknown switch {name!r}; use one of: {', '.join(SWITCH_VALUES)}")
            # By type too: JSON `true` equals 1 and `1` equals True in Python.
            if value not in allowed or type(value) is not type(allowed[0]):
                raise ValueError(f"switch {name} takes one of {list(allowed)}, not {value!r}")
        for name, value in payload.items():
            setattr(self, name, value)

    def copy(self) -> Switches:
        return replace(self)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


SWITCH_VALUES: dict[str, tuple[Any, ...]] = {
    "anchor_id_form": get_args(AnchorIdForm),
    "anchor_not_ready": get_args(AnchorNotReady),
    "create_status": get_args(CreateStatus),
    "usage_at_submit": (False, True),
    "status_words": get_args(StatusWords),
    "unknown_id": get_args(UnknownId),
    "error_shape": get_args(ErrorShape),
}


@dataclass
class AimlEmulatorConfig:
    """How the emulated gateway behaves. `switches` holds the initial switches; `reset()` returns to them."""

    queued_seconds: float = 5.0
    generating_seconds: float = 30.0  # ray-flash-2 takes half of both
    stall_seconds: float = 600.0  # a `__stall` job completes this long after its create
    url_ttl_seconds: float = 3600.0
    clock: Callable[[], float] = time.time
    accepted_keys: frozenset[str] | None = None  # None: any non-empty Bearer key
    keys_without_video_scope: frozenset[str] = frozenset()
    balance_usd: float = 1000.0
    logs_lag_seconds: float = 30.0
    signing_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    # Per public model (`ray-2`), the `pricing` block of `/v1/models`; also what the emulator charges.
    pricing: dict[str, dict[str, Any]] = field(default_factory=default_pricing)
    switches: Switches = field(default_factory=Switches)
