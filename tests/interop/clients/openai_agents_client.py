"""openai-agents' MCPServerStdio: list the tools, then run a sandbox generate_video the way an agent does.

    python openai_agents_client.py '{"command": ..., "args": [...], "env": {...}, "prompt": ...}'

Keeps the SDK's default 5 s call timeout on purpose: a generation is asked to wait only 2 s, then
followed with get_generation(wait_seconds=2) until it settles, which is the pattern our next_step
teaches. Calls go through MCPUtil.invoke_mcp_tool with JSON text, as the agent loop sends them, and
every input schema is put through the SDK's strict-mode conversion (what OpenAI models require).
"""

from __future__ import annotations

import asyncio
import copy
import importlib.metadata
import json
import sys
from typing import Any

from agents import RunContextWrapper
from agents.mcp import MCPServerStdio, MCPUtil
from agents.strict_schema import ensure_strict_json_schema

SETTLED = ("completed", "failed")


def strict_problems(tools: list[Any]) -> dict[str, str]:
    problems = {}
    for tool in tools:
        schema = tool.input_schema if hasattr(tool, "input_schema") else tool.inputSchema  # mcp 2.x / 1.x
        try:
            ensure_strict_json_schema(copy.deepcopy(schema))
        except Exception as exc:  # the report names the tool and the SDK's complaint
            problems[tool.name] = f"{type(exc).__name__}: {exc}"
    return problems


async def call(server: MCPServerStdio, tools: dict[str, Any], name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    output = await MCPUtil.invoke_mcp_tool(server, tools[name], RunContextWrapper(context=None), json.dumps(arguments))
    text = output if isinstance(output, str) else json.dumps(output)
    return json.loads(text)


async def main(config: dict[str, Any]) -> dict[str, Any]:
    params = {"command": config["command"], "args": config["args"], "env": config["env"]}
    async with MCPServerStdio(params, name="luma", use_structured_content=True) as server:
        listed = await server.list_tools()
        tools = {tool.name: tool for tool in listed}
        result = await call(server, tools, "generate_video", {"prompt": config["prompt"], "wait_seconds": 2})
        follow_ups = 0
        while result.get("state") not in SETTLED and follow_ups < 30:
            follow_ups += 1
            result = await call(server, tools, "get_generation", {"generation_id": result["id"], "wait_seconds": 2})
    return {
        "client": "openai-agents",
        "version": importlib.metadata.version("openai-agents"),
        "mcp": importlib.metadata.version("mcp"),
        "tools": sorted(tools),
        "strict_schema_problems": strict_problems(listed),
        "state": result.get("state"),
        "paths": [output.get("path") for output in result.get("outputs", [])],
        "get_generation_calls": follow_ups,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
