"""The package as users install it: the wheel `uv build` makes, in a fresh environment that cannot see the repository.

`uv build` runs once per module, into a temp folder. The wheel alone is then copied to another temp folder,
installed there into a new venv (its dependencies from the registry) and run from there, with the
environment a client gives a server: the commands, a stdio session with a sandbox generation, the demo.
`uvx --from <wheel>` runs the entries of mcp.json.example as they will run once the name is published.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from interop_helpers import (
    PROMPT,
    PYTHON_VERSION,
    ROOT,
    assert_saved_video,
    install_or_skip,
    isolated_python,
    listed_tool_names,
    require,
    run,
    tail,
)
from mcp import Client, StdioServerParameters

from conftest import server_env, structured, text_of
from luma_mcp import __version__

pytestmark = pytest.mark.interop

DISTRIBUTION = "luma-agents-mcp"
COMMANDS = (DISTRIBUTION, "luma-mcp")
DEV_TOOLS = ("pytest", "ruff", "mypy", "hypothesis", "psutil")
WHEEL_LIMIT = 1_000_000  # bytes: the sources are about 300 KB zipped; a stray folder would show


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    uv = require("uv")
    isolated_python("hatchling>=1.27")  # the build backend from the registry, or a skip that says so
    out = tmp_path_factory.mktemp("dist")
    done = run([uv, "build", "--out-dir", str(out), str(ROOT)], cwd=tempfile.gettempdir())
    assert done.returncode == 0, tail(done.stderr, 30)
    built = Built(next(out.glob("*.whl")), next(out.glob("*.tar.gz")))
    print(f"wheel {built.wheel.name}: {built.wheel.stat().st_size:,} bytes; sdist {built.sdist.stat().st_size:,}")
    return built


def outside_env(**extra: str) -> dict[str, str]:
    """The caller's environment (uv needs its registry settings) without anything that points at this checkout."""
    env = {name: value for name, value in os.environ.items() if name not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a new venv holding the wheel and its dependencies, outside the repository."""
    uv = require("uv")
    home = tmp_path_factory.mktemp("fresh")
    wheel = Path(shutil.copy2(built.wheel, home / built.wheel.name))
    venv = home / "venv"
    done = run([uv, "venv", "--quiet", "--python", PYTHON_VERSION, str(venv)], cwd=home, env=outside_env())
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    install = [uv, "pip", "install", "--quiet", "--python", str(python), str(wheel)]
    install_or_skip(install, "the wheel's dependencies", cwd=home, env=outside_env())
    return venv / "bin"


def test_the_wheel_holds_the_package_and_its_metadata_only(built: Built) -> None:
    assert built.wheel.stat().st_size < WHEEL_LIMIT
    info = f"luma_agents_mcp-{__version__}.dist-info/"
    with zipfile.ZipFile(built.wheel) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(f"{info}METADATA").decode()
        scripts = wheel.read(f"{info}entry_points.txt").decode()
    assert all(name.startswith(("luma_mcp/", info)) for name in names), names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert {"luma_mcp/py.typed", "luma_mcp/ui/player.html", f"{info}licenses/LICENSE"} <= set(names)
    assert f"Name: {DISTRIBUTION}\n" in metadata and f"Version: {__version__}\n" in metadata
    assert "License-Expression: MIT" in metadata and "Description-Content-Type: text/markdown" in metadata
    needs = [line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")]
    assert "mcp==2.3.0" in needs and "luma-agents==0.5.0" in needs
    assert not [need for need in needs if need.startswith(DEV_TOOLS)], needs
    assert all(f"{command} = luma_mcp:main" in scripts for command in COMMANDS), scripts


def test_the_sdist_holds_the_sources_and_the_docs_they_link(built: Built) -> None:
    with tarfile.open(built.sdist) as sdist:
        names = [member.name.split("/", 1)[1] for member in sdist.getmembers() if "/" in member.name]
    top = {name.split("/")[0] for name in names}
    needed = {"src", "pyproject.toml", "README.md", "LICENSE", "PKG-INFO"}
    assert needed <= top <= {*needed, ".gitignore", "CHANGELOG.md", "mcp.json.example"}, top
    assert not [name for name in names if "__pycache__" in name]


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    probe = "import importlib.metadata as m, luma_mcp; print(luma_mcp.__file__); print(m.version('luma-agents-mcp'))"
    done = run([str(installed / "python"), "-c", probe], cwd=tmp_path, env=server_env(tmp_path))
    assert done.returncode == 0, done.stderr
    where, version = done.stdout.split()
    assert Path(where).is_relative_to(installed.parent) and not Path(where).is_relative_to(ROOT)
    assert version == __version__


@pytest.mark.parametrize("command", COMMANDS)
def test_both_commands_print_the_version(installed: Path, tmp_path: Path, command: str) -> None:
    done = run([str(installed / command), "--version"], cwd=tmp_path, env=server_env(tmp_path))
    assert done.returncode == 0 and done.stdout.split()[-1] == __version__, done.stdout + done.stderr


async def test_the_installed_server_makes_a_sandbox_video_over_stdio(installed: Path, tmp_path: Path) -> None:
    env = server_env(tmp_path, LUMA_MCP_SANDBOX_JOB_SECONDS="2")
    server = StdioServerParameters(command=str(installed / DISTRIBUTION), args=["--sandbox"], env=env, cwd=tmp_path)
    async with Client(server) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert listed == await anyio.to_thread.run_sync(listed_tool_names)  # it runs its own event loop
        result = await client.call_tool("generate_video", {"prompt": PROMPT, "resolution": "360p"})
    data = structured(result)
    assert data["state"] == "completed" and data["sandbox"], text_of(result)
    assert_saved_video(data["outputs"][0]["path"], tmp_path / "out")


def test_the_installed_demo_runs_in_the_sandbox(installed: Path, tmp_path: Path) -> None:
    env = server_env(tmp_path, HOME=str(tmp_path), COLUMNS="80", LUMA_MCP_SANDBOX_JOB_SECONDS="0.05")
    out = tmp_path / "demo"
    done = run([str(installed / DISTRIBUTION), "demo", "--sandbox", "--out", str(out)], cwd=tmp_path, env=env)
    assert done.returncode == 0, tail(done.stdout, 30) + tail(done.stderr, 30)
    assert "SANDBOX" in done.stdout and "Traceback" not in done.stderr
    assert [path.suffix for path in (out / "sandbox").iterdir()].count(".mp4") >= 1


def example_uvx_args() -> list[list[str]]:
    """The argument lists of every `uvx` entry in mcp.json.example, each once."""
    found: list[list[str]] = []

    def visit(node: object) -> None:
        if isinstance(node, dict):
            if node.get("command") == "uvx" and node["args"] not in found:
                found.append(node["args"])
            for value in node.values():
                visit(value)

    visit(json.loads((ROOT / "mcp.json.example").read_text()))
    return found


async def test_the_examples_uvx_entries_run_from_the_wheel(built: Built, tmp_path: Path) -> None:
    # `uvx luma-agents-mcp` resolves the name on PyPI; `--from <wheel>` is the same run before publication.
    uvx = require("uvx")
    wheel = Path(shutil.copy2(built.wheel, tmp_path / built.wheel.name))
    prefix = [uvx, "--quiet", "--isolated", "--python", PYTHON_VERSION, "--from", str(wheel)]
    install_or_skip([*prefix, DISTRIBUTION, "--version"], "the wheel with uvx", cwd=tmp_path, env=outside_env())
    entries = example_uvx_args()
    assert entries and all(args[0] == DISTRIBUTION for args in entries), entries
    for args in entries:
        env = outside_env(**server_env(tmp_path, LUMA_MCP_SANDBOX_JOB_SECONDS="1"))
        env.update({name: "" for name in ("LUMA_AGENTS_API_KEY", "AIMLAPI_API_KEY", "HEDRA_API_KEY")})
        server = StdioServerParameters(command=prefix[0], args=[*prefix[1:], *args], env=env, cwd=tmp_path)
        async with Client(server) as client:
            assert {tool.name for tool in (await client.list_tools()).tools}, args
