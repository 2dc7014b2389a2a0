"""The emulator's state: generations, files, the rate limiter and presigned-URL signing.

Everything is keyed by API key, so one key never sees another's ids (they answer 404, like missing
ones). States are derived from the clock on every read; nothing runs in the background.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import shutil
import tempfile
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from luma_mcp.emulator.media import MediaSpec

from .config import EmulatorConfig

State = Literal["queued", "processing", "completed", "failed"]
FileState = Literal["pending", "ready", "failed", "deleted"]
OutputType = Literal["video", "image", "exr"]

RPM_WINDOW_SECONDS = 60.0
CONCURRENCY_RETRY_AFTER = 60
# Active jobs stop counting against the concurrency limit after this long (spec section 8).
SLOT_TRACKING_SECONDS = 3600.0


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amz_date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_amz_date(value: str) -> float | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def canonical_uuid(value: str) -> str | None:
    """The canonical form of a UUID string, or None: malformed ids must look exactly like missing ones."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None


@dataclass(frozen=True, slots=True)
class Output:
    type: OutputType
    spec: MediaSpec
    layer: dict[str, Any] | None = None


@dataclass
class Generation:
    id: str
    key: str
    type: str
    model: str
    created: float
    queued_until: float
    done_at: float
    outputs: list[Output]
    failure_code: str | None = None
    failure_reason: str | None = None
    # The shape of the primary output, kept so that chained jobs (extend, edit, reframe) can follow it.
    width: int = 0
    height: int = 0
    seconds: float | None = None

    def state(self, now: float) -> State:
        if now < self.queued_until:
            return "queued"
        if now < self.done_at:
            return "processing"
        return "failed" if self.failure_code else "completed"

    def has_output(self, kind: OutputType) -> bool:
        return any(output.type == kind for output in self.outputs)


@dataclass
class StoredFile:
    id: str
    key: str
    seq: int
    created: float
    mime_type: str
    size_bytes: int
    purpose: str
    filename: str | None
    user_id: str | None
    expires_at: str | None
    upload_headers: dict[str, str]
    state: FileState = "pending"
    deleted_at: float | None = None
    failure_reason: str | None = None
    path: Path | None = None
    received: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": iso(self.created),
            "mime_type": self.mime_type,
            "purpose": self.purpose,
            "size_bytes": self.size_bytes,
            "state": self.state,
            "deleted_at": iso(self.deleted_at) if self.deleted_at is not None else None,
            "expires_at": self.expires_at,
            "failure_reason": self.failure_reason,
            "filename": self.filename,
            "user_id": self.user_id,
        }


@dataclass(frozen=True, slots=True)
class Rejection:
    detail: str
    headers: dict[str, str]


