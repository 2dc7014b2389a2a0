"""The Claude Desktop bundle (MCPB), as Claude Desktop meets it.

scripts/build_mcpb.py builds it with the official CLI (@anthropic-ai/mcpb, from npm into the interop cache);
the CLI then validates it and unpacks it. The launch command comes from the same package's
`getMcpConfigForManifest`, the function that turns a manifest and the user's settings into the command,
arguments and environment a host runs (`${__dirname}` and `${user_config.*}` substituted): the test runs
exactly that, through an MCP client.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

import anyio
import pytest
from interop_helpers import (
    CACHE,
    PROMPT,
    ROOT,
    assert_saved_video,
    install_or_skip,
    listed_tool_names,
    require,
    run,
    tail,
)
from mcp import Client, StdioServerParameters

from conftest import structured, text_of
from luma_mcp import __version__

pytestmark = pytest.mark.interop

BUNDLE_LIMIT = 2_000_000  # bytes: sources and lock are about 400 KB; a stray folder would show
PROVIDER_KEYS = ("LUMA_AGENTS_API_KEY", "LUMA_API_KEY", "AIMLAPI_API_KEY", "AIML_API_KEY", "HEDRA_API_KEY")
# Resolves the launch as a host does; a file in the CLI's own prefix, so that its import finds the package.
HOST_CONFIG = """\
import { readFileSync } from "node:fs";
import { getMcpConfigForManifest } from "@anthropic-ai/mcpb";
const [dir, userConfig, home] = [process.argv[2], JSON.parse(process.argv[3]), process.argv[4]];
const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, "utf8"));
const systemDirs = { HOME: home, DESKTOP: `${home}/Desktop`, DOCUMENTS: `${home}/Documents` };
const options = { manifest, extensionPath: dir, systemDirs, userConfig, pathSeparator: "/" };
const config = await getMcpConfigForManifest(options);
console.log(JSON.stringify(config ?? null));
"""


def build_script() -> Any:
    spec = importlib.util.spec_from_file_location("build_mcpb", ROOT / "scripts" / "build_mcpb.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mcpb() -> Path:
    npm = require("npm")
    require("node")
    version = build_script().MCPB_VERSION
    prefix = CACHE / f"mcpb-{version}"
    binary = prefix / "node_modules" / ".bin" / "mcpb"
    if not binary.exists():
        package = f"@anthropic-ai/mcpb@{version}"
        install_or_skip([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", package], package)
    (prefix / "host_config.mjs").write_text(HOST_CONFIG)
    return binary


@pytest.fixture(scope="module")
def bundle(mcpb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "luma-agents-mcp.mcpb"
    done = run([sys.executable, str(ROOT / "scripts" / "build_mcpb.py"), "--mcpb", str(mcpb), "--out", str(out)])
    assert done.returncode == 0, tail(done.stdout, 30) + tail(done.stderr, 30)
    print(f"{out.name}: {out.stat().st_size:,} bytes")
    return out


@pytest.fixture(scope="module")
def unpacked(mcpb: Path, bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle as a host installs it: unpacked by the official CLI into a folder of its own."""
    target = tmp_path_factory.mktemp("installed") / "luma-agents-mcp"
    done = run([str(mcpb), "unpack", str(bundle), str(target)])
    assert done.returncode == 0, done.stdout + done.stderr
    return target


def host_config(mcpb: Path, unpacked: Path, user_config: dict[str, Any], home: Path) -> dict[str, Any]:
    script = mcpb.parents[2] / "host_config.mjs"
    done = run([require("node"), str(script), str(unpacked), json.dumps(user_config), str(home)])
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = json.loads(done.stdout)
    return config


