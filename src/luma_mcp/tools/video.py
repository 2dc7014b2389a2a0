"""Video from a prompt: generate_video (text- and image-to-video) and extend_video (continue a clip)."""

from __future__ import annotations

import typing
from typing import Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import Field, create_model

from ..media.wording import with_article
from ..providers import errors
from ..providers.luma.requests import Body, extend_body, video_body
from ..providers.luma.rules import EXTEND_RESOLUTIONS
from ..providers.models import VIDEO_MODELS as MODEL_SPECS
from ..providers.models import AnyDuration, AnyResolution, AnyVideoAspectRatio, VideoModel
from ..providers.registry import VIDEO_MODELS, provider_of_id
from ..runtime import Runtime
from .base import LumaTool, ToolArgs
from .common import (
    DryRun,
    GenerationId,
    Keyframes,
    MediaRef,
    Prompt,
    WaitSeconds,
    generation_tool,
    refuse_unsupported,
)
from .jobs import runtime_of, submit, validate
from .luma_submit import generate
from .media import Resolver, optional

_MODEL_HELP = "ray-3.2 (Luma), or ray-2 / ray-flash-2 (AI/ML API: no keyframes, hdr, 360p, 10s)."
# What extend takes: ray-3.2 extends at EXTEND_RESOLUTIONS (no 360p, luma-api-spec V22); ray-2 at any of its own.
ExtendResolution = Literal["540p", "720p", "1080p", "4k"]


class GenerateVideoArgs(ToolArgs):
    prompt: Prompt
    model: VideoModel = Field("ray-3.2", description=_MODEL_HELP)
    aspect_ratio: AnyVideoAspectRatio | None = Field(None, description="Omit to let the model choose. 9:21: ray-2.")
    resolution: AnyResolution = Field("720p", description="360p draft (ray-3.2), 4k (ray-2); hdr: 720p+.")
    duration: AnyDuration = Field("5s", description="10s ray-3.2, 9s ray-2; 10s not with start/end_frame or hdr.")
    loop: bool = Field(
        False, description="A new clip that loops (5s; no hdr, end_frame, keyframes). Existing clip: extend_video loop."
    )
    hdr: bool = Field(False, description="HDR MP4 (5s, 720p/1080p, needs HDR access on the account).")
    exr_export: bool = Field(False, description="Also export EXR; requires hdr.")
    start_frame: MediaRef | None = Field(None, description="Image for the first frame.")
    end_frame: MediaRef | None = Field(None, description="Image for the last frame.")
    keyframes: Keyframes | None = Field(
        None, description="Images pinned at frames (instead of start/end_frame); allows 10s and hdr."
    )
    wait_seconds: WaitSeconds = None
    dry_run: DryRun = False


