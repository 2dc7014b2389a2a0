"""mcp.json.example is what users paste into their clients: valid JSON, commands our CLI accepts.

Each entry launches the server one of two ways: `uvx luma-agents-mcp` (the published package) or, until it is
published, `uv run --directory <checkout> --frozen luma-mcp`. Not an interop test (nothing is installed): it
runs with the default suite. That the commands run is shown by test_interop_package (the uvx entries, from
the built wheel) and by the last test here (the checkout form, interop).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from interop_helpers import install_or_skip, require, run

from luma_mcp import __version__
from luma_mcp.cli import _parser
from luma_mcp.http_transport import MCP_PATH

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = "/path/to/luma-mcp"
LAUNCHES = {"uvx": ["luma-agents-mcp"], "uv": ["run", "--directory", CHECKOUT, "--frozen", "luma-mcp"]}


def example() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((ROOT / "mcp.json.example").read_text())
    return config


def entries(node: Any, key: str, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every server entry (an object holding `key`) anywhere in the example, with its path."""
    if isinstance(node, dict):
        if key in node:
            yield where, node
        for name, value in node.items():
            yield from entries(value, key, f"{where}.{name}" if where else name)


def flags_after_launch(words: list[str], where: str) -> list[str]:
    """What follows the launch (`uvx luma-agents-mcp` or the checkout form): our CLI's own arguments."""
    command, *args = words
    launch = LAUNCHES.get(command)
    assert launch is not None and args[: len(launch)] == launch, f"{where}: {shlex.join(words)}"
    return args[len(launch) :]


def test_every_stdio_entry_launches_the_server_with_flags_the_cli_knows() -> None:
    found = list(entries(example(), "command"))
    assert {where.split(".")[0] for where, _ in found} == {"claude_desktop", "from_a_checkout", "cursor", "vscode"}
    for where, entry in found:
        _parser().parse_args(flags_after_launch([entry["command"], *entry["args"]], where))  # exits on an unknown flag


def test_clients_lead_with_uvx_and_the_checkout_form_stays_beside_them() -> None:
    launched = {where: entry["command"] for where, entry in entries(example(), "command")}
    assert all(command == "uvx" for where, command in launched.items() if not where.startswith("from_a_checkout"))
    assert {command for where, command in launched.items() if where.startswith("from_a_checkout")} == {"uv"}
    assert "not `luma-mcp`" in example()["about"]  # the bare name on PyPI is someone else's package


def test_the_claude_code_commands_add_the_same_server() -> None:
    for line in example()["claude_code"]:
        words = shlex.split(line)
        assert words[:4] == ["claude", "mcp", "add", "--transport"] and "--" in words, line
        _parser().parse_args(flags_after_launch(words[words.index("--") + 1 :], line))


def test_every_env_variable_is_ours_and_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    names = {name for _, entry in entries(example(), "env") for name in entry["env"]}
    assert names, "the example should show where the key goes"
    ours = ("LUMA_", "AIMLAPI_", "HEDRA_")
    assert all(name.startswith(ours) and f"`{name}`" in readme for name in names), names


def test_vscode_entries_declare_their_type_and_inputs() -> None:
    config = example()
    for block in (config["vscode"], config["streamable_http"]["vscode"]):
        declared = {item["id"] for item in block.get("inputs", [])}
        for name, server in block["servers"].items():
            assert server["type"] in ("stdio", "http"), name
            assert set(re.findall(r"\$\{input:([^}]+)\}", json.dumps(server))) <= declared, name


def test_http_entries_reach_the_server_the_start_command_starts() -> None:
    config = example()["streamable_http"]
    words = [word for word in shlex.split(config["start_the_server"]) if not re.match(r"^[A-Z_]+=", word)]
    flags = _parser().parse_args(flags_after_launch(words, "start_the_server"))
    assert flags.transport == "streamable-http"
    for where, entry in entries(config, "url"):
        assert entry["url"] == f"http://{flags.host}:{flags.port}{MCP_PATH}", where
        assert entry["headers"]["Authorization"].startswith("Bearer ")


@pytest.mark.interop
def test_the_checkout_entries_run_from_a_copy_of_the_checkout(tmp_path: Path) -> None:
    # A copy, so that the locked environment is built from the lock alone, beside no other .venv.
    checkout = tmp_path / "luma-mcp"
    checkout.mkdir()
    for name in ("pyproject.toml", "uv.lock", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, checkout / name)
    shutil.copytree(ROOT / "src", checkout / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    uv = require("uv")
    env = {name: value for name, value in os.environ.items() if name not in ("VIRTUAL_ENV", "PYTHONPATH")}
    install_or_skip([uv, "sync", "--frozen", "--directory", str(checkout)], "the locked environment", env=env)
    for where, entry in entries(example()["from_a_checkout"], "command"):
        args = [str(checkout) if arg == CHECKOUT else arg for arg in entry["args"]]
        done = run([uv, *args, "--version"], cwd=tmp_path, env=env)
        assert done.returncode == 0 and done.stdout.split()[-1] == __version__, f"{where}: {done.stdout}{done.stderr}"
