"""The Files API through the real SDK: create, PUT to the presigned URL, complete, get, list, delete."""

from __future__ import annotations

import httpx
import pytest
from emulator_fixtures import *  # noqa: F403  (pytest fixtures)
from emulator_helpers import FakeClock, Jobs, probe, sdk
from luma_agents import AsyncLuma, BadRequestError, NotFoundError, UnprocessableEntityError
from luma_agents.types import File

from luma_mcp.emulator.media import encode_image, encode_video
from luma_mcp.providers.luma.emulator import Emulator


async def upload(client: AsyncLuma, http: httpx.AsyncClient, data: bytes, mime_type: str) -> File:
    created = await client.files.create(mime_type=mime_type, size_bytes=len(data))
    assert created.upload is not None and created.state == "pending"
    put = await http.put(created.upload.url, content=data, headers=created.upload.headers)
    assert put.status_code == 200 and put.headers["etag"].startswith('"')
    return await client.files.complete(created.id)


async def test_presigned_flow_ends_ready(client: AsyncLuma, http: httpx.AsyncClient) -> None:
    png = encode_image(32, 32, "png")
    created = await client.files.create(
        mime_type="image/png", size_bytes=len(png), filename="cat.png", purpose="reference", user_id="u-1"
    )
    assert created.id == created.file.id and created.file.state == "pending"
    assert created.upload is not None and created.upload.method == "PUT"
    assert created.upload.url.startswith(f"http://emulator.test/_uploads/{created.id}?")
    assert created.upload.headers == {"Content-Type": "image/png"}
    assert (await http.put(created.upload.url, content=png, headers=created.upload.headers)).status_code == 200
    done = await client.files.complete(created.id)
    assert (done.state, done.size_bytes, done.filename, done.purpose, done.user_id) == (
        "ready",
        len(png),
        "cat.png",
        "reference",
        "u-1",
    )
    assert (await client.files.get(created.id)).state == "ready"


async def test_size_mismatch_or_no_upload_fails_on_complete(client: AsyncLuma, http: httpx.AsyncClient) -> None:
    created = await client.files.create(mime_type="image/png", size_bytes=10)
    assert created.upload is not None
    await http.put(created.upload.url, content=b"12345", headers=created.upload.headers)
    failed = await client.files.complete(created.id)
    assert failed.state == "failed" and failed.failure_reason and "10" in failed.failure_reason
    never = await client.files.create(mime_type="image/png", size_bytes=10)
    assert (await client.files.complete(never.id)).state == "failed"


async def test_put_checks_signature_expiry_and_signed_content_type(
    client: AsyncLuma, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    created = await client.files.create(mime_type="image/png", size_bytes=4)
    assert created.upload is not None
    url = created.upload.url
    wrong_type = await http.put(url, content=b"abcd", headers={"Content-Type": "application/octet-stream"})
    assert wrong_type.status_code == 403 and "SignatureDoesNotMatch" in wrong_type.text
    assert (await http.put(url.replace("sig=", "sig=ff"), content=b"abcd")).status_code == 403
    clock.advance(3601)
    expired = await http.put(url, content=b"abcd", headers=created.upload.headers)
    assert expired.status_code == 403 and "expired" in expired.text


async def test_list_is_newest_first_with_cursor_and_filters(client: AsyncLuma, http: httpx.AsyncClient) -> None:
    ids = [(await client.files.create(mime_type="image/png", size_bytes=1)).id for _ in range(5)]
    first = await client.files.list(limit=2)
    assert [f.id for f in first.data] == ids[::-1][:2] and first.has_more and first.next_cursor == ids[3]
    second = await client.files.list(limit=2, cursor=first.next_cursor)
    third = await client.files.list(limit=2, cursor=second.next_cursor)
    assert [f.id for f in second.data + third.data] == ids[::-1][2:] and not third.has_more
    assert third.next_cursor is None
    await client.files.delete(ids[0])
    assert len((await client.files.list()).data) == 4
    assert [f.id for f in (await client.files.list(state="deleted")).data] == [ids[0]]
    assert (await client.files.list(purpose="reference")).data == []
    bad = await http.get("files?limit=0", headers={"Authorization": "Bearer luma-api-test"})
    assert bad.status_code == 400 and isinstance(bad.json()["detail"], str)


async def test_delete_is_soft_and_files_are_per_key(client: AsyncLuma, http: httpx.AsyncClient) -> None:
    created = await client.files.create(mime_type="image/png", size_bytes=1)
    with pytest.raises(NotFoundError) as caught:
        await sdk(http, "luma-api-other").files.get(created.id)
    assert caught.value.body == {"detail": "File not found"}
    response = await http.delete(f"files/{created.id}", headers={"Authorization": "Bearer luma-api-test"})
    assert response.status_code == 204 and response.content == b""
    gone = await client.files.get(created.id)
    assert gone.state == "deleted" and gone.deleted_at is not None


async def test_generations_take_ready_files_only(jobs: Jobs, http: httpx.AsyncClient) -> None:
    client = jobs.client
    png = await upload(client, http, encode_image(64, 64, "png"), "image/png")
    edited = await client.generations.create(prompt="x", model="uni-1", type="image_edit", source={"file_id": png.id})
    assert edited.state == "queued"
    pending = await client.files.create(mime_type="image/png", size_bytes=3)
    for file_id, detail in (
        (pending.id, f"source: file '{pending.id}' is not ready"),
        ("5b1b0b4e-6f1c-4e5e-9a8c-2b4f1f0d9c11", "source: file '5b1b0b4e-6f1c-4e5e-9a8c-2b4f1f0d9c11' not found"),
    ):
        with pytest.raises(BadRequestError) as caught:
            await client.generations.create(prompt="x", model="uni-1", type="image_edit", source={"file_id": file_id})
        assert caught.value.body == {"detail": detail}
    await client.files.delete(png.id)
    with pytest.raises(BadRequestError):
        await client.generations.create(prompt="x", model="uni-1", type="image_edit", source={"file_id": png.id})


async def test_video_file_source_is_probed_for_length(jobs: Jobs, http: httpx.AsyncClient) -> None:
    client = jobs.client
    clip = await upload(client, http, encode_video(64, 64, 72), "video/mp4")  # 3 s, square
    done = await jobs.finish(
        await client.generations.create(
            prompt="x", model="ray-3.2", type="video_edit", source={"file_id": clip.id}, video={"resolution": "360p"}
        )
    )
    assert done.output
    assert probe((await http.get(done.output[0].url)).content) == (360, 360, 72)
    with pytest.raises(UnprocessableEntityError):
        await client.generations.create(prompt="x", model="uni-1", type="image_edit", source={"file_id": clip.id})


async def test_file_creation_is_validated_and_multipart_refused(emu: Emulator, http: httpx.AsyncClient) -> None:
    auth = {"Authorization": "Bearer luma-api-test"}
    for body in (
        {"size_bytes": 3},
        {"mime_type": "image/png"},
        {"mime_type": "image/png", "size_bytes": -1},
        {"mime_type": "image/png", "size_bytes": 3, "purpose": "other"},
    ):
        response = await http.post("files", json=body, headers=auth)
        assert response.status_code == 400 and isinstance(response.json()["detail"], str)
    multipart = await http.post("files", files={"file": ("a.png", b"x", "image/png")}, headers=auth)
    assert multipart.status_code == 400
