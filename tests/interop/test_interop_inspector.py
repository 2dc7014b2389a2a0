"""MCP Inspector's CLI (the TypeScript SDK's client) against our server, on stdio and streamable HTTP.

The Inspector is installed from npm into the interop cache (not the repository). Like Claude Desktop,
it gives a stdio server only the variables it is told (`-e KEY=VALUE`), not the caller's environment.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from interop_helpers import (
    CACHE,
    PROMPT,
    assert_saved_video,
    free_port,
    install_or_skip,
    listed_tool_names,
    require,
    run,
    sandbox_env,
    server_command,
    tail,
)

pytestmark = pytest.mark.interop

INSPECTOR_VERSION = os.environ.get("LUMA_INTEROP_INSPECTOR_VERSION", "2.12.0")
TOKEN = "interop-test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def inspector() -> Path:
    npm = require("npm")
    require("node")
    prefix = CACHE / f"inspector-{INSPECTOR_VERSION}"
    binary = prefix / "node_modules" / ".bin" / "mcp-inspector"
    if not binary.exists():
        package = f"@modelcontextprotocol/inspector@{INSPECTOR_VERSION}"
        install_or_skip([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", package], package)
    print(f"MCP Inspector {run([str(binary), '--version']).stdout.strip()} on node {run(['node', '--version']).stdout}")
    return binary


def inspect(inspector: Path, target: list[str], *method: str) -> dict[str, Any]:
    done = run([str(inspector), "--cli", *target, "--format", "json", "--quiet", *method])
    assert done.returncode == 0, f"inspector exited {done.returncode}:\n{tail(done.stdout)}\n{tail(done.stderr)}"
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer["result"]


def stdio_target(tmp_path: Path) -> list[str]:
    env = [arg for name, value in sandbox_env(tmp_path).items() for arg in ("-e", f"{name}={value}")]
    return [*server_command(), *env]


def test_inspector_lists_the_tools_with_portable_schemas(inspector: Path, tmp_path: Path) -> None:
    # --strict: the Inspector's schema portability check; it exits non-zero on any error-severity problem.
    listed = inspect(inspector, stdio_target(tmp_path), "--method", "tools/list", "--strict")
    assert {tool["name"] for tool in listed["tools"]} == listed_tool_names()
    assert all(tool.get("outputSchema") for tool in listed["tools"])


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_inspector_runs_generate_video(inspector: Path, tmp_path: Path, era: str) -> None:
    call = ["--method", "tools/call", "--tool-name", "generate_video"]
    call += ["--tool-arg", f"prompt={PROMPT}", "--tool-arg", "resolution=360p", "--protocol-era", era]
    result = inspect(inspector, stdio_target(tmp_path), *call)
    assert not result.get("isError"), result
    data = result["structuredContent"]
    assert data["state"] == "completed"
    assert_saved_video(data["outputs"][0]["path"], tmp_path / "out")
    assert any(block["type"] == "resource_link" for block in result["content"])


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, **sandbox_env(tmp_path), "LUMA_MCP_HTTP_TOKEN": TOKEN}
    command = server_command("--transport", "streamable-http", "--port", str(port))
    log = tmp_path / "server.log"
    with (
        log.open("w") as stderr,
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr) as server,
    ):
        try:
            _wait_for_port(port, server, log)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            server.terminate()
            server.wait(timeout=20)


def test_inspector_over_streamable_http_with_a_token(inspector: Path, tmp_path: Path, http_server: str) -> None:
    target = [http_server, "--transport", "http", "--header", f"Authorization: Bearer {TOKEN}"]
    listed = inspect(inspector, target, "--method", "tools/list")
    assert {tool["name"] for tool in listed["tools"]} == listed_tool_names()
    call = ["--method", "tools/call", "--tool-name", "generate_video", "--tool-arg", f"prompt={PROMPT}"]
    data = inspect(inspector, target, *call)["structuredContent"]
    assert data["state"] == "completed"
    assert_saved_video(data["outputs"][0]["path"], tmp_path / "out")


def _wait_for_port(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):  # bounded: 30 s at most
        if server.poll() is not None:
            pytest.fail(f"server exited {server.returncode}: {tail(log.read_text())}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"server did not listen on port {port}: {tail(log.read_text())}")
