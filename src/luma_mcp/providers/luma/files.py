"""Uploads through the Files API (spec 2, 6.4): create, PUT to the presigned URL, complete, wait ready.

The PUT goes through a client of its own, without the API key: a presigned URL carries its own
authority, and the key must never travel to a storage host. The bytes are streamed from the file in
chunks, with an exact Content-Length, so a 200 MB video never sits in memory.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import TypeVar

import anyio
import httpx
from luma_agents import APIConnectionError, APIResponseValidationError, APIStatusError
from luma_agents.types import File, PresignedUpload

from .. import errors
from .client import LumaApi, connection_error, status_error

__all__ = ["CHUNK_BYTES", "upload_file"]

CHUNK_BYTES = 1 << 20
_T = TypeVar("_T")


async def upload_file(
    api: LumaApi,
    http: httpx.AsyncClient,
    path: Path,
    mime_type: str,
    *,
    poll_interval: float = 0.5,
    timeout: float = 120,  # noqa: ASYNC109 (bounds the wait for ingest only, not the upload itself)
) -> str:
    """Upload `path` as `mime_type`; the id of the file once Luma reports it `ready`.

    Raises `ProviderError`s: `InvalidRequest` when Luma refuses or fails to ingest the file (with
    its failure reason), `Unavailable` when the upload does not land or the file is not ready within
    `timeout` seconds of completing it.
    """
    size = (await anyio.Path(path).stat()).st_size
    created = await _sdk_call(
        api.sdk.files.create(mime_type=mime_type, size_bytes=size, filename=path.name, purpose="input")
    )
    if created.upload is None:
        raise errors.Unavailable("The Luma API gave no upload URL for the file; nothing was uploaded.")
    await _put(http, created.upload, path, size)
    completed = await _sdk_call(api.sdk.files.complete(created.id))
    return await _wait_ready(api, completed, poll_interval, timeout)


async def _sdk_call(call: Awaitable[_T]) -> _T:
    """One Files API call with its SDK errors mapped to ours (a file is never a purchase, so an
    ambiguous answer is simply a failure to retry)."""
    try:
        return await call
    except APIStatusError as exc:
        raise status_error(exc, creating=False) from None
    except APIConnectionError as exc:
        raise connection_error(exc) from None
    except (APIResponseValidationError, json.JSONDecodeError):
        raise errors.Unavailable("The Luma API's answer about the file upload was unreadable.") from None


async def _put(http: httpx.AsyncClient, upload: PresignedUpload, path: Path, size: int) -> None:
    headers = {**(upload.headers or {}), "Content-Length": str(size)}
    try:
        response = await http.request(upload.method or "PUT", upload.url, content=_chunks(path, size), headers=headers)
    except httpx.HTTPError as exc:
        raise errors.Unavailable(f"Uploading the file to Luma's storage failed ({type(exc).__name__}).") from None
    if response.is_error:
        raise errors.Unavailable(
            f"Luma's storage refused the upload (HTTP {response.status_code}); try again.",
            status=response.status_code,
        )


async def _chunks(path: Path, size: int) -> AsyncIterator[bytes]:
    """At most `size` bytes of `path`, a chunk at a time: a file that grows meanwhile still matches
    the size announced to the API, one that shrinks makes the upload fail on ingest."""
    remaining = size
    async with await anyio.open_file(path, "rb") as handle:
        while remaining > 0:
            chunk = await handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


async def _wait_ready(api: LumaApi, file: File, poll_interval: float, limit: float) -> str:
    with anyio.move_on_after(limit):
        while True:
            if file.state == "ready":
                return file.id
            if file.state in ("failed", "deleted"):
                reason = (file.failure_reason or f"the file is {file.state}").rstrip(".")
                raise errors.InvalidRequest(f"Luma could not ingest the uploaded file: {reason}.", detail=reason)
            await anyio.sleep(poll_interval)
            file = await _sdk_call(api.sdk.files.get(file.id))
    raise errors.Unavailable(f"The uploaded file was still {file.state} after {limit:g} s; try again later.")
