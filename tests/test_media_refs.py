"""MediaRef resolution (`media.refs.resolve_ref`): confinement of local paths, sniffing, limits, inline
data or Files API uploads, generation ids and URLs at image and video positions.

The API is the emulator, reached by the real SDK through httpx.ASGITransport; files are real files.
"""

from __future__ import annotations

import base64
import os
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from luma_mcp.emulator.media import encode_image, encode_video
from luma_mcp.media.local import INLINE_MAX_BYTES
from luma_mcp.providers.luma.client import LumaApi
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.luma.media import DRY_RUN_FILE_ID, RefContext, RefError, ResolvedRef, resolve_ref
from luma_mcp.settings import SANDBOX_BASE_URL

Want = Literal["image", "video"]
PNG = encode_image(64, 48, "png")
JPEG = encode_image(64, 48, "jpeg")
MP4 = encode_video(64, 48, 24)  # 1 s at 24 fps


@dataclass(frozen=True)
class Ref:
    """What the tools pass: a MediaRef-shaped object (refs.py takes any RefLike)."""

    generation_id: str | None = None
    url: str | None = None
    path: str | None = None


@pytest.fixture
def allowed(tmp_path: Path) -> Path:
    folder = tmp_path / "allowed"
    folder.mkdir()
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.png").write_bytes(PNG)
    return folder


@pytest.fixture
async def ctx(emulator: Emulator, allowed: Path) -> AsyncIterator[RefContext]:
    transport = httpx.ASGITransport(emulator.app)
    api = LumaApi("luma-api-refs-test", SANDBOX_BASE_URL, http_client=httpx.AsyncClient(transport=transport))
    async with httpx.AsyncClient(transport=transport) as http:
        yield RefContext(api=api, allowed_roots=[allowed], http=http, working_dir=allowed, upload_poll_interval=0.01)
    await api.aclose()


async def resolve(ctx: RefContext, want: Want = "image", field: str = "source", **ref: str) -> ResolvedRef:
    return await resolve_ref(Ref(**ref), want=want, field=field, ctx=ctx)


async def refused(ctx: RefContext, want: Want = "image", field: str = "source", **ref: str) -> str:
    with pytest.raises(RefError) as raised:
        await resolve(ctx, want, field, **ref)
    message = str(raised.value)
    assert message.startswith(f"{field}.")
    return message


def png_with_padding(total_bytes: int) -> bytes:
    """A valid PNG made bigger by a private ancillary chunk (decoders skip it)."""
    filler = bytes(total_bytes - len(PNG) - 12)
    chunk = b"prVt" + filler
    body = len(filler).to_bytes(4, "big") + chunk + zlib.crc32(chunk).to_bytes(4, "big")
    iend = PNG.rindex(b"IEND") - 4
    return PNG[:iend] + body + PNG[iend:]


# --- confinement and refusals -------------------------------------------------------------------------


def _dotdot(allowed: Path, outside: Path) -> str:
    return "../outside/secret.png"


def _absolute_outside(allowed: Path, outside: Path) -> str:
    return str(outside / "secret.png")


def _missing_outside(allowed: Path, outside: Path) -> str:
    return str(outside / "no-such.png")


def _symlink_out(allowed: Path, outside: Path) -> str:
    (allowed / "link.png").symlink_to(outside / "secret.png")
    return "link.png"


def _symlinked_folder_out(allowed: Path, outside: Path) -> str:
    (allowed / "door").symlink_to(outside, target_is_directory=True)
    return str(allowed / "door" / "secret.png")


def _fifo(allowed: Path, outside: Path) -> str:
    os.mkfifo(allowed / "pipe.png")
    return "pipe.png"


def _folder(allowed: Path, outside: Path) -> str:
    (allowed / "pics.png").mkdir()
    return "pics.png"


def _missing(allowed: Path, outside: Path) -> str:
    return "nope.png"


def _empty(allowed: Path, outside: Path) -> str:
    (allowed / "empty.png").touch()
    return "empty.png"


def _loop(allowed: Path, outside: Path) -> str:
    (allowed / "a.png").symlink_to(allowed / "b.png")
    (allowed / "b.png").symlink_to(allowed / "a.png")
    return "a.png"


def _sparse_image(allowed: Path, outside: Path) -> str:
    with (allowed / "huge.png").open("wb") as handle:
        handle.write(PNG[:64])
        handle.truncate(60 * 2**20)  # sparse: 60 MB on paper, nothing on disk
    return "huge.png"


def _text_as_png(allowed: Path, outside: Path) -> str:
    (allowed / "notes.png").write_text("these are my notes, not a picture\n")
    return "notes.png"


