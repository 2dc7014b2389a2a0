"""Fault switches, in process and over the `/_emulator/*` admin routes."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from emulator_fixtures import *  # noqa: F403  (pytest fixtures)
from emulator_helpers import KEY, Jobs, sdk
from luma_agents import (
    APIConnectionError,
    AsyncLuma,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)

from luma_mcp.providers.luma.emulator import Emulator

AUTH = {"Authorization": f"Bearer {KEY}"}
IMAGE = {"prompt": "a fox", "model": "uni-1"}


async def test_one_shot_429_with_retry_after(emu: Emulator, client: AsyncLuma) -> None:
    emu.faults.add("POST /v1/generations", status=429, retry_after=3, detail="Rate limit exceeded")
    with pytest.raises(RateLimitError) as caught:
        await client.generations.create(**IMAGE)
    assert caught.value.body == {"detail": "Rate limit exceeded"}
    assert caught.value.response.headers["retry-after"] == "3"
    assert caught.value.response.headers["x-api-version"] == "2026-04-01"
    assert (await client.generations.create(**IMAGE)).state == "queued"
    assert len(emu.store.by_id) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_for_n_requests_then_normal(emu: Emulator, client: AsyncLuma, status: int) -> None:
    emu.faults.add("POST /v1/generations", status=status, times=2)
    for _ in range(2):
        with pytest.raises(InternalServerError) as caught:
            await client.generations.create(**IMAGE)
        assert caught.value.status_code == status and isinstance(caught.value.body, dict)
        assert isinstance(caught.value.body["detail"], str)
    await client.generations.create(**IMAGE)
    assert emu.faults.pending() == []
    assert len(emu.generation_posts()) == 3  # the log records faulted requests too


async def test_accept_then_fail_creates_the_job_but_answers_500(emu: Emulator, client: AsyncLuma) -> None:
    emu.faults.add("POST /v1/generations", status=500, accept_then_fail=True)
    with pytest.raises(InternalServerError):
        await client.generations.create(**IMAGE)
    assert len(emu.store.by_id) == 1  # the ambiguous case: billed, but the caller never saw the id


async def test_drop_connection_is_a_connection_error(emu: Emulator, client: AsyncLuma) -> None:
    emu.faults.add("POST /v1/generations", drop_connection=True)
    emu.faults.add("GET /v1/generations/{id}", drop_connection=True, accept_then_fail=True)
    with pytest.raises(APIConnectionError):
        await client.generations.create(**IMAGE)
    assert emu.store.by_id == {}
    created = await client.generations.create(**IMAGE)
    with pytest.raises(APIConnectionError):
        await client.generations.get(created.id)
    assert (await client.generations.get(created.id)).id == created.id


async def test_delay_then_answer_normally(emu: Emulator, client: AsyncLuma) -> None:
    emu.faults.add("GET /v1/generations/{id}", delay_seconds=0.15)
    created = await client.generations.create(**IMAGE)
    started = time.perf_counter()
    assert (await client.generations.get(created.id)).id == created.id
    assert time.perf_counter() - started >= 0.15


async def test_malformed_json_keeps_status_and_breaks_the_body(emu: Emulator, http: httpx.AsyncClient) -> None:
    emu.faults.add("POST /v1/generations", malformed_json=True)
    response = await http.post("generations", json=IMAGE, headers=AUTH)
    assert response.status_code == 201 and response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert len(emu.store.by_id) == 1
    with pytest.raises(json.JSONDecodeError):  # what the SDK lets through: callers must catch it
        emu.faults.add("POST /v1/generations", malformed_json=True)
        await sdk(http).generations.create(**IMAGE)


async def test_expire_urls_makes_every_media_url_403(emu: Emulator, jobs: Jobs, http: httpx.AsyncClient) -> None:
    done = await jobs.image()
    assert done.output
    emu.faults.expire_urls = True
    assert (await http.get(done.output[0].url)).status_code == 403
    emu.faults.expire_urls = False
    assert (await http.get(done.output[0].url)).status_code == 200


async def test_faults_on_files_and_media_routes(emu: Emulator, jobs: Jobs, http: httpx.AsyncClient) -> None:
    emu.faults.add("POST /v1/files", status=503)
    with pytest.raises(InternalServerError):
        await jobs.client.files.create(mime_type="image/png", size_bytes=1)
    done = await jobs.image()
    assert done.output
    emu.faults.add("GET /_media/{id}", status=500)
    assert (await http.get(done.output[0].url)).status_code == 500
    assert (await http.get(done.output[0].url)).status_code == 200


def test_bad_faults_are_refused(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="unknown route"):
        emu.faults.add("POST /v1/generation", status=500)
    with pytest.raises(ValueError, match="effect"):
        emu.faults.add("POST /v1/generations")
    with pytest.raises(ValueError):
        emu.faults.add("POST /v1/generations", status=200)


async def test_admin_routes_drive_the_same_switches(emu: Emulator, client: AsyncLuma, http: httpx.AsyncClient) -> None:
    admin = "http://emulator.test/_emulator"
    added = await http.post(f"{admin}/faults", json={"route": "POST /v1/generations", "status": 429, "retry_after": 2})
    assert added.status_code == 201 and added.json()["fault"]["status"] == 429
    assert len((await http.get(f"{admin}/faults")).json()["faults"]) == 1
    with pytest.raises(RateLimitError):
        await client.generations.create(**IMAGE)
    created = await client.generations.create(**IMAGE)
    log = (await http.get(f"{admin}/requests")).json()["requests"]
    assert [entry["method"] for entry in log] == ["POST", "POST"]
    assert log[0]["body"] == IMAGE and log[0]["headers"]["authorization"] == "<redacted>"
    assert (await http.post(f"{admin}/faults", json={"expire_urls": True})).json()["expire_urls"] is True
    assert emu.faults.expire_urls
    assert (await http.post(f"{admin}/faults", json={"route": "nope", "status": 500})).status_code == 400
    assert (await http.post(f"{admin}/faults", json={"bogus": 1})).status_code == 400
    assert (await http.post(f"{admin}/advance", json={"seconds": 3600})).status_code == 200
    assert (await client.generations.get(created.id)).state == "completed"
    assert (await http.delete(f"{admin}/faults")).status_code == 204 and not emu.faults.expire_urls
    assert (await http.post(f"{admin}/reset")).status_code == 204
    with pytest.raises(NotFoundError):
        await client.generations.get(created.id)
    assert [entry.path for entry in emu.requests] == [f"/v1/generations/{created.id}"]
