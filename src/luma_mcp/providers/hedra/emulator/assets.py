"""Assets (spec 3.1, 11.4-11.5, 11.9): `POST /assets`, `POST /assets/{id}/upload` (multipart `file`),
`GET /assets?type=&ids=`, and `PUT /_uploads/{id}` for video assets' presigned upload URLs.

An upload is told by its bytes (sniffed, never by its name or claimed type), probed with PyAV in a
worker thread (a WAV header is read by the stdlib when PyAV cannot), and held to the avatar model's
slot limits. Each upload is noted in `emu.uploads()` (field, size, sniffed type), never its bytes.
"""

from __future__ import annotations

import io
import uuid
import wave
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from luma_mcp.media.probe import audio_seconds, image_size, media_type
from luma_mcp.media.sniff import SNIFF_BYTES, sniff_kind

from ..rules import slot_limits
from .catalog import AVATAR_MODEL, VOICE_IDS, models
from .config import ASSET_EXISTS, ASSET_NOT_FOUND, FILE_TOO_LARGE, TYPE_MISMATCH
from .responses import (
    ApiError,
    authenticate,
    base_url,
    enum_choice,
    invalid,
    missing,
    read_json_object,
    require_uuid,
    required_text,
    storage_error,
)
from .store import Asset, canonical
from .views import uploaded_asset, video_asset

if TYPE_CHECKING:
    from .app import HedraEmulator

ASSET_TYPES = ("text", "image", "audio", "video", "voice", "three_d", "rich_text")
SLOT_ROLES: dict[str, str] = {"image": "start_frame", "audio": "audio_input"}
EXTENSIONS: dict[str, str] = {
    "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif", "audio/wav": "wav",
    "audio/mpeg": "mp3", "audio/aac": "aac", "audio/ogg": "ogg", "audio/flac": "flac", "audio/mp4": "m4a",
    "video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm",
}  # fmt: skip


class Assets:
    def __init__(self, emulator: HedraEmulator) -> None:
        self.emulator = emulator
        self.store = emulator.store
        self.config = emulator.config

    async def create(self, request: Request) -> Response:
        key = authenticate(request, self.config)
        body = await read_json_object(request)
        name = required_text(body, "name")
        if "type" not in body:
            raise invalid(missing(["body", "type"], body))
        kind = enum_choice(["body", "type"], body["type"], ASSET_TYPES)
        reserved = body.get("reserved_asset_id")
        if reserved is not None:
            reserved = canonical(require_uuid(["body", "reserved_asset_id"], reserved))
            if self.store.asset_id_taken(reserved) or reserved in VOICE_IDS:
                raise ApiError(409, ASSET_EXISTS)
        asset = Asset(reserved or str(uuid.uuid4()), key, name, kind, self.store.now())
        self.store.add_asset(asset)
        upload_url = None
        if kind == "video":  # "Only present when the asset type is VIDEO" (spec 2, row 5)
            upload_url = f"{base_url(request)}/_uploads/{asset.id}?{self.store.media_query(f'uploads/{asset.id}')}"
        return JSONResponse({"id": asset.id, "name": name, "type": kind, "workspace_id": None,
                             "reserved_asset_id": reserved, "upload_url": upload_url})  # fmt: skip

    async def upload(self, request: Request) -> Response:
        """Checks in FastAPI's order: key, path id and form (422), then the asset (404), then the file."""
        key = authenticate(request, self.config)
        asset_id = require_uuid(["path", "id"], request.path_params["id"])
        async with request.form(max_files=4, max_fields=16) as form:
            field, upload = _first_file(form)
            data = await upload.read() if upload is not None else b""
        self.emulator.upload_log.append(_upload_note(asset_id, field, data))
        if not isinstance(form.get("file"), UploadFile):
            raise invalid(missing(["body", "file"], None))
        asset = self.store.asset(asset_id, key)
        if asset is None:
            raise ApiError(404, ASSET_NOT_FOUND)
        if sniff_kind(data[:SNIFF_BYTES]) != asset.type:
            raise ApiError(400, TYPE_MISMATCH)
        await self._keep(asset, data)
        return JSONResponse(uploaded_asset(asset, request, self.store))

    async def _keep(self, asset: Asset, data: bytes) -> None:
        """Probe the file against the avatar model's slot for its kind, then store it on the asset."""
        limits = slot_limits(models(self.config)[AVATAR_MODEL], SLOT_ROLES.get(asset.type, ""))
        if len(data) > limits.get("max_file_size_bytes", len(data)):
            raise ApiError(413, FILE_TOO_LARGE)
        if asset.type == "image":
            size = await anyio.to_thread.run_sync(image_size, data)
            if size is None:
                raise ApiError(400, "file: the image could not be read")
            _check_dimensions(size, limits)
            asset.width, asset.height = size
        elif asset.type == "audio":
            seconds = await anyio.to_thread.run_sync(_audio_seconds, data)
            if seconds is None:
                raise ApiError(400, "file: the audio could not be read")
            _check_duration(round(seconds * 1000), limits)
            asset.duration_ms = round(seconds * 1000)
        kind = media_type(data[:SNIFF_BYTES])
        asset.keep(data, kind, EXTENSIONS.get(kind or "", "bin"))

    async def listing(self, request: Request) -> Response:
        """`type` is required; `ids` are split on commas, or taken whole (switch `ids_separator`)."""
        key = authenticate(request, self.config)
        params = request.query_params
        if "type" not in params:
            raise invalid(missing(["query", "type"], None))
        kind = enum_choice(["query", "type"], params["type"], ASSET_TYPES)
        raw_ids = params.getlist("ids")
        if self.emulator.switches.ids_separator == "comma":
            raw_ids = [part.strip() for raw in raw_ids for part in raw.split(",") if part.strip()]
        wanted = {_spelling(value) for value in raw_ids}
        found = [item for item in self._assets(request, key, kind) if not wanted or item["id"] in wanted]
        return JSONResponse(found)

    def _assets(self, request: Request, key: str, kind: str) -> list[dict[str, Any]]:
        uploaded = [
            uploaded_asset(asset, request, self.store)
            for asset in self.store.assets.values()
            if asset.key == key and asset.type == kind
        ]
        if kind == "video":
            jobs = [job for job in self.store.jobs.values() if job.key == key]
            uploaded += [video_asset(job, request, self.store) for job in jobs]
        if kind == "voice":
            uploaded += self.emulator.catalog.voice_assets(request)
        return uploaded

    async def put_upload(self, request: Request) -> Response:
        """A video asset's presigned PUT: the bytes are the body; storage answers (XML errors)."""
        asset_id: str = request.path_params["id"]
        params = request.query_params
        verdict = self.store.signer.verify(
            f"uploads/{asset_id}", params.get("expires", ""), params.get("sig", ""), self.store.now()
        )
        if verdict != "ok" or self.emulator.faults.expire_urls:
            return storage_error(403, "AccessDenied", "Request has expired" if verdict != "bad" else "Bad signature")
        asset = self.store.assets.get(asset_id)
        if asset is None or asset.type != "video":
            return storage_error(404, "NoSuchKey", "The specified key does not exist.")
        data = await request.body()
        if sniff_kind(data[:SNIFF_BYTES]) != "video":
            return storage_error(400, "InvalidArgument", TYPE_MISMATCH)
        kind = media_type(data[:SNIFF_BYTES])
        asset.keep(data, kind, EXTENSIONS.get(kind or "", "mp4"))
        return Response(status_code=200)


