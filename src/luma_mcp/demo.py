"""`luma-mcp demo`: a real MCP client session, over stdio, against `luma-mcp` as a subprocess.

It is what an agent does: list the tools, call generate_video, watch the progress notifications, and
read back where the file is. Sandbox unless a key is set; a live run states its price and asks first.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console(stderr=False)


def run_demo(out: Path | None, prompt: str) -> int:
    out_dir = (out or Path("luma-demo-output")).expanduser().resolve()
    live = bool(os.environ.get("LUMA_AGENTS_API_KEY") or os.environ.get("LUMA_API_KEY"))
    try:
        return anyio.run(_demo, out_dir, prompt, live)
    except KeyboardInterrupt:
        return 130


def _server(out_dir: Path, live: bool) -> StdioServerParameters:
    env = {**os.environ, "LUMA_MCP_OUTPUT_DIR": str(out_dir)}
    env.setdefault("LUMA_MCP_SANDBOX_JOB_SECONDS", "6")
    args = ["-m", "luma_mcp"] + ([] if live else ["--sandbox"])
    return StdioServerParameters(command=sys.executable, args=args, env=env)


async def _demo(out_dir: Path, prompt: str, live: bool) -> int:
    mode = "LIVE (your Luma key: this costs money)" if live else "sandbox (built-in emulator: free)"
    console.print(f"[bold]luma-mcp demo[/] · {mode} · files go to {out_dir}")
    arguments: dict[str, Any] = {"prompt": prompt, "aspect_ratio": "16:9", "resolution": "720p", "wait_seconds": 300}
    async with Client(_server(out_dir, live), mode="legacy", read_timeout_seconds=400) as client:
        tools = [tool.name for tool in (await client.list_tools()).tools]
        console.print(f"Connected; tools: {', '.join(tools)}")
        if live and not await _confirm(client, arguments):
            console.print("Cancelled; nothing was submitted.")
            return 1
        result = await _generate(client, arguments)
    if result.get("state") != "completed":
        console.print(f"[red]Not completed:[/] {result.get('state')} · {result.get('next_step')}")
        return 1
    _print_table(result)
    return 0


async def _confirm(client: Client, arguments: dict[str, Any]) -> bool:
    dry = await client.call_tool("generate_video", {**arguments, "dry_run": True})
    cost = (dry.structured_content or {}).get("estimated_cost_usd")
    console.print(f"This will submit 1 video, estimated ${cost:.2f}.")
    if not sys.stdin.isatty():
        console.print("No terminal to confirm on: run it interactively, or unset the key for the sandbox demo.")
        return False
    return console.input("Go ahead? [y/N] ").strip().lower() in ("y", "yes")


async def _generate(client: Client, arguments: dict[str, Any]) -> dict[str, Any]:
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[note]}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as bars:
        task = bars.add_task("generate_video", total=100, note="submitting")

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            bars.update(task, completed=progress, total=total or 100, note=message or "")

        result = await client.call_tool("generate_video", arguments, progress_callback=on_progress)
        bars.update(task, completed=100 if not result.is_error else 0)
    if result.is_error:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        console.print(f"[red]generate_video failed:[/] {text}")
        return {}
    return dict(result.structured_content or {})


def _print_table(result: dict[str, Any]) -> None:
    table = Table(title="Result")
    for column in ("id", "state", "est. cost", "file"):
        table.add_column(column)
    paths = [output.get("path") or "" for output in result.get("outputs", [])]
    cost = result.get("estimated_cost_usd")
    table.add_row(
        result.get("id", ""), result.get("state", ""), f"${cost:.2f}" if cost is not None else "?", "\n".join(paths)
    )
    console.print(table)
    for path in paths:
        console.print(f"Saved: [bold]{path}[/]")
