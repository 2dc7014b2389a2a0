"""The emulator's knobs: its configuration (fixed per instance) and its switches (changed by tests).

Every field has a default, so `HedraEmulatorConfig()` is a working sandbox. Timing is lazy: a job's
status is computed from `clock` whenever it is read, so tests move jobs along with `advance()`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, get_args

API_PREFIX = "/web-app/public"

# Every answer other than a 422 is `{"detail": "<text>"}` (spec 11); these texts are the emulator's.
INVALID_KEY = "Invalid API key"
INSUFFICIENT_CREDITS = "Insufficient credits"
TOO_MANY_REQUESTS = "Too many requests"
GENERATION_NOT_FOUND = "Generation not found"
ASSET_NOT_FOUND = "Asset not found"
ASSET_EXISTS = "Asset already exists"
TYPE_MISMATCH = "File type does not match asset type"
FILE_TOO_LARGE = "File too large"

# The fault routes (see luma_mcp.emulator.faults): API routes are named as the client's base URL sees
# them (`POST /generations`), the emulator's storage routes by their own paths.
CREATE_ROUTE = "POST /generations"
STATUS_ROUTE = "GET /generations/{id}/status"
UPLOAD_ROUTE = "POST /assets/{id}/upload"
FAULT_ROUTES: tuple[tuple[str, str], ...] = (
    (CREATE_ROUTE, rf"POST {API_PREFIX}/generations/?"),
    (STATUS_ROUTE, rf"GET {API_PREFIX}/generations/[^/]+/status/?"),
    ("GET /generations", rf"GET {API_PREFIX}/generations/?"),
    ("GET /models", rf"GET {API_PREFIX}/models/?"),
    ("GET /voices", rf"GET {API_PREFIX}/voices/?"),
    ("POST /assets", rf"POST {API_PREFIX}/assets/?"),
    (UPLOAD_ROUTE, rf"POST {API_PREFIX}/assets/[^/]+/upload/?"),
    ("GET /assets", rf"GET {API_PREFIX}/assets/?"),
    ("GET /billing/credits", rf"GET {API_PREFIX}/billing/credits/?"),
    ("PUT /_uploads/{id}", r"PUT /_uploads/.+"),
    ("GET /_media/{id}", r"(?:GET|HEAD) /_media/.+"),
)

ErrorStyle = Literal["message", "object"]
InsufficientBalance = Literal["submit_402", "async"]
DuplicateId = Literal["409", "echo"]
IdsSeparator = Literal["comma", "single"]


def _non_negative(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _one_of(*allowed: Any) -> Callable[[Any], bool]:
    # By type too: JSON `true` equals 1 and `1` equals True in Python.
    return lambda value: any(value == choice and type(value) is type(choice) for choice in allowed)


@dataclass
class Switches:
    """Behaviours the spec leaves open (section 11, Q1-Q4): each value is one reading of an unverified fact."""

    stall_queued_seconds: float = 0.0  # extra virtual seconds a new job sits in `queued` at progress 0
    complete_without_url: bool = False  # `complete` statuses leave out `url` and `download_url` (spec 6.2)
    error_style: ErrorStyle = "message"  # a `__fail` job reports `error_message`, or `error{type: INTERNAL}`
    insufficient_balance: InsufficientBalance = "submit_402"
    duplicate_id: DuplicateId = "409"
    ids_separator: IdsSeparator = "comma"  # how `GET /assets?ids=` splits several ids (Q3)

    def update(self, payload: Mapping[str, Any]) -> None:
        """Set fields from JSON (`POST /_emulator/switches`); raises ValueError, changing nothing, on a bad one."""
        for name, value in payload.items():
            check = SWITCH_CHECKS.get(name)
            if check is None:
                raise ValueError(f"unknown switch {name!r}; use one of: {', '.join(SWITCH_CHECKS)}")
            accepted, allowed = check
            if not accepted(value):
                raise ValueError(f"switch {name} takes {allowed}, not {value!r}")
        for name, value in payload.items():
            setattr(self, name, float(value) if name == "stall_queued_seconds" else value)

    def copy(self) -> Switches:
        return replace(self)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _choices(kind: Any) -> tuple[Callable[[Any], bool], str]:
    return _one_of(*get_args(kind)), f"one of {list(get_args(kind))}"


SWITCH_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "stall_queued_seconds": (_non_negative, "a non-negative number"),
    "complete_without_url": (_one_of(False, True), "true or false"),
    "error_style": _choices(ErrorStyle),
    "insufficient_balance": _choices(InsufficientBalance),
    "duplicate_id": _choices(DuplicateId),
    "ids_separator": _choices(IdsSeparator),
}


@dataclass
class HedraEmulatorConfig:
    """How the emulated API behaves. `switches` holds the initial switches; `reset()` returns to them."""

    queued_seconds: float = 5.0
    processing_seconds: float = 20.0
    finalizing_seconds: float = 2.0
    url_ttl_seconds: float = 600.0
    clock: Callable[[], float] = time.time
    accepted_keys: frozenset[str] | None = None  # None: any non-empty X-API-Key
    starting_credits: int = 10_000  # per key: each key is its own account
    signing_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    switches: Switches = field(default_factory=Switches)

    @property
    def run_seconds(self) -> float:
        """How long a job takes without stalls: queued, processing and finalizing."""
        return self.queued_seconds + self.processing_seconds + self.finalizing_seconds
