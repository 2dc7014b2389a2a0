"""Shortcuts for the emulator's tests: a fixed clock, a key, and create/poll/finish over real HTTP calls."""

from __future__ import annotations

from typing import Any

import httpx

from luma_mcp.providers.aimlapi.emulator import AimlEmulator

BASE_URL = "http://aiml.test"
KEY = "aiml-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
START = 1_790_000_000.0
GENERATIONS = "/v2/video/generations"
# Long enough for any default schedule (5 s queued + 30 s generating) to finish.
DONE = 60.0


class Api:
    def __init__(self, http: httpx.AsyncClient, emu: AimlEmulator) -> None:
        self.http = http
        self.emu = emu

    async def create(self, headers: dict[str, str] | None = None, **fields: Any) -> httpx.Response:
        body = {"model": "luma/ray-2", "prompt": "a lighthouse at dusk", "resolution": "540p", **fields}
        return await self.http.post(GENERATIONS, json=body, headers={**AUTH, **(headers or {})})

    async def submit(self, **fields: Any) -> str:
        response = await self.create(**fields)
        assert response.status_code == 200, response.text
        generation_id = response.json()["id"]
        assert isinstance(generation_id, str)
        return generation_id

    async def poll(self, generation_id: str) -> httpx.Response:
        return await self.http.get(GENERATIONS, params={"generation_id": generation_id}, headers=AUTH)

    async def finish(self, generation_id: str) -> dict[str, Any]:
        self.emu.advance(DONE)
        response = await self.poll(generation_id)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def completed(self, **fields: Any) -> dict[str, Any]:
        return await self.finish(await self.submit(**fields))


def envelope(response: httpx.Response, status: int) -> str:
    """The gateway's error envelope (spec 7.1), checked; its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "path", "requestId", "statusCode", "timestamp"}
    assert body["statusCode"] == str(status)
    assert body["timestamp"].endswith("Z")
    message = body["message"]
    assert isinstance(message, str)
    return message
