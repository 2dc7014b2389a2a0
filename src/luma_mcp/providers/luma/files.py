"""Uploads through the Files API (spec 2, 6.4): create, PUT to the presigned URL, complete, wait ready.

The PUT goes through a client of its own, without the API key: a presigned URL carries its own
authority, and the key must never travel to a storage host. The bytes are streamed in chunks, with an
exact Content-Length, so a 200 MB video never sits in memory, from one descriptor opened before anything
is sent: for a checked file (`LocalMedia`), only if it is still the very file that passed the checks.
Bytes already in memory (a `data:` URI too large to send inline, `InMemory`) go the same way.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

import anyio
import anyio.to_thread
import httpx
from luma_agents import APIConnectionError, APIResponseValidationError, APIStatusError
from luma_agents.types import File, PresignedUpload

from ...media.local import LocalMedia, RefError, open_checked, open_unchecked
from .. import errors
from .client import LumaApi, connection_error, status_error, unsendable

__all__ = ["CHUNK_BYTES", "InMemory", "upload_file"]

CHUNK_BYTES = 1 << 20
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class InMemory:
    """Checked bytes to upload (a decoded `data:` URI), with the file name the API is told."""

    filename: str
    data: bytes


async def upload_file(
    api: LumaApi,
    http: httpx.AsyncClient,
    source: LocalMedia | Path | InMemory,
    mime_type: str,
    *,
    poll_interval: float = 0.5,
    timeout: float = 120,  # noqa: ASYNC109 (bounds the wait for ingest only, not the upload itself)
) -> str:
    """Upload `source` (a checked file, or a file of our own) as `mime_type`; the id of the file once
    Luma reports it `ready`.

    Raises `RefError` when a checked file changed after its checks, or `source` cannot be opened without
    following a link (nothing was sent); `ProviderError`s: `InvalidRequest` when Luma refuses or fails to
    ingest the file (with its failure reason), `Unavailable` when the upload does not land or the file is
    not ready within `timeout` seconds of completing it.
    """
    handle: BinaryIO
    if isinstance(source, InMemory):
        filename, size, handle = source.filename, len(source.data), io.BytesIO(source.data)
    else:
        filename = (source.path if isinstance(source, LocalMedia) else source).name
        handle = await anyio.to_thread.run_sync(_open, source)
        size = os.fstat(handle.fileno()).st_size
    try:
        created = await _sdk_call(
            api.sdk.files.create(mime_type=mime_type, size_bytes=size, filename=filename, purpose="input")
        )
        if created.upload is None:
            raise errors.Unavailable("The Luma API gave no upload URL for the file; nothing was uploaded.")
        await _put(http, created.upload, handle, size)
    finally:
        handle.close()
    completed = await _sdk_call(api.sdk.files.complete(created.id))
    return await _wait_ready(api, completed, poll_interval, timeout)


def _open(source: LocalMedia | Path) -> BinaryIO:
    if isinstance(source, LocalMedia):
        return open_checked(source)
    try:
        return open_unchecked(source)
    except OSError as exc:
        raise RefError(
            f"{source.name} cannot be read ({exc.strerror or type(exc).__name__}); nothing was sent"
        ) from None


async def _sdk_call(call: Awaitable[_T]) -> _T:
    """One Files API call with its SDK errors mapped to ours (a file is never a purchase, so an
    ambiguous answer is simply a failure to retry)."""
    try:
        return await call
    except APIStatusError as exc:
        raise status_error(exc, creating=False) from None
    except APIConnectionError as exc:
        raise connection_error(exc) from None
    except UnicodeEncodeError:
        raise unsendable() from None
    except (APIResponseValidationError, json.JSONDecodeError):
        raise errors.Unavailable("The Luma API's answer about the file upload was unreadable.") from None


async def _put(http: httpx.AsyncClient, upload: PresignedUpload, handle: BinaryIO, size: int) -> None:
    headers = {**(upload.headers or {}), "Content-Length": str(size)}
    try:
        response = await http.request(
            upload.method or "PUT", upload.url, content=_chunks(handle, size), headers=headers
        )
    except httpx.HTTPError as exc:
        raise errors.Unavailable(f"Uploading the file to Luma's storage failed ({type(exc).__name__}).") from None
    if response.is_error:
        raise errors.Unavailable(
            f"Luma's storage refused the upload (HTTP {response.status_code}); try again.",
            status=response.status_code,
        )


async def _chunks(handle: BinaryIO, size: int) -> AsyncIterator[bytes]:
    """At most `size` bytes of the open file, a chunk at a time: a file that grows meanwhile still matches
    the size announced to the API, one that shrinks makes the upload fail on ingest."""
    remaining = size
    while remaining > 0:
        chunk = await anyio.to_thread.run_sync(handle.read, min(CHUNK_BYTES, remaining))
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
