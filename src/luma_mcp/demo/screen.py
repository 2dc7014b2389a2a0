"""What the demo prints: written for an 80-column terminal, the folder once and then short names."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from .steps import Made, Step

console = Console(highlight=False)
CHECKOUT = Path(__file__).resolve().parents[3]


def banner(sandbox: bool, providers: Sequence[str], folder: Path, keys_set: bool) -> None:
    if sandbox:
        console.print("[bold]luma-mcp demo[/] · [bold green]SANDBOX[/]: built-in emulators, nothing real is bought")
        if keys_set:
            console.print("Your API keys are set but not used: the sandbox never reaches a real account.")
    else:
        apis = f"{' and '.join(providers)} API{'s' if len(providers) > 1 else ''}"
        console.print(f"[bold]luma-mcp demo[/] · [bold red]LIVE[/]: the real {apis}, with your keys: this costs money")
    console.print(f"Files go to {escape(str(folder))}")


def note(text: str) -> None:
    console.print(text)


def confirm(question: str) -> bool:
    # escape: rich would read "[y/N]" as markup and print nothing of it.
    return console.input(f"{question} {escape('[y/N]')} ").strip().lower() in ("y", "yes")


class Bars:
    """One line per step: tool, bar, state, and one clock (the server's messages carry their own: dropped)."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress = progress
        self.task = task

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.progress.update(self.task, completed=progress, total=total or 100, note=state_of(message))

    def done(self, text: str) -> None:
        self.progress.update(self.task, completed=100, total=100, note=text)


@contextmanager
def bar(step: Step) -> Iterator[Bars]:
    columns = (
        TextColumn("{task.description:<21}"),
        BarColumn(bar_width=24),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        yield Bars(progress, progress.add_task(step.tool, total=100, note="submitting"))


def state_of(message: str | None) -> str:
    """`processing · 40% · 12 s elapsed` -> `processing`: the bar shows the share, the column the time."""
    return (message or "").split(" · ")[0].split(",")[0][:20]


def failed(tool: str, text: str) -> None:
    console.print(f"[red]{tool}:[/] {escape(text)}")


def summary(made: Made, folder: Path, sandbox: bool) -> None:
    """One line per generation (step, short id, estimate), its file names indented beneath: a whole name
    fits 80 columns only on a line of its own."""
    console.print()
    console.print("[bold]What the demo made[/]")
    total = 0.0
    for name, result in made.items():
        if "id" not in result:
            continue  # a read (list_voices), not a generation
        cost = float(result.get("estimated_cost_usd") or 0.0)
        total += cost
        console.print(f"  {name:<8} {short_id(str(result['id'])):<15} {f'${cost:.2f}':>7}")
        for file in files(result, folder):
            console.print(f"    {escape(file)}")
    console.print(f"  {'total':<24} {f'${total:.2f}':>7}", style="bold")
    if sandbox:
        console.print("Sandbox: nothing was bought; the prices are what the same calls would cost live.")
    else:
        console.print("Prices are estimates: your providers' billing has the final word.")


def short_id(generation_id: str) -> str:
    """`hedra:1f0c9e2a`, `d290f1ee`: the head that the saved file's name carries too."""
    head, colon, rest = generation_id.partition(":")
    return f"{head}:{rest[:8]}" if colon else head[:8]


def files(result: dict[str, Any], folder: Path) -> list[str]:
    """Names within the folder printed at the start; a path elsewhere in full."""
    paths = [Path(output["path"]) for output in result.get("outputs", []) if output.get("path")]
    return [path.name if path.parent == folder else str(path) for path in paths]


def next_steps(sandbox: bool) -> None:
    command, args = launch_command()
    env = ('"LUMA_AGENTS_API_KEY": "luma-api-..."', '"HEDRA_API_KEY": "your-hedra-key"')
    config = [
        '{ "mcpServers": {',
        '    "luma": {',
        f'      "command": {json.dumps(command)},',
        f'      "args": {json.dumps(args)},',
        '      "env": {',
        *(f"        {line}{',' if n < len(env) - 1 else ''}" for n, line in enumerate(env)),
        "      }",
        "    }",
        "} }",
    ]
    console.print()
    console.print("[bold]Next[/]: add luma-mcp to Claude Desktop. In Settings > Developer > Edit Config")
    console.print('(claude_desktop_config.json), add the "luma" entry, then restart Claude Desktop:')
    console.print("\n".join(config), markup=False)
    if sandbox:
        console.print('To stay free, add "--sandbox" at the end of "args" and leave out "env".')
    console.print("Other clients and every option: README.md, Use it from your client.")


def launch_command() -> tuple[str, list[str]]:
    """How a client starts this server: this checkout's locked environment, else the published package.
    Desktop apps do not see the shell's PATH, hence the full path where it is known."""
    if (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "uv.lock").is_file():
        return shutil.which("uv") or "uv", ["run", "--directory", str(CHECKOUT), "--frozen", "luma-mcp"]
    # Installed from a wheel: uvx runs the published package wherever the client starts it.
    return shutil.which("uvx") or "uvx", ["luma-agents-mcp"]