def _video_as_image(allowed: Path, outside: Path) -> str:
    (allowed / "clip.png").write_bytes(MP4)  # the name lies; the bytes decide
    return "clip.png"


def _bmp(allowed: Path, outside: Path) -> str:
    (allowed / "old.bmp").write_bytes(b"BM" + bytes(62))
    return "old.bmp"


def _too_wide(allowed: Path, outside: Path) -> str:
    (allowed / "wide.png").write_bytes(encode_image(8002, 2, "png"))
    return "wide.png"


def _garbled_png(allowed: Path, outside: Path) -> str:
    (allowed / "garbled.png").write_bytes(PNG[:16] + b"\x00" * 200)
    return "garbled.png"


REFUSALS: list[tuple[Callable[[Path, Path], str], Want, str]] = [
    (_dotdot, "image", "is outside the folders this server may read"),
    (_absolute_outside, "image", "is outside the folders"),
    (_missing_outside, "image", "is outside the folders"),  # no hint whether it exists
    (_symlink_out, "image", "is outside the folders"),
    (_symlinked_folder_out, "image", "is outside the folders"),
    (lambda allowed, outside: "/proc/self/environ", "image", "is outside the folders"),
    (lambda allowed, outside: "/dev/null", "image", "is outside the folders"),
    (lambda allowed, outside: "/dev/zero", "video", "is outside the folders"),
    (_fifo, "image", "is not a regular file"),
    (_folder, "image", "is a folder"),
    (_missing, "image", "no file at 'nope.png'; check the path (relative paths start at"),
    (_empty, "image", "is empty"),
    (_loop, "image", "is a loop of symbolic links"),
    (_sparse_image, "image", "is 60.0 MB, over the API's 50 MB limit for an image"),
    (_text_as_png, "image", "is not an image, video or audio file this server recognises"),
    (_video_as_image, "image", "is a video, but an image is wanted here"),
    (_bmp, "image", "format the API does not take; convert it to PNG or JPEG"),
    (_too_wide, "image", "is 8002x2 px, over the API's 8000 px limit per side"),
    (_garbled_png, "image", "could not be decoded as an image"),
]


@pytest.mark.parametrize(("make", "want", "expected"), REFUSALS, ids=[make.__name__ for make, _, _ in REFUSALS])
async def test_local_paths_refused_before_anything_is_sent(
    ctx: RefContext,
    emulator: Emulator,
    allowed: Path,
    outside: Path,
    make: Callable[[Path, Path], str],
    want: Want,
    expected: str,
) -> None:
    message = await refused(ctx, want, "start_frame", path=make(allowed, outside))
    assert message.startswith("start_frame.path: ") and expected in message
    assert emulator.requests == []


async def test_outside_names_the_allowed_folders_and_how_to_add_one(ctx: RefContext, allowed: Path) -> None:
    message = await refused(ctx, path="/etc/hostname")
    assert str(allowed) in message and "LUMA_MCP_INPUT_DIRS" in message


async def test_an_image_where_a_video_is_wanted(ctx: RefContext, emulator: Emulator, allowed: Path) -> None:
    (allowed / "still.mp4").write_bytes(PNG)
    message = await refused(ctx, "video", path="still.mp4")
    assert "is an image, but a video is wanted here" in message and "MP4" in message
    assert emulator.requests == []


@pytest.mark.parametrize(("path", "expected"), [("/proc/self/environ", "system file"), ("/dev/null", "not a regular")])
async def test_system_files_are_refused_even_under_an_allowed_root(
    ctx: RefContext, emulator: Emulator, path: str, expected: str
) -> None:
    message = await refused(replace(ctx, allowed_roots=[Path("/")]), path=path)
    assert expected in message and emulator.requests == []


async def test_an_undecodable_video_is_refused(ctx: RefContext, emulator: Emulator, allowed: Path) -> None:
    (allowed / "broken.mp4").write_bytes(MP4[:64] + bytes(500))
    assert "could not be decoded as a video" in await refused(ctx, "video", path="broken.mp4")
    assert emulator.requests == []


async def test_a_too_long_video_is_refused_by_size_before_reading(ctx: RefContext, allowed: Path) -> None:
    with (allowed / "long.mp4").open("wb") as handle:
        handle.write(MP4[:64])
        handle.truncate(201 * 2**20)
    assert "over the API's 200 MB limit for a source video" in await refused(ctx, "video", path="long.mp4")


async def test_messages_never_quote_file_contents(ctx: RefContext, allowed: Path) -> None:
    (allowed / "secret.png").write_text("TOP-SECRET-TOKEN=abc123\n")
    message = await refused(ctx, path="secret.png")
    assert "TOP-SECRET" not in message and "abc123" not in message


