"""What the emulators render: a `MediaSpec` (shape and format) and, optionally, the `Scene` it shows.

A scene is what the request asked for, as far as the emulator could get hold of it: the prompt and
the tool (drawn on the frames), images pinned at frames, the clip an extension, edit or reframe works
from, and the references a still shows. Everything here is plain, frozen and JSON-friendly: specs are
the render cache's keys and are persisted with the sandbox's state (`luma_mcp.emulator.persist`
decodes them by these annotations, so every class a spec can hold lives in this one module).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FPS = 24
MediaKind = Literal["video", "image", "exr"]
MediaFormat = Literal["mp4", "png", "jpeg", "rgba_png", "exr"]
PictureKind = Literal["image", "video"]
# generate: text (and images) to video; extend: `source` first, the new part, then `after`;
# edit / reframe: a new look / a new canvas for `source`; image / image_edit / layering: stills.
Mode = Literal["generate", "extend", "edit", "reframe", "image", "image_edit", "layering"]

CONTENT_TYPES: dict[str, str] = {
    "mp4": "video/mp4",
    "png": "image/png",
    "rgba_png": "image/png",
    "jpeg": "image/jpeg",
    "exr": "image/x-exr",
}
EXTENSIONS: dict[str, str] = {"mp4": "mp4", "png": "png", "rgba_png": "png", "jpeg": "jpg", "exr": "exr"}


@dataclass(frozen=True, slots=True)
class Picture:
    """An input image or video. At most one of `data` (the bytes given inline), `path` (an upload on the
    emulator's disk) or `spec` (another generation's output, rendered again: rendering is deterministic)
    is set; with none of them (`url` only: a URL the emulator cannot fetch) a placeholder card stands in.
    `frame` picks the frame of a video `spec` that stands for an image."""

    kind: PictureKind = "image"
    data: bytes | None = None
    path: str | None = None
    spec: MediaSpec | None = None
    frame: int = 0
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Anchor:
    """An image pinned at a frame (start, end, keyframe, guide frame), counted at 24 fps."""

    frame: int
    picture: Picture


@dataclass(frozen=True, slots=True)
class Scene:
    """`title` names the tool and model; `anchors` count frames of the new part for an extension.
    `position` is a reframe's (x, y, w, h) as fractions of the canvas (None: centred fit); `keep` is
    how much of its source's colour an edit keeps (0..1: adhere keeps some, reimagine none)."""

    mode: Mode
    title: str
    prompt: str = ""
    anchors: tuple[Anchor, ...] = ()
    source: Picture | None = None
    after: Picture | None = None
    refs: tuple[Picture, ...] = ()
    position: tuple[float, float, float, float] | None = None
    loop: bool = False
    keep: float = 0.0


@dataclass(frozen=True, slots=True)
class MediaSpec:
    """What to render. `frames` is 1 for stills; `variant` tells apart layers of one layering job."""

    kind: MediaKind
    width: int
    height: int
    frames: int
    format: MediaFormat
    variant: int = 0
    scene: Scene | None = None

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def filename(self) -> str:
        return f"output.{EXTENSIONS[self.format]}"
