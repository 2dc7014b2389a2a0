"""Fixtures for the AI/ML API emulator's tests: a fixed clock moved by `emu.advance`, no sockets, no sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from luma_mcp.providers.aimlapi.emulator import AimlEmulator, AimlEmulatorConfig

from .support import BASE_URL, START, Api


@pytest.fixture
def config() -> AimlEmulatorConfig:
    return AimlEmulatorConfig(clock=lambda: START)


@pytest.fixture
def emu(config: AimlEmulatorConfig) -> AimlEmulator:
    return AimlEmulator(config)


@pytest.fixture
async def http(emu: AimlEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def api(http: httpx.AsyncClient, emu: AimlEmulator) -> Api:
    return Api(http, emu)
