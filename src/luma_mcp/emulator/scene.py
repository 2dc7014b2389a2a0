"""The frames a `MediaSpec` shows: its scene (prompt, anchors, source clip) laid out in time.

- Every made frame carries the caption band (SANDBOX, the tool and model, the prompt).
- An anchor image is the whole frame at its frame number; around it (up to half a second, and never
  past half the way to the next anchor) it gives way row by row to what the clip shows otherwise.
- `generate`: the synthetic picture (a bar sweeping over a hue) between anchors; with `loop`, the
  sweep goes there and back, so the last frame is the first.
- `extend`: the source clip's own frames, untouched, then the new part (starting from the source's
  last frame), then `after` (a backward extension ends on the source's first frame).
- `edit`: the source clip in the edit's own colours (its shapes and brightness kept), its guide
  frames at their frames.
- `reframe`: the source clip scaled and placed on the new canvas where `position` says, framed in
  white, over a still, muted synthetic picture standing for the outpainted area.
- stills: the synthetic picture (or the source image, recoloured for an edit) with the reference images
  as thumbnails along the top.
"""

from __future__ import annotations

import bisect
import dataclasses
import io
import itertools
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .frames import (
    BLACK,
    NEUTRAL,
    WHITE,
    Yuv,
    caption,
    card,
    cover,
    fit,
    flat,
    from_av,
    hue_yuv,
    layout,
    muted,
    paste,
    restyle,
    synthetic,
    to_av,
    wipe,
    with_band,
)
from .spec import FPS, MediaSpec, Picture, Scene

if TYPE_CHECKING:
    from av.video.frame import VideoFrame

# How long (frames) an anchor image takes to give way to the rest of the clip.
ANCHOR_FRAMES = FPS // 2
PLAIN = Scene("generate", "")
_HUE_STEPS = 10


def hue_of(scene: Scene) -> float:
    """A colour per request, so that two prompts give visibly different clips."""
    return (zlib.crc32(f"{scene.title}\n{scene.prompt}".encode()) % _HUE_STEPS) / _HUE_STEPS if scene.prompt else 0.0


def tint_of(scene: Scene) -> tuple[int, int]:
    """The colour an edit gives its source (U, V): one per prompt, half as saturated as the synthetic hues."""
    _, u, v = hue_yuv(hue_of(scene) + 0.05)
    return NEUTRAL + (u - NEUTRAL) // 2, NEUTRAL + (v - NEUTRAL) // 2


class Inputs:
    """The inputs of one render, decoded once: stills by picture and size (a few at a time)."""

    def __init__(self) -> None:
        self._stills: OrderedDict[tuple[Picture, int, int, bool], Yuv] = OrderedDict()

    def still(self, picture: Picture, width: int, height: int, *, whole: bool = False) -> Yuv:
        """`picture` filling `width` x `height` (`whole`: fitted inside it instead, maybe smaller)."""
        key = (picture, width, height, whole)
        if key in self._stills:
            self._stills.move_to_end(key)
            return self._stills[key]
        frame = self._frame(picture)
        if frame is None:
            result = card(layout(width, height), _card_lines(picture))
        else:
            result = fit(frame, width, height) if whole else cover(frame, width, height)
        self._stills[key] = result
        while len(self._stills) > 4:
            self._stills.popitem(last=False)
        return result

    def _frame(self, picture: Picture) -> VideoFrame | None:
        if picture.spec is not None:
            spec = picture.spec
            if spec.kind == "image":
                return to_av(still_frame(spec, self))
            if spec.kind == "video":
                index = min(max(0, picture.frame), spec.frames - 1)
                return to_av(next(itertools.islice(video_frames(spec, self), index, None)))
            return None
        media = _media(picture)
        return _first_frame(media) if media is not None else None

    def clip(self, picture: Picture, width: int, height: int, count: int) -> Iterator[Yuv]:
        """Exactly `count` frames of a video picture at `width` x `height` (its last frame held if short)."""
        if picture.spec is not None and picture.spec.kind == "video":
            # Made again at the size wanted rather than scaled: the same picture, without a swscale a frame.
            resized = dataclasses.replace(picture.spec, width=width, height=height)
            frames: Iterator[Yuv] = video_frames(resized, self)
        else:
            media = _media(picture) if picture.kind == "video" else None
            if media is not None:
                frames = _decoded(media, width, height)
            else:
                frames = itertools.repeat(self.still(picture, width, height))
        last: Yuv | None = None
        for last in itertools.islice(frames, count):
            yield last
            count -= 1
        if count > 0:
            yield from itertools.repeat(last or card(layout(width, height), _card_lines(picture)), count)


