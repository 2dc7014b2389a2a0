"""The JSON the routes answer with, built from the store: the create echo, the status, `Generation`
list items and `Asset`s (spec 6.1-6.3). URLs in them are signed afresh on every read."""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request

from .config import ErrorStyle, Switches
from .responses import media_url
from .store import Asset, Failure, Job, Store, iso


def create_response(job: Job) -> dict[str, Any]:
    """`GenerateVideoResponse`: the body as sent, plus the job's ids, `queued` and its ETA, as answered
    when it was created (the `echo` switch replays exactly this)."""
    eta = _eta_seconds(job, job.created)
    state = {"created_at": iso(job.created), "status": "queued", "progress": 0.0}
    result = {"id": job.id, "asset_id": job.asset_id, **state, "error": None, "eta_sec": eta}
    return {
        **job.body,
        "id": job.id,
        "asset_id": job.asset_id,
        **state,
        "eta_sec": eta,
        "batch_generation_id": None,
        "batch_results": [result],
    }


def status_body(job: Job, request: Request, store: Store, switches: Switches) -> dict[str, Any]:
    """`GenerationStatusResponse`; on `complete` the URLs (or, with `complete_without_url`, only the
    streaming URL and the asset id: the asset still has the rest)."""
    now = store.now()
    status = job.status(now)
    body: dict[str, Any] = {
        "id": job.id,
        "asset_id": job.asset_id,
        "type": "video",
        "status": status,
        "progress": job.progress(now),
        "created_at": iso(job.created),
        "workspace_id": None,
    }
    if status == "error" and job.failure is not None:
        body |= error_fields(job.failure, switches.error_style)
    if status == "complete":
        url = media_url(request, store, f"{job.asset_id}.mp4")
        body["streaming_url"] = url
        if not switches.complete_without_url:
            body |= {"url": url, "download_url": url}
    return body


def error_fields(failure: Failure, style: ErrorStyle) -> dict[str, Any]:
    """`error_message` (plain failures in the `message` style) or a structured `error`, never both."""
    if failure.code == "INTERNAL" and style == "message":
        return {"error_message": failure.message}
    error: dict[str, Any] = {"type": failure.code, "message": failure.message}
    if failure.reason_code is not None:
        error["reason_code"] = failure.reason_code
    return {"error": error | failure.extra}


def generation_item(job: Job, request: Request, store: Store, switches: Switches) -> dict[str, Any]:
    """A `GET /generations` item: the state with an ETA, and `credit_cost` once complete."""
    now = store.now()
    status = job.status(now)
    item: dict[str, Any] = {
        "id": job.id,
        "type": "video",
        "created_at": iso(job.created),
        "status": status,
        "progress": job.progress(now),
        "eta_sec": _eta_seconds(job, now),
        "estimated_completion_at": iso(job.ends_at()),
        "credit_cost": job.credits if status == "complete" else None,
        "model_slug": job.model,
        "generated_video_inputs": job.body.get("generated_video_inputs"),
        "asset_id": job.asset_id,
        "asset": video_asset(job, request, store),
        "error": None,
        "error_message": None,
    }
    if status == "error" and job.failure is not None:
        item |= error_fields(job.failure, switches.error_style)
    return item


def video_asset(job: Job, request: Request, store: Store) -> dict[str, Any]:
    """The output as an `Asset` with `GeneratedVideo`; its URLs are null until the job completes."""
    url = media_url(request, store, f"{job.asset_id}.mp4") if job.status(store.now()) == "complete" else None
    video = {
        "type": "generated_video",
        "width": job.width,
        "height": job.height,
        "url": url,
        "download_url": url,
        "streaming_url": url,
        "poster_url": None,
        "preview_url": None,
        "duration_ms": round(job.seconds * 1000),
        "generated_video_inputs": job.body.get("generated_video_inputs"),
        "keyframe_start": job.face_id or job.body.get("start_keyframe_url"),
        "keyframe_end": None,
        "audio": job.audio_id,
    }
    name = job.body.get("name") or f"generation {job.id}"
    return _asset(job.asset_id, name, "video", job.created, video)


def uploaded_asset(asset: Asset, request: Request, store: Store) -> dict[str, Any]:
    """An uploaded image or audio as an `Asset` (`asset: null` until a file is uploaded)."""
    inner: dict[str, Any] | None = None
    if asset.data is not None:
        url = media_url(request, store, f"{asset.id}.{asset.extension}")
        if asset.type == "image":
            inner = {"type": "uploaded_image", "width": asset.width, "height": asset.height, "url": url}
        elif asset.type == "audio":
            inner = {"type": "uploaded_audio", "duration_ms": asset.duration_ms, "url": url, "transcriptions": None}
        else:
            inner = {"type": f"uploaded_{asset.type}", "url": url}
    return _asset(asset.id, asset.name, asset.type, asset.created, inner)


def _asset(asset_id: str, name: str, kind: str, created: float, inner: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": asset_id, "name": name, "type": kind, "thumbnail_url": None, "created_at": iso(created),
            "asset": inner}  # fmt: skip


def _eta_seconds(job: Job, now: float) -> int:
    return max(0, math.ceil(job.ends_at() - now - 1e-9))
