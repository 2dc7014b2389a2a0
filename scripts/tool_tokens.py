"""How much of a model's context our tools take: per tool and in all, against a budget.

    uv run python scripts/tool_tokens.py [--budget 6000]

Connects to the server in process (sandbox, temporary folders), fetches tools/list exactly as a client
gets it, and estimates tokens as characters / 4 of the compact JSON of each tool's name, description,
inputSchema and outputSchema. Most chat clients hand the model only name, description and input schema,
and the budget applies to that model-facing part; the whole payload (with output schemas, which clients
such as pydantic-ai also show) is printed beside it. The sandbox lists every provider's tools: the
largest set. Exits 1 when over the budget.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

BUDGET_TOKENS = 6000
CHARS_PER_TOKEN = 4
MODEL_FIELDS = ("name", "description", "inputSchema")
WIRE_FIELDS = (*MODEL_FIELDS, "outputSchema")


@dataclass(frozen=True)
class ToolCost:
    name: str
    tokens: int
    tokens_without_output: int


@dataclass(frozen=True)
class Report:
    tools: list[ToolCost]
    instructions_chars: int

    @property
    def total(self) -> int:
        return sum(tool.tokens for tool in self.tools)

    @property
    def total_without_output(self) -> int:
        return sum(tool.tokens_without_output for tool in self.tools)

    @property
    def instructions_tokens(self) -> int:
        return self.instructions_chars // CHARS_PER_TOKEN


def estimate(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False)) // CHARS_PER_TOKEN


def cost_of(tool: dict[str, Any]) -> ToolCost:
    """`tool` is one entry of tools/list as JSON (camelCase keys)."""
    return ToolCost(
        name=tool["name"],
        tokens=estimate({key: tool[key] for key in WIRE_FIELDS if key in tool}),
        tokens_without_output=estimate({key: tool[key] for key in MODEL_FIELDS if key in tool}),
    )


async def list_tools_json() -> tuple[list[dict[str, Any]], str]:
    """tools/list and the server instructions, through a real in-process MCP client."""
    from mcp import Client

    from luma_mcp.server import build_server
    from luma_mcp.settings import Settings

    with tempfile.TemporaryDirectory(prefix="luma-tool-tokens-") as scratch:
        settings = Settings(sandbox=True, output_dir=Path(scratch, "out"), data_dir=Path(scratch, "data"))
        async with Client(build_server(settings)) as client:
            listed = await client.list_tools()
            instructions = client.instructions or ""
    tools = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools]
    return tools, instructions


async def measure() -> Report:
    tools, instructions = await list_tools_json()
    return Report(tools=[cost_of(tool) for tool in tools], instructions_chars=len(instructions))


def render(report: Report, budget: int) -> str:
    lines = [f"{'tool':<20} {'tokens':>7} {'without outputSchema':>21}"]
    lines += [f"{t.name:<20} {t.tokens:>7} {t.tokens_without_output:>21}" for t in report.tools]
    lines.append(f"{'total':<20} {report.total:>7} {report.total_without_output:>21}")
    lines.append(f"instructions: {report.instructions_chars} chars, ~{report.instructions_tokens} tokens")
    verdict = "within" if report.total_without_output <= budget else "OVER"
    lines.append(
        f"budget {budget} tokens for all tools (name, description, inputSchema): {verdict}"
        f" ({report.total_without_output}/{budget}); whole payload {report.total} tokens"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--budget", type=int, default=BUDGET_TOKENS, help="tokens allowed for all tools")
    args = parser.parse_args(argv)
    report = anyio.run(measure)
    print(render(report, args.budget))
    return 0 if report.total_without_output <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