def _media(picture: Picture) -> bytes | Path | None:
    if picture.data is not None:
        return picture.data
    if picture.path is not None and Path(picture.path).is_file():
        return Path(picture.path)
    return None


def _card_lines(picture: Picture) -> list[str]:
    kind = picture.kind.upper()
    if picture.url:
        return [f"SANDBOX: {kind} NOT FETCHED", _short_url(picture.url)]
    if picture.path is not None:
        return [f"SANDBOX: UPLOADED {kind}", "NO LONGER AVAILABLE"]
    return [f"SANDBOX: {kind}", "COULD NOT BE READ"]


def _short_url(url: str) -> str:
    if url.startswith("data:"):
        return url.split(",", 1)[0]
    return url.split("?", 1)[0][:160]


def _first_frame(media: bytes | Path) -> VideoFrame | None:
    import av

    try:
        with av.open(io.BytesIO(media) if isinstance(media, bytes) else str(media), mode="r") as container:
            for frame in container.decode(video=0):
                return frame
    except (av.FFmpegError, OSError, ValueError, IndexError):
        pass
    return None


def _decoded(media: bytes | Path, width: int, height: int) -> Iterator[Yuv]:
    """A video's frames sampled at 24 fps (for each output time, the frame showing by then), until its
    last frame; a video that cannot be decoded (any more) ends there."""
    import av
    from av.video.reformatter import VideoReformatter

    scaler = VideoReformatter()
    try:
        with av.open(io.BytesIO(media) if isinstance(media, bytes) else str(media), mode="r") as container:
            stream = container.streams.video[0]
            # Without the deblocking filter: a fifth cheaper, and nobody compares a sandbox's pixels to it.
            stream.codec_context.options = {"skip_loop_filter": "all", "flags2": "fast"}
            decoded = enumerate(container.decode(stream))
            current, upcoming = next(decoded, None), next(decoded, None)
            if current is None:
                return
            shown, index = from_av(current[1], width, height, scaler), 0
            while True:
                due = index / FPS + 1e-6
                if upcoming is not None and _seconds(upcoming) <= due:
                    while upcoming is not None and _seconds(upcoming) <= due:
                        current, upcoming = upcoming, next(decoded, None)
                    shown = from_av(current[1], width, height, scaler)
                yield shown
                index += 1
                if upcoming is None:
                    return
    except (av.FFmpegError, OSError, ValueError, IndexError):
        return


def _seconds(numbered: tuple[int, VideoFrame]) -> float:
    position, frame = numbered
    return frame.time if frame.time is not None else position / FPS


# --- video ------------------------------------------------------------------------------------------


def video_frames(spec: MediaSpec, inputs: Inputs | None = None) -> Iterator[Yuv]:
    """The spec's frames, in order: exactly `spec.frames` of `spec.width` x `spec.height`."""
    for frame, band in layered_frames(spec, inputs):
        yield with_band(frame, band)


Layered = Iterator[tuple[Yuv, Yuv | None]]


