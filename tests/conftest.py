"""Shared fixtures: settings in a temp folder, a fast emulator, and an MCP client session helper.

The emulator is the API in every test: mounted in process (httpx.ASGITransport) or served on loopback.
Tests drive the server through the real MCP client; nothing of ours is mocked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from mcp import Client
from mcp_types import CallToolResult

from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig
from luma_mcp.server import build_server
from luma_mcp.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        sandbox=True,
        output_dir=tmp_path / "out",
        data_dir=tmp_path / "data",
        wait_seconds=20,
        min_poll_interval=0.02,
        progress_interval=0.1,
        sandbox_job_seconds=0.3,
    )


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(EmulatorConfig(queued_seconds=0.05, processing_seconds=0.3))


@dataclass
class Progress:
    events: list[tuple[float, float | None, str | None]] = field(default_factory=list)

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.events.append((progress, total, message))


@asynccontextmanager
async def session(settings: Settings, emulator: Emulator | None = None, **client: Any) -> AsyncIterator[Client]:
    async with Client(build_server(settings, emulator), **client) as connected:
        yield connected


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def structured(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None, text_of(result)
    return result.structured_content


@asynccontextmanager
async def loopback(app: Any, *, lifespan: Literal["on", "off"] = "off") -> AsyncIterator[str]:
    """Serve `app` over real HTTP on 127.0.0.1 (an ephemeral port) for the duration; yields its base URL.
    `lifespan="on"` runs the app's lifespan, which an MCP app needs (its sessions)."""
    import threading

    import anyio
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan=lifespan, timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes only a flag, set from its own thread)
        await anyio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await anyio.to_thread.run_sync(thread.join, 10)


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment a client would give `luma-mcp`: only what it needs, in temp folders."""
    import os

    env = {name: os.environ[name] for name in ("PATH", "HOME", "SYSTEMROOT") if name in os.environ}
    env.update({"LUMA_MCP_OUTPUT_DIR": str(tmp_path / "out"), "LUMA_MCP_DATA_DIR": str(tmp_path / "data")})
    env.update(extra)
    return env


@dataclass
class Watch:
    """An emulator's app, wrapped to see one header of every request it gets (media downloads too)."""

    app: Any
    header: bytes = b"authorization"
    seen: list[tuple[str, str | None]] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            value = dict(scope["headers"]).get(self.header)
            self.seen.append((scope["path"], value.decode() if value is not None else None))
        await self.app(scope, receive, send)


def answering(action: str, submit: bool | None = None) -> Any:
    """An elicitation callback that answers every question with `action`; `.asked` keeps the questions."""
    from mcp_types import ElicitRequestParams, ElicitResult

    asked: list[str] = []

    async def callback(context: Any, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action=action, content=None if submit is None else {"submit": submit})

    callback.asked = asked  # type: ignore[attr-defined]
    return callback


def wav(seconds: float = 1.5, rate: int = 16_000) -> bytes:
    """A mono 16-bit WAV of a 220 Hz tone, `seconds` long."""
    import io
    import math
    import struct
    import wave

    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 220 * n / rate))) for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()
