"""The package as users install it: `uvx --from <checkout> luma-mcp`, built from a clean copy of the sources.

A fresh copy per run because uvx caches its build of a local directory until pyproject.toml changes,
so pointing it at the working tree could test yesterday's build.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import anyio
import pytest
from interop_helpers import (
    PROMPT,
    ROOT,
    assert_saved_video,
    install_or_skip,
    listed_tool_names,
    require,
    run,
    sandbox_env,
)
from mcp import Client, StdioServerParameters

from conftest import structured, text_of

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("luma-mcp-checkout")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, copy / name)
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return copy


@pytest.fixture(scope="module")
def uvx(checkout: Path) -> list[str]:
    command = [require("uvx"), "--from", str(checkout), "luma-mcp"]
    install_or_skip([*command, "--help"], "luma-mcp with uvx")  # builds and caches it once
    return command


def test_uvx_help(uvx: list[str]) -> None:
    done = run([*uvx, "--help"])
    assert done.returncode == 0, done.stderr
    for flag in ("--sandbox", "--transport", "--port", "demo", "emulator"):
        assert flag in done.stdout


async def test_uvx_sandbox_over_stdio(uvx: list[str], tmp_path: Path) -> None:
    env = {**os.environ, **sandbox_env(tmp_path)}  # uvx itself needs the registry settings (certificates, proxy)
    command, *args = uvx
    async with Client(StdioServerParameters(command=command, args=[*args, "--sandbox"], env=env)) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert listed == await anyio.to_thread.run_sync(listed_tool_names)  # it runs its own event loop
        result = await client.call_tool("generate_video", {"prompt": PROMPT, "resolution": "360p"})
    data = structured(result)
    assert data["state"] == "completed", text_of(result)
    assert_saved_video(data["outputs"][0]["path"], tmp_path / "out")