def layered_frames(spec: MediaSpec, inputs: Inputs | None = None) -> Layered:
    """`video_frames`, each with the band still to lay over it (the encoder does that for free)."""
    inputs = inputs or Inputs()
    scene = spec.scene or PLAIN
    width, height, count = spec.width, spec.height, spec.frames
    band = caption(layout(width, height), scene.title or "", scene.prompt) if spec.scene else _plain_band(spec)
    if scene.mode == "extend":
        yield from _extension(spec, scene, inputs, band)
    elif scene.mode == "edit" and scene.source is not None:
        source = inputs.clip(scene.source, width, height, count)
        tint = tint_of(scene)
        bases = (restyle(frame, tint, scene.keep) for frame in source)
        yield from _anchored(bases, count, _anchors(scene, inputs, width, height), band)
    elif scene.mode == "reframe" and scene.source is not None:
        yield from _anchored(_reframed(spec, scene, inputs), count, [], band)
    else:
        anchors = _anchors(scene, inputs, width, height)
        opening = [load for at, load in anchors if at == 0]
        if scene.loop and opening:
            anchors.append((count - 1, opening[0]))
        yield from _anchored(_sweep(spec, scene, count), count, anchors, band)


def _plain_band(spec: MediaSpec) -> Yuv | None:
    return caption(layout(spec.width, spec.height), "", "")


Loader = Callable[[], Yuv]


def _anchors(scene: Scene, inputs: Inputs, width: int, height: int) -> list[tuple[int, Loader]]:
    def loader(picture: Picture) -> Loader:
        return lambda: inputs.still(picture, width, height)

    return [(anchor.frame, loader(anchor.picture)) for anchor in scene.anchors]