# --- local files that work ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["plain.png", "my holiday pic.png", "ünïcødé 猫.png", 'it\'s "quoted".png', "new\nline.png", "sub/dir.png"]
)
async def test_small_images_go_inline(ctx: RefContext, emulator: Emulator, allowed: Path, name: str) -> None:
    (allowed / name).parent.mkdir(exist_ok=True)
    (allowed / name).write_bytes(PNG)
    resolved = await resolve(ctx, path=name)
    assert resolved.wire == {"data": base64.b64encode(PNG).decode(), "media_type": "image/png"}
    assert (resolved.kind, resolved.width, resolved.height, resolved.seconds) == ("image", 64, 48, None)
    assert emulator.requests == []


async def test_absolute_and_home_relative_paths(
    ctx: RefContext, allowed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (allowed / "photo.jpg").write_bytes(JPEG)
    monkeypatch.setenv("HOME", str(allowed))
    for path in (str(allowed / "photo.jpg"), "~/photo.jpg"):
        assert (await resolve(ctx, path=path)).wire["media_type"] == "image/jpeg"


async def test_a_symlink_within_the_roots_is_followed(ctx: RefContext, allowed: Path) -> None:
    (allowed / "real.png").write_bytes(PNG)
    (allowed / "alias.png").symlink_to(allowed / "real.png")
    assert (await resolve(ctx, path="alias.png")).wire["media_type"] == "image/png"


async def test_a_root_that_is_a_symlink_allows_its_target(ctx: RefContext, allowed: Path, tmp_path: Path) -> None:
    (allowed / "photo.png").write_bytes(PNG)
    (tmp_path / "shortcut").symlink_to(allowed, target_is_directory=True)
    linked = replace(ctx, allowed_roots=[tmp_path / "shortcut"])
    assert (await resolve(linked, path=str(tmp_path / "shortcut" / "photo.png"))).kind == "image"


async def test_a_large_image_is_uploaded(ctx: RefContext, emulator: Emulator, allowed: Path) -> None:
    big = png_with_padding(INLINE_MAX_BYTES + 1024)
    (allowed / "big.png").write_bytes(big)
    resolved = await resolve(ctx, path="big.png")
    assert list(resolved.wire) == ["file_id"] and resolved.kind == "image"
    assert ctx.api is not None
    file = await ctx.api.sdk.files.get(resolved.wire["file_id"])
    assert (file.state, file.size_bytes, file.mime_type, file.filename) == ("ready", len(big), "image/png", "big.png")


async def test_a_local_video_is_uploaded_and_measured(ctx: RefContext, emulator: Emulator, allowed: Path) -> None:
    (allowed / "clip one.mov").write_bytes(MP4)
    resolved = await resolve(ctx, "video", path="clip one.mov")
    assert list(resolved.wire) == ["file_id"] and resolved.kind == "video"
    assert resolved.seconds == pytest.approx(1.0, abs=0.05) and (resolved.width, resolved.height) == (64, 48)
    assert ctx.api is not None
    body = {
        "prompt": "p",
        "model": "ray-3.2",
        "type": "video_reframe",
        "aspect_ratio": "9:16",
        "source": resolved.wire,
        "video": {"resolution": "720p"},
    }
    assert (await ctx.api.create(body)).state == "queued"  # the emulator accepts the uploaded source


async def test_a_dry_run_checks_but_uploads_nothing(ctx: RefContext, emulator: Emulator, allowed: Path) -> None:
    (allowed / "clip.mp4").write_bytes(MP4)
    resolved = await resolve(replace(ctx, dry_run=True), "video", path="clip.mp4")
    assert resolved.wire == {"file_id": DRY_RUN_FILE_ID} and resolved.seconds == pytest.approx(1.0, abs=0.05)
    assert emulator.requests == []


async def test_an_upload_without_an_api_says_how_to_get_one(ctx: RefContext, allowed: Path) -> None:
    (allowed / "clip.mp4").write_bytes(MP4)
    assert "LUMA_AGENTS_API_KEY" in await refused(replace(ctx, api=None), "video", path="clip.mp4")


async def test_a_failed_upload_names_the_field(ctx: RefContext, emulator: Emulator, allowed: Path) -> None:
    (allowed / "clip.mp4").write_bytes(MP4)
    emulator.faults.add("POST /v1/files", status=503)
    message = await refused(ctx, "video", "source", path="clip.mp4")
    assert message.startswith("source.path: uploading 'clip.mp4' to Luma failed") and "503" in message


# --- generation ids -----------------------------------------------------------------------------------


async def make_generation(ctx: RefContext, emulator: Emulator, kind: str, *, finish: bool = True) -> str:
    assert ctx.api is not None
    body: dict[str, Any] = {"prompt": "a lighthouse", "model": "uni-1", "type": "image"}
    if kind == "video":
        body = {"prompt": "a lighthouse", "model": "ray-3.2", "type": "video", "video": {"resolution": "360p"}}
    generation = await ctx.api.create(body)
    if finish:
        emulator.advance(600)
    return generation.id


async def test_a_video_generation_at_a_video_position(ctx: RefContext, emulator: Emulator, tmp_path: Path) -> None:
    video_id = await make_generation(ctx, emulator, "video")
    assert (await resolve(ctx, "video", generation_id=video_id)) == ResolvedRef({"generation_id": video_id}, "video")
    saved = tmp_path / "saved.mp4"
    saved.write_bytes(MP4)

    async def saved_path_of(generation_id: str) -> Path | None:
        return saved if generation_id == video_id else None

    measured = await resolve(replace(ctx, saved_path_of=saved_path_of), "video", generation_id=video_id)
    assert measured.wire == {"generation_id": video_id} and measured.seconds == pytest.approx(1.0, abs=0.05)


async def test_an_image_generation_at_an_image_position_is_its_fresh_url(ctx: RefContext, emulator: Emulator) -> None:
    image_id = await make_generation(ctx, emulator, "image")
    resolved = await resolve(ctx, "image", generation_id=image_id)
    assert list(resolved.wire) == ["url"] and f"/_media/{image_id}/" in resolved.wire["url"]


@pytest.mark.parametrize(
    ("kind", "want", "expected"),
    [
        ("image", "video", "is an image generation, but a video is wanted here"),
        ("video", "image", "but an image is wanted here (to continue a video, extend it instead)"),
    ],
)
async def test_a_generation_of_the_wrong_kind(
    ctx: RefContext, emulator: Emulator, kind: str, want: Want, expected: str
) -> None:
    generation_id = await make_generation(ctx, emulator, kind)
    assert expected in await refused(ctx, want, "source", generation_id=generation_id)


async def test_unknown_and_unfinished_generations(ctx: RefContext, emulator: Emulator) -> None:
    unknown = await refused(ctx, "video", generation_id="00000000-0000-4000-8000-000000000000")
    assert unknown.startswith("source.generation_id: ") and "was not found" in unknown
    running = await make_generation(ctx, emulator, "video", finish=False)
    assert "not completed" in await refused(ctx, "video", generation_id=running)


# --- urls ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "media_type"),
    [
        ("https://cdn.example.com/a/clip.mp4", "video/mp4"),
        ("https://cdn.example.com/clip.MOV?sig=1#t", "video/quicktime"),
        ("https://cdn.example.com/clip.webm", "video/webm"),
        ("http://cdn.example.com/clip.m4v", "video/mp4"),
        ("https://cdn.example.com/stream", "video/mp4"),
    ],
)
async def test_video_urls_carry_their_media_type(ctx: RefContext, url: str, media_type: str) -> None:
    assert (await resolve(ctx, "video", url=url)).wire == {"url": url, "media_type": media_type}


