"""Argument pieces shared by every tool family: media references, timeline frames, waiting, dry runs."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..api.rules import FPS, MAX_KEYFRAMES
from ..settings import MAX_WAIT_SECONDS


class MediaRef(BaseModel):
    """An image or video, given by exactly one of generation_id, url or path."""

    model_config = ConfigDict(extra="forbid")

    generation_id: str | None = Field(None, description="A completed generation made with the same key.")
    url: str | None = Field(None, description="An http(s) URL Luma can fetch, or a data: URI.")
    path: str | None = Field(None, description="A local file inside an allowed folder.")

    @model_validator(mode="after")
    def _exactly_one(self) -> MediaRef:
        given = [name for name in ("generation_id", "url", "path") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of generation_id, url or path (got {', '.join(given) or 'none'})")
        return self


class Keyframe(BaseModel):
    """An image pinned to a frame of the output timeline."""

    model_config = ConfigDict(extra="forbid")

    frame: Annotated[
        int, Field(ge=0, le=10 * FPS, description=f"Frame index at {FPS} fps: 0..120 for 5s, 0..240 for 10s.")
    ]
    image: MediaRef


Keyframes = Annotated[list[Keyframe], Field(min_length=1, max_length=MAX_KEYFRAMES)]

WaitSeconds = Annotated[
    float | None,
    Field(
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="How long to wait for the result before handing back the id (0 = return at once).",
    ),
]
DryRun = Annotated[bool, Field(description="Validate and price only: return the exact request body, submit nothing.")]
