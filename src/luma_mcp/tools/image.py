"""Image tools (Uni-1): generate_image and edit_image."""

from __future__ import annotations

import re
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import Field

from ..providers.luma.requests import Body, WireRef, image_body, image_edit_body
from ..providers.luma.rules import MAX_IMAGE_REFS, PROMPT_MAX_CHARS, ImageAspectRatio, ImageModel, OutputFormat, Style
from .base import LumaTool, ToolArgs
from .common import DryRun, MediaRef, WaitSeconds, generation_tool
from .luma_submit import generate
from .media import Resolver

ImagePrompt = Annotated[
    str, Field(min_length=1, max_length=PROMPT_MAX_CHARS, description="What the image shows, or what to change.")
]
MODEL_HELP = "uni-1-max: higher quality, about 2.5x the price."


class GenerateImageArgs(ToolArgs):
    prompt: ImagePrompt
    model: ImageModel = Field("uni-1", description=MODEL_HELP)
    aspect_ratio: ImageAspectRatio | None = Field(None, description="Omit to let the model choose.")
    style: Style | None = Field(None, description="manga for manga style; default auto.")
    output_format: OutputFormat | None = Field(None, description="Omit to let the model choose.")
    image_refs: Annotated[list[MediaRef], Field(max_length=MAX_IMAGE_REFS["image"])] | None = Field(
        None, description="Style/content reference images (up to 9)."
    )
    web_search: bool = Field(False, description="Let the model search the web for reference images.")
    wait_seconds: WaitSeconds = None
    dry_run: DryRun = False


class EditImageArgs(ToolArgs):
    source: MediaRef = Field(description="The image to edit.")
    prompt: ImagePrompt
    model: ImageModel = Field("uni-1", description=MODEL_HELP)
    image_refs: Annotated[list[MediaRef], Field(max_length=MAX_IMAGE_REFS["image_edit"])] | None = Field(
        None, description="Reference images (up to 8)."
    )
    output_format: OutputFormat | None = Field(None, description="Omit to let the model choose.")
    wait_seconds: WaitSeconds = None
    dry_run: DryRun = False


def rename_image_field(wire_path: str) -> str:
    return re.sub(r"^image_ref\b", "image_refs", wire_path)


async def _refs(resolve: Resolver, refs: list[MediaRef] | None) -> list[WireRef]:
    return [(await resolve(ref, want="image", field=f"image_refs[{i}]")).wire for i, ref in enumerate(refs or [])]


async def generate_image(args: GenerateImageArgs, ctx: Context[Any, Any]) -> CallToolResult:
    async def build(resolve: Resolver) -> tuple[Body, float | None]:
        body = image_body(
            prompt=args.prompt,
            model=args.model,
            aspect_ratio=args.aspect_ratio,
            style=args.style,
            output_format=args.output_format,
            image_refs=await _refs(resolve, args.image_refs),
            web_search=args.web_search,
        )
        return body, None

    return await generate(
        ctx,
        "generate_image",
        build,
        refs=args.image_refs or [],
        wait_seconds=args.wait_seconds,
        dry_run=args.dry_run,
        rename=rename_image_field,
    )


async def edit_image(args: EditImageArgs, ctx: Context[Any, Any]) -> CallToolResult:
    async def build(resolve: Resolver) -> tuple[Body, float | None]:
        source = await resolve(args.source, want="image", field="source")
        body = image_edit_body(
            prompt=args.prompt,
            source=source.wire,
            model=args.model,
            image_refs=await _refs(resolve, args.image_refs),
            output_format=args.output_format,
        )
        return body, None

    return await generate(
        ctx,
        "edit_image",
        build,
        refs=[args.source, *(args.image_refs or [])],
        wait_seconds=args.wait_seconds,
        dry_run=args.dry_run,
        rename=rename_image_field,
    )


def image_tools(default_wait: float) -> list[LumaTool]:
    return [
        generation_tool(
            generate_image,
            name="generate_image",
            title="Generate an image (Uni-1)",
            description=(
                "Make a 2K image with Luma Uni-1 from a prompt, optionally guided by reference images. "
                "About $0.04 (uni-1) or $0.10 (uni-1-max). Use its id as a video's start_frame."
            ),
            args_model=GenerateImageArgs,
            default_wait=default_wait,
        ),
        generation_tool(
            edit_image,
            name="edit_image",
            title="Edit an image",
            description="Change an image with a prompt (Uni-1), optionally with reference images. About $0.04.",
            args_model=EditImageArgs,
            default_wait=default_wait,
        ),
    ]
