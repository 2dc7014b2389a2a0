"""generate_video and extend_video for the AI/ML API's Ray 2 models: refuse what the model lacks,
check the rules on a body with placeholder images (no lookup yet), resolve the images, submit.

The bodies come from the provider's pure builders; this module only maps tool arguments onto them
and the provider's wire paths back onto tool arguments in messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult

from ..media.local import RefError
from ..providers.aimlapi import requests, rules
from ..providers.aimlapi.media import image_url
from .common import refuse_unsupported
from .jobs import runtime_of, submit, validate
from .media import allowed_roots
from .video import check_extendable

if TYPE_CHECKING:
    from .video import ExtendVideoArgs, GenerateVideoArgs

_PLACEHOLDER_URL = "https://placeholder.invalid/frame.png"


def rename_field(wire_path: str) -> str:
    """A wire path of a ray-2 body -> the tool argument an agent would change."""
    if wire_path.startswith("keyframes.frame0"):
        return "start_frame"
    if wire_path.startswith("keyframes.frame1"):
        return "end_frame"
    return wire_path


def rename_extend_field(wire_path: str) -> str:
    return "generation_id" if wire_path.startswith("keyframes") else wire_path


async def generate(args: GenerateVideoArgs, ctx: Context[Any, Any]) -> CallToolResult:
    """After generate_video has refused what the model lacks."""

    def body(first: str | None, last: str | None) -> dict[str, Any]:
        return requests.video_body(
            model=args.model,
            prompt=args.prompt,
            resolution=args.resolution,
            duration=int(args.duration.removesuffix("s")),
            aspect_ratio=args.aspect_ratio,
            loop=args.loop,
            first_frame=first,
            last_frame=last,
        )

    placeholder = (_PLACEHOLDER_URL if args.start_frame else None, _PLACEHOLDER_URL if args.end_frame else None)
    validate("generate_video", body(*placeholder), rename_field, "aimlapi")  # before any lookup or file read
    first = await _image(ctx, args.start_frame, "start_frame")
    last = await _image(ctx, args.end_frame, "end_frame")
    return await submit(
        ctx,
        "generate_video",
        body(first, last),
        wait_seconds=args.wait_seconds,
        dry_run=args.dry_run,
        rename=rename_field,
        provider="aimlapi",
    )


async def extend(args: ExtendVideoArgs, ctx: Context[Any, Any]) -> CallToolResult:
    runtime = runtime_of(ctx)
    generation_id = args.generation_id
    record = await runtime.history.get(generation_id)
    if record is None and ":" not in rules.api_id(generation_id):  # A16: a bare UUID, completed from the history
        record = await runtime.history.find_prefixed(generation_id + ":")
        generation_id = record.id if record else generation_id
    anchor_api_id = rules.api_id(generation_id)
    model = record.model if record and record.model in rules.MODELS else rules.model_of(anchor_api_id) or "ray-2"
    refuse_unsupported("extend_video", model, resolution=args.resolution, other_models=False)
    if args.loop and args.direction == "backward":
        raise ToolError("extend_video: loop: only a forward extension can loop. Fix: drop loop, or extend forward.")
    body = requests.extend_body(
        model=model,
        prompt=args.prompt,
        anchor_id=anchor_api_id,
        direction=args.direction,
        resolution=args.resolution,
        loop=args.loop,
    )
    validate("extend_video", body, rename_extend_field, "aimlapi")
    await check_extendable(runtime, generation_id)  # A13: completed, a video
    return await submit(
        ctx,
        "extend_video",
        body,
        wait_seconds=args.wait_seconds,
        dry_run=args.dry_run,
        rename=rename_extend_field,
        provider="aimlapi",
    )


async def _image(ctx: Context[Any, Any], ref: Any, field: str) -> str | None:
    if ref is None:
        return None
    runtime = runtime_of(ctx)
    roots = await allowed_roots(ctx, ask_client=ref.path is not None)
    try:
        return await image_url(ref, field=field, roots=roots, lookup=runtime.lookup)
    except RefError as exc:
        raise ToolError(f"generate_video: {exc}. Nothing was sent and nothing was charged.") from None
