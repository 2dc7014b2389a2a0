"""The Files API (spec 2, 6.4, 12.8): the JSON presigned flow, with uploads PUT to the emulator itself."""

from __future__ import annotations

import hashlib
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .checks import ApiError
from .config import EmulatorConfig
from .responses import authenticate, base_url, presign_denied, read_json_object, s3_error, strip_nulls
from .store import Store, StoredFile, iso

MAX_SIZE_BYTES = 5 * 2**30  # the S3 single-PUT ceiling
PURPOSES = ("input", "reference")
FILE_STATES = ("pending", "ready", "failed", "deleted")


class FilesApi:
    def __init__(self, store: Store, config: EmulatorConfig) -> None:
        self.store = store
        self.config = config

    async def create(self, request: Request) -> Response:
        key = authenticate(request, self.config)
        if request.headers.get("content-type", "").startswith("multipart/"):
            raise ApiError(400, "The emulator supports only the JSON presigned upload flow")
        body = strip_nulls(await read_json_object(request))
        mime_type, size = body.get("mime_type"), body.get("size_bytes")
        if not isinstance(mime_type, str) or not mime_type:
            raise ApiError(400, "mime_type is required")
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_SIZE_BYTES:
            raise ApiError(400, f"size_bytes must be an integer between 1 and {MAX_SIZE_BYTES}")
        purpose = body.get("purpose", "input")
        if purpose not in PURPOSES:
            raise ApiError(400, f"Invalid purpose '{purpose}'")
        stored = self.store.add_file(
            key,
            mime_type=mime_type,
            size_bytes=size,
            purpose=purpose,
            filename=_optional_str(body.get("filename")),
            user_id=_optional_str(body.get("user_id")),
            expires_at=_optional_str(body.get("expires_at")),
            upload_headers={"Content-Type": mime_type},
        )
        return JSONResponse(self._created(request, stored), status_code=201)

    def _created(self, request: Request, stored: StoredFile) -> dict[str, Any]:
        now, ttl = self.store.now(), int(self.config.url_ttl_seconds)
        resource = f"uploads/{stored.id}"
        url = f"{base_url(request)}/_uploads/{stored.id}?{self.store.signer.query(resource, now, ttl)}"
        upload = {"expires_at": iso(now + ttl), "method": "PUT", "url": url, "headers": stored.upload_headers}
        return {"id": stored.id, "file": stored.to_json(), "state": stored.state, "upload": upload}

    async def list(self, request: Request) -> Response:
        key = authenticate(request, self.config)
        params = request.query_params
        limit = _limit(params.get("limit"))
        purpose, state, cursor = params.get("purpose"), params.get("state"), params.get("cursor")
        if purpose is not None and purpose not in PURPOSES:
            raise ApiError(400, f"Invalid purpose '{purpose}'")
        if state is not None and state not in FILE_STATES:
            raise ApiError(400, f"Invalid state '{state}'")
        files = [
            stored
            for stored in self.store.files_newest_first(key)
            if (purpose is None or stored.purpose == purpose)
            and (stored.state == state if state is not None else stored.state != "deleted")
        ]
        if cursor:
            ids = [stored.id for stored in files]
            if cursor not in ids:
                raise ApiError(400, "Invalid cursor")
            files = files[ids.index(cursor) + 1 :]
        page, more = files[:limit], len(files) > limit
        return JSONResponse(
            {
                "data": [stored.to_json() for stored in page],
                "has_more": more,
                "next_cursor": page[-1].id if more else None,
            }
        )

    async def get(self, request: Request) -> Response:
        return JSONResponse(self._file(request).to_json())

    async def complete(self, request: Request) -> Response:
        stored = self._file(request)
        if stored.state == "pending":
            received = stored.received or 0
            if stored.path is not None and received == stored.size_bytes:
                stored.state = "ready"
            else:
                stored.state = "failed"
                stored.failure_reason = f"Uploaded {received} bytes, expected size_bytes {stored.size_bytes}"
                self.store.delete_file_bytes(stored)
        elif stored.state == "deleted":
            raise ApiError(400, f"File '{stored.id}' is deleted")
        return JSONResponse(stored.to_json())

    async def delete(self, request: Request) -> Response:
        stored = self._file(request)
        if stored.state != "deleted":
            stored.state = "deleted"
            stored.deleted_at = self.store.now()
            self.store.delete_file_bytes(stored)
        return Response(status_code=204)

    def _file(self, request: Request) -> StoredFile:
        key = authenticate(request, self.config)
        stored = self.store.file(key, request.path_params["file_id"])
        if stored is None:
            raise ApiError(404, "File not found")
        return stored

    async def upload(self, request: Request) -> Response:
        """The presigned PUT: S3-like answers, bytes streamed to disk, never held whole in memory."""
        file_id = request.path_params["file_id"]
        verdict = self.store.signer.verify(f"uploads/{file_id}", dict(request.query_params), self.store.now())
        if verdict != "ok":
            return presign_denied(verdict)
        stored = self.store.files_by_id.get(file_id)
        if stored is None or stored.state != "pending":
            return s3_error(404, "NoSuchUpload", "The upload does not exist or was already completed.")
        expected_type = stored.upload_headers.get("Content-Type")
        if expected_type and request.headers.get("content-type") != expected_type:
            return s3_error(403, "SignatureDoesNotMatch", "Content-Type does not match the signed headers.")
        path = self.store.upload_path(stored.id)
        digest, received = hashlib.md5(usedforsecurity=False), 0
        async with await anyio.open_file(path, "wb") as handle:
            async for chunk in request.stream():
                digest.update(chunk)
                received += len(chunk)
                await handle.write(chunk)
        stored.path, stored.received = path, received
        return Response(status_code=200, headers={"ETag": f'"{digest.hexdigest()}"'})


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _limit(raw: str | None) -> int:
    if raw is None:
        return 25
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise ApiError(400, "limit must be between 1 and 100")
    return limit
