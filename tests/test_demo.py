"""`luma-mcp demo` end to end, as a user runs it: a subprocess that drives a real stdio session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av

from conftest import server_env


def test_the_sandbox_demo_runs_the_whole_workflow(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = server_env(tmp_path, LUMA_MCP_SANDBOX_JOB_SECONDS="0.3", COLUMNS="200")
    done = subprocess.run(
        [sys.executable, "-m", "luma_mcp", "demo", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sandbox" in done.stdout and "total" in done.stdout
    saved = out / "sandbox"  # the sandbox's outputs stay apart from real ones
    videos = sorted(saved.glob("*.mp4"))
    assert len(list(saved.glob("*.png"))) == 1 and len(videos) == 4
    sizes = set()
    for video in videos:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            sizes.add((stream.width, stream.height))
    assert sizes == {(1280, 720), (720, 1280)}
