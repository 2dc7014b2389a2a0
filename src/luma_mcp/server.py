"""build_server(settings) -> MCPServer: the lifespan, the tools, the transports. Wiring only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from mcp.server import MCPServer

from . import __version__
from .runtime import Runtime, open_runtime
from .settings import Settings
from .tools.generations import generation_tools
from .tools.video import video_tools

if TYPE_CHECKING:
    from .emulator import Emulator

INSTRUCTIONS = """\
Luma Ray 3.2 video and Uni-1 image generation. Each generation costs money (see estimated_cost_usd);
dry_run=true validates and prices without submitting. A generation tool waits up to wait_seconds
(with progress) and returns the saved file path; if the job is still running it returns the id:
call get_generation(generation_id, wait_seconds=45) until state is completed or failed. Finished
files are saved locally; chain further work from a generation's id. list_generations shows history."""


def build_server(settings: Settings, emulator: Emulator | None = None) -> MCPServer[Runtime]:
    """`emulator` stands in for the API when `settings.sandbox` is on (built on demand if None)."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[Runtime]) -> AsyncIterator[Runtime]:
        async with open_runtime(settings, emulator) as runtime:
            yield runtime

    tools = [*video_tools(settings.wait_seconds), *generation_tools()]
    return MCPServer(
        "luma-mcp",
        title="Luma video & image generation",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        tools=list(tools),
    )