class ExtendVideoArgs(ToolArgs):
    generation_id: GenerationId
    prompt: Prompt
    direction: Literal["forward", "backward"] = Field(
        "forward", description="forward continues after the clip; backward makes what comes before it."
    )
    resolution: ExtendResolution = Field("720p", description="4k: ray-2 sources only.")
    loop: bool = Field(
        False, description="Make the existing clip loop: the result ends where it starts (forward only)."
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


def rename_extend_field(wire_path: str) -> str:
    if wire_path in ("video.start_frame", "video.end_frame"):
        return "direction"
    return wire_path.removeprefix("video.")


async def generate_video(args: GenerateVideoArgs, ctx: Context[Any, Any]) -> CallToolResult:
    refuse_unsupported(
        "generate_video",
        args.model,
        resolution=args.resolution,
        duration=args.duration,
        aspect_ratio=args.aspect_ratio,
        features=tuple(name for name in ("keyframes", "hdr", "exr_export") if getattr(args, name)),
    )
    if VIDEO_MODELS.get(args.model) == "aimlapi":
        from . import video_aimlapi  # a provider's code is imported when first used

        return await video_aimlapi.generate(args, ctx)

    async def build(resolve: Resolver) -> tuple[Body, float | None]:
        keyframes = None
        if args.keyframes is not None:
            keyframes = [
                (k.frame, (await resolve(k.image, want="image", field=f"keyframes[{i}].image")).wire)
                for i, k in enumerate(args.keyframes)
            ]
        start = await optional(resolve, args.start_frame, want="image", field="start_frame")
        end = await optional(resolve, args.end_frame, want="image", field="end_frame")
        body = video_body(
            prompt=args.prompt,
            aspect_ratio=args.aspect_ratio,
            resolution=args.resolution,
            duration=args.duration,
            loop=args.loop,
            hdr=args.hdr,
            exr_export=args.exr_export,
            start_frame=start.wire if start else None,
            end_frame=end.wire if end else None,
            keyframes=keyframes,
        )
        return body, None

    refs = [args.start_frame, args.end_frame, *(k.image for k in args.keyframes or [])]
    return await generate(
        ctx,
        "generate_video",
        build,
        refs=refs,
        wait_seconds=args.wait_seconds,
        dry_run=args.dry_run,
        rename=rename_video_field,
    )


async def extend_video(args: ExtendVideoArgs, ctx: Context[Any, Any]) -> CallToolResult:
    if provider_of_id(args.generation_id) == "aimlapi":
        from . import video_aimlapi

        return await video_aimlapi.extend(args, ctx)
    if provider_of_id(args.generation_id) != "luma":
        raise ToolError(f"extend_video: generation_id: '{args.generation_id}' is not a video this tool can extend.")
    if args.resolution not in EXTEND_RESOLUTIONS:
        raise ToolError(
            f"extend_video: resolution: a ray-3.2 video extends at {', '.join(EXTEND_RESOLUTIONS)}, not "
            f"'{args.resolution}'. Nothing was sent."
        )
    body = extend_body(
        prompt=args.prompt,
        generation_id=args.generation_id,
        direction=args.direction,
        resolution=args.resolution,
        loop=args.loop,
    )
    validate("extend_video", body, rename_extend_field)  # before the lookup: an invalid call sends nothing
    runtime = runtime_of(ctx)
    if runtime.providers.is_available("luma"):  # a dry run without a key still validates and prices
        await check_extendable(runtime, args.generation_id)
    return await submit(
        ctx, "extend_video", body, wait_seconds=args.wait_seconds, dry_run=args.dry_run, rename=rename_extend_field
    )


async def check_extendable(runtime: Runtime, generation_id: str) -> None:
    """The API bills nothing for a bad anchor either, but says less: check it here (a GET is free). In
    hosted mode another user's id is not found, and not asked about (Runtime.lookup)."""
    try:
        generation = await runtime.lookup(generation_id)
    except errors.NotFound:
        whose = "of yours" if runtime.settings.hosted else "for this key"
        raise ToolError(f"extend_video: generation_id: no generation '{generation_id}' {whose}.") from None
    except errors.ProviderError:
        return  # cannot check now; the API will
    if generation.state != "completed":
        raise ToolError(
            f"extend_video: generation_id: '{generation_id}' is {generation.state}; wait for it with get_generation."
        )
    if not any(output.type == "video" for output in generation.outputs):
        raise ToolError(
            f"extend_video: generation_id: '{generation_id}' is {with_article(generation.type)}, not a video; "
            "give the id of a completed video generation. Nothing was sent."
        )


def generate_video_args(models: tuple[str, ...]) -> type[GenerateVideoArgs]:
    """The argument model with `model` narrowed to the models on offer, the default first."""
    if models == tuple(VIDEO_MODELS):
        return GenerateVideoArgs
    offered: Any = Literal.__getitem__(models)  # a Literal of values known only at start-up
    field = Field(models[0], description=_MODEL_HELP)
    return create_model("GenerateVideoArgs", __base__=GenerateVideoArgs, model=(offered, field))


def extend_video_args(models: tuple[str, ...]) -> type[ExtendVideoArgs]:
    """The argument model with `resolution` narrowed to what the offered models extend at."""
    offered = {
        resolution
        for model in models
        for resolution in (EXTEND_RESOLUTIONS if VIDEO_MODELS[model] == "luma" else MODEL_SPECS[model].resolutions)
    }
    resolutions = tuple(value for value in typing.get_args(ExtendResolution) if value in offered)
    if resolutions == typing.get_args(ExtendResolution):
        return ExtendVideoArgs
    narrowed: Any = Literal.__getitem__(resolutions)
    field = Field("720p", description="540p, 720p or 1080p.")
    return create_model("ExtendVideoArgs", __base__=ExtendVideoArgs, resolution=(narrowed, field))


def video_tools(default_wait: float, models: tuple[str, ...] = tuple(VIDEO_MODELS)) -> list[LumaTool]:
    names = " / ".join(models)
    return [
        generation_tool(
            generate_video,
            name="generate_video",
            title="Generate a video (Ray)",
            description=(
                f"Make a video ({names}) from a prompt, optionally anchored on images (start_frame/end_frame; "
                "keyframes at frame positions, 24 fps, ray-3.2). Waits up to wait_seconds with progress, then "
                "returns the saved file; a longer job returns its id for get_generation. Costs money (ray-3.2 720p "
                "5s about $0.30): dry_run checks and prices first."
            ),
            args_model=generate_video_args(models),
            default_wait=default_wait,
        ),
        generation_tool(
            extend_video,
            name="extend_video",
            title="Extend a video",
            description=(
                "Continue a completed video generation by 5 s (forward), or make what leads into it (backward), "
                "with the model that made it. Returns the whole longer clip (source + extension), not only the "
                "new part. SDR only (ray-3.2 720p about $0.30)."
            ),
            args_model=extend_video_args(models),
            default_wait=default_wait,
        ),
    ]