async def test_a_video_data_uri_is_sniffed_and_measured(ctx: RefContext) -> None:
    uri = "data:application/octet-stream;base64," + base64.b64encode(MP4).decode()
    resolved = await resolve(ctx, "video", url=uri)
    assert resolved.wire == {"data": base64.b64encode(MP4).decode(), "media_type": "video/mp4"}
    assert resolved.seconds == pytest.approx(1.0, abs=0.05)


async def test_an_image_data_uri_gets_the_type_of_its_bytes(ctx: RefContext) -> None:
    uri = "data:image/png;base64," + base64.b64encode(JPEG).decode()
    assert (await resolve(ctx, url=uri)).wire["media_type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("want", "url", "expected"),
    [
        ("video", "https://e.com/cat.png", "ends in .png, an image, but a video is wanted"),
        ("image", "https://e.com/clip.mp4", "ends in .mp4, a video, but an image is wanted"),
        ("video", "ftp://e.com/clip.mp4", "give an http(s) URL"),
        ("video", "data:image/png;base64," + base64.b64encode(PNG).decode(), "are an image, but a video is wanted"),
        ("image", "data:image/png;base64,@@@", "not valid base64"),
        ("image", "data:video/mp4;base64," + base64.b64encode(MP4).decode(), "but an image is wanted"),
    ],
)
async def test_urls_of_the_wrong_kind(ctx: RefContext, want: Want, url: str, expected: str) -> None:
    message = await refused(ctx, want, "keyframes[1].image", url=url)
    assert message.startswith("keyframes[1].image.url: ") and expected in message
