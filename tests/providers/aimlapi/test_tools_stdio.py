"""Done when: an independent MCP client launches `luma-mcp` over stdio with only AIMLAPI_API_KEY set, makes a
ray-2 video from a start frame, extends it forward, and the AI/ML API (the emulator, on loopback) has
received exactly the two prescribed bodies."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from conftest import Progress, loopback, server_env, structured, text_of
from luma_mcp.media.probe import video_info
from luma_mcp.providers.aimlapi.emulator import AimlEmulator, AimlEmulatorConfig

from .tools_support import FRAME_A, PROMPT, wire

REPO = Path(__file__).resolve().parents[3]
MORE = "The kite folds its wings and drops toward the surf"


def luma_mcp(env: dict[str, str]) -> StdioServerParameters:
    """`uv run luma-mcp` from the repository, as a user's client config would (the env is already synced);
    without uv on PATH, the same console script from this environment."""
    uv = shutil.which("uv")
    if uv is not None:
        return StdioServerParameters(command=uv, args=["run", "--no-sync", "luma-mcp"], env=env, cwd=REPO)
    script = Path(sys.executable).with_name("luma-mcp")
    return StdioServerParameters(command=str(script), args=[], env=env, cwd=REPO)


async def test_ray_2_from_a_start_frame_then_extended_over_stdio(tmp_path: Path) -> None:
    emulator = AimlEmulator(AimlEmulatorConfig(queued_seconds=0.05, generating_seconds=0.3))
    progress = Progress()
    async with loopback(emulator.app) as base_url:
        env = server_env(tmp_path, AIMLAPI_API_KEY="aiml-stdio-key", AIMLAPI_BASE_URL=base_url)
        async with Client(luma_mcp(env), mode="legacy") as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert tools["generate_video"].input_schema["properties"]["model"]["enum"] == ["ray-2", "ray-flash-2"]
            made = await client.call_tool(
                "generate_video",
                {"prompt": PROMPT, "model": "ray-2", "start_frame": {"url": FRAME_A}},
                progress_callback=progress,
            )
            source = structured(made)
            assert source["state"] == "completed", text_of(made)
            extended = structured(
                await client.call_tool(
                    "extend_video", {"generation_id": source["id"], "prompt": MORE, "wait_seconds": 0}
                )
            )
            await anyio.sleep(0.5)  # the emulator's job takes 0.35 s: then get_generation finds it done at once
            done = structured(
                await client.call_tool("get_generation", {"generation_id": extended["id"], "wait_seconds": 20})
            )

    assert emulator.generation_posts() == [
        wire(keyframes={"frame0": {"type": "image", "url": FRAME_A}}),
        wire(MORE, keyframes={"frame0": {"type": "generation", "id": source["id"].removeprefix("aimlapi:")}}),
    ]
    assert progress.events, "no progress notifications while waiting"
    assert source["provider"] == extended["provider"] == done["provider"] == "aimlapi"
    assert done["state"] == "completed" and done["model"] == "ray-2"
    assert source["sandbox"] is False and done["sandbox"] is False, "a real API answered"
    for result, seconds in ((source, 5), (done, 10)):
        path = Path(result["outputs"][0]["path"])
        assert path.parent == tmp_path / "out"
        info = video_info(path)
        assert info is not None and (info.width, info.height) == (1280, 720)
        assert info.seconds == pytest.approx(seconds, abs=0.1)
