"""A Luma generation tool's call, from its MediaRefs to the create: check, price, ask, and only then upload.

The body is built three times. With placeholders of the right shape, made without any I/O, so the
API's rules are checked before anything is read or looked up. With every reference checked but
nothing sent (local files confined, sniffed and measured; generations looked up, a free GET): that
body is what is priced, held to the caps and the budget, and put to the user, with a placeholder
where an upload's file id will go. And, only once those have passed, with the uploads done, inside
`submit`'s `prepare`: a call refused by a cap or declined by the user leaves no file at Luma, and a
call re-run to carry the user's answer (the 2026-07-28 protocol) uploads once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult

from ..providers.luma.media import DRY_RUN_FILE_ID, RefContext, RefError, RefLike, ResolvedRef, resolve_ref
from .jobs import submit, validate
from .media import Build, Resolver, Want, media_context, placeholder


async def generate(
    ctx: Context[Any, Any],
    tool: str,
    build: Build,
    *,
    refs: Iterable[RefLike | None],
    wait_seconds: float | None,
    dry_run: bool,
    rename: Callable[[str], str],
) -> CallToolResult:
    shaped, _ = await build(placeholder)
    validate(tool, shaped, rename)
    refs = list(refs)
    checked = await media_context(ctx, refs, dry_run=True)
    body, source_seconds = await build(_resolver(tool, checked))
    # What the check pass would have uploaded (a local file, a large data: URI) shows as the placeholder id.
    uploads = not dry_run and _awaits_upload(body)

    async def upload_then_body() -> dict[str, Any]:
        sent, seconds = await build(_resolver(tool, dataclasses.replace(checked, dry_run=False)))
        if seconds != source_seconds:  # the file changed since it was priced and confirmed
            raise ToolError(
                f"{tool}: the source changed while the call was being checked (its length was {_length(source_seconds)}"
                f", now {_length(seconds)}); call again to have it priced as it is now. Nothing was charged."
            )
        return sent

    return await submit(
        ctx,
        tool,
        body,
        wait_seconds=wait_seconds,
        dry_run=dry_run,
        rename=rename,
        source_seconds=source_seconds,
        prepare=upload_then_body if uploads else None,
    )


def _awaits_upload(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get("file_id") == DRY_RUN_FILE_ID or any(_awaits_upload(item) for item in value.values())
    if isinstance(value, list):
        return any(_awaits_upload(item) for item in value)
    return False


def _length(seconds: float | None) -> str:
    return "unknown" if seconds is None else f"{seconds:.1f} s"


def _resolver(tool: str, context: RefContext) -> Resolver:
    async def resolve(ref: RefLike, *, want: Want, field: str, source_for: str | None = None) -> ResolvedRef:
        try:
            return await resolve_ref(ref, want=want, field=field, ctx=context, source_for=source_for)
        except RefError as exc:
            raise ToolError(f"{tool}: {exc}. Nothing was sent and nothing was charged.") from None

    return resolve
