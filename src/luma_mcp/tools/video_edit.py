"""Video from a video: edit_video (restyle or change it, keeping its motion) and reframe_video (new aspect)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from ..providers.luma.media import ResolvedRef
from ..providers.luma.requests import Body, edit_body, reframe_body
from ..providers.luma.rules import (
    FPS,
    PROMPT_MAX_CHARS,
    EditStrength,
    PoseStrength,
    Resolution,
    VideoAspectRatio,
    check_source_duration,
)
from .base import LumaTool, ToolArgs
from .common import DryRun, GuideFrames, MediaRef, Prompt, WaitSeconds, generation_tool
from .luma_submit import generate
from .media import Resolver, optional
from .messages import describe_violations

Unit = Annotated[float, Field(ge=0, le=1)]
REFRAME_PROMPT = "Extend the scene naturally to fill the new frame; keep the subject, motion and style unchanged."


class _Control(BaseModel):
    model_config = ConfigDict(extra="forbid")
    EXAMPLE: ClassVar[dict[str, Any]] = {"enabled": True}
    enabled: bool | None = Field(None, description="On or off; omit for the model default.")


class DepthControl(_Control):
    EXAMPLE: ClassVar[dict[str, Any]] = {"enabled": True, "blur": 0.3}
    blur: Unit | None = Field(None, description="Higher = more geometric freedom.")


class NormalsControl(_Control):
    EXAMPLE: ClassVar[dict[str, Any]] = {"enabled": True, "augmentation": 0.5}
    augmentation: Unit | None = Field(None, description="Higher = looser surface shading.")


class PoseControl(_Control):
    EXAMPLE: ClassVar[dict[str, Any]] = {"enabled": True, "strength": "precise"}
    strength: PoseStrength | None = Field(None, description="precise follows poses closely; coarse loosely.")


class TrajectoryControl(_Control):
    EXAMPLE: ClassVar[dict[str, Any]] = {"enabled": True, "sparsity": 0.5}
    sparsity: Unit | None = Field(None, description="Higher = fewer motion anchors.")


class Controls(BaseModel):
    """Manual conditioning signals; omit one to use the model default."""

    model_config = ConfigDict(extra="forbid")
    EXAMPLE: ClassVar[dict[str, Any]] = {"depth": {"enabled": True, "blur": 0.3}, "pose": {"strength": "precise"}}
    depth: DepthControl | None = Field(None, description="Follow the source's depth layout.")
    face: _Control | None = Field(None, description="Keep faces and expressions.")
    normals: NormalsControl | None = Field(None, description="Follow surface orientation.")
    pose: PoseControl | None = Field(None, description="Follow body poses.")
    trajectory: TrajectoryControl | None = Field(None, description="Follow motion paths.")


class EditVideoArgs(ToolArgs):
    source: MediaRef = Field(description="The video to edit (at most 18 s).")
    prompt: Prompt
    strength: EditStrength | None = Field(
        None, description="adhere_* stays closest to the source, reimagine_* strays most (manual mode)."
    )
    auto_controls: bool | None = Field(
        None, description="Let the model derive controls from the source (default when no strength/controls)."
    )
    controls: Controls | None = Field(None, description="Per-signal manual conditioning (manual mode).")
    start_frame: MediaRef | None = Field(None, description="Image for what the first frame should look like.")
    guide_frames: GuideFrames | None = Field(None, description="Images pinned at frames of the source.")
    resolution: Resolution = Field("720p", description="360p is a cheap draft; hdr needs 720p or 1080p.")
    hdr: bool = Field(False, description="HDR output (720p/1080p).")
    exr_export: bool = Field(False, description="Also export EXR; requires hdr.")
    wait_seconds: WaitSeconds = None
    dry_run: DryRun = False


class SourcePosition(BaseModel):
    """Where the source sits on the new canvas, as fractions of the canvas size."""

    model_config = ConfigDict(extra="forbid")
    EXAMPLE: ClassVar[dict[str, Any]] = {"x_norm": 0.25, "y_norm": 0, "w_norm": 0.5, "h_norm": 1}
    x_norm: Annotated[float, Field(ge=-2, le=2, description="Left edge.")]
    y_norm: Annotated[float, Field(ge=-2, le=2, description="Top edge.")]
    w_norm: Annotated[float, Field(gt=0, le=2, description="Width.")]
    h_norm: Annotated[float, Field(gt=0, le=2, description="Height.")]


class ReframeVideoArgs(ToolArgs):
    source: MediaRef = Field(description="The video to reframe (at most 30 s).")
    aspect_ratio: VideoAspectRatio = Field(description="The new aspect ratio, e.g. 9:16 for vertical.")
    prompt: Annotated[str, Field(min_length=1, max_length=PROMPT_MAX_CHARS)] | None = Field(
        None, description="What to show in the new area; omitted: keep the scene as it is."
    )
    resolution: Resolution = Field(
        "720p",
        description="1080p to 9:16 or 3:4 is rolling out and may be refused (nothing charged); 720p always works.",
    )
    source_position: SourcePosition | None = Field(None, description="Omit to center the source.")
    wait_seconds: WaitSeconds = None
    dry_run: DryRun = False


def rename_edit_field(wire_path: str) -> str:
    path = wire_path.removeprefix("video.").removeprefix("edit.")
    if path.startswith("keyframe_indexes"):
        return "guide_frames[].frame"
    return path.replace("keyframes", "guide_frames")


async def edit_video(args: EditVideoArgs, ctx: Context[Any, Any]) -> CallToolResult:
    async def build(resolve: Resolver) -> tuple[Body, float | None]:
        source = await resolve(args.source, want="video", field="source", source_for="video_edit")
        _check_length("edit_video", "video_edit", source)
        _check_guides(args, source)
        start = await optional(resolve, args.start_frame, want="image", field="start_frame")
        guide_frames = None
        if args.guide_frames is not None:
            guide_frames = [
                (g.frame, (await resolve(g.image, want="image", field=f"guide_frames[{i}].image")).wire)
                for i, g in enumerate(args.guide_frames)
            ]
        body = edit_body(
            prompt=args.prompt,
            source=source.wire,
            resolution=args.resolution,
            hdr=args.hdr,
            exr_export=args.exr_export,
            start_frame=start.wire if start else None,
            edit=_edit_options(args),
            guide_frames=guide_frames,
        )
        return body, source.seconds

    refs = [args.source, args.start_frame, *(g.image for g in args.guide_frames or [])]
    return await generate(
        ctx,
        "edit_video",
        build,
        refs=refs,
        wait_seconds=args.wait_seconds,
        dry_run=args.dry_run,
        rename=rename_edit_field,
    )


def _edit_options(args: EditVideoArgs) -> dict[str, Any]:
    manual = args.strength is not None or args.controls is not None
    auto = args.auto_controls if args.auto_controls is not None else not manual
    options: dict[str, Any] = {"auto_controls": True} if auto else {}
    if args.strength is not None:
        options["strength"] = args.strength
    if args.controls is not None:
        options["controls"] = args.controls.model_dump(exclude_none=True)
    return options


def _check_length(tool: str, gen_type: str, source: ResolvedRef) -> None:
    violation = check_source_duration(gen_type, source.seconds) if source.seconds is not None else None
    if violation is not None:
        raise ToolError(describe_violations(tool, [violation], lambda field: field))


def _check_guides(args: EditVideoArgs, source: ResolvedRef) -> None:
    if args.guide_frames is None or source.seconds is None:
        return
    last = int(source.seconds * FPS)
    late = [g.frame for g in args.guide_frames if g.frame > last]
    if late:
        raise ToolError(
            f"edit_video: guide_frames[].frame: {late} lie past the source's last frame ({last} at {FPS} fps). "
            "Nothing was sent."
        )


def rename_reframe_field(wire_path: str) -> str:
    return wire_path.removeprefix("video.")


async def reframe_video(args: ReframeVideoArgs, ctx: Context[Any, Any]) -> CallToolResult:
    async def build(resolve: Resolver) -> tuple[Body, float | None]:
        source = await resolve(args.source, want="video", field="source", source_for="video_reframe")
        _check_length("reframe_video", "video_reframe", source)
        body = reframe_body(
            prompt=args.prompt or REFRAME_PROMPT,
            source=source.wire,
            aspect_ratio=args.aspect_ratio,
            resolution=args.resolution,
            source_position=args.source_position.model_dump() if args.source_position else None,
        )
        return body, source.seconds

    return await generate(
        ctx,
        "reframe_video",
        build,
        refs=[args.source],
        wait_seconds=args.wait_seconds,
        dry_run=args.dry_run,
        rename=rename_reframe_field,
    )


def video_edit_tools(default_wait: float) -> list[LumaTool]:
    return [
        generation_tool(
            edit_video,
            name="edit_video",
            title="Edit a video",
            description=(
                "Change a video (up to 18 s) with a prompt while keeping its motion: restyle, relight, swap "
                "elements. auto_controls by default, or a strength and controls. 720p about $1.08 per 5 s."
            ),
            args_model=EditVideoArgs,
            default_wait=default_wait,
        ),
        generation_tool(
            reframe_video,
            name="reframe_video",
            title="Reframe a video",
            description=(
                "Re-render a video (up to 30 s) at a new aspect ratio, filling the new area. SDR only; "
                "720p about $0.12 per source second. Vertical 1080p may be refused while it rolls out."
            ),
            args_model=ReframeVideoArgs,
            default_wait=default_wait,
        ),
    ]
