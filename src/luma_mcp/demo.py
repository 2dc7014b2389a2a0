"""`luma-mcp demo`: a real MCP client session, over stdio, against `luma-mcp` as a subprocess.

It does what an agent does: image -> image-to-video from it -> extend -> reframe to 9:16 -> edit, each
step with a progress bar fed by the server's progress notifications, then a table of what was made.
Sandbox unless a key is set; a live run states its estimated price and asks first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .providers.luma import requests
from .providers.luma.pricing import estimate_cost

console = Console()
Made = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Step:
    name: str
    tool: str
    arguments: Callable[[Made], dict[str, Any]]


def _steps(prompt: str) -> list[Step]:
    return [
        Step("image", "generate_image", lambda made: {"prompt": prompt, "aspect_ratio": "16:9"}),
        Step(
            "video",
            "generate_video",
            lambda made: {
                "prompt": f"{prompt}; the camera slowly dollies in",
                "aspect_ratio": "16:9",
                "start_frame": {"generation_id": made["image"]["id"]},
            },
        ),
        Step(
            "extend",
            "extend_video",
            lambda made: {
                "generation_id": made["video"]["id"],
                "prompt": "the camera keeps moving as the light fades",
            },
        ),
        Step(
            "reframe",
            "reframe_video",
            lambda made: {
                "source": {"generation_id": made["extend"]["id"]},
                "aspect_ratio": "9:16",
            },
        ),
        Step(
            "edit",
            "edit_video",
            lambda made: {
                "source": {"generation_id": made["video"]["id"]},
                "prompt": "as a hand-painted watercolor",
            },
        ),
    ]


def estimated_total() -> float:
    """The live run's price, from the same tables the server quotes (the video is 5 s, the extension 10 s)."""
    image = {"url": "https://example.com/frame.png"}
    video = {"generation_id": "00000000-0000-4000-8000-000000000000"}
    bodies = [
        (requests.image_body(prompt="p"), None),
        (requests.video_body(prompt="p", start_frame=image), None),
        (requests.extend_body(prompt="p", generation_id=video["generation_id"]), None),
        (requests.reframe_body(prompt="p", source=video, aspect_ratio="9:16"), 10.0),
        (requests.edit_body(prompt="p", source=video), 5.0),
    ]
    return sum(estimate_cost(body, seconds) or 0.0 for body, seconds in bodies)


def run_demo(out: Path | None, prompt: str) -> int:
    out_dir = (out or Path("luma-demo-output")).expanduser().resolve()
    live = bool(os.environ.get("LUMA_AGENTS_API_KEY") or os.environ.get("LUMA_API_KEY"))
    try:
        return anyio.run(_demo, out_dir, prompt, live)
    except KeyboardInterrupt:
        return 130


def _server(out_dir: Path, live: bool) -> StdioServerParameters:
    env = {**os.environ, "LUMA_MCP_OUTPUT_DIR": str(out_dir), "LUMA_MCP_CONFIRM_ABOVE_USD": "off"}
    env.setdefault("LUMA_MCP_SANDBOX_JOB_SECONDS", "4")
    args = ["-m", "luma_mcp"] + ([] if live else ["--sandbox"])
    return StdioServerParameters(command=sys.executable, args=args, env=env)


async def _demo(out_dir: Path, prompt: str, live: bool) -> int:
    mode = "LIVE (your Luma key: this costs money)" if live else "sandbox (built-in emulator: free)"
    console.print(f"[bold]luma-mcp demo[/] · {mode} · files go to {out_dir}")
    if live and not _confirm(estimated_total()):
        console.print("Cancelled; nothing was submitted.")
        return 1
    made: Made = {}
    async with Client(_server(out_dir, live), mode="legacy", read_timeout_seconds=900) as client:
        tools = [tool.name for tool in (await client.list_tools()).tools]
        console.print(f"Connected over stdio; {len(tools)} tools: {', '.join(tools)}")
        for step in _steps(prompt):
            result = await _run(client, step, made)
            if result.get("state") != "completed":
                console.print(f"[red]{step.tool} did not complete:[/] {result.get('next_step', '')}")
                _print_table(made)
                return 1
            made[step.name] = result
    _print_table(made)
    return 0


def _confirm(total: float) -> bool:
    console.print(f"This will submit 5 generations, estimated ${total:.2f} in all.")
    if not sys.stdin.isatty():
        console.print("No terminal to confirm on: run it interactively, or unset the key for the sandbox demo.")
        return False
    return console.input("Go ahead? [y/N] ").strip().lower() in ("y", "yes")


async def _run(client: Client, step: Step, made: Made) -> dict[str, Any]:
    columns = (
        TextColumn("{task.description:<15}"),
        BarColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bars:
        task = bars.add_task(step.tool, total=100, note="submitting")

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            bars.update(task, completed=progress, total=total or 100, note=message or "")

        arguments = {**step.arguments(made), "wait_seconds": 600}
        result = await client.call_tool(step.tool, arguments, progress_callback=on_progress)
        if result.is_error:
            text = " ".join(getattr(block, "text", "") for block in result.content)
            bars.update(task, note="[red]failed")
            console.print(f"[red]{step.tool}:[/] {text}")
            return {}
        bars.update(task, completed=100, note="completed")
    return dict(result.structured_content or {})


def _print_table(made: Made) -> None:
    table = Table(title="What the demo made")
    for column in ("step", "id", "state", "est. cost", "file"):
        table.add_column(column, overflow="fold")
    total = 0.0
    for name, result in made.items():
        cost = result.get("estimated_cost_usd") or 0.0
        total += cost
        paths = [output.get("path") or "" for output in result.get("outputs", [])]
        table.add_row(name, result.get("id", ""), result.get("state", ""), f"${cost:.2f}", "\n".join(paths))
    table.add_row("total", "", "", f"${total:.2f}", "")
    console.print(table)
