"""Spec F8: a 1080p reframe to a vertical target is rolling out per caller, so it is not a local rule.
The tool sends it; a caller outside the rollout gets the API's refusal relayed as the tool's error (and
nothing charged, nothing in the history); a caller inside it gets the video. The emulator's switch
(`vertical_1080p_reframe_access`, off by default like today's API) plays either caller."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conftest import session, structured, text_of
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.luma.emulator.config import VERTICAL_1080P_COMING_SOON
from luma_mcp.providers.luma.rules import check_generation
from luma_mcp.settings import Settings
from sandbox_frames import completed, decode, output_path


def reframe(source_id: str, aspect_ratio: str = "9:16") -> dict[str, Any]:
    return {"source": {"generation_id": source_id}, "aspect_ratio": aspect_ratio, "resolution": "1080p"}


def creates(emulator: Emulator, gen_type: str) -> list[dict[str, Any]]:
    return [body for body in emulator.generation_posts() if body.get("type") == gen_type]


@pytest.mark.parametrize("aspect_ratio", ["9:16", "3:4"])
async def test_outside_the_rollout_the_apis_refusal_is_the_tools_error(
    settings: Settings, emulator: Emulator, aspect_ratio: str
) -> None:
    async with session(settings, emulator) as client:
        source = await completed(client, "generate_video", {"prompt": "a harbour at dusk"})
        result = await client.call_tool("reframe_video", reframe(source["id"], aspect_ratio))
        history = structured(await client.call_tool("list_generations", {}))["generations"]
    assert result.is_error
    message = text_of(result)
    assert VERTICAL_1080P_COMING_SOON in message
    assert "nothing was charged" in message.lower()
    assert len(creates(emulator, "video_reframe")) == 1  # sent once, not retried
    assert [row["id"] for row in history] == [source["id"]]  # no row for the refused reframe


async def test_inside_the_rollout_it_completes(settings: Settings, emulator: Emulator) -> None:
    emulator.config.vertical_1080p_reframe_access = True
    async with session(settings, emulator) as client:
        source = await completed(client, "generate_video", {"prompt": "a harbour at dusk"})
        vertical = await completed(client, "reframe_video", reframe(source["id"]))
    count, frames = decode(output_path(vertical), {0})
    assert (frames[0].width, frames[0].height, count) == (1080, 1920, 120)
    assert creates(emulator, "video_reframe")[0]["video"]["resolution"] == "1080p"


def test_not_a_local_rule() -> None:
    body = {
        "model": "ray-3.2",
        "type": "video_reframe",
        "prompt": "keep the scene",
        "aspect_ratio": "9:16",
        "source": {"generation_id": "d290f1ee-6c54-4b01-90e6-d701748f0851"},
        "video": {"resolution": "1080p"},
    }
    assert check_generation(body, strict=True) == []


async def test_the_emulator_answers_the_apis_refusal_until_switched(emulator: Emulator) -> None:
    body = {
        "model": "ray-3.2",
        "type": "video_reframe",
        "prompt": "keep the scene",
        "aspect_ratio": "3:4",
        "source": {"url": "https://videos.example.com/a.mp4", "media_type": "video/mp4"},
        "video": {"resolution": "1080p"},
    }
    transport = httpx.ASGITransport(app=emulator.app)
    headers = {"Authorization": "Bearer luma-api-rollout"}
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as http:
        refused = await http.post("/v1/generations", json=body, headers=headers)
        assert refused.status_code == 400 and refused.json() == {"detail": VERTICAL_1080P_COMING_SOON}
        assert (await http.post("/v1/generations", json={**body, "aspect_ratio": "16:9"}, headers=headers)).is_success
        shown = (await http.get("/_emulator/switches")).json()
        assert shown["vertical_1080p_reframe_access"] is False
        changed = await http.post("/_emulator/switches", json={"vertical_1080p_reframe_access": True})
        assert changed.status_code == 200 and changed.json()["vertical_1080p_reframe_access"] is True
        assert (
            await http.post("/_emulator/switches", json={"vertical_1080p_reframe_access": "yes"})
        ).status_code == 400
        assert (await http.post("/_emulator/switches", json={"beta": True})).status_code == 400
        accepted = await http.post("/v1/generations", json=body, headers=headers)
        assert accepted.status_code == 201
    assert emulator.config.vertical_1080p_reframe_access is True
