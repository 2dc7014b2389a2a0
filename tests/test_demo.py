"""`luma-mcp demo` end to end, as a user runs it: a subprocess that drives a real stdio session.

The sandbox run makes every step's media; the live runs talk to the emulators on loopback (as the real
APIs) and are stopped at the question, so they show what a live run would submit and at what price.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import av

from conftest import server_env
from luma_mcp.demo import plan
from luma_mcp.demo.steps import luma_estimate
from luma_mcp.emulator import make_server
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings
from test_cli import read_until, terminal

KEYS = {"LUMA_AGENTS_API_KEY": "luma-api-demo-key", "HEDRA_API_KEY": "sk_hedra_demo_key"}
CLOCK = re.compile(r"\d+:\d\d:\d\d")


def demo_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return server_env(tmp_path, HOME=str(tmp_path), COLUMNS="80", **extra)


def test_the_sandbox_demo_runs_every_step_even_with_keys_set_and_reads_well_at_80_columns(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = demo_env(tmp_path, LUMA_MCP_SANDBOX_JOB_SECONDS="0.05", **KEYS)
    done = subprocess.run(
        [sys.executable, "-m", "luma_mcp", "--log-level", "DEBUG", "demo", "--sandbox", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    screen = done.stdout
    assert "SANDBOX" in screen and "LIVE" not in screen and "costs money" not in screen
    assert "API key" not in screen.replace("Your API keys are set but not used", "")
    assert all(len(line) <= 80 for line in screen.splitlines()), screen
    saved = out / "sandbox"  # the sandbox's outputs stay apart from real ones
    assert screen.count(str(saved)) == 1, screen  # the folder once, then names
    bars = [line for line in screen.splitlines() if "━" in line]
    assert len(bars) == 7 and all(len(CLOCK.findall(line)) == 1 and "elapsed" not in line for line in bars), bars
    files = sorted(saved.iterdir())
    assert all(file.name in screen for file in files) and "hedra:" in screen
    assert len([f for f in files if f.suffix == ".png"]) == 1 and len([f for f in files if f.suffix == ".mp4"]) == 5
    assert not (tmp_path / "data" / "history.sqlite3").exists()  # no real history: nothing was bought
    assert '"mcpServers"' in screen and '"--frozen"' in screen and "Claude Desktop" in screen
    sizes, avatar = set(), None
    for video in (f for f in files if f.suffix == ".mp4"):
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            sizes.add((stream.width, stream.height))
            avatar = video if container.streams.audio else avatar  # the avatar speaks
    assert {(1280, 720), (720, 1280)} <= sizes
    assert avatar is not None and "hello" in avatar.name
    # The server logged at DEBUG on the demo's stderr: its downloads, never their signatures or a key.
    assert "/_media/" in done.stderr and "Traceback" not in done.stderr
    assert not re.search(r"(sig|expires)=[0-9a-f]{6,}", done.stderr) and KEYS["HEDRA_API_KEY"] not in done.stderr


def test_the_sandbox_wins_over_keys_and_a_live_run_takes_only_the_keyed_steps(tmp_path: Path) -> None:
    def steps(env: dict[str, str], face: Path | None = None) -> tuple[bool, list[str]]:
        chosen = plan(Settings.from_env({**env, "LUMA_MCP_DATA_DIR": str(tmp_path)}), tmp_path, None, face)
        return chosen.sandbox, [step.tool for step in chosen.steps]

    everything = ["generate_image", "generate_video", "extend_video", "reframe_video", "edit_video"]
    hedra = ["list_voices", "generate_avatar_video"]
    assert steps({}) == (True, everything + hedra)
    assert steps({**KEYS, "LUMA_MCP_SANDBOX": "1"}) == (True, everything + hedra)
    assert steps(KEYS) == (False, everything + hedra)
    assert steps({"LUMA_API_KEY": "luma-api-k"}) == (False, everything)
    assert steps({"HEDRA_API_KEY": "k"}) == (False, [])  # no face to animate
    assert steps({"HEDRA_API_KEY": "k"}, face=tmp_path / "me.jpg") == (False, hedra)


def test_a_luma_only_live_demo_prices_its_five_steps_and_without_a_terminal_submits_nothing(tmp_path: Path) -> None:
    env = demo_env(tmp_path, LUMA_AGENTS_API_KEY=KEYS["LUMA_AGENTS_API_KEY"], LUMA_BASE_URL="http://127.0.0.1:9/v1")
    done = subprocess.run(
        [sys.executable, "-m", "luma_mcp", "demo"], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    screen = " ".join(done.stdout.split())
    assert done.returncode == 1, done.stdout + done.stderr
    assert "LIVE" in screen and "SANDBOX" not in screen
    assert "submit 5 generations" in screen and "generate_avatar_video" not in screen.split("Skipped")[0]
    assert "Skipped: the talking avatar: set HEDRA_API_KEY" in screen
    assert f"estimated ${luma_estimate():.2f} in all" in screen
    assert "No terminal to confirm on" in screen and "nothing was submitted" in screen


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` on loopback (a free port), in a thread: the real APIs' stand-in for a live demo."""
    server = make_server(app, port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_live_demo_asks_before_spending_and_its_price_covers_the_avatar(tmp_path: Path) -> None:
    sandbox = Sandbox(job_seconds=0.3)
    with serving(sandbox.app) as root:
        env = demo_env(tmp_path, LUMA_BASE_URL=f"{root}/v1", HEDRA_BASE_URL=f"{root}/hedra/web-app/public", **KEYS)
        with terminal() as (keyboard, tty):
            demo = subprocess.Popen(
                [sys.executable, "-m", "luma_mcp", "demo"], env=env, stdin=tty, stdout=subprocess.PIPE
            )
            asked = read_until(demo.stdout, "[y/N]", timeout=60)
            os.write(keyboard, b"n\n")
            rest, _ = demo.communicate(timeout=30)
    screen = " ".join((asked + rest.decode()).split())
    assert demo.returncode == 1 and "Go ahead? [y/N]" in screen and "Cancelled; nothing was submitted" in screen
    assert "LIVE" in screen and "submit 6 generations" in screen and "generate_avatar_video" in screen
    total = re.search(r"estimated \$(\d+\.\d\d) in all", screen)
    assert total is not None and float(total[1]) > luma_estimate() + 0.005, screen  # the avatar is priced in
    assert sandbox.hedra.generation_posts() == []
    assert not [request for request in sandbox.luma.requests if request.method == "POST"]
