"""Video tools: generate_video (text-to-video, image-to-video with start/end frames or keyframes)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field

from ..api.requests import WireRef, video_body
from ..api.rules import PROMPT_MAX_CHARS, Duration, Resolution, VideoAspectRatio
from ..media.refs import RefError, image_ref
from .base import LumaTool, ToolArgs, make_tool
from .common import DryRun, Keyframes, MediaRef, WaitSeconds
from .jobs import runtime_of, submit
from .results import GenerationResult

Prompt = Annotated[
    str,
    Field(
        min_length=1,
        max_length=PROMPT_MAX_CHARS,
        description="What happens: subject, motion, camera move, light, pacing.",
    ),
]


class GenerateVideoArgs(ToolArgs):
    prompt: Prompt
    aspect_ratio: VideoAspectRatio | None = Field(None, description="Omit to let the model choose.")
    resolution: Resolution = Field("720p", description="360p is a cheap draft; hdr needs 720p or 1080p.")
    duration: Duration = Field("5s", description="10s is not allowed with start_frame, end_frame or hdr.")
    loop: bool = Field(False, description="Seamless loop; 5s only, not with hdr, end_frame or keyframes.")
    hdr: bool = Field(False, description="HDR MP4 (5s, 720p/1080p, needs HDR access on the account).")
    exr_export: bool = Field(False, description="Also export EXR; requires hdr.")
    start_frame: MediaRef | None = Field(None, description="Image for the first frame.")
    end_frame: MediaRef | None = Field(None, description="Image for the last frame.")
    keyframes: Keyframes | None = Field(
        None, description="Images pinned at frames (instead of start/end_frame); allows 10s and hdr."
    )
    wait_seconds: WaitSeconds = None
    dry_run: DryRun = False


def rename_video_field(wire_path: str) -> str:
    """Wire path -> the generate_video argument an agent would change."""
    path = wire_path.removeprefix("video.")
    if path.startswith("keyframe_indexes"):
        return "keyframes[].frame"
    if path.startswith("keyframes["):
        return path + ".image"
    return path


async def generate_video(args: GenerateVideoArgs, ctx: Context[Any, Any]) -> CallToolResult:
    runtime = runtime_of(ctx)
    try:
        start = await _ref(args.start_frame, runtime.api)
        end = await _ref(args.end_frame, runtime.api)
        keyframes = None
        if args.keyframes is not None:
            keyframes = [(k.frame, await image_ref(k.image, runtime.api)) for k in args.keyframes]
    except RefError as exc:
        raise ToolError(f"generate_video: {exc}. Nothing was sent.") from None
    body = video_body(
        prompt=args.prompt,
        aspect_ratio=args.aspect_ratio,
        resolution=args.resolution,
        duration=args.duration,
        loop=args.loop,
        hdr=args.hdr,
        exr_export=args.exr_export,
        start_frame=start,
        end_frame=end,
        keyframes=keyframes,
    )
    return await submit(
        ctx, "generate_video", body, wait_seconds=args.wait_seconds, dry_run=args.dry_run, rename=rename_video_field
    )


async def _ref(ref: MediaRef | None, api: Any) -> WireRef | None:
    return None if ref is None else await image_ref(ref, api)


GENERATION_ANNOTATIONS = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)


def video_tools(default_wait: float) -> list[LumaTool]:
    return [
        make_tool(
            generate_video,
            name="generate_video",
            title="Generate a video (Ray 3.2)",
            description=(
                "Make a 5 s or 10 s video with Luma Ray 3.2 from a prompt, optionally anchored on images "
                "(start_frame/end_frame, or keyframes at frame positions, 24 fps). Waits up to wait_seconds, "
                "reporting progress, then returns the saved file; a longer job returns its id for "
                "get_generation. Costs money (720p 5s about $0.30): use dry_run to check and price first."
            ),
            args_model=GenerateVideoArgs,
            output_model=GenerationResult,
            annotations=GENERATION_ANNOTATIONS,
            defaults={"wait_seconds": default_wait},
        )
    ]
