"""The emulator over real HTTP on loopback (what `luma-mcp emulator` serves): faults as a socket sees them."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from emulator_fixtures import *  # noqa: F403  (pytest fixtures)
from emulator_helpers import FakeClock
from luma_agents import APIConnectionError, APITimeoutError, AsyncLuma

from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig, make_server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(clock: FakeClock) -> Iterator[tuple[Emulator, str]]:
    emu = Emulator(EmulatorConfig(clock=clock))
    port = free_port()
    server = make_server(emu, "127.0.0.1", port, log_level="critical")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        assert time.monotonic() < deadline, "emulator did not start"
        time.sleep(0.01)
    yield emu, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


async def test_sdk_over_http_with_faults(served: tuple[Emulator, str], clock: FakeClock) -> None:
    emu, base = served
    async with httpx.AsyncClient() as http:
        client = AsyncLuma(auth_token="luma-api-test", base_url=f"{base}/v1", http_client=http, max_retries=0)
        created = await client.generations.create(prompt="a fox", model="uni-1")
        clock.advance(60)
        done = await client.generations.get(created.id)
        assert done.output and done.output[0].url.startswith(f"{base}/_media/")
        media = await http.get(done.output[0].url)
        assert media.status_code == 200 and media.content.startswith(b"\x89PNG")

        emu.faults.add("GET /v1/generations/{id}", drop_connection=True)
        with pytest.raises(APIConnectionError):
            await client.generations.get(created.id)
        emu.faults.add("GET /v1/generations/{id}", delay_seconds=0.3)
        with pytest.raises(APITimeoutError):
            await client.with_options(timeout=0.1).generations.get(created.id)
        assert (await client.generations.get(created.id)).state == "completed"
        log = (await http.get(f"{base}/_emulator/requests")).json()["requests"]
        assert len(log) == 5
