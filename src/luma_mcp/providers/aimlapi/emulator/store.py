"""The emulator's state: jobs, the virtual clock, the balance, the usage log and URL signing.

Nothing runs in the background: a job's status, the balance and the visible log rows are all
derived from the clock whenever they are read, so `advance()` moves everything at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from luma_mcp.emulator.media import FPS, MediaSpec
from luma_mcp.emulator.signing import Signer

from ..rules import bare_uuid
from .config import AimlEmulatorConfig, AnchorIdForm

JobStatus = Literal["queued", "generating", "completed", "error"]
FailureKind = Literal["generation_error", "content_filter", "anchor_not_ready"]

CREDITS_PER_USD = 2_000_000  # the rate the docs' examples imply (spec 6.2)


def iso_ms(timestamp: float) -> str:
    """The gateway's timestamp form: `2025-03-11T07:13:27.813Z`."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def credits(usd: float) -> int:
    return round(usd * CREDITS_PER_USD)


@dataclass(frozen=True, slots=True)
class Failure:
    kind: FailureKind
    message: str


@dataclass
class Job:
    """One accepted create. `seconds` is the output's length (anchor + requested, for extends)."""

    id: str
    uuid: str
    model: str
    created: float
    queued_until: float
    done_at: float
    width: int
    height: int
    seconds: float
    price: float
    request_id: str
    client_request_id: str | None = None
    failure: Failure | None = None
    polls: int = 0
    media: MediaSpec | None = None  # what the video shows (prompt, frames, extended clips): plan.plan_media

    def status(self, now: float) -> JobStatus:
        if now < self.queued_until:
            return "queued"
        if now < self.done_at:
            return "generating"
        return "error" if self.failure else "completed"

    @property
    def spec(self) -> MediaSpec:
        return MediaSpec("video", self.width, self.height, max(1, round(self.seconds * FPS)), "mp4")

    def cost(self, now: float) -> float:
        """What the job has been charged so far: nothing until it completes, and never if it fails."""
        return self.price if self.status(now) == "completed" else 0.0


class Store:
    """All mutable emulator state, behind a clock that tests can move (`advance`)."""

    # What a sandbox keeps across restarts (luma_mcp.emulator.persist).
    PERSISTED: ClassVar[dict[str, Any]] = {"jobs": dict[str, Job], "signer": Signer}

    def __init__(self, config: AimlEmulatorConfig) -> None:
        self.config = config
        self.offset = 0.0
        self.jobs: dict[str, Job] = {}
        self.by_uuid: dict[str, Job] = {}
        self.signer = Signer(config.signing_secret)

    def now(self) -> float:
        return self.config.clock() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def add(self, job: Job) -> None:
        self.jobs[job.id] = job
        self.by_uuid[job.uuid] = job

    def reindex(self) -> None:
        self.by_uuid = {job.uuid: job for job in self.jobs.values()}

    def job(self, generation_id: str) -> Job | None:
        """Polls name the issued id exactly: ids are opaque, so a bare UUID finds nothing."""
        return self.jobs.get(generation_id)

    def anchor(self, generation_id: str, form: AnchorIdForm) -> Job | None:
        """An extend anchor by its full (`<uuid>:<model>`) or bare id, as far as `form` allows."""
        head, colon, model = generation_id.partition(":")
        if (colon and form == "bare") or (not colon and form == "full"):
            return None
        canonical = bare_uuid(head)
        job = self.by_uuid.get(canonical) if canonical else None
        if job is None or (colon and model != job.model):
            return None
        return job

    def balance(self) -> float:
        now = self.now()
        return self.config.balance_usd - sum(job.cost(now) for job in self.jobs.values())

    def log_rows(self) -> list[dict[str, Any]]:
        """`GET /v2/logs` rows, newest first: one per accepted create, once the analytics lag has passed."""
        now = self.now()
        visible = [job for job in self.jobs.values() if now >= job.created + self.config.logs_lag_seconds]
        return [_log_row(job, now) for job in sorted(visible, key=lambda job: job.created, reverse=True)]

    def media_query(self, resource: str) -> str:
        expires = int(self.now() + self.config.url_ttl_seconds)
        return f"expires={expires}&sig={self.signer.sign(resource, expires)}"

    def clear(self) -> None:
        self.jobs.clear()
        self.by_uuid.clear()


def _log_row(job: Job, now: float) -> dict[str, Any]:
    # A job still running reads as a successful request: the create itself was accepted and will bill.
    failed = job.status(now) == "error"
    usd = 0.0 if failed else job.price
    return {
        "created": iso_ms(job.created),
        "status": "failed" if failed else "succeeded",
        "model": job.model,
        "cost": {"usd": usd, "credits": credits(usd)},
        "request_id": job.request_id,
        "inference_id": job.id,
        "client_request_id": job.client_request_id,
    }
