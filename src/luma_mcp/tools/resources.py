"""Resources: a generation as JSON (fresh from the API) and its saved files, listed from the history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp_types import Resource

from ..outputs import open_saved
from ..providers import errors
from ..store import Store
from .jobs import runtime_of
from .results import generation_uri, mime_type, output_uri

# A resource read carries the file base64-encoded in one message; past this, the path is the way.
MAX_RESOURCE_BYTES = 50 * 1024 * 1024
_MAGIC = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"RIFF", "image/webp"),
    (b"v/1\x01", "image/x-exr"),
)


async def generation_json(generation_id: str, ctx: Context[Any, Any]) -> str:
    """The generation as the API reports it now, with the paths of files saved on this machine."""
    runtime = runtime_of(ctx)
    if not await runtime.owns(generation_id):  # another user's: not even asked about (see Runtime.owns)
        raise ResourceNotFoundError(f"No generation '{generation_id}' of yours")
    try:
        generation = await runtime.providers.for_id(generation_id).get(generation_id)
    except errors.NotFound:
        raise ResourceNotFoundError(f"No generation '{generation_id}' for this API key") from None
    except errors.ProviderError as exc:
        raise ResourceError(str(exc)) from None
    record = await runtime.history.get(generation_id)
    # The provider's own view, with the fields every provider shares on top (and our public id).
    data = {
        **generation.raw,
        "id": generation.id,
        "provider": generation.provider,
        "type": generation.type,
        "model": generation.model,
        "state": generation.state,
    }
    data["saved_paths"] = {str(k): v for k, v in (record.paths if record else {}).items()}
    return json.dumps(data, indent=2)


async def saved_output(generation_id: str, index: str, ctx: Context[Any, Any]) -> bytes:
    """A saved output's bytes, read only from inside the caller's folder of the output dir and never
    through a link."""
    runtime = runtime_of(ctx)
    owner = runtime.history.owner
    record = await runtime.history.get(generation_id, owner=owner)
    path = record.paths.get(int(index)) if record and index.isdigit() else None
    if path is None:
        raise ResourceNotFoundError(
            f"Output {index} of '{generation_id}' is not saved here; get_generation with download=true saves it"
        )

    def read() -> bytes | None:
        handle = open_saved(runtime.settings, path, owner)
        if handle is None:
            return None
        with handle:
            data = handle.read(MAX_RESOURCE_BYTES + 1)
        if len(data) > MAX_RESOURCE_BYTES:
            raise ResourceError(f"{path} is too large to send as a resource; open the file instead")
        return data

    data = await anyio.to_thread.run_sync(read)
    if data is None:  # gone, moved, or not a plain file of the output dir: all look the same from here
        raise ResourceNotFoundError(f"{path} is gone; get_generation with download=true saves it again")
    return data


def sniff_mime(data: bytes) -> str:
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return next((mime for magic, mime in _MAGIC if data.startswith(magic)), "application/octet-stream")


async def recent_resources(history: Store, limit: int = 50) -> list[Resource]:
    resources: list[Resource] = []
    for record in await history.list(limit):
        if record.id.startswith("pending-"):
            continue
        label = f"{record.provider} · {record.type} · {record.state} · {record.prompt[:60]}"
        resources.append(
            Resource(uri=generation_uri(record.id), name=record.id, description=label, mime_type="application/json")
        )
        resources.extend(
            Resource(
                uri=output_uri(record.id, index), name=Path(path).name, description=path, mime_type=mime_type(path)
            )
            for index, path in sorted(record.paths.items())
        )
    return resources
