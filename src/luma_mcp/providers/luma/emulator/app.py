"""The Starlette app shaped like the Luma Agents API, and the `Emulator` that owns it.

Routes: `/v1/generations` (create, get), `/v1/files...` (see files_api), presigned `/_media/...` and
`/_uploads/...` URLs served by the emulator itself, and `/_emulator/...` admin routes for
out-of-process use (faults, request log, reset, clock, and the caller's access switches).
No lifespan or startup hooks: `httpx.ASGITransport` never runs them.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from luma_mcp.emulator import sources
from luma_mcp.emulator.admin import AdminApi
from luma_mcp.emulator.faults import Faults
from luma_mcp.emulator.media import render_async
from luma_mcp.emulator.middleware import EmulatorMiddleware, RecordedRequest
from luma_mcp.providers.luma.rules import VERTICAL_ASPECT_RATIOS, check_generation

from .checks import ApiError, resolve_references
from .config import API_VERSION, FAULT_ROUTES, VERTICAL_1080P_COMING_SOON, AccessSwitches, EmulatorConfig
from .files_api import FilesApi
from .plan import OwnMedia, Pictures, build_generation
from .responses import (
    api_error_handler,
    authenticate,
    base_url,
    crash_handler,
    error,
    http_error_handler,
    presign_denied,
    read_json_object,
    s3_error,
    strip_nulls,
)
from .schema import check_shapes
from .store import Generation, Store, iso


class Emulator:
    """An in-memory Luma Agents API: `app` is the ASGI app, the rest are test handles."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.store = Store(self.config)
        self.faults = Faults(FAULT_ROUTES)
        self.requests: list[RecordedRequest] = []
        self.app = build_app(self)
        # Its output URLs, handed back to it or to another emulator of the sandbox, render as what they are.
        self.own_media = OwnMedia(self.store)
        sources.register(self.own_media.spec_for_path)

    def generation_posts(self) -> list[dict[str, Any]]:
        """Bodies of the POST /v1/generations requests received, in order."""
        return [
            request.body
            for request in self.requests
            if request.method == "POST" and request.path.rstrip("/") == "/v1/generations" and request.body is not None
        ]

    def now(self) -> float:
        return self.store.now()

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (on top of `config.clock`), e.g. to finish jobs at once."""
        self.store.advance(seconds)

    def reset(self) -> None:
        """Forget generations, files, the request log and faults (the clock keeps its offset)."""
        self.store.clear()
        self.requests.clear()
        self.faults.clear()


def build_app(emulator: Emulator) -> Starlette:
    generations = GenerationsApi(emulator.store, emulator.config, emulator.faults)
    files = FilesApi(emulator.store, emulator.config)
    admin = AdminApi(emulator, error, switches=AccessSwitches(emulator.config))
    routes = [
        Route("/v1/generations", generations.create, methods=["POST"]),
        Route("/v1/generations/{generation_id}", generations.get, methods=["GET"]),
        Route("/v1/files", files.create, methods=["POST"]),
        Route("/v1/files", files.list, methods=["GET"]),
        Route("/v1/files/{file_id}", files.get, methods=["GET"]),
        Route("/v1/files/{file_id}", files.delete, methods=["DELETE"]),
        Route("/v1/files/{file_id}/complete", files.complete, methods=["POST"]),
        Route("/_uploads/{file_id}", files.upload, methods=["PUT"]),
        Route("/_media/{generation_id}/{index:int}/{filename}", generations.media, methods=["GET"]),
        *admin.routes(),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(
                EmulatorMiddleware,
                log=emulator.requests,
                faults=emulator.faults,
                error=error,
                logged=("/v1/",),
                headers={"X-API-Version": API_VERSION},
            )
        ],
        exception_handlers={ApiError: api_error_handler, HTTPException: http_error_handler, Exception: crash_handler},
    )


class GenerationsApi:
    def __init__(self, store: Store, config: EmulatorConfig, faults: Faults) -> None:
        self.store = store
        self.config = config
        self.faults = faults

    async def create(self, request: Request) -> Response:
        """Checks in the order of spec 12.4: auth, JSON and types, documented rules, state, balance, rate limits."""
        key = authenticate(request, self.config)
        body = strip_nulls(await read_json_object(request))
        check_shapes(body)
        violations = check_generation(body, strict=False)
        if violations:
            raise ApiError(violations[0].status, violations[0].detail)
        self._check_access(body)
        refs = await resolve_references(self.store, key, body)
        now = self.store.now()
        generation = build_generation(key, body, refs, self.config, now, Pictures(self.store, key))
        if key in self.config.insufficient_balance_keys:
            raise ApiError(402, "Insufficient balance. Please add funds to continue.")
        rejection = self.store.limiter.check(key, now, self.store.active_jobs(key, now))
        if rejection is not None:
            raise ApiError(429, rejection.detail, rejection.headers)
        headers = self.store.limiter.accept(key, now)
        self.store.add_generation(generation)
        return JSONResponse(_generation_json(generation, now, []), status_code=201, headers=headers)

    def _check_access(self, body: dict[str, Any]) -> None:
        video = body.get("video")
        if isinstance(video, dict) and video.get("hdr") is True and not self.config.hdr_access:
            raise ApiError(403, "HDR is not enabled for this API client")
        if body.get("type") == "layering" and not self.config.layering_access:
            raise ApiError(403, "The image_layering capability is not enabled for this API client")
        # Spec F8: still rolling out per caller, so a validation error for callers without it.
        vertical_1080p = (
            body.get("type") == "video_reframe"
            and body.get("aspect_ratio") in VERTICAL_ASPECT_RATIOS
            and isinstance(video, dict)
            and video.get("resolution") == "1080p"
        )
        if vertical_1080p and not self.config.vertical_1080p_reframe_access:
            raise ApiError(400, VERTICAL_1080P_COMING_SOON)

    async def get(self, request: Request) -> Response:
        key = authenticate(request, self.config)
        generation = self.store.generation(key, request.path_params["generation_id"])
        if generation is None:
            raise ApiError(404, "Generation not found")
        now = self.store.now()
        outputs: list[dict[str, Any]] = []
        if generation.state(now) == "completed":
            # Rendering waits for the download (each output shows its own request, so no two share an
            # encode): a poll stays cheap, and outputs nobody fetches cost nothing.
            outputs = [self._output_json(request, generation, n, now) for n in range(len(generation.outputs))]
        return JSONResponse(_generation_json(generation, now, outputs))

    def _output_json(self, request: Request, generation: Generation, index: int, now: float) -> dict[str, Any]:
        output = generation.outputs[index]
        resource = f"{generation.id}/{index}/{output.spec.filename}"
        query = self.store.signer.query(resource, now, int(self.config.url_ttl_seconds))
        entry: dict[str, Any] = {"type": output.type, "url": f"{base_url(request)}/_media/{resource}?{query}"}
        if output.layer is not None:
            entry["layer"] = output.layer
        return entry

    async def media(self, request: Request) -> Response:
        """A presigned output URL: fresh for `url_ttl_seconds`, then 403 like S3."""
        generation_id, index = request.path_params["generation_id"], request.path_params["index"]
        filename = request.path_params["filename"]
        generation = self.store.by_id.get(generation_id)
        outputs = generation.outputs if generation is not None else []
        if index >= len(outputs) or outputs[index].spec.filename != filename:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        resource = f"{generation_id}/{index}/{filename}"
        verdict = self.store.signer.verify(resource, dict(request.query_params), self.store.now())
        if verdict == "ok" and self.faults.expire_urls:
            verdict = "expired"
        if verdict != "ok":
            return presign_denied(verdict)
        spec = outputs[index].spec
        return Response(await render_async(spec), media_type=spec.content_type)


def _generation_json(generation: Generation, now: float, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    state = generation.state(now)
    failed = state == "failed"
    return {
        "id": generation.id,
        "type": generation.type,
        "state": state,
        "model": generation.model,
        "created_at": iso(generation.created),
        "output": outputs,
        "failure_reason": generation.failure_reason if failed else None,
        "failure_code": generation.failure_code if failed else None,
    }
