"""The server as clients run it: a subprocess on stdio, with the 2025-11-25 handshake Claude Desktop uses."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import av
from mcp import Client, StdioServerParameters

from conftest import Progress, loopback, server_env, structured, text_of
from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig

PROMPT = "A hot-air balloon drifts across the valley as the sun rises"


def luma_mcp(*args: str, env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "luma_mcp", *args], env=env)


async def test_sandbox_over_stdio_with_the_legacy_handshake(tmp_path: Path) -> None:
    env = server_env(tmp_path, LUMA_MCP_SANDBOX_JOB_SECONDS="0.5")
    progress = Progress()
    async with Client(luma_mcp("--sandbox", env=env), mode="legacy") as client:
        assert client.protocol_version == "2025-11-25"
        assert client.instructions and "get_generation" in client.instructions
        result = await client.call_tool(
            "generate_video", {"prompt": PROMPT, "aspect_ratio": "9:16"}, progress_callback=progress
        )
    data = structured(result)
    assert data["state"] == "completed", text_of(result)
    path = Path(data["outputs"][0]["path"])
    assert path.parent == tmp_path / "out" / "sandbox"  # sandbox outputs stay apart from real ones
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (720, 1280)
    assert progress.events


async def test_real_mode_sends_exactly_the_prescribed_body_to_luma_base_url(tmp_path: Path) -> None:
    emulator = Emulator(EmulatorConfig(queued_seconds=0.05, processing_seconds=0.2))
    frame = "https://example.com/launch.jpg"
    async with loopback(emulator.app) as base_url:
        env = server_env(tmp_path, LUMA_AGENTS_API_KEY="luma-api-test-key", LUMA_BASE_URL=f"{base_url}/v1")
        async with Client(luma_mcp(env=env), mode="legacy") as client:
            invalid = await client.call_tool("generate_video", {"prompt": "p", "duration": "10s", "hdr": True})
            assert invalid.is_error and emulator.requests == []
            submitted = structured(
                await client.call_tool(
                    "generate_video",
                    {
                        "prompt": PROMPT,
                        "aspect_ratio": "16:9",
                        "duration": "10s",
                        "wait_seconds": 0,
                        "keyframes": [{"frame": 0, "image": {"url": frame}}, {"frame": 240, "image": {"url": frame}}],
                    },
                )
            )
            assert submitted["state"] == "queued"
            await anyio.sleep(0.5)
            done = structured(await client.call_tool("get_generation", {"generation_id": submitted["id"]}))
    assert emulator.generation_posts() == [
        {
            "model": "ray-3.2",
            "type": "video",
            "prompt": PROMPT,
            "aspect_ratio": "16:9",
            "video": {
                "resolution": "720p",
                "duration": "10s",
                "keyframes": [{"url": frame}, {"url": frame}],
                "keyframe_indexes": [0, 240],
            },
        }
    ]
    assert done["state"] == "completed" and Path(done["outputs"][0]["path"]).is_file()
    assert all("luma-api-test-key" not in str(request.headers) for request in emulator.requests)
