"""`POST /generations`, `GET /generations/{id}/status` and `GET /generations?ids=` (spec 11.6-11.10)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..rules import is_uuid
from .catalog import VOICE_IDS, models
from .checks import body_error, referenced_assets
from .config import GENERATION_NOT_FOUND, INSUFFICIENT_CREDITS
from .plan import Inputs, build_job, estimate
from .responses import ApiError, authenticate, entry, invalid, read_json_object, require_uuid
from .store import Job, canonical
from .views import create_response, generation_item, status_body

if TYPE_CHECKING:
    from .app import HedraEmulator

LIST_LIMIT = 100


class Generations:
    def __init__(self, emulator: HedraEmulator) -> None:
        self.emulator = emulator
        self.store = emulator.store
        self.config = emulator.config

    async def create(self, request: Request) -> Response:
        """Checks in order: key, JSON, the rule table (422, then 400), a reused id, the assets named, credits."""
        key = authenticate(request, self.config)
        body = await read_json_object(request)
        catalog = models(self.config)
        error = body_error(body, catalog, VOICE_IDS)
        if error is not None:
            raise error
        replayed = self._duplicate(body, key)
        if replayed is not None:
            return JSONResponse(replayed)
        face, audio = referenced_assets(body, self.store, key)
        reserved = body.get("reserved_asset_id")
        if isinstance(reserved, str) and self.store.asset_id_taken(reserved):
            raise ApiError(409, f"ALREADY_EXISTS: asset {canonical(reserved)}")
        given = Inputs(key, catalog[str(body["model_slug"])], face, audio, self.store.remaining(key))
        if estimate(body, given) > given.remaining and self.emulator.switches.insufficient_balance == "submit_402":
            raise ApiError(402, INSUFFICIENT_CREDITS)
        now = self.store.now()
        job = build_job(body, given, self.config, self.emulator.switches, now)
        self.store.add_job(job)
        return JSONResponse(create_response(job))

    def _duplicate(self, body: dict[str, Any], key: str) -> dict[str, Any] | None:
        """A reused `generation_id`: 409 `ALREADY_EXISTS`, or (switch `echo`) the original answer again."""
        generation_id = body.get("generation_id")
        if not isinstance(generation_id, str):
            return None
        job = self.store.jobs.get(canonical(generation_id))
        if job is None:
            return None
        if self.emulator.switches.duplicate_id == "echo" and job.key == key:
            return create_response(job)
        raise ApiError(409, f"ALREADY_EXISTS: generation {job.id}")

    async def status(self, request: Request) -> Response:
        key = authenticate(request, self.config)
        generation_id = require_uuid(["path", "generation_id"], request.path_params["generation_id"])
        job = self.store.job(generation_id, key)
        if job is None:
            raise ApiError(404, GENERATION_NOT_FOUND)
        return JSONResponse(status_body(job, request, self.store, self.emulator.switches))

    async def listing(self, request: Request) -> Response:
        """`{page_info, data}`, newest first; filters: `ids` (repeated or comma-separated), `type`,
        `prompt_query`; paging: `limit` (default 100) and `offset`."""
        key = authenticate(request, self.config)
        params = request.query_params
        limit, offset = _count(params.get("limit"), "limit", LIST_LIMIT), _count(params.get("offset"), "offset", 0)
        parts = [part.strip() for raw in params.getlist("ids") for part in raw.split(",")]
        ids = {canonical(part) for part in parts if is_uuid(part)}
        kind, query = params.get("type"), (params.get("prompt_query") or "").lower()
        jobs = sorted((job for job in self.store.jobs.values() if job.key == key), key=lambda job: -job.created)
        chosen = [
            job for job in jobs if (not ids or job.id in ids) and kind in (None, "video") and _matches(job, query)
        ]
        data = [generation_item(job, request, self.store, self.emulator.switches) for job in chosen]
        return JSONResponse({"page_info": {"limit": limit, "offset": offset}, "data": data[offset : offset + limit]})


def _matches(job: Job, query: str) -> bool:
    prompt = str((job.body.get("generated_video_inputs") or {}).get("text_prompt") or "")
    return query in prompt.lower()


def _count(raw: str | None, name: str, default: int) -> int:
    if raw is None:
        return default
    if not raw.isdigit():
        raise invalid(entry(["query", name], "Input should be a valid integer", "int_parsing", raw))
    return int(raw)
