"""Fixtures for the AI/ML API emulator's tests: a fixed clock moved by `emu.advance`, no sockets, no sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from luma_mcp.providers.aimlapi.emulator import AimlEmulator, AimlEmulatorConfig
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.sandbox import Sandbox

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


# --- the server's tools over MCP (test_tools_*.py): the emulator on the real clock, jobs of ~0.35 s ---


@pytest.fixture
def aiml() -> AimlEmulator:
    """The AI/ML API behind the server: jobs queue for 0.05 s and generate for 0.3 s (flash: half)."""
    return AimlEmulator(AimlEmulatorConfig(queued_seconds=0.05, generating_seconds=0.3))


@pytest.fixture
def sandbox(emulator: Emulator, aiml: AimlEmulator) -> Sandbox:
    """Both emulators behind one sandbox, kept by the test so it can read what each received."""
    return Sandbox(luma=emulator, aimlapi=aiml)
