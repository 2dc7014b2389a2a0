"""The Files API upload (`api.files.upload_file`) through the real SDK against the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from luma_mcp.emulator.media import encode_image
from luma_mcp.providers import errors
from luma_mcp.providers.luma.client import LumaApi
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.luma.files import CHUNK_BYTES, upload_file
from luma_mcp.settings import SANDBOX_BASE_URL

KEY = "luma-api-files-test"


@pytest.fixture
async def api(emulator: Emulator) -> AsyncIterator[LumaApi]:
    client = LumaApi(KEY, SANDBOX_BASE_URL, http_client=httpx.AsyncClient(transport=httpx.ASGITransport(emulator.app)))
    yield client
    await client.aclose()


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    """The upload client: no API key, as in the runtime."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(emulator.app)) as client:
        yield client


def stored_bytes(emulator: Emulator, file_id: str) -> bytes:
    stored = emulator.store.files_by_id[file_id]
    assert stored.path is not None
    return stored.path.read_bytes()


async def test_upload_ends_ready_with_the_exact_bytes(
    api: LumaApi, http: httpx.AsyncClient, emulator: Emulator, tmp_path: Path
) -> None:
    png = encode_image(64, 48, "png")
    path = tmp_path / "cat.png"
    path.write_bytes(png)
    file_id = await upload_file(api, http, path, "image/png")
    file = await api.sdk.files.get(file_id)
    assert (file.state, file.size_bytes, file.filename, file.purpose, file.mime_type) == (
        "ready",
        len(png),
        "cat.png",
        "input",
        "image/png",
    )
    assert stored_bytes(emulator, file_id) == png
    calls = [(request.method, request.path) for request in emulator.requests]
    assert calls[:2] == [("POST", "/v1/files"), ("POST", f"/v1/files/{file_id}/complete")]


async def test_a_multi_chunk_file_streams_whole_without_the_key(
    api: LumaApi, emulator: Emulator, tmp_path: Path
) -> None:
    data = bytes(range(256)) * (CHUNK_BYTES // 256 * 2 + 7)  # two chunks and a bit
    path = tmp_path / "clip.bin"
    path.write_bytes(data)
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    transport = httpx.ASGITransport(emulator.app)
    async with httpx.AsyncClient(transport=transport, event_hooks={"request": [record]}) as http:
        file_id = await upload_file(api, http, path, "video/mp4")
    assert stored_bytes(emulator, file_id) == data
    (put,) = seen
    assert put.method == "PUT" and put.headers["content-length"] == str(len(data))
    assert put.headers["content-type"] == "video/mp4" and "authorization" not in put.headers


async def test_a_file_that_shrinks_during_the_upload_fails_ingest(
    api: LumaApi, emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "shrinking.png"
    path.write_bytes(encode_image(64, 48, "png"))

    async def truncate(request: httpx.Request) -> None:
        if request.method == "PUT":
            path.write_bytes(b"\x89PNG")  # the size announced to the API no longer matches

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(emulator.app), event_hooks={"request": [truncate]}
    ) as http:
        with pytest.raises(errors.InvalidRequest, match=r"could not ingest.*expected size_bytes"):
            await upload_file(api, http, path, "image/png")


async def test_a_refused_put_is_unavailable(
    api: LumaApi, http: httpx.AsyncClient, emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(encode_image(16, 16, "png"))
    emulator.faults.add("PUT /_uploads/{id}", status=503, times=1)
    with pytest.raises(errors.Unavailable, match=r"refused the upload.*503"):
        await upload_file(api, http, path, "image/png")
    assert ("POST", "complete") not in [(r.method, r.path.rsplit("/", 1)[-1]) for r in emulator.requests]


@pytest.mark.parametrize(
    ("route", "status", "error"),
    [
        ("POST /v1/files", 400, errors.InvalidRequest),
        ("POST /v1/files", 401, errors.AuthenticationFailed),
        ("POST /v1/files/{id}/complete", 503, errors.Unavailable),
    ],
)
async def test_api_errors_are_mapped(
    api: LumaApi,
    http: httpx.AsyncClient,
    emulator: Emulator,
    tmp_path: Path,
    route: str,
    status: int,
    error: type[errors.ProviderError],
) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(encode_image(16, 16, "png"))
    emulator.faults.add(route, status=status)
    with pytest.raises(error) as raised:
        await upload_file(api, http, path, "image/png")
    assert raised.value.status == status and KEY not in str(raised.value)


async def test_an_unreachable_api_is_unavailable(http: httpx.AsyncClient, tmp_path: Path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(encode_image(16, 16, "png"))
    api = LumaApi(KEY, "http://127.0.0.1:9/v1")
    try:
        with pytest.raises(errors.Unavailable, match="nothing was submitted"):
            await upload_file(api, http, path, "image/png")
    finally:
        await api.aclose()
