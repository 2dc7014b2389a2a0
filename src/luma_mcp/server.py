"""build_server(settings) -> MCPServer: the lifespan, the tools, the transports. Wiring only."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.caching import apply_cache_hint
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import (
    CallToolResult,
    InputRequiredResult,
    ReadResourceRequestParams,
    ReadResourceResult,
    Resource,
)
from pydantic import AnyUrl

from . import __version__
from .completions import add_completions
from .icons import server_icons
from .outputs import recover
from .presence import CACHE_HINTS, DESCRIPTION, OUTPUT_HINT, website_url, with_icons
from .prompts import add_prompts
from .providers.registry import Providers
from .runtime import Runtime, open_runtime
from .settings import Settings
from .store import StoreUnavailable, open_store
from .tools.avatar import avatar_tools
from .tools.generations import generation_tools
from .tools.image import image_tools
from .tools.resources import generation_json, recent_resources, saved_output, sniff_mime
from .tools.video import video_tools
from .tools.video_edit import video_edit_tools
from .ui.player import player_app

if TYPE_CHECKING:
    from mcp.server.auth.provider import TokenVerifier
    from mcp.server.auth.settings import AuthSettings

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


logger = logging.getLogger(__name__)
OUTPUT_URI = re.compile(r"luma://generations/[^/]+/outputs/\d+")


class StartupError(Exception):
    """The server cannot start here; the message is one line that names the variable or the file."""


class LumaServer(MCPServer[Runtime]):
    """MCPServer whose resource list is the history, whose file resources carry their real MIME type, and
    whose tools all answer with the configuration error while a key or a base URL is unusable."""

    runtime: Runtime | None = None
    luma_settings: Settings | None = None

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Runtime, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        problem = self.luma_settings.configuration_error() if self.luma_settings is not None else None
        if problem is not None and self._tool_manager.get_tool(name) is not None:
            raise ToolError(f"{name}: the server's configuration is unusable: {problem}. Nothing was sent.")
        return await super().call_tool(name, arguments, context)

    async def run_stdio_async(self) -> None:
        problem = await startup_problem(self.luma_settings) if self.luma_settings is not None else None
        if problem is not None:
            raise SystemExit(f"luma-mcp: {problem}")  # one line on stderr, no traceback
        await super().run_stdio_async()

    async def list_resources(self) -> list[Resource]:
        return await recent_resources(self.runtime.history) if self.runtime else []

    async def _handle_read_resource(
        self, ctx: ServerRequestContext[Runtime], params: ReadResourceRequestParams
    ) -> ReadResourceResult | InputRequiredResult:
        result = await super()._handle_read_resource(ctx, params)
        if isinstance(result, ReadResourceResult) and OUTPUT_URI.fullmatch(str(params.uri)):
            return apply_cache_hint(result, OUTPUT_HINT)
        return result

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
    return with_icons(
        [
            *(video_tools(settings.wait_seconds, providers.video_models()) if ray_tools else []),
            *(video_edit_tools(settings.wait_seconds) if luma_tools else []),
            *(image_tools(settings.wait_seconds) if luma_tools else []),
            *(avatar_tools(settings.wait_seconds) if "hedra" in on else []),
            *generation_tools(),
        ]
    )


def build_server(settings: Settings, emulator: Emulator | Sandbox | None = None) -> LumaServer:
    """`emulator` stands in for the APIs when `settings.sandbox` is on (built on demand if None): a
    `Sandbox` of every provider's emulator, or just Luma's."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[Runtime]) -> AsyncIterator[Runtime]:
        problem = settings.configuration_error()
        if problem is not None:
            logger.warning("Every tool will answer with this until it is fixed: %s", problem)
        async with AsyncExitStack() as stack:
            try:
                runtime = await stack.enter_async_context(open_runtime(settings, emulator))
            except StoreUnavailable as exc:
                raise StartupError(str(exc)) from None
            except (OSError, sqlite3.Error) as exc:
                raise StartupError(_unusable(settings, exc)) from None
            background = await stack.enter_async_context(anyio.create_task_group())
            server.runtime = runtime
            # Downloads outlive the calls that start them; recovery runs beside them (start-up must not
            # wait on the network).
            runtime.background = background
            background.start_soon(recover, runtime)
            if settings.database_url:  # hosted: replicas finish the jobs a dead replica left
                from .replicas import settle_forever

                background.start_soon(settle_forever, runtime)
            try:
                yield runtime
            finally:
                server.runtime = None
                background.cancel_scope.cancel()

    auth, token_verifier = _oauth(settings)
    server = LumaServer(
        "luma-mcp",
        title="Luma video & image generation",
        description=DESCRIPTION,
        website_url=website_url(),
        icons=server_icons(),
        version=__version__,
        cache_hints=CACHE_HINTS,
        # No change notifications are published (the player and agents poll get_generation, and a hosted
        # server's one bus would tell every user of every other user's ids): so none are advertised either.
        subscriptions=False,
        instructions=instructions(settings),
        lifespan=lifespan,
        tools=listed_tools(settings),
        extensions=[player_app(settings)],
        auth=auth,
        token_verifier=token_verifier,
    )
    server.luma_settings = settings
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
    )(saved_output)
    add_completions(server, add_prompts(server, settings), lambda: server.runtime)
    return server


def _oauth(settings: Settings) -> tuple[AuthSettings | None, TokenVerifier | None]:
    """The SDK's resource-server settings and token verifier when OAuth is on (it guards streamable HTTP)."""
    if settings.auth_issuer is None:
        return None, None
    try:
        from .auth import resource_server  # joserfc: only hosted servers pay for it
    except ImportError as exc:
        raise SystemExit(
            f"luma-mcp: LUMA_MCP_AUTH_ISSUER needs the hosted extra ({exc.name} is missing); "
            "install luma-agents-mcp[hosted]"
        ) from None
    return resource_server(settings)


async def startup_problem(settings: Settings) -> str | None:
    """Why this server cannot keep its history (the data dir, the history file), in one line; None if it can.
    Checked before serving, so that a user sees that line rather than a traceback."""
    try:
        history = open_store(settings)
    except StoreUnavailable as exc:  # the hosted extra is not installed
        return str(exc)
    try:
        await history.open()
        await history.list(1)
    except StoreUnavailable as exc:  # already the one line, naming LUMA_MCP_DATABASE_URL
        return str(exc)
    except (OSError, sqlite3.Error) as exc:
        return _unusable(settings, exc)
    finally:
        await history.close()
    return None


def _unusable(settings: Settings, exc: BaseException) -> str:
    reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return (
            f"the history file {settings.history_path} cannot be read ({reason}); move it aside (a new one is "
            "made) or set LUMA_MCP_DATA_DIR to another folder"
        )
    return f"LUMA_MCP_DATA_DIR={settings.data_dir} is not a usable folder ({reason}); set it to a writable folder"
