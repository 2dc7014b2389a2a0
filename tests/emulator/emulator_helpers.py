"""Helpers shared by the emulator's tests (fixtures live in conftest.py)."""

from __future__ import annotations

import base64
import io
from typing import Any

import av
import httpx
from luma_agents import AsyncLuma
from luma_agents.types import Generation

BASE_URL = "http://emulator.test/v1"
KEY = "luma-api-test"


class FakeClock:
    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def sdk(http: httpx.AsyncClient, key: str = KEY) -> AsyncLuma:
    return AsyncLuma(auth_token=key, base_url=BASE_URL, http_client=http, max_retries=0)


class Jobs:
    """Shortcuts for tests that need finished generations to chain from."""

    def __init__(self, client: AsyncLuma, clock: FakeClock) -> None:
        self.client = client
        self.clock = clock

    async def finish(self, generation: Generation) -> Generation:
        self.clock.advance(3600)
        return await self.client.generations.get(generation.id)

    async def video(self, **video: Any) -> Generation:
        video.setdefault("resolution", "360p")
        created = await self.client.generations.create(
            prompt="a lighthouse at dusk", model="ray-3.2", type="video", video=video
        )
        return await self.finish(created)

    async def image(self, **fields: Any) -> Generation:
        created = await self.client.generations.create(prompt="a red fox", model="uni-1", **fields)
        return await self.finish(created)


def probe(data: bytes) -> tuple[int, int, int]:
    """(width, height, decoded frame count) of encoded media."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return stream.codec_context.width, stream.codec_context.height, frames


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def error_detail(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"detail"}
    assert isinstance(body["detail"], str)
    return body["detail"]
