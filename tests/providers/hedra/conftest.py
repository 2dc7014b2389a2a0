"""Fixtures for the Hedra emulator's tests: a fixed clock moved by `hedra_emu.advance`, no sockets, no sleeps.
Named `hedra_*` so they never shadow the root conftest's fixtures nor another provider's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from luma_mcp.providers.hedra.emulator import HedraEmulator, HedraEmulatorConfig

from .emulator_support import BASE_URL, START, HedraApi


@pytest.fixture
def hedra_config() -> HedraEmulatorConfig:
    return HedraEmulatorConfig(clock=lambda: START)


@pytest.fixture
def hedra_emu(hedra_config: HedraEmulatorConfig) -> HedraEmulator:
    return HedraEmulator(hedra_config)


@pytest.fixture
async def hedra_http(hedra_emu: HedraEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hedra_emu.app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def hedra(hedra_http: httpx.AsyncClient, hedra_emu: HedraEmulator) -> HedraApi:
    return HedraApi(hedra_http, hedra_emu)
