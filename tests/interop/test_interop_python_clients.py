"""Python MCP clients we did not write, each in its own environment, against `luma-mcp --sandbox` on stdio.

Each lists the tools and runs a sandbox generate_video to a saved MP4, minding its own call timeout:
fastmcp is given 120 s; openai-agents keeps its 5 s default and waits in short steps with
get_generation; pydantic-ai (5 s to connect, 300 s per call) loads the server from an `mcpServers` file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from interop_helpers import PROMPT, assert_saved_video, listed_tool_names, run_client, sandbox_env, server_command

pytestmark = pytest.mark.interop


def stdio_config(tmp_path: Path, **env: str) -> dict[str, Any]:
    command, *args = server_command()
    return {"command": command, "args": args, "env": sandbox_env(tmp_path, **env), "prompt": PROMPT}


def check(report: dict[str, Any], tmp_path: Path) -> None:
    assert set(report["tools"]) == listed_tool_names()
    assert report["state"] == "completed", report
    assert report["paths"], report
    assert_saved_video(report["paths"][0], tmp_path / "out")


def test_fastmcp_client(tmp_path: Path) -> None:
    report = run_client("fastmcp>=4", "fastmcp_client.py", stdio_config(tmp_path))
    check(report, tmp_path)
    assert not report["is_error"]
    assert report["progress_notifications"] > 0


def test_openai_agents_with_its_5s_default_timeout(tmp_path: Path) -> None:
    # The job outlasts one 5 s call on purpose: the client must follow up with get_generation.
    report = run_client(
        "openai-agents>=0.24", "openai_agents_client.py", stdio_config(tmp_path, LUMA_MCP_SANDBOX_JOB_SECONDS="6")
    )
    check(report, tmp_path)
    assert report["get_generation_calls"] >= 1
    assert report["strict_schema_problems"] == {}


def test_pydantic_ai_agent_from_an_mcpservers_file(tmp_path: Path) -> None:
    command, *args = server_command()
    config_path = tmp_path / "mcp.json"
    entry = {"command": command, "args": args, "env": sandbox_env(tmp_path)}
    config_path.write_text(json.dumps({"mcpServers": {"luma": entry}}))
    report = run_client(
        "pydantic-ai-slim[mcp]>=2",
        "pydantic_ai_client.py",
        {"config_path": str(config_path), "server": "luma", "prompt": PROMPT},
    )
    check(report, tmp_path)
    assert report["tool_calls"] >= 2  # generate_video, then at least one get_generation