def launch_env(config: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    """The host's environment plus the manifest's: ours (the registry settings uv needs) without any key."""
    env = {name: value for name, value in os.environ.items() if name not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env = {name: value for name, value in env.items() if name not in PROVIDER_KEYS and not name.startswith("LUMA_")}
    # History in the test's folder, short jobs: nothing a user would set, nothing the manifest sets.
    env.update({"LUMA_MCP_DATA_DIR": str(tmp_path / "data"), "LUMA_MCP_SANDBOX_JOB_SECONDS": "2"})
    return {**env, **config.get("env", {})}


def test_the_bundle_validates_and_holds_only_what_the_server_needs(mcpb: Path, bundle: Path, unpacked: Path) -> None:
    assert bundle.stat().st_size < BUNDLE_LIMIT
    done = run([str(mcpb), "validate", str(unpacked / "manifest.json")])
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
    top = {name.split("/")[0] for name in names}
    assert top == {"manifest.json", "pyproject.toml", "uv.lock", "README.md", "LICENSE", "assets", "src"}, top
    sources = {str(path.relative_to(ROOT)) for path in (ROOT / "src").rglob("*") if path.is_file()}
    sources = {name for name in sources if "__pycache__" not in name and not name.endswith(".pyc")}
    assert {name for name in names if name.startswith("src/")} == sources
    manifest = json.loads((unpacked / "manifest.json").read_text())
    assert manifest["version"] == __version__ and (unpacked / manifest["icon"]).is_file()


def test_the_host_substitutes_the_settings_into_the_servers_environment(mcpb: Path, unpacked: Path) -> None:
    home = unpacked.parent
    settings = {"luma_agents_api_key": "luma-api-from-settings", "output_dir": str(home / "Movies")}
    config = host_config(mcpb, unpacked, settings, home)
    assert config["command"] == "uv" and str(unpacked) in config["args"]
    assert config["env"] == {
        "LUMA_AGENTS_API_KEY": "luma-api-from-settings",
        "AIMLAPI_API_KEY": "",  # unset settings arrive empty, which the server reads as unset
        "HEDRA_API_KEY": "",
        "LUMA_MCP_OUTPUT_DIR": str(home / "Movies"),
        "LUMA_MCP_SANDBOX": "false",
    }


async def test_the_bundle_launches_as_its_manifest_says_and_makes_a_sandbox_video(
    mcpb: Path, unpacked: Path, tmp_path: Path
) -> None:
    config = host_config(mcpb, unpacked, {"sandbox": True, "output_dir": str(tmp_path / "out")}, tmp_path)
    assert config["env"]["LUMA_MCP_SANDBOX"] == "true"
    command, env = shutil.which(config["command"]), launch_env(config, tmp_path)
    assert command is not None, f"{config['command']} is not on PATH"
    # The first launch makes the bundle's environment from uv.lock: the registry's part, apart, so it may skip.
    install_or_skip([command, *config["args"], "--version"], "the bundle's locked environment", cwd=tmp_path, env=env)
    server = StdioServerParameters(command=command, args=config["args"], env=env, cwd=tmp_path)
    async with Client(server) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("generate_video", {"prompt": PROMPT, "resolution": "360p"})
    manifest = json.loads((unpacked / "manifest.json").read_text())
    assert listed == {tool["name"] for tool in manifest["tools"]}
    assert listed == await anyio.to_thread.run_sync(listed_tool_names)  # it runs its own event loop
    data = structured(result)
    assert data["state"] == "completed" and data["sandbox"], text_of(result)
    assert_saved_video(data["outputs"][0]["path"], tmp_path / "out")


def test_the_entry_point_alone_starts_the_same_server(mcpb: Path, unpacked: Path, tmp_path: Path) -> None:
    # A host that runs a uv bundle its own way runs `uv run <entry_point>` in the bundle's folder.
    manifest = json.loads((unpacked / "manifest.json").read_text())
    uv = require("uv")
    launch = [uv, "run", "--directory", str(unpacked), "--frozen", "--no-dev", manifest["server"]["entry_point"]]
    env = launch_env(host_config(mcpb, unpacked, {"sandbox": True}, tmp_path), tmp_path)
    done = install_or_skip([*launch, "--version"], "the bundle's locked environment", cwd=tmp_path, env=env)
    assert done.stdout.split()[-1] == __version__, done.stdout
