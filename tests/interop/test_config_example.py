"""mcp.json.example is what users paste into their clients: valid JSON, commands our CLI accepts.

Not an interop test (no client is installed): it runs with the default suite.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from luma_mcp.cli import _parser
from luma_mcp.http_transport import MCP_PATH

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = ["run", "--directory", "/path/to/luma-mcp", "--frozen", "luma-mcp"]


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


def test_every_stdio_entry_launches_luma_mcp_with_flags_the_cli_knows() -> None:
    found = list(entries(example(), "command"))
    assert {where.split(".")[0] for where, _ in found} == {"claude_desktop", "cursor", "vscode"}
    for where, entry in found:
        assert entry["command"] == "uv" and entry["args"][: len(LAUNCH)] == LAUNCH, where
        _parser().parse_args(entry["args"][len(LAUNCH) :])  # exits on an unknown flag


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
    assert words[: len(LAUNCH) + 1] == ["uv", *LAUNCH]
    flags = _parser().parse_args(words[len(LAUNCH) + 1 :])
    assert flags.transport == "streamable-http"
    for where, entry in entries(config, "url"):
        assert entry["url"] == f"http://{flags.host}:{flags.port}{MCP_PATH}", where
        assert entry["headers"]["Authorization"].startswith("Bearer "), where
