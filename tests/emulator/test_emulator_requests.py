"""The request side: auth (5.7), headers on every answer, JSON parsing and a table of documented rules."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_fixtures import *  # noqa: F403  (pytest fixtures)
from emulator_helpers import KEY, FakeClock, error_detail, sdk
from luma_agents import AuthenticationError

from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig

AUTH = {"Authorization": f"Bearer {KEY}"}
VIDEO = {"prompt": "a cat", "model": "ray-3.2", "type": "video"}


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Missing or invalid API key"),
        ({"Authorization": f"Basic {KEY}"}, "Missing or invalid API key"),
        ({"Authorization": "Bearer sk-not-luma"}, "Missing or invalid API key"),
        ({"Authorization": "Bearer luma-api-"}, "Missing or invalid API key"),
        ({"Authorization": "Bearer luma-api-unknown"}, "Invalid API key"),
        ({"Authorization": "Bearer luma-api-revoked"}, "API key has been revoked"),
        ({"Authorization": "Bearer luma-api-expired"}, "API key has expired"),
    ],
)
async def test_auth_failures_are_401_with_the_documented_detail(
    clock: FakeClock, headers: dict[str, str], detail: str
) -> None:
    emu = Emulator(
        EmulatorConfig(
            clock=clock,
            accepted_keys=frozenset({KEY}),
            revoked_keys=frozenset({"luma-api-revoked"}),
            expired_keys=frozenset({"luma-api-expired"}),
        )
    )
    transport = httpx.ASGITransport(app=emu.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test/v1") as http:
        for response in (
            await http.post("generations", json=VIDEO, headers=headers),
            await http.get("generations/5b1b0b4e-6f1c-4e5e-9a8c-2b4f1f0d9c11", headers=headers),
            await http.get("files", headers=headers),
        ):
            assert response.status_code == 401
            assert error_detail(response) == detail
            assert "x-ratelimit-limit" not in response.headers and "retry-after" not in response.headers
        assert (await http.post("generations", json=VIDEO, headers=AUTH)).status_code == 201


async def test_the_sdk_sees_401_as_authentication_error(clock: FakeClock) -> None:
    emu = Emulator(EmulatorConfig(clock=clock, accepted_keys=frozenset({KEY})))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app)) as http:
        with pytest.raises(AuthenticationError):
            await sdk(http, "luma-api-intruder").generations.create(**VIDEO)


async def test_suspended_client_is_403_and_an_empty_balance_402(clock: FakeClock) -> None:
    broke = "luma-api-broke"
    emu = Emulator(
        EmulatorConfig(clock=clock, suspended_keys=frozenset({KEY}), insufficient_balance_keys=frozenset({broke}))
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), base_url="http://e.test/v1") as http:
        suspended = await http.post("generations", json=VIDEO, headers=AUTH)
        unpaid = await http.post("generations", json=VIDEO, headers={"Authorization": f"Bearer {broke}"})
    assert (suspended.status_code, error_detail(suspended)) == (403, "API client is suspended")
    assert unpaid.status_code == 402 and "balance" in error_detail(unpaid)
    assert "x-ratelimit-limit" not in unpaid.headers and emu.store.by_id == {}


async def test_every_answer_carries_request_id_and_api_version(http: httpx.AsyncClient) -> None:
    echoed = await http.post("generations", json=VIDEO, headers={**AUTH, "X-Request-Id": "trace-me"})
    assert echoed.headers["x-request-id"] == "trace-me"
    for response in (
        echoed,
        await http.post("generations", json={}, headers=AUTH),
        await http.get("generations/nope", headers=AUTH),
        await http.get("nowhere", headers=AUTH),
        await http.get("http://emulator.test/_media/x/0/output.mp4"),
    ):
        assert response.headers["x-api-version"] == "2026-04-01"
        assert len(response.headers["x-request-id"]) >= 8
    assert (await http.get("nowhere", headers=AUTH)).json() == {"detail": "Not Found"}


async def test_stainless_headers_are_accepted_and_ignored(http: httpx.AsyncClient) -> None:
    headers = {**AUTH, "X-Stainless-Retry-Count": "2", "X-Stainless-Lang": "python", "X-Stainless-Async": "false"}
    assert (await http.post("generations", json=VIDEO, headers=headers)).status_code == 201


@pytest.mark.parametrize(
    ("content", "detail_start"),
    [(b"{not json", "Invalid JSON body"), (b"[1, 2]", "Request body must be a JSON object"), (b"", "Invalid JSON")],
)
async def test_unparseable_bodies_are_400_with_a_string_detail(
    http: httpx.AsyncClient, content: bytes, detail_start: str
) -> None:
    response = await http.post("generations", content=content, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_detail(response).startswith(detail_start)


async def test_json_nulls_count_as_absent(http: httpx.AsyncClient) -> None:
    body = {
        **VIDEO,
        "aspect_ratio": None,
        "source": None,
        "image_ref": None,
        "video": {"resolution": None, "duration": None, "start_frame": None, "edit": None},
    }
    response = await http.post("generations", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    assert set(response.json()) == {
        "id",
        "type",
        "state",
        "model",
        "created_at",
        "output",
        "failure_reason",
        "failure_code",
    }


async def test_model_defaults_to_uni_1(http: httpx.AsyncClient) -> None:
    response = await http.post("generations", json={"prompt": "a fox"}, headers=AUTH)
    assert response.status_code == 201
    assert (response.json()["model"], response.json()["type"]) == ("uni-1", "image")


GOOD_IMAGE = {"url": "https://example.com/a.png"}
GOOD_VIDEO = {"url": "https://example.com/a.mp4", "media_type": "video/mp4"}

RULES: list[tuple[dict[str, Any], int, str | None]] = [
    ({"model": "uni-1"}, 400, "Prompt must be between 1 and 6000 characters"),
    ({"prompt": "x" * 6001, "model": "uni-1"}, 400, "Prompt must be between 1 and 6000 characters"),
    ({"prompt": "x", "model": "ray-2"}, 400, "Unknown model: ray-2"),
    ({"prompt": "x", "type": "video"}, 400, "Type 'video' is not supported for model 'uni-1'"),
    # The order of the listed values is the rule table's business (tested with it): prefixes only here.
    ({"prompt": "x", "model": "uni-1", "aspect_ratio": "4:3"}, 400, "Invalid aspect_ratio '4:3'. Valid: ..."),
    ({**VIDEO, "aspect_ratio": "2:1"}, 400, "Invalid aspect_ratio '2:1'. Valid: ..."),
    ({"prompt": "x", "model": "uni-1", "type": "image_edit"}, 400, "source is required for type 'image_edit'"),
    ({"prompt": "x", "model": "uni-1", "source": GOOD_IMAGE}, 400, "source is only valid for type 'image_edit'"),
    (
        {"prompt": "x", "model": "uni-1", "image_ref": [GOOD_IMAGE] * 10},
        400,
        "image_ref supports up to 9 reference images",
    ),
    (
        {"prompt": "x", "model": "uni-1", "image_ref": [{"url": "https://e.com/a.png", "data": "AAAA"}]},
        400,
        "image_ref[0]: provide either 'url' or 'data', not both",
    ),
    (
        {"prompt": "x", "model": "uni-1", "image_ref": [{"data": "AAAA"}]},
        400,
        "image_ref[0]: 'media_type' is required with 'data'",
    ),
    ({**VIDEO, "video": "720p"}, 400, "video: must be an object"),
    ({"prompt": "x", "model": "uni-1", "image_ref": "https://example.com/a.png"}, 400, "image_ref: must be a list"),
    ({**VIDEO, "video": {"loop": "yes"}}, 400, "video.loop: must be a boolean"),
    ({**VIDEO, "video": {"duration": "10s", "hdr": True}}, 400, None),
    ({**VIDEO, "video": {"keyframes": [GOOD_IMAGE]}}, 400, None),
    ({**VIDEO, "type": "video_edit"}, 400, None),
    ({**VIDEO, "type": "video_reframe", "source": GOOD_VIDEO}, 400, None),
    (
        {**VIDEO, "type": "video_reframe", "source": {"url": "https://example.com/a.mp4"}, "aspect_ratio": "9:16"},
        400,
        None,
    ),
]


@pytest.mark.parametrize(("body", "status", "detail"), RULES)
async def test_documented_rules_answer_status_and_string_detail(
    http: httpx.AsyncClient, body: dict[str, Any], status: int, detail: str | None
) -> None:
    response = await http.post("generations", json=body, headers=AUTH)
    assert response.status_code == status
    text = error_detail(response)
    if detail is not None and detail.endswith("..."):
        assert text.startswith(detail.removesuffix("..."))
    elif detail is not None:
        assert text == detail
    assert "x-ratelimit-limit" not in response.headers
