"""Fixtures for the Hedra emulator's tests: a fixed clock moved by `hedra_emu.advance`, no sockets, no sleeps.
Named `hedra_*` so they never shadow the root conftest's fixtures nor another provider's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from luma_mcp.providers.hedra.emulator import HedraEmulator, HedraEmulatorConfig
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.sandbox import Sandbox

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


# --- the server's tools over MCP (test_tools_*.py): the emulator on the real clock, jobs of ~0.4 s ---


@pytest.fixture
def avatar() -> HedraEmulator:
    """Hedra behind the server: jobs queue for 0.05 s, process for 0.3 s and finalize for 0.05 s."""
    return HedraEmulator(HedraEmulatorConfig(queued_seconds=0.05, processing_seconds=0.3, finalizing_seconds=0.05))


@pytest.fixture
def sandbox(emulator: Emulator, avatar: HedraEmulator) -> Sandbox:
    """Luma's and Hedra's emulators behind one sandbox, kept by the test so it can read what Hedra received."""
    return Sandbox(luma=emulator, hedra=avatar)