def _sweep(spec: MediaSpec, scene: Scene, count: int, phase: float = 0.0) -> Iterator[Yuv]:
    lay = layout(spec.width, spec.height)
    hue = hue_of(scene) + phase
    for index in range(count):
        progress = index / max(1, count - 1)
        if scene.loop:
            # There and back again: the last frame is the first, and the clip plays on seamlessly.
            progress = 1.0 - abs(2.0 * progress - 1.0)
            yield synthetic(lay, progress, hue + 0.3 * round(progress * 5) / 5)
        else:
            # The hue steps twice a second rather than every frame: whole-frame changes on every frame
            # make x264 twice as slow and the file twice as big, for no visible gain.
            yield synthetic(lay, progress, hue + (index // (FPS // 2) % _HUE_STEPS) / _HUE_STEPS)


def _anchored(bases: Iterator[Yuv], count: int, anchors: Sequence[tuple[int, Loader]], band: Yuv | None) -> Layered:
    """`bases` with each anchor image at its frame, giving way to the base row by row around it."""
    pinned = sorted({frame: load for frame, load in anchors if 0 <= frame < count}.items())
    where = [frame for frame, _ in pinned]
    reach = []
    for index, frame in enumerate(where):
        gaps = [ANCHOR_FRAMES * 2.0]
        if index > 0:
            gaps.append(frame - where[index - 1])
        if index + 1 < len(where):
            gaps.append(where[index + 1] - frame)
        reach.append(max(0.5, min(gaps) / 2))
    for index, base in zip(range(count), bases, strict=False):
        shown = base
        at = bisect.bisect_left(where, index)
        for near in (at - 1, at):
            if 0 <= near < len(where) and abs(index - where[near]) < reach[near]:
                share = abs(index - where[near]) / reach[near]
                shown = wipe(base, pinned[near][1](), round(share * base.layout.height))
                break
        yield shown, band


def _extension(spec: MediaSpec, scene: Scene, inputs: Inputs, band: Yuv | None) -> Layered:
    width, height = spec.width, spec.height
    before_count = _length(scene.source)
    after_count = min(_length(scene.after), spec.frames - before_count)
    new_count = spec.frames - before_count - after_count
    first: Yuv | None = None
    last: Yuv | None = None
    if scene.source is not None:
        for last in inputs.clip(scene.source, width, height, before_count):
            first = first or last
            yield last, None  # the source's own frames, its own caption and all
    after: Iterator[Yuv] = iter(())
    anchors = _anchors(scene, inputs, width, height)
    if last is not None:
        anchors.append((0, _const(last)))
    if scene.after is not None and after_count > 0:
        after = inputs.clip(scene.after, width, height, after_count)
        head = next(after)
        anchors.append((new_count - 1, _const(head)))
        after = itertools.chain([head], after)
    elif scene.loop and first is not None:
        anchors.append((new_count - 1, _const(first)))
    yield from _anchored(_sweep(spec, scene, new_count, phase=0.5), new_count, anchors, band)
    yield from ((frame, None) for frame in after)


def _length(picture: Picture | None) -> int:
    if picture is None:
        return 0
    return picture.spec.frames if picture.spec is not None else 5 * FPS


def _const(frame: Yuv) -> Loader:
    return lambda: frame


def _reframed(spec: MediaSpec, scene: Scene, inputs: Inputs) -> Iterator[Yuv]:
    assert scene.source is not None
    x, y, w, h = scene.position or _centred_fit(scene.source, spec)
    place_width, place_height = max(2, round(w * spec.width / 2) * 2), max(2, round(h * spec.height / 2) * 2)
    left, top = round(x * spec.width), round(y * spec.height)
    # The made-up area holds still: only the source moves, and the encoder has half the work.
    border = max(2, min(spec.width, spec.height) // 360 * 2)
    edge = flat(layout(place_width + 2 * border, place_height + 2 * border), WHITE, NEUTRAL, NEUTRAL)
    backdrop = paste(
        muted(synthetic(layout(spec.width, spec.height), 0.5, hue_of(scene))), edge, left - border, top - border
    )
    for frame in inputs.clip(scene.source, place_width, place_height, spec.frames):
        yield paste(backdrop, frame, left, top)


def _centred_fit(source: Picture, spec: MediaSpec) -> tuple[float, float, float, float]:
    inner = source.spec
    if inner is None:
        return centred_fit(16, 9, spec.width, spec.height)
    return centred_fit(inner.width, inner.height, spec.width, spec.height)


def centred_fit(width: int, height: int, canvas_width: int, canvas_height: int) -> tuple[float, float, float, float]:
    """Where a reframe puts its source when no position is given (x, y, w, h as fractions of the canvas):
    as large as fits, centred."""
    aspect, canvas = width / max(1, height), canvas_width / max(1, canvas_height)
    w, h = (1.0, canvas / aspect) if aspect >= canvas else (aspect / canvas, 1.0)
    return (1 - w) / 2, (1 - h) / 2, w, h


# --- stills -----------------------------------------------------------------------------------------


def still_frame(spec: MediaSpec, inputs: Inputs | None = None) -> Yuv:
    """The one frame of an image spec."""
    inputs = inputs or Inputs()
    scene = spec.scene
    lay = layout(spec.width, spec.height)
    if scene is None:
        return with_band(synthetic(lay, 0.35, (0.13 + 0.29 * spec.variant) % 1.0), _plain_band(spec))
    if scene.source is not None and scene.mode in ("image_edit", "layering"):
        base = inputs.still(scene.source, spec.width, spec.height)
        if scene.mode == "image_edit":
            base = restyle(base, tint_of(scene), scene.keep)
    else:
        base = synthetic(lay, 0.35, hue_of(scene) + 0.13)
    base = _with_thumbnails(base, scene.refs, inputs)
    return with_band(base, caption(lay, scene.title, scene.prompt))


def _with_thumbnails(base: Yuv, refs: Sequence[Picture], inputs: Inputs) -> Yuv:
    """The reference images in a row along the top, each fitted in its cell on a dark mat."""
    if not refs:
        return base
    lay = base.layout
    margin = max(2, lay.height // 64) // 2 * 2
    cell_height = max(2, (lay.height // 4) // 2 * 2)
    cell_width = min(cell_height * 4 // 3, (lay.width - margin * (len(refs) + 1)) // len(refs)) // 2 * 2
    if cell_width < 4:
        return base
    mat = flat(layout(cell_width + margin, cell_height + margin), BLACK, NEUTRAL, NEUTRAL)
    for index, ref in enumerate(refs):
        left = margin + index * (cell_width + margin)
        thumb = inputs.still(ref, cell_width, cell_height, whole=True)
        base = paste(base, mat, left - margin // 2, margin // 2)
        inner = thumb.layout
        base = paste(base, thumb, left + (cell_width - inner.width) // 2, margin + (cell_height - inner.height) // 2)
    return base
