"""Fixtures for the emulator's own tests: a fake clock, the emulator, and the real SDK mounted on it.

No sockets and no sleeps: the SDK talks to the app through httpx.ASGITransport, and jobs move along
when a test advances the fake clock. Test modules star-import this module rather than it being a
conftest.py: a second conftest would take the `conftest` module name that tests/ imports helpers from.
"""

from __future__ import annotations

__all__ = ["client", "clock", "config", "emu", "http", "jobs"]

from collections.abc import AsyncIterator

import httpx
import pytest
from emulator_helpers import BASE_URL, FakeClock, Jobs, sdk
from luma_agents import AsyncLuma

from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(clock: FakeClock) -> EmulatorConfig:
    return EmulatorConfig(clock=clock)


@pytest.fixture
def emu(config: EmulatorConfig) -> Emulator:
    return Emulator(config)


@pytest.fixture
async def http(emu: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def client(http: httpx.AsyncClient) -> AsyncLuma:
    return sdk(http)


@pytest.fixture
def jobs(client: AsyncLuma, clock: FakeClock) -> Jobs:
    return Jobs(client, clock)
