"""Nothing leaves the machine before the money checks (issue 11, item 3): a Luma tool with a local source
uploads it (Files API) only once the cap, the budget and the user's confirmation have passed, and once per
call even when the call is re-run to carry the user's answer (2026-07-28)."""

from __future__ import annotations

import base64
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conftest import answering, session, structured, text_of
from luma_mcp.emulator.media import encode_image, encode_video
from luma_mcp.media.local import INLINE_MAX_BYTES
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings


def uploads(emulator: Emulator) -> list[str]:
    """Every request of the Files API flow the emulator received (create, PUT, complete)."""
    return [f"{r.method} {r.path}" for r in emulator.requests if "/files" in r.path or "/_uploads/" in r.path]


def file_creates(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if r.method == "POST" and r.path.rstrip("/") == "/v1/files")


@pytest.fixture
def clip(settings: Settings) -> Path:
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    path = settings.output_dir / "clip.mp4"
    path.write_bytes(encode_video(64, 48, 24 * 5))  # 5 s: edit_video at 720p is $1.08
    return path


def edit(clip: Path, **extra: Any) -> dict[str, Any]:
    return {"source": {"path": str(clip)}, "prompt": "as an oil painting", "wait_seconds": 0, **extra}


async def test_a_call_refused_by_the_cap_uploads_nothing(settings: Settings, emulator: Emulator, clip: Path) -> None:
    async with session(replace(settings, max_cost_usd=1.0), emulator) as client:
        result = await client.call_tool("edit_video", edit(clip))
    assert result.is_error and "$1.08" in text_of(result) and "LUMA_MCP_MAX_COST_USD=$1.00" in text_of(result)
    assert uploads(emulator) == [] and emulator.requests == []


async def test_a_call_past_the_budget_uploads_nothing(settings: Settings, emulator: Emulator, clip: Path) -> None:
    async with session(replace(settings, budget_usd=1.0), emulator) as client:
        result = await client.call_tool("edit_video", edit(clip))
    assert result.is_error and "LUMA_MCP_BUDGET_USD=$1.00" in text_of(result)
    assert uploads(emulator) == []


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_call_the_user_declines_uploads_nothing(
    settings: Settings, emulator: Emulator, clip: Path, mode: str
) -> None:
    callback = answering("decline")
    async with session(
        replace(settings, confirm_above_usd=1.0), emulator, elicitation_callback=callback, mode=mode
    ) as client:
        result = await client.call_tool("edit_video", edit(clip))
    assert len(callback.asked) == 1 and "$1.08" in callback.asked[0]
    assert result.is_error and "did not confirm" in text_of(result)
    assert uploads(emulator) == [] and emulator.generation_posts() == []


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_confirmed_call_uploads_once(settings: Settings, emulator: Emulator, clip: Path, mode: str) -> None:
    callback = answering("accept", True)
    async with session(
        replace(settings, confirm_above_usd=1.0), emulator, elicitation_callback=callback, mode=mode
    ) as client:
        result = await client.call_tool("edit_video", edit(clip))
    assert not result.is_error, text_of(result)
    assert len(callback.asked) == 1 and file_creates(emulator) == 1
    [body] = emulator.generation_posts()
    assert set(body["source"]) == {"file_id"} and "<" not in body["source"]["file_id"]
    assert structured(result)["estimated_cost_usd"] == pytest.approx(1.08)


async def test_a_large_image_waits_for_the_confirmation_too(settings: Settings, emulator: Emulator) -> None:
    settings.output_dir.mkdir(parents=True)
    big = settings.output_dir / "big.png"
    big.write_bytes(padded_png(INLINE_MAX_BYTES + 1))  # past the inline limit: it goes by the Files API
    callback = answering("decline")
    async with session(
        replace(settings, confirm_above_usd=0.01), emulator, elicitation_callback=callback, mode="legacy"
    ) as client:
        result = await client.call_tool("edit_image", {"source": {"path": str(big)}, "prompt": "p", "wait_seconds": 0})
    assert result.is_error and "did not confirm" in text_of(result)
    assert uploads(emulator) == []


def padded_png(total_bytes: int) -> bytes:
    """A valid PNG made bigger by a private ancillary chunk (decoders skip it)."""
    picture = encode_image(64, 64, "png")
    filler = bytes(total_bytes - len(picture) - 12)
    chunk = b"prVt" + filler
    body = len(filler).to_bytes(4, "big") + chunk + zlib.crc32(chunk).to_bytes(4, "big")
    end = picture.rindex(b"IEND") - 4
    return picture[:end] + body + picture[end:]


def padded_mp4(total_bytes: int, frames: int = 24 * 5) -> bytes:
    """A valid MP4 made bigger by a top-level `free` box (players and demuxers skip it)."""
    video = encode_video(64, 48, frames)
    filler = total_bytes - len(video)
    return video + (filler).to_bytes(4, "big") + b"free" + bytes(filler - 8)


def as_data_uri(data: bytes) -> str:
    return "data:video/mp4;base64," + base64.b64encode(data).decode()


async def test_a_large_video_data_uri_goes_through_the_files_api(settings: Settings, emulator: Emulator) -> None:
    big = padded_mp4(INLINE_MAX_BYTES + 1)
    async with session(settings, emulator) as client:
        dry = await client.call_tool("edit_video", {**edit_uri(big), "dry_run": True})
        assert not dry.is_error, text_of(dry)
        assert uploads(emulator) == []  # a dry run sends nothing, and prices the measured 5 s
        assert structured(dry)["estimated_cost_usd"] == pytest.approx(1.08)
        result = await client.call_tool("edit_video", edit_uri(big))
    assert not result.is_error, text_of(result)
    [body] = emulator.generation_posts()
    assert set(body["source"]) == {"file_id"}  # not 5.6 MB of base64 in the create's body
    assert emulator.store.files_by_id[body["source"]["file_id"]].path.read_bytes() == big  # type: ignore[union-attr]


async def test_a_small_video_data_uri_stays_inline(settings: Settings, emulator: Emulator) -> None:
    small = encode_video(64, 48, 24 * 5)
    async with session(settings, emulator) as client:
        result = await client.call_tool("edit_video", edit_uri(small))
    assert not result.is_error, text_of(result)
    [body] = emulator.generation_posts()
    assert body["source"] == {"data": base64.b64encode(small).decode(), "media_type": "video/mp4"}
    assert uploads(emulator) == []


async def test_a_large_video_data_uri_waits_for_the_confirmation(settings: Settings, emulator: Emulator) -> None:
    callback = answering("decline")
    async with session(
        replace(settings, confirm_above_usd=1.0), emulator, elicitation_callback=callback, mode="legacy"
    ) as client:
        result = await client.call_tool("edit_video", edit_uri(padded_mp4(INLINE_MAX_BYTES + 1)))
    assert result.is_error and "did not confirm" in text_of(result)
    assert uploads(emulator) == [] and emulator.generation_posts() == []


def edit_uri(video: bytes) -> dict[str, Any]:
    return {"source": {"url": as_data_uri(video)}, "prompt": "as an oil painting", "wait_seconds": 0}
