"""A client we did not write gets a talking-avatar MP4 from a real-mode server whose Hedra is any
v2-compatible server on loopback: here `luma-mcp emulator`, which serves Hedra under `/hedra`."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from interop_helpers import free_port, run_client

from luma_mcp.media.probe import video_info

pytestmark = pytest.mark.interop

KEY = "sk_hedra_interop"


@pytest.fixture
def hedra_base() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "luma_mcp", "emulator", "--port", str(port), "--job-seconds", "2"]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as emulator:
        base = f"http://127.0.0.1:{port}/hedra/web-app/public"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/models", headers={"X-API-Key": KEY}).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("luma-mcp emulator did not serve Hedra's /models within 30 s")
        try:
            yield base
        finally:
            emulator.terminate()


def test_fastmcp_gets_a_talking_avatar_with_its_speech(tmp_path: Path, hedra_base: str) -> None:
    from luma_mcp.providers.hedra.emulator.catalog import VOICES

    env = {
        "HEDRA_API_KEY": KEY,
        "HEDRA_BASE_URL": hedra_base,
        "LUMA_MCP_OUTPUT_DIR": str(tmp_path / "out"),
        "LUMA_MCP_DATA_DIR": str(tmp_path / "data"),
    }
    arguments = {
        "image": {"url": "https://images.example.com/presenter.png"},
        "script": "Hello from the newsroom. Here are today's three headlines.",
        "voice_id": VOICES[0].id,
        "aspect_ratio": "9:16",
        "wait_seconds": 60,
    }
    config = {"command": sys.executable, "args": ["-m", "luma_mcp"], "env": env}
    report = run_client(
        "fastmcp>=4", "fastmcp_client.py", {**config, "tool": "generate_avatar_video", "arguments": arguments}
    )
    assert not report["is_error"] and report["state"] == "completed", report
    assert {"generate_avatar_video", "list_voices"} <= set(report["tools"])
    assert "generate_video" not in report["tools"], "only a Hedra key is set"
    assert report["progress_notifications"] > 0
    [path] = report["paths"]
    saved = Path(path)
    assert saved.parent == tmp_path / "out" and saved.suffix == ".mp4"
    info = video_info(saved)
    assert info is not None and (info.width, info.height) == (720, 1280), info
    import av

    with av.open(str(saved)) as container:
        assert container.streams.audio, "the avatar video has no audio track"
