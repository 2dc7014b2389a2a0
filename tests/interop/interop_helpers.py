"""Running MCP clients we did not write against our server, each installed in its own environment.

The clients come from their registries (npm, PyPI) at test time and are cached outside the repository:
the Inspector under `LUMA_INTEROP_CACHE` (default: <tmp>/luma-mcp-interop), the Python clients in
uv's cache through `uv run --isolated --with ...`, so they never touch (or conflict with) the
project's own environment. When a client cannot be installed the test skips and says why.
Our server always runs from the project's environment: `<this python> -m luma_mcp --sandbox`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from luma_mcp.media.sniff import sniff_kind

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = Path(__file__).resolve().parent / "clients"
CACHE = Path(os.environ.get("LUMA_INTEROP_CACHE") or Path(tempfile.gettempdir()) / "luma-mcp-interop")
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
INSTALL_SECONDS = 600
RUN_SECONDS = 180
PROMPT = "A paper lantern rising over a dark lake, slow upward tilt"


def server_command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "luma_mcp", "--sandbox", *extra]


def sandbox_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a client config would put in `env`: our variables only, media and history in tmp_path."""
    env = {
        "LUMA_MCP_OUTPUT_DIR": str(tmp_path / "out"),
        "LUMA_MCP_DATA_DIR": str(tmp_path / "data"),
        "LUMA_MCP_SANDBOX_JOB_SECONDS": "2",
    }
    env.update(extra)
    return env


def run(command: list[str], *, timeout: float = RUN_SECONDS, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """subprocess.run, but a timeout ends the whole process group: uv's child and our server too."""
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kwargs
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def require(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        pytest.skip(f"{program} is not installed")
    return found


def install_or_skip(command: list[str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    try:
        done = run(command, timeout=INSTALL_SECONDS, **kwargs)
    except subprocess.TimeoutExpired:
        pytest.skip(f"installing {what} took over {INSTALL_SECONDS} s")
    if done.returncode != 0:
        pytest.skip(f"cannot install {what}: {tail(done.stderr or done.stdout, 5)}")
    return done


def isolated_python(requirement: str) -> list[str]:
    """A `python` command with `requirement` installed in a throwaway environment (skips if it cannot be)."""
    uv = require("uv")
    command = [uv, "run", "--quiet", "--isolated", "--no-project", "--python", PYTHON_VERSION]
    command += ["--with", requirement, "python"]
    install_or_skip([*command, "-c", "pass"], requirement, cwd=tempfile.gettempdir())
    return command


def run_client(requirement: str, script: str, config: dict[str, Any]) -> dict[str, Any]:
    """Run clients/<script> with `config` as its argument; returns the JSON report it prints last."""
    python = isolated_python(requirement)
    done = run([*python, str(CLIENTS / script), json.dumps(config)], cwd=tempfile.gettempdir())
    assert done.returncode == 0, f"{script} failed:\n{tail(done.stderr, 40)}"
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{report.get('client')} {report.get('version')} (mcp {report.get('mcp')}): {report.get('state')}")
    return report


def listed_tool_names() -> set[str]:
    """What tools/list says in process: the interop clients must see the same set."""
    import anyio
    from mcp import Client

    from luma_mcp.server import build_server
    from luma_mcp.settings import Settings

    async def names() -> set[str]:
        with tempfile.TemporaryDirectory() as scratch:
            settings = Settings(sandbox=True, output_dir=Path(scratch, "o"), data_dir=Path(scratch, "d"))
            async with Client(build_server(settings)) as client:
                return {tool.name for tool in (await client.list_tools()).tools}

    return anyio.run(names)


def assert_saved_video(path: str | Path, out_dir: Path) -> None:
    # Interop runs are sandbox runs, whose outputs live apart from real ones.
    saved = Path(path)
    assert saved.parent == out_dir / "sandbox", f"{saved} is not in {out_dir / 'sandbox'}"
    with saved.open("rb") as file:
        assert sniff_kind(file.read(16)) == "video", f"{saved} is not a video"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
