"""`POST /v2/video/generations`, `GET /v2/video/generations?generation_id=` and the media they hand out."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from luma_mcp.emulator import sources
from luma_mcp.emulator.media import MediaSpec, Scene, render_async

from ..rules import CLIENT_REQUEST_ID, bare_uuid, check_body
from .config import OUT_OF_CREDITS, ErrorShape
from .plan import PUBLIC_NAMES, build_job, plan_media, resolve_anchors
from .responses import ApiError, authenticate, base_url, invalid, read_json_object, storage_error
from .store import Failure, Job, JobStatus, credits

if TYPE_CHECKING:
    from .app import AimlEmulator

NOT_FOUND = "Generation not found"
_NANOID = re.compile(r"[A-Za-z0-9_-]{21}")
_MEDIA_PATH = re.compile(r".*/_media/(.+)\.mp4")
# Pending words other models on this endpoint use (spec 6.3), for the `extended` switch.
_EXTENDED_WORDS: dict[str, str] = {"queued": "waiting", "generating": "active"}
_FAILURE_LOCATIONS: dict[str, list[str]] = {
    "generation_error": ["body", "prompt"],
    "content_filter": ["body", "prompt"],
    "anchor_not_ready": ["body", "keyframes"],
}


class Generations:
    def __init__(self, emulator: AimlEmulator) -> None:
        self.emulator = emulator
        self.store = emulator.store
        self.config = emulator.config
        sources.register(self.spec_for_path)

    async def create(self, request: Request) -> Response:
        """Checks in the order of spec 12.2-12.4: auth, JSON, body rules, anchors, balance."""
        authenticate(request, self.config, video=True)
        body = await read_json_object(request)
        violations = check_body(body, strict=False)
        if violations:
            raise invalid(violations[0].detail)
        switches = self.emulator.switches
        anchors = resolve_anchors(body, self.store, switches)
        client_request_id = _client_request_id(request)
        job = build_job(body, anchors, self.config, self.store.now(), client_request_id=client_request_id)
        if job.price > self.store.balance():
            raise ApiError(403, OUT_OF_CREDITS)
        self.store.add(job)
        job.media = plan_media(body, anchors, job, self.media_spec)
        content: dict[str, Any] = {"id": job.id, "status": "queued"}
        # Some models report usage at submit (spec 6.1); the spend headers mirror whatever the body says.
        charged = job.price if switches.usage_at_submit else 0.0
        if switches.usage_at_submit:
            content["meta"] = {"usage": _usage(job.price)}
        headers = {"x-inference-id": job.id, **_spend_headers(charged)}
        if client_request_id is not None:
            headers["x-client-request-id"] = client_request_id
        return JSONResponse(content, status_code=switches.create_status, headers=headers)

    async def poll(self, request: Request) -> Response:
        authenticate(request, self.config, video=True)
        generation_id = request.query_params.get("generation_id")
        if not generation_id:
            raise ApiError(400, "generation_id is required")
        # The gateway only traces ids it can parse (spec A19): a malformed one gets no x-inference-id.
        well_formed = _well_formed(generation_id)
        headers = {"x-inference-id": generation_id} if well_formed else {}
        job = self.store.job(generation_id) if well_formed else None
        if job is None:
            return self._unknown(generation_id, headers)
        now = self.store.now()
        status = job.status(now)
        job.polls += 1
        content: dict[str, Any] = {"id": job.id, "status": self._word(job, status)}
        if status == "completed":
            content["video"] = {"url": self._media_url(request, job)}
            content["meta"] = {"usage": _usage(job.price)}
        elif status == "error" and job.failure is not None:
            content["error"] = _error_body(job.failure, self.emulator.switches.error_shape)
        return JSONResponse(content, headers={**headers, **_spend_headers(job.cost(now))})

    def _unknown(self, generation_id: str, headers: dict[str, str]) -> Response:
        switches = self.emulator.switches
        if switches.unknown_id == "404":
            raise ApiError(404, NOT_FOUND, headers)
        error = _error_body(Failure("generation_error", NOT_FOUND), switches.error_shape)
        return JSONResponse({"id": generation_id, "status": "error", "error": error}, headers=headers)

    def _word(self, job: Job, status: JobStatus) -> str:
        """With `status_words=extended`, every second poll of a pending job uses the other word."""
        if self.emulator.switches.status_words == "extended" and job.polls % 2 == 0:
            return _EXTENDED_WORDS.get(status, status)
        return status

    def _media_url(self, request: Request, job: Job) -> str:
        # Rendering waits for the download: a poll stays cheap even for 4k outputs nobody fetches.
        return f"{base_url(request)}/_media/{quote(job.id, safe='')}.mp4?{self.store.media_query(job.id)}"

    async def media(self, request: Request) -> Response:
        """An expiring CDN URL: fresh for `url_ttl_seconds` (or until `faults.expire_urls`), then 403."""
        name: str = request.path_params["name"]
        job = self.store.job(name.removesuffix(".mp4")) if name.endswith(".mp4") else None
        now = self.store.now()
        if job is None or job.status(now) != "completed":
            return storage_error(404, "NoSuchKey", "The specified key does not exist.")
        params = request.query_params
        verdict = self.store.signer.verify(job.id, params.get("expires", ""), params.get("sig", ""), now)
        if verdict == "ok" and self.emulator.faults.expire_urls:
            verdict = "expired"
        if verdict == "expired":
            return storage_error(403, "AccessDenied", "Request has expired")
        if verdict == "bad":
            return storage_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
        return Response(await render_async(self.media_spec(job)), media_type="video/mp4")

    def media_spec(self, job: Job) -> MediaSpec:
        if job.media is not None:
            return job.media
        title = f"generate_video / {PUBLIC_NAMES.get(job.model, job.model)}"
        return dataclasses.replace(job.spec, scene=Scene("generate", title))

    def spec_for_path(self, path: str) -> MediaSpec | None:
        """This emulator's videos by their `/_media/<id>.mp4` path, for `sources` (another emulator of the
        sandbox handed one of them by URL)."""
        match = _MEDIA_PATH.fullmatch(path)
        job = self.store.job(match.group(1)) if match else None
        return self.media_spec(job) if job is not None else None


def _client_request_id(request: Request) -> str | None:
    """Echoed and logged when valid (spec A20); a bad value is dropped silently and the request still runs."""
    value = request.headers.get("x-client-request-id")
    return value if value is not None and CLIENT_REQUEST_ID.fullmatch(value) else None


def _well_formed(generation_id: str) -> bool:
    head, colon, model = generation_id.partition(":")
    if colon:
        return bool(model) and _is_uuid(head)
    return _NANOID.fullmatch(generation_id) is not None or _is_uuid(generation_id)


def _is_uuid(text: str) -> bool:
    # `uuid.UUID` also takes braces, URNs and bare hex: only the hyphenated form counts as an id.
    return bare_uuid(text) == text.lower()


def _usage(usd: float) -> dict[str, Any]:
    return {"credits_used": credits(usd), "usd_spent": usd}


def _spend_headers(usd: float) -> dict[str, str]:
    return {"x-aimlapi-credits-used": str(credits(usd)), "x-aimlapi-usd-spent": f"{usd:.6f}".rstrip("0").rstrip(".")}


def _error_body(failure: Failure, shape: ErrorShape) -> dict[str, Any]:
    if shape == "name_message":
        return {"name": "GenerationError", "message": failure.message}
    location = _FAILURE_LOCATIONS[failure.kind]
    return {"detail": [{"loc": location, "msg": failure.message, "type": failure.kind}]}