@dataclass
class RateLimiter:
    """RPM over a sliding 60 s window of accepted POSTs, then concurrency; a 429 never enters the window."""

    rpm_limit: int
    concurrency_limit: int
    windows: dict[str, deque[float]] = field(default_factory=dict)

    def check(self, key: str, now: float, active: int) -> Rejection | None:
        window = self._window(key, now)
        if len(window) >= self.rpm_limit:
            ages_out = window[0] + RPM_WINDOW_SECONDS
            return Rejection(
                "Rate limit exceeded",
                {
                    "Retry-After": str(max(1, math.ceil(ages_out - now))),
                    "X-RateLimit-Limit": str(self.rpm_limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(math.ceil(ages_out)),
                },
            )
        if active >= self.concurrency_limit:
            return Rejection("Too many concurrent jobs", {"Retry-After": str(CONCURRENCY_RETRY_AFTER)})
        return None

    def accept(self, key: str, now: float) -> dict[str, str]:
        window = self._window(key, now)
        window.append(now)
        return {
            "X-RateLimit-Limit": str(self.rpm_limit),
            "X-RateLimit-Remaining": str(max(0, self.rpm_limit - len(window))),
            "X-RateLimit-Reset": str(math.ceil(now + RPM_WINDOW_SECONDS)),
        }

    def _window(self, key: str, now: float) -> deque[float]:
        window = self.windows.setdefault(key, deque())
        while window and window[0] <= now - RPM_WINDOW_SECONDS:
            window.popleft()
        return window


@dataclass(frozen=True, slots=True)
class Signer:
    """HMAC signatures for the emulator's presigned media and upload URLs."""

    secret: bytes

    def sign(self, resource: str, date: str, expires: int) -> str:
        message = f"{resource}\n{date}\n{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def query(self, resource: str, now: float, expires: int) -> str:
        date = amz_date(now)
        return f"X-Amz-Expires={expires}&X-Amz-Date={date}&sig={self.sign(resource, date, expires)}"

    def verify(self, resource: str, params: dict[str, str], now: float) -> Literal["ok", "expired", "bad"]:
        date, sig = params.get("X-Amz-Date", ""), params.get("sig", "")
        try:
            expires = int(params.get("X-Amz-Expires", ""))
        except ValueError:
            return "bad"
        if not hmac.compare_digest(sig, self.sign(resource, date, expires)):
            return "bad"
        signed_at = parse_amz_date(date)
        if signed_at is None:
            return "bad"
        return "expired" if now > signed_at + expires else "ok"


class Store:
    """All mutable emulator state, behind a clock that tests can move (`advance`)."""

    # What a sandbox keeps across restarts (luma_mcp.emulator.persist); rate windows and the clock offset are not.
    PERSISTED: ClassVar[dict[str, Any]] = {
        "generations": dict[str, dict[str, Generation]],
        "files": dict[str, dict[str, StoredFile]],
        "_file_seq": int,
        "signer": Signer,
    }

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.offset = 0.0
        self.generations: dict[str, dict[str, Generation]] = {}
        self.by_id: dict[str, Generation] = {}
        self.files: dict[str, dict[str, StoredFile]] = {}
        self.files_by_id: dict[str, StoredFile] = {}
        self.limiter = RateLimiter(config.rpm_limit, config.concurrency_limit)
        self.signer = Signer(config.signing_secret)
        self._file_seq = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.upload_dir: Path | None = None  # set by a persistent sandbox: uploads then outlive the process

    def now(self) -> float:
        return self.config.clock() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    # --- generations --------------------------------------------------------------------------------

    def add_generation(self, generation: Generation) -> None:
        self.generations.setdefault(generation.key, {})[generation.id] = generation
        self.by_id[generation.id] = generation

    def generation(self, key: str, generation_id: str) -> Generation | None:
        canonical = canonical_uuid(generation_id)
        return self.generations.get(key, {}).get(canonical) if canonical else None

    def active_jobs(self, key: str, now: float) -> int:
        return sum(
            1
            for generation in self.generations.get(key, {}).values()
            if generation.state(now) in ("queued", "processing") and now - generation.created < SLOT_TRACKING_SECONDS
        )

    # --- files --------------------------------------------------------------------------------------

    def add_file(self, key: str, **fields: Any) -> StoredFile:
        self._file_seq += 1
        stored = StoredFile(id=str(uuid.uuid4()), key=key, seq=self._file_seq, created=self.now(), **fields)
        self.files.setdefault(key, {})[stored.id] = stored
        self.files_by_id[stored.id] = stored
        return stored

    def file(self, key: str, file_id: str) -> StoredFile | None:
        canonical = canonical_uuid(file_id)
        return self.files.get(key, {}).get(canonical) if canonical else None

    def files_newest_first(self, key: str) -> list[StoredFile]:
        return sorted(self.files.get(key, {}).values(), key=lambda stored: stored.seq, reverse=True)

    def reindex(self) -> None:
        self.by_id = {gen.id: gen for by_key in self.generations.values() for gen in by_key.values()}
        self.files_by_id = {stored.id: stored for by_key in self.files.values() for stored in by_key.values()}

    def upload_path(self, file_id: str) -> Path:
        """Where an upload's bytes go: `upload_dir` when set, else a private temporary folder, removed
        when the store is collected."""
        if self.upload_dir is not None:
            self.upload_dir.mkdir(parents=True, exist_ok=True)
            return self.upload_dir / file_id
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="luma-emulator-")
        return Path(self._tmp.name) / file_id

    def delete_file_bytes(self, stored: StoredFile) -> None:
        if stored.path is not None:
            stored.path.unlink(missing_ok=True)
            stored.path = None

    def clear(self) -> None:
        self.generations.clear()
        self.by_id.clear()
        self.files.clear()
        self.files_by_id.clear()
        self.limiter.windows.clear()
        if self._tmp is not None:
            shutil.rmtree(self._tmp.name, ignore_errors=True)
            Path(self._tmp.name).mkdir(exist_ok=True)
