"""Rate limits (spec 8): the sliding RPM window, the concurrency cap, and their exact headers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from emulator_fixtures import *  # noqa: F403  (pytest fixtures)
from emulator_helpers import KEY, FakeClock, error_detail

from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig

AUTH = {"Authorization": f"Bearer {KEY}"}
IMAGE = {"prompt": "a fox", "model": "uni-1"}
START = 1_790_000_000.0


@pytest.fixture
def config(clock: FakeClock) -> EmulatorConfig:
    return EmulatorConfig(clock=clock, rpm_limit=3, concurrency_limit=2, queued_seconds=1, processing_seconds=4)


@pytest.fixture
async def http(emu: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), base_url="http://e.test/v1") as client:
        yield client


async def post(http: httpx.AsyncClient, prompt: str = "a fox", key: str = KEY) -> httpx.Response:
    return await http.post("generations", json={**IMAGE, "prompt": prompt}, headers={"Authorization": f"Bearer {key}"})


async def test_accepted_posts_carry_limit_remaining_and_reset(http: httpx.AsyncClient, clock: FakeClock) -> None:
    for remaining in ("2", "1"):
        response = await post(http)
        assert response.status_code == 201
        assert response.headers["x-ratelimit-limit"] == "3"
        assert response.headers["x-ratelimit-remaining"] == remaining
        assert response.headers["x-ratelimit-reset"] == str(int(clock.now + 60))
        assert "retry-after" not in response.headers
        clock.advance(5)  # both jobs finish: concurrency stays out of the way


async def test_rpm_429_has_exact_headers_and_does_not_count(http: httpx.AsyncClient, clock: FakeClock) -> None:
    for _ in range(3):
        assert (await post(http)).status_code == 201
        clock.advance(10)  # finished before the next, so only RPM can refuse; posts at START, +10, +20
    clock.now = START + 35.5
    refused = await post(http)
    assert refused.status_code == 429 and error_detail(refused) == "Rate limit exceeded"
    assert refused.headers["retry-after"] == "25"  # oldest (START) + 60 - now, rounded up
    assert refused.headers["x-ratelimit-limit"] == "3"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["x-ratelimit-reset"] == str(int(START + 60))
    clock.now = START + 59.9
    assert (await post(http)).headers["retry-after"] == "1"  # never below 1
    clock.now = START + 60
    accepted = await post(http)  # the oldest aged out; the two 429s never entered the window
    assert accepted.status_code == 201 and accepted.headers["x-ratelimit-remaining"] == "0"


async def test_concurrency_429_has_fixed_retry_after_and_no_ratelimit_headers(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    assert (await post(http)).status_code == 201
    assert (await post(http, "a fox __fail:generation_failed __slow:1")).status_code == 201
    refused = await post(http)
    assert refused.status_code == 429 and error_detail(refused) == "Too many concurrent jobs"
    assert refused.headers["retry-after"] == "60"
    assert not [name for name in refused.headers if name.startswith("x-ratelimit")]
    clock.advance(2.5)  # the failed job is terminal: its slot is free
    assert (await post(http)).status_code == 201


async def test_limits_are_per_key_and_gets_are_not_limited(http: httpx.AsyncClient, clock: FakeClock) -> None:
    created = (await post(http)).json()["id"]
    await post(http)
    assert (await post(http)).status_code == 429
    assert (await post(http, key="luma-api-other")).status_code == 201
    for _ in range(50):
        response = await http.get(f"generations/{created}", headers=AUTH)
        assert response.status_code == 200 and "x-ratelimit-limit" not in response.headers


async def test_jobs_stop_holding_a_slot_after_an_hour(http: httpx.AsyncClient, clock: FakeClock) -> None:
    await post(http, "stuck __slow:99999")
    await post(http, "stuck __slow:99999")
    assert (await post(http)).status_code == 429
    clock.advance(3601)
    assert (await post(http)).status_code == 201
