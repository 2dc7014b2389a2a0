"""Shortcuts for the tool tests (test_tools_*.py): the server's ray-2 calls through a real MCP client.

The AI/ML API emulator is the API; what it received (`generation_posts()`, `requests`) is the wire
truth these tests assert on. Nothing of the server is mocked.
"""

from __future__ import annotations

import re
import sqlite3
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from conftest import structured, text_of
from luma_mcp.providers.aimlapi.emulator import AimlEmulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.server import build_server
from luma_mcp.settings import Settings

PROMPT = "A red kite banking over chalk cliffs at golden hour, slow pan"
FRAME_A = "https://images.example.com/cliffs-dawn.png"
FRAME_B = "https://images.example.com/cliffs-dusk.jpg"
CREATE_PATH = "/v2/video/generations"
# A20: the trace id every create carries.
CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# The emulator's placeholder catalogue (per second, by resolution); ray-flash-2 costs a third.
RAY_2_USD_PER_SECOND = {"540p": 0.05, "720p": 0.10, "1080p": 0.20, "4k": 0.40}


def price(model: str, resolution: str, seconds: int) -> float:
    rate = RAY_2_USD_PER_SECOND[resolution]
    return (round(rate / 3, 4) if model == "ray-flash-2" else rate) * seconds


def wire(prompt: str = PROMPT, model: str = "luma/ray-2", **fields: Any) -> dict[str, Any]:
    """A create body as the emulator should receive it: the defaults the server always sends, then `fields`."""
    return {"model": model, "prompt": prompt, "resolution": "720p", "duration": 5, **fields}


@asynccontextmanager
async def session(settings: Settings, sandbox: Sandbox | None = None, **client: Any) -> AsyncIterator[Client]:
    """A real MCP client on a fresh server: backed by `sandbox` in sandbox mode, else by the settings' URLs."""
    async with Client(build_server(settings, sandbox), **client) as connected:
        yield connected


def creates(aiml: AimlEmulator) -> list[dict[str, str]]:
    """The headers of every create the emulator received, in order."""
    return [
        request.headers
        for request in aiml.requests
        if request.method == "POST" and request.path.rstrip("/") == CREATE_PATH
    ]


async def call_ok(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    data: dict[str, Any] = structured(result)
    return data


async def call_error(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    message: str = text_of(result)
    return message


def history_rows(settings: Settings) -> list[dict[str, Any]]:
    """The history's rows, read straight from its SQLite file (oldest first)."""
    db = sqlite3.connect(settings.history_path)
    db.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in db.execute("SELECT * FROM generations ORDER BY rowid")]
    finally:
        db.close()


async def until_saved(client: Client, generation_id: str, seconds: float = 5.0) -> dict[str, Any]:
    """The history entry of `generation_id` once it has a saved file (recovery runs in the background)."""
    entry: dict[str, Any] = {}
    with anyio.move_on_after(seconds):
        while True:
            listed = structured(await client.call_tool("list_generations", {}))["generations"]
            entry = next((item for item in listed if item["id"] == generation_id), {})
            if entry.get("paths"):
                break
            await anyio.sleep(0.05)
    return entry


def png(width: int = 16, height: int = 9) -> bytes:
    """A small, valid RGB PNG (a horizontal gradient), written by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + bytes(v for x in range(width) for v in (x * 255 // width, 80, 160)) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def write_png(folder: Path, name: str = "frame.png") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(png())
    return path