def _first_file(form: FormData) -> tuple[str | None, UploadFile | None]:
    """The field that carries the file: `file` if present, else the first file field."""
    named = form.get("file")
    if isinstance(named, UploadFile):
        return "file", named
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            return name, value
    return None, None


def _upload_note(asset_id: str, field: str | None, data: bytes) -> dict[str, Any]:
    head = data[:SNIFF_BYTES]
    kind = sniff_kind(head) if field is not None else None
    return {"asset_id": asset_id, "type": kind, "media_type": media_type(head), "size": len(data), "field": field}


def _audio_seconds(data: bytes) -> float | None:
    """PyAV's reading of the length; the WAV header when PyAV cannot open the file (spec 11.5)."""
    seconds = audio_seconds(data)
    if seconds is not None:
        return seconds
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            return reader.getnframes() / reader.getframerate() if reader.getframerate() else None
    except (wave.Error, EOFError):
        return None


def _check_dimensions(size: tuple[int, int], limits: dict[str, int]) -> None:
    smallest, largest = limits.get("min_dimension_px"), limits.get("max_dimension_px")
    if smallest is not None and min(size) < smallest:
        raise ApiError(400, f"file: the image must be at least {smallest} px on each side")
    if largest is not None and max(size) > largest:
        raise ApiError(400, f"file: the image must be at most {largest} px on each side")


def _check_duration(duration_ms: int, limits: dict[str, int]) -> None:
    shortest, longest = limits.get("min_duration_ms", 0), limits.get("max_duration_ms")
    if duration_ms < shortest or (longest is not None and duration_ms > longest):
        bound = f"{shortest / 1000:g} to {longest / 1000:g} s" if longest else f"at least {shortest / 1000:g} s"
        raise ApiError(400, f"file: the audio must last {bound}, not {duration_ms / 1000:g} s")


def _spelling(value: str) -> str:
    """Ids compare in canonical UUID form; anything else stays as given (and matches nothing)."""
    try:
        return canonical(value)
    except ValueError:
        return value
