"""build_server(settings) -> MCPServer: the lifespan, the tools, the transports. Wiring only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server import MCPServer
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp_types import InputRequiredResult, Resource
from pydantic import AnyUrl

from . import __version__
from .outputs import recover
from .providers.registry import Providers
from .runtime import Runtime, open_runtime
from .settings import Settings
from .tools.avatar import avatar_tools
from .tools.generations import generation_tools
from .tools.image import image_tools
from .tools.resources import generation_json, output_file, recent_resources, sniff_mime
from .tools.video import video_tools
from .tools.video_edit import video_edit_tools

if TYPE_CHECKING:
    from .providers.luma.emulator import Emulator
    from .providers.sandbox import Sandbox

_OFFERS = {
    "luma": "Luma Ray 3.2 video and Uni-1 images",
    "aimlapi": "Ray 2 / Ray Flash 2 video through the AI/ML API (generate_video's model)",
    "hedra": "talking avatars with Hedra (generate_avatar_video; voices from list_voices)",
}
INSTRUCTIONS = """\
Each generation costs money (see estimated_cost_usd); dry_run=true validates and prices without
submitting. A generation tool waits up to wait_seconds (with progress) and returns the saved file path;
if the job is still running it returns the id: call get_generation(generation_id, wait_seconds=45)
until state is completed or failed. Finished files are saved locally; chain further work from a
generation's id. list_generations shows history."""


def instructions(settings: Settings) -> str:
    offered = [_OFFERS[name] for name in Providers(settings).available()] or [_OFFERS["luma"]]
    head = "Video and image generation: " + "; ".join(offered) + "."
    if settings.sandbox:
        head += " SANDBOX: built-in emulators answer; nothing real is made or bought."
    return f"{head}\n{INSTRUCTIONS}"


class LumaServer(MCPServer[Runtime]):
    """MCPServer whose resource list is the history, and whose file resources carry their real MIME type."""

    runtime: Runtime | None = None

    async def list_resources(self) -> list[Resource]:
        return await recent_resources(self.runtime.history) if self.runtime else []

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[Runtime, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        contents = await super().read_resource(uri, context)
        if isinstance(contents, InputRequiredResult):
            return contents
        return [
            ReadResourceContents(content=item.content, mime_type=sniff_mime(item.content), meta=item.meta)
            if isinstance(item.content, bytes)
            else item
            for item in contents
        ]


def listed_tools(settings: Settings) -> list[Tool]:
    """Tools of the providers that are on (contract, Providers). With none on, Luma's are listed, and each
    says how to set a key; with only the AI/ML API, the Luma-only tools are not listed at all, with only
    Hedra, no video model tool is."""
    providers = Providers(settings)
    on = providers.available()
    luma_tools = "luma" in on or not on
    ray_tools = luma_tools or "aimlapi" in on
    return [
        *(video_tools(settings.wait_seconds, providers.video_models()) if ray_tools else []),
        *(video_edit_tools(settings.wait_seconds) if luma_tools else []),
        *(image_tools(settings.wait_seconds) if luma_tools else []),
        *(avatar_tools(settings.wait_seconds) if "hedra" in on else []),
        *generation_tools(),
    ]


def build_server(settings: Settings, emulator: Emulator | Sandbox | None = None) -> LumaServer:
    """`emulator` stands in for the APIs when `settings.sandbox` is on (built on demand if None): a
    `Sandbox` of every provider's emulator, or just Luma's."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[Runtime]) -> AsyncIterator[Runtime]:
        async with open_runtime(settings, emulator) as runtime, anyio.create_task_group() as background:
            server.runtime = runtime
            # In the background: start-up must not wait on the network.
            background.start_soon(recover, runtime)
            try:
                yield runtime
            finally:
                server.runtime = None
                background.cancel_scope.cancel()

    server = LumaServer(
        "luma-mcp",
        title="Luma video & image generation",
        version=__version__,
        instructions=instructions(settings),
        lifespan=lifespan,
        tools=listed_tools(settings),
    )
    server.resource(
        "luma://generations/{generation_id}",
        name="generation",
        mime_type="application/json",
        description="A generation's state and fresh output URLs, from the API.",
    )(generation_json)
    server.resource(
        "luma://generations/{generation_id}/outputs/{index}",
        name="generation output",
        mime_type="application/octet-stream",
        description="A saved output file (video or image).",
    )(output_file)
    return server
