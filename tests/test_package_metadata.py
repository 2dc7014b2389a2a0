"""What a package index and Claude Desktop read before anything runs: pyproject.toml's metadata and the
bundle's manifest.json, held to the package they describe. No build and no network: the interop tests
(test_interop_package, test_interop_bundle) build, install and launch them.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from conftest import session
from luma_mcp import __version__
from luma_mcp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "luma-agents-mcp"
DEV_TOOLS = {"pytest", "pytest-asyncio", "ruff", "mypy", "hypothesis", "hypothesis-jsonschema", "psutil"}
USER_CONFIG = re.compile(r"^\$\{user_config\.([a-z_]+)\}$")


def project() -> dict[str, Any]:
    return dict(tomllib.loads((ROOT / "pyproject.toml").read_text()))


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "manifest.json").read_text())
    return loaded


def test_the_distribution_is_ours_and_both_commands_start_the_same_main() -> None:
    meta = project()["project"]
    assert meta["name"] == DISTRIBUTION  # "luma-mcp" on PyPI is someone else's
    assert meta["scripts"] == {"luma-mcp": "luma_mcp:main", DISTRIBUTION: "luma_mcp:main"}


def test_the_version_is_written_once_in_the_package() -> None:
    config = project()
    assert "version" not in config["project"] and config["project"]["dynamic"] == ["version"]
    assert config["tool"]["hatch"]["version"]["path"] == "src/luma_mcp/__init__.py"
    assert manifest()["version"] == __version__


def test_an_index_page_has_what_it_shows() -> None:
    meta = project()["project"]
    assert meta["license"] == "MIT" and all((ROOT / name).is_file() for name in meta["license-files"])
    assert (ROOT / meta["readme"]).is_file() and meta["description"] and len(meta["keywords"]) >= 5
    assert any(item.startswith("Programming Language :: Python :: 3.11") for item in meta["classifiers"])
    assert not any(item.startswith("License ::") for item in meta["classifiers"])  # PEP 639: the expression only
    assert {"Homepage", "Repository", "Issues"} <= set(meta["urls"])


def test_runtime_dependencies_are_bounded_and_carry_no_dev_tool() -> None:
    requirements = [Requirement(line) for line in project()["project"]["dependencies"]]
    assert not {requirement.name for requirement in requirements} & DEV_TOOLS
    for requirement in requirements:
        operators = {spec.operator for spec in requirement.specifier}
        assert operators & {"==", "<", "~="}, f"{requirement}: an unbounded upgrade could break the server"
    pinned = {requirement.name: str(requirement.specifier) for requirement in requirements}
    assert pinned["mcp"] == "==2.3.0" and pinned["luma-agents"] == "==0.5.0"


def test_the_bundle_runs_the_distributions_own_command_from_its_lock() -> None:
    server = manifest()["server"]
    assert manifest()["manifest_version"] == "0.4" and server["type"] == "uv"
    assert manifest()["name"] == DISTRIBUTION and (ROOT / server["entry_point"]).is_file()
    config = server["mcp_config"]
    assert config["command"] == "uv"
    assert config["args"] == ["run", "--directory", "${__dirname}", "--frozen", "--no-dev", DISTRIBUTION]


def test_every_setting_reaches_a_documented_variable_and_none_is_left_unsubstituted() -> None:
    options, env = manifest()["user_config"], manifest()["server"]["mcp_config"]["env"]
    used = {name: USER_CONFIG.fullmatch(value) for name, value in env.items()}
    assert all(used.values()), env  # each variable is exactly one setting: nothing else is fixed here
    mapping = {name: match.group(1) for name, match in used.items() if match}
    assert sorted(mapping.values()) == sorted(options)  # each setting reaches the server
    readme = (ROOT / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in mapping), mapping
    # An unset option without a default would reach the server as the literal "${user_config...}".
    assert all("default" in option and not option.get("required") for option in options.values())


def test_the_settings_are_the_keys_the_output_folder_and_the_sandbox() -> None:
    env, declared = manifest()["server"]["mcp_config"]["env"], manifest()["user_config"]
    options = {name: declared[value.removeprefix("${user_config.").removesuffix("}")] for name, value in env.items()}
    keys = ("LUMA_AGENTS_API_KEY", "AIMLAPI_API_KEY", "HEDRA_API_KEY")
    assert all(options[key]["type"] == "string" and options[key]["sensitive"] for key in keys)
    assert options["LUMA_MCP_OUTPUT_DIR"]["type"] == "directory"
    assert options["LUMA_MCP_SANDBOX"] == {**options["LUMA_MCP_SANDBOX"], "type": "boolean", "default": False}
    # The host turns a boolean into "true"/"false": the server must read those as its switch.
    assert Settings.from_env({"LUMA_MCP_SANDBOX": "true"}).sandbox
    assert not Settings.from_env({"LUMA_MCP_SANDBOX": "false"}).sandbox


async def test_the_manifest_lists_the_tools_the_sandbox_serves(settings: Settings) -> None:
    async with session(settings) as client:
        served = {tool.name for tool in (await client.list_tools()).tools}
    listed = [tool["name"] for tool in manifest()["tools"]]
    assert len(listed) == len(set(listed)) and set(listed) == served
    assert all(tool.get("description") for tool in manifest()["tools"])


def test_the_icon_is_a_square_png_of_the_recommended_size() -> None:
    icon = (ROOT / manifest()["icon"]).read_bytes()
    assert icon.startswith(b"\x89PNG\r\n\x1a\n") and icon[12:16] == b"IHDR"
    assert struct.unpack(">II", icon[16:24]) == (512, 512)
    assert len(icon) < 100_000


def test_the_lock_matches_pyproject() -> None:
    # Clients and the bundle launch with --frozen: a stale lock would install what pyproject no longer says.
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed")
    done = subprocess.run([uv, "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
