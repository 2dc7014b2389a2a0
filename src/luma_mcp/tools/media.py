"""MediaRef arguments -> wire references, with the folders this call may read from."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from ..media.refs import RefContext, RefError, RefLike, ResolvedRef, resolve_ref
from .jobs import runtime_of

logger = logging.getLogger(__name__)

ROOTS_TIMEOUT = 3.0


async def media_context(ctx: Context[Any, Any], refs: Iterable[RefLike | None], *, dry_run: bool) -> RefContext:
    """What the MediaRefs of this call may reach: the output dir, the working dir, LUMA_MCP_INPUT_DIRS and
    the client's MCP roots (asked for only when a local path is actually given)."""
    runtime = runtime_of(ctx)
    settings = runtime.settings
    roots = [settings.output_dir, Path.cwd(), *settings.input_dirs]
    if any(ref is not None and ref.path is not None for ref in refs):
        roots += await client_roots(ctx)

    async def saved_path_of(generation_id: str) -> Path | None:
        record = await runtime.history.get(generation_id)
        return Path(record.paths[0]) if record and 0 in record.paths else None

    return RefContext(
        api=runtime.api, allowed_roots=roots, http=runtime.http, saved_path_of=saved_path_of, dry_run=dry_run
    )


async def client_roots(ctx: Context[Any, Any]) -> list[Path]:
    """The client's file:// roots, when it declares the roots capability; none if it cannot say."""
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.roots is None:
        return []
    try:
        with anyio.fail_after(ROOTS_TIMEOUT):
            result = await ctx.session.list_roots()
    except Exception as exc:  # a client that cannot answer must not break the call: roots only widen access
        logger.info("Could not list the client's roots: %s", type(exc).__name__)
        return []
    return [Path(unquote(urlsplit(str(root.uri)).path)) for root in result.roots if str(root.uri).startswith("file:")]


async def resolve_media(
    tool: str, ref: RefLike, *, want: Literal["image", "video"], field: str, context: RefContext
) -> ResolvedRef:
    try:
        return await resolve_ref(ref, want=want, field=field, ctx=context)
    except RefError as exc:
        raise ToolError(f"{tool}: {exc}. Nothing was sent and nothing was charged.") from None
