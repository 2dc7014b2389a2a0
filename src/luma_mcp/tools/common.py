"""Argument pieces shared by every tool family: media references, timeline frames, waiting, dry runs."""

from __future__ import annotations

import json
import re
import uuid
from typing import Annotated, Any, ClassVar
from urllib.parse import unquote, urlsplit

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ..providers.luma.rules import FPS, MAX_KEYFRAMES, PROMPT_MAX_CHARS, SOURCE_MAX_SECONDS
from ..providers.models import unsupported
from ..settings import MAX_WAIT_SECONDS
from .base import Handler, LumaTool, ToolArgs, make_tool
from .messages import describe_violations
from .results import GenerationResult

GENERATION_ANNOTATIONS = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)

Prompt = Annotated[
    str,
    Field(
        min_length=1,
        max_length=PROMPT_MAX_CHARS,
        description="What happens: subject, motion, camera move, light, pacing.",
    ),
]


# The AI/ML API's own ids are opaque (`<uuid>:luma/ray-2`, nanoids): any of these characters, never `..`.
_AIMLAPI_ID = re.compile(r"[A-Za-z0-9._:/-]{1,200}")
_ID_FORMS = (
    "must be a generation id: a Luma UUID like 'd290f1ee-6c54-4b01-90e6-d701748f0851', 'aimlapi:<id>' or "
    "'hedra:<uuid>'; list_generations shows yours"
)


def _generation_id(value: str) -> str:
    value = value.strip()
    if value.startswith("pending-"):
        raise ValueError(
            "this is a local record of a create whose outcome is unknown, not a provider's id; "
            "check the provider's dashboard for the job before resubmitting"
        )
    if value.startswith("aimlapi:"):
        rest = value.removeprefix("aimlapi:")
        if not _AIMLAPI_ID.fullmatch(rest) or ".." in rest:
            raise ValueError(_ID_FORMS)
        return value
    prefix = "hedra:" if value.startswith("hedra:") else ""
    try:
        return prefix + str(uuid.UUID(value.removeprefix(prefix)))
    except ValueError:
        raise ValueError(_ID_FORMS) from None


GenerationIdValue = Annotated[str, Field(max_length=256), AfterValidator(_generation_id)]
GenerationId = Annotated[GenerationIdValue, Field(description="The id a generation tool returned.")]


# What agents put in `url` when they mean a file on this machine: absolute, relative or home paths,
# Windows drives and shares, file: URIs.
_LOCAL_PATH = re.compile(r"(?:file:|[/~.]|\\\\|[A-Za-z]:[\\/])")


def _not_a_local_path(value: str | None) -> str | None:
    if value is None or not _LOCAL_PATH.match(value):
        return value
    path = unquote(urlsplit(value).path) if value.startswith("file:") else value
    raise ValueError(
        f"{value[:200]!r} is a local file, not a URL; give it as path instead: {json.dumps({'path': path})}"
    )


class MediaRef(BaseModel):
    """An image or video, given by exactly one of generation_id, url or path."""

    model_config = ConfigDict(extra="forbid")
    EXAMPLE: ClassVar[dict[str, Any]] = {"url": "https://example.com/a.png"}

    generation_id: GenerationIdValue | None = Field(None, description="A completed generation made with the same key.")
    url: Annotated[str | None, AfterValidator(_not_a_local_path)] = Field(
        None, min_length=1, description="An http(s) URL the provider can fetch, or a data: URI."
    )
    path: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        description="A local file in the output folder, working folder, LUMA_MCP_INPUT_DIRS or (stdio) client roots.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> MediaRef:
        given = [name for name in ("generation_id", "url", "path") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of generation_id, url or path (got {', '.join(given) or 'none'})")
        return self


class Keyframe(BaseModel):
    """An image pinned to a frame of the output timeline."""

    model_config = ConfigDict(extra="forbid")
    EXAMPLE: ClassVar[dict[str, Any]] = {"frame": 0, "image": {"generation_id": "<an image generation id>"}}

    frame: Annotated[
        int, Field(ge=0, le=10 * FPS, description=f"Frame index at {FPS} fps: 0..120 for 5s, 0..240 for 10s.")
    ]
    image: MediaRef = Field(description="The image shown at this frame.")


Keyframes = Annotated[list[Keyframe], Field(min_length=1, max_length=MAX_KEYFRAMES)]

_LONGEST_EDIT_SOURCE = int(SOURCE_MAX_SECONDS["video_edit"] * FPS)


class GuideFrame(BaseModel):
    """An image pinned to a frame of the source video's timeline."""

    model_config = ConfigDict(extra="forbid")
    EXAMPLE: ClassVar[dict[str, Any]] = {"frame": 0, "image": {"path": "frame0.png"}}

    frame: Annotated[int, Field(ge=0, le=_LONGEST_EDIT_SOURCE, description=f"Frame index of the source at {FPS} fps.")]
    image: MediaRef = Field(description="What this source frame should look like.")


GuideFrames = Annotated[list[GuideFrame], Field(min_length=1, max_length=MAX_KEYFRAMES)]

WaitSeconds = Annotated[
    float | None,
    Field(
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="How long to wait for the result before handing back the id (0 = return at once).",
    ),
]
DryRun = Annotated[bool, Field(description="Validate and price only: return the exact request body, submit nothing.")]


def generation_tool(
    handler: Handler, *, name: str, title: str, description: str, args_model: type[ToolArgs], default_wait: float
) -> LumaTool:
    """A tool that buys a generation: one result shape, honest annotations, the server's wait as default."""
    return make_tool(
        handler,
        name=name,
        title=title,
        description=description,
        args_model=args_model,
        output_model=GenerationResult,
        annotations=GENERATION_ANNOTATIONS,
        defaults={"wait_seconds": default_wait},
    )


def refuse_unsupported(tool: str, model: str, **request: Any) -> None:
    """Refuse, before anything else, what the chosen model lacks (a value only another model takes)."""
    violations = unsupported(model, **request)
    if violations:
        raise ToolError(describe_violations(tool, violations, lambda field: field))
