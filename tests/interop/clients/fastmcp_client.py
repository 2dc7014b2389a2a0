"""fastmcp's Client: list the tools, run generate_video to completion with progress, print a JSON report.

    python fastmcp_client.py '{"command": ..., "args": [...], "env": {...}, "prompt": ...}'

With `"tool"` and `"arguments"` in the config, it runs that call instead (e.g. generate_avatar_video).

Runs in its own environment (fastmcp installed, not luma-mcp); the server is a subprocess on stdio.
fastmcp validates structured results against the tool's outputSchema, so a completed call also
checks that our results match what we declare.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import sys
from typing import Any

from fastmcp import Client
from fastmcp.client.transports import StdioTransport


async def main(config: dict[str, Any]) -> dict[str, Any]:
    progress: list[float] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(value)

    transport = StdioTransport(command=config["command"], args=config["args"], env=config["env"])
    async with Client(transport, timeout=120) as client:
        tools = await client.list_tools()
        default = {"prompt": config.get("prompt"), "resolution": "360p", "wait_seconds": 60}
        result = await client.call_tool(
            config.get("tool", "generate_video"), config.get("arguments", default), progress_handler=on_progress
        )
    data = result.structured_content or {}
    return {
        "client": "fastmcp",
        "version": importlib.metadata.version("fastmcp"),
        "mcp": importlib.metadata.version("mcp"),
        "tools": sorted(tool.name for tool in tools),
        "state": data.get("state"),
        "paths": [output.get("path") for output in data.get("outputs", [])],
        "progress_notifications": len(progress),
        "is_error": result.is_error,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
