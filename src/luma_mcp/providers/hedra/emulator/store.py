"""The emulator's state: assets, jobs, the virtual clock, each key's credits and URL signing.

Nothing runs in the background: a job's status and progress, and a key's spent credits, are derived
from the clock whenever they are read, so `advance()` moves everything at once.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from luma_mcp.emulator.signing import Signer

from .config import HedraEmulatorConfig

JobStatus = Literal["queued", "processing", "finalizing", "complete", "error"]

PROCESSING_PROGRESS = 0.9  # where `processing` ends (spec 11.7); `finalizing` reads 0.95
FINALIZING_PROGRESS = 0.95


def canonical(value: str) -> str:
    """A UUID in its one canonical spelling (lower case, hyphens), as FastAPI echoes parsed ids."""
    return str(uuid.UUID(value))


def iso(timestamp: float) -> str:
    """Pydantic's form of a UTC datetime: `2026-08-05T12:00:00.250000Z`."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Asset:
    """An asset record of one key; `data` once a file is uploaded (image and audio: probed on upload)."""

    id: str
    key: str
    name: str
    type: str
    created: float
    data: bytes | None = None
    media_type: str | None = None
    extension: str = "bin"
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    digest: str | None = None  # of `data`: what rendered videos are cached by

    def keep(self, data: bytes, media_type: str | None, extension: str) -> None:
        """Store an uploaded file (a second upload replaces the first)."""
        self.data, self.media_type, self.extension = data, media_type, extension
        self.digest = hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Failure:
    """How a job ends in `error`: `code` is Hedra's ErrorCode; `at_queue` fails it as it leaves the queue."""

    code: str
    message: str
    reason_code: str | None = None
    at_queue: bool = False
    extra: dict[str, int] = field(default_factory=dict)


@dataclass
class Job:
    """One accepted create. `seconds` is the output's length; `credits` what completing it debits."""

    id: str
    key: str
    asset_id: str
    model: str
    body: dict[str, Any]
    created: float
    queued_until: float
    processing_until: float
    done_at: float
    width: int
    height: int
    seconds: float
    resolution: str
    aspect_ratio: str
    credits: int
    avatar: bool = True  # the model lip-syncs a face (else: the shared synthetic clip, silent)
    voice_id: str | None = None  # the TTS voice, which sets the pitch of the stand-in tone
    face_id: str | None = None  # the image asset, None for `start_keyframe_url` (or no start frame)
    audio_id: str | None = None  # the uploaded audio asset; None: TTS (or no audio) gets a tone
    failure: Failure | None = None

    def status(self, now: float) -> JobStatus:
        if now < self.queued_until:
            return "queued"
        if self.failure is not None and (self.failure.at_queue or now >= self.processing_until):
            return "error"
        if now < self.processing_until:
            return "processing"
        return "finalizing" if now < self.done_at else "complete"

    def progress(self, now: float) -> float:
        status = self.status(now)
        if status == "processing":
            span = max(self.processing_until - self.queued_until, 1e-9)
            return round(PROCESSING_PROGRESS * (now - self.queued_until) / span, 4)
        if status == "error":
            return 0.0 if self.failure is not None and self.failure.at_queue else PROCESSING_PROGRESS
        return {"queued": 0.0, "finalizing": FINALIZING_PROGRESS, "complete": 1.0}[status]

    def ends_at(self) -> float:
        if self.failure is None:
            return self.done_at
        return self.queued_until if self.failure.at_queue else self.processing_until

    def cost(self, now: float) -> int:
        """Credits debited so far: all of them once complete, never for a failure (spec 11.11)."""
        return self.credits if self.status(now) == "complete" else 0


class Store:
    """All mutable emulator state, behind a clock that tests can move (`advance`)."""

    # What a sandbox keeps across restarts (luma_mcp.emulator.persist).
    PERSISTED: ClassVar[dict[str, Any]] = {"assets": dict[str, Asset], "jobs": dict[str, Job], "signer": Signer}

    def __init__(self, config: HedraEmulatorConfig) -> None:
        self.config = config
        self.offset = 0.0
        self.assets: dict[str, Asset] = {}
        self.jobs: dict[str, Job] = {}
        self.by_asset: dict[str, Job] = {}  # a job's output asset id -> the job
        self.signer = Signer(config.signing_secret)

    def now(self) -> float:
        return self.config.clock() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def reindex(self) -> None:
        self.by_asset = {job.asset_id: job for job in self.jobs.values()}

    def add_asset(self, asset: Asset) -> None:
        self.assets[asset.id] = asset

    def add_job(self, job: Job) -> None:
        self.jobs[job.id] = job
        self.by_asset[job.asset_id] = job

    # Lookups take UUIDs (the routes check them first) in any spelling.

    def asset(self, asset_id: str, key: str) -> Asset | None:
        """An asset of this key: another key's assets do not exist for it."""
        asset = self.assets.get(canonical(asset_id))
        return asset if asset is not None and asset.key == key else None

    def job(self, generation_id: str, key: str) -> Job | None:
        job = self.jobs.get(canonical(generation_id))
        return job if job is not None and job.key == key else None

    def asset_id_taken(self, asset_id: str) -> bool:
        asset_id = canonical(asset_id)
        return asset_id in self.assets or asset_id in self.by_asset

    def used(self, key: str) -> int:
        now = self.now()
        return sum(job.cost(now) for job in self.jobs.values() if job.key == key)

    def remaining(self, key: str) -> int:
        return self.config.starting_credits - self.used(key)

    def media_query(self, resource: str) -> str:
        expires = int(self.now() + self.config.url_ttl_seconds)
        return f"expires={expires}&sig={self.signer.sign(resource, expires)}"

    def clear(self) -> None:
        self.assets.clear()
        self.jobs.clear()
        self.by_asset.clear()
