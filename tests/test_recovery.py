"""Crash safety: what a server leaves unfinished is finished by the next one; partial files never get a name."""

from __future__ import annotations

import os
import time
from pathlib import Path

import anyio

from conftest import session, structured
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings


async def test_a_restarted_server_saves_what_the_last_one_left(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        first = structured(
            await client.call_tool("generate_video", {"prompt": "tide pools __slow:0.5", "wait_seconds": 0})
        )
    assert first["state"] == "queued"
    emulator.advance(5)  # the job finishes while no server is running
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    stale = settings.output_dir / ".old.mp4.1234.part"
    young = settings.output_dir / ".busy.mp4.5678.part"
    for part in (stale, young):
        part.write_bytes(b"partial")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    async with session(settings, emulator) as client:
        entry: dict[str, object] = {}
        for _ in range(100):  # recovery runs in the background: give it a moment, without a tool call
            entry = structured(await client.call_tool("list_generations", {}))["generations"][0]
            if entry["paths"]:
                break
            await anyio.sleep(0.05)
    assert entry["state"] == "completed"
    assert isinstance(entry["paths"], list) and Path(entry["paths"][0]).is_file()
    assert not stale.exists() and young.exists()


async def test_a_broken_download_leaves_no_file_and_can_be_retried(settings: Settings, emulator: Emulator) -> None:
    emulator.faults.add("GET /_media/{id}", drop_connection=True, times=1)
    async with session(settings, emulator) as client:
        first = structured(await client.call_tool("generate_video", {"prompt": "a paper crane"}))
        assert first["state"] == "completed" and first["outputs"][0]["path"] is None
        assert "download=true" in first["next_step"]
        assert list(settings.output_dir.rglob("*")) in ([], [settings.output_dir / "sandbox"])  # nothing truncated

        again = structured(await client.call_tool("get_generation", {"generation_id": first["id"]}))
    assert Path(again["outputs"][0]["path"]).is_file()
    assert not list(settings.output_dir.rglob(".*.part"))
