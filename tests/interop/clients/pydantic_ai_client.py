"""pydantic-ai: an Agent whose toolset comes from an `mcpServers` config file, driven by a scripted model.

    python pydantic_ai_client.py '{"config_path": ..., "server": "luma", "prompt": ...}'

load_mcp_toolsets reads the same JSON shape as Claude Desktop and Cursor. The FunctionModel plays
the LLM: it sees the tool definitions pydantic-ai derived from our schemas, calls generate_video,
and follows up with get_generation until the job settles, reading only what pydantic-ai hands a model
(the text content: our summary line, `Saved:` paths, next step). Nothing reaches a real model.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import re
import sys
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.mcp import load_mcp_toolsets
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

SETTLED = ("completed", "failed")
SUMMARY = re.compile(r"generation (?P<id>[0-9a-f-]{36}): (?P<state>\w+)")
SAVED = re.compile(r"^Saved: (.+)$", re.MULTILINE)


class ScriptedModel:
    def __init__(self, prefix: str, prompt: str) -> None:
        self.prefix, self.prompt = prefix, prompt
        self.seen_tools: list[str] = []
        self.results: list[dict[str, Any]] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.seen_tools = sorted(tool.name for tool in info.function_tools)
        returned = [p for m in messages for p in getattr(m, "parts", []) if isinstance(p, ToolReturnPart)]
        if not returned:
            args = {"prompt": self.prompt, "resolution": "360p", "wait_seconds": 1}
            return ModelResponse(parts=[ToolCallPart(self.prefix + "generate_video", args)])
        result = read_summary(returned[-1].content)
        self.results.append(result)
        if result["state"] in SETTLED or len(self.results) > 30:
            return ModelResponse(parts=[TextPart(json.dumps(result))])
        args = {"generation_id": result["id"], "wait_seconds": 2}
        return ModelResponse(parts=[ToolCallPart(self.prefix + "get_generation", args)])


def read_summary(content: Any) -> dict[str, Any]:
    """What an LLM gets from pydantic-ai is the text content (not structuredContent): read it as one would."""
    text = "\n".join(item for item in (content if isinstance(content, list) else [content]) if isinstance(item, str))
    head = SUMMARY.search(text)
    if head is None:
        raise AssertionError(f"no 'generation <id>: <state>' in the text the model sees: {text[:300]!r}")
    return {"id": head["id"], "state": head["state"], "paths": SAVED.findall(text), "text": text}


async def main(config: dict[str, Any]) -> dict[str, Any]:
    model = ScriptedModel(prefix=f"{config['server']}_", prompt=config["prompt"])
    agent = Agent(FunctionModel(model), toolsets=load_mcp_toolsets(config["config_path"]))
    async with agent:
        run = await agent.run("Make a short video of a paper lantern.")
    final = json.loads(run.output)  # the last summary the scripted model read
    return {
        "client": "pydantic-ai",
        "version": importlib.metadata.version("pydantic-ai-slim"),
        "mcp": importlib.metadata.version("mcp"),
        "tools": [name.removeprefix(model.prefix) for name in model.seen_tools],
        "state": final["state"],
        "paths": final["paths"],
        "tool_calls": len(model.results),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
