"""What a request is priced at, and what a dry run says about it (issue 11, items 1, 2 and 4).

- An unknown price is not free: under a cap or a budget it is refused with how to proceed, and a client
  that can be asked is asked before it is submitted.
- A source of unknown length is priced at the longest the API takes for its type; a local file is
  measured by what its stream holds, not by what its header claims, and the length limits apply to that.
- A dry run is refused where the real call would be, naming the variable and the estimated price.
"""

from __future__ import annotations

import io
import struct
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conftest import answering, session, structured, text_of
from luma_mcp.emulator.media import encode_video
from luma_mcp.media.probe import video_info
from luma_mcp.providers.aimlapi.emulator import AimlEmulator, AimlEmulatorConfig
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings

URL_CLIP = {"url": "https://cdn.example.com/clip.mp4"}
HDR_EDIT = {"source": URL_CLIP, "prompt": "as neon noir", "resolution": "1080p", "hdr": True, "wait_seconds": 0}
DRAFT_REFRAME = {"source": URL_CLIP, "aspect_ratio": "9:16", "resolution": "360p", "wait_seconds": 0}  # unpriced


# --- 1. unknown prices are not free -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "named"),
    [
        ({"budget_usd": 100.0}, "LUMA_MCP_BUDGET_USD"),
        ({"max_cost_usd": 100.0}, "LUMA_MCP_MAX_COST_USD"),
    ],
)
@pytest.mark.parametrize("arguments", [HDR_EDIT, DRAFT_REFRAME], ids=["hdr-edit", "360p-reframe"])
async def test_an_unpriced_request_is_refused_under_a_cap_or_a_budget(
    settings: Settings, emulator: Emulator, limits: dict[str, float], named: str, arguments: dict[str, Any]
) -> None:
    tool = "edit_video" if "prompt" in arguments else "reframe_video"
    async with session(replace(settings, **limits), emulator) as client:
        result = await client.call_tool(tool, arguments)
        dry = await client.call_tool(tool, {**arguments, "dry_run": True})
    message = text_of(result)
    assert result.is_error and "unpublished price" in message and named in message, message
    assert "published price" in message and f"remove {named}" in message
    assert dry.is_error and text_of(dry) == message
    assert emulator.requests == []


async def test_an_unpriced_request_does_not_slip_in_under_a_nearly_spent_budget(
    settings: Settings, emulator: Emulator
) -> None:
    async with session(replace(settings, budget_usd=0.65), emulator) as client:
        priced = [await client.call_tool("generate_video", {"prompt": "rain", "wait_seconds": 0}) for _ in range(2)]
        unpriced = await client.call_tool("reframe_video", DRAFT_REFRAME)
    assert [r.is_error for r in priced] == [False, False] and unpriced.is_error
    assert len(emulator.generation_posts()) == 2


@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize(("action", "submit", "sent"), [("accept", True, 1), ("decline", None, 0)])
async def test_a_client_that_can_be_asked_is_asked_before_an_unpriced_request(
    settings: Settings, emulator: Emulator, mode: str, action: str, submit: bool | None, sent: int
) -> None:
    callback = answering(action, submit)
    async with session(settings, emulator, elicitation_callback=callback, mode=mode) as client:
        result = await client.call_tool("reframe_video", DRAFT_REFRAME)
    [question] = callback.asked
    assert "reframe_video has no published price" in question
    assert result.is_error == (sent == 0) and len(emulator.generation_posts()) == sent
    if sent:
        assert structured(result)["estimated_cost_usd"] is None


async def test_a_provider_whose_price_cannot_be_read_is_held_to_the_budget(
    settings: Settings, emulator: Emulator
) -> None:
    aiml = AimlEmulator(AimlEmulatorConfig(queued_seconds=0.05, generating_seconds=0.3))
    aiml.faults.add("GET /v1/models", status=404, times=None)
    sandbox = Sandbox(luma=emulator, aimlapi=aiml)
    arguments = {"prompt": "a kite", "model": "ray-2", "resolution": "540p", "wait_seconds": 0}
    async with session(replace(settings, budget_usd=50.0), sandbox) as client:
        result = await client.call_tool("generate_video", arguments)
    assert result.is_error and "unpublished price" in text_of(result) and "LUMA_MCP_BUDGET_USD" in text_of(result)
    assert aiml.generation_posts() == []


# --- 2. unknown lengths are priced at their maximum ----------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "arguments", "price"),
    [
        ("edit_video", {"source": URL_CLIP, "prompt": "p"}, 4.32),  # 18 s: 4 steps of 5 s at $1.08
        ("edit_video", {"source": URL_CLIP, "prompt": "p", "resolution": "360p"}, 2.16),
        ("reframe_video", {"source": URL_CLIP, "aspect_ratio": "9:16"}, 3.60),  # 30 s at $0.12
        ("reframe_video", {"source": URL_CLIP, "aspect_ratio": "21:9", "resolution": "1080p"}, 10.80),
    ],
)
async def test_a_url_source_is_priced_at_the_longest_the_api_takes(
    settings: Settings, emulator: Emulator, tool: str, arguments: dict[str, Any], price: float
) -> None:
    async with session(settings, emulator) as client:
        result = await client.call_tool(tool, {**arguments, "dry_run": True})
    assert structured(result)["estimated_cost_usd"] == pytest.approx(price)


async def test_a_generation_without_a_saved_copy_is_priced_at_the_maximum(
    settings: Settings, emulator: Emulator
) -> None:
    async with session(settings, emulator) as client:
        made = structured(await client.call_tool("generate_video", {"prompt": "a fox in snow"}))
        source = {"generation_id": made["id"]}
        measured = await client.call_tool("edit_video", {"source": source, "prompt": "p", "dry_run": True})
        Path(made["outputs"][0]["path"]).unlink()  # the saved copy is gone: its length is unknown again
        unknown = await client.call_tool("edit_video", {"source": source, "prompt": "p", "dry_run": True})
    assert structured(measured)["estimated_cost_usd"] == pytest.approx(1.08)  # 5 s, read from the saved file
    assert structured(unknown)["estimated_cost_usd"] == pytest.approx(4.32)


def mp4_claiming(seconds: float, holding_frames: int) -> bytes:
    """An H.264 MP4 of `holding_frames` frames at 24 fps whose headers (mvhd, tkhd, mdhd) claim `seconds`."""
    data = bytearray(encode_video(64, 48, holding_frames))
    movie = data.find(b"mvhd")
    movie_scale = struct.unpack_from(">I", data, movie + 16)[0]
    struct.pack_into(">I", data, movie + 20, round(seconds * movie_scale))
    struct.pack_into(">I", data, data.find(b"tkhd") + 24, round(seconds * movie_scale))
    media = data.find(b"mdhd")
    media_scale = struct.unpack_from(">I", data, media + 16)[0]
    struct.pack_into(">I", data, media + 20, round(seconds * media_scale))
    return bytes(data)


def webm_without_duration(frames: int) -> bytes:
    """A VP8 WebM at 24 fps written as a live recording: no Duration element, no cues (as MediaRecorder)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm", options={"live": "1"}) as container:
        stream = container.add_stream("libvpx", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(frames):
            frame = av.VideoFrame(64, 48, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([index % 250]) * plane.buffer_size)
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


@pytest.fixture
def lying_files(settings: Settings) -> dict[str, Path]:
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "mp4": (settings.output_dir / "claims-5s.mp4", mp4_claiming(5.0, 25 * 24)),
        "webm": (settings.output_dir / "live.webm", webm_without_duration(20 * 24)),
    }
    for path, data in files.values():
        path.write_bytes(data)
    return {name: path for name, (path, _) in files.items()}


def test_the_probe_measures_what_the_stream_holds(lying_files: dict[str, Path]) -> None:
    mp4, webm = video_info(lying_files["mp4"]), video_info(lying_files["webm"])
    assert mp4 is not None and mp4.seconds == pytest.approx(25.0, abs=0.05) and mp4.frames == 600
    assert webm is not None and webm.seconds == pytest.approx(20.0, abs=0.05) and webm.frames == 480


@pytest.mark.parametrize(("name", "seconds"), [("mp4", 25), ("webm", 20)])
async def test_a_file_is_held_to_the_limits_by_its_measured_length(
    settings: Settings, emulator: Emulator, lying_files: dict[str, Path], name: str, seconds: int
) -> None:
    source = {"path": str(lying_files[name])}
    async with session(settings, emulator) as client:
        edit = await client.call_tool("edit_video", {"source": source, "prompt": "p", "wait_seconds": 0})
        reframe = await client.call_tool("reframe_video", {"source": source, "aspect_ratio": "1:1", "dry_run": True})
    assert edit.is_error and "18 s" in text_of(edit) and "[rule" not in text_of(edit), text_of(edit)
    assert f"{seconds:.1f} s" in text_of(edit)
    assert emulator.requests == []
    assert structured(reframe)["estimated_cost_usd"] == pytest.approx(0.12 * seconds)


# --- 4. a dry run answers as the real call would ---------------------------------------------------------


async def test_a_dry_run_above_the_cap_is_refused_like_the_call(settings: Settings, emulator: Emulator) -> None:
    arguments = {"prompt": "a storm over the sea", "resolution": "1080p", "wait_seconds": 0}  # $1.20
    async with session(replace(settings, max_cost_usd=1.0), emulator) as client:
        dry = await client.call_tool("generate_video", {**arguments, "dry_run": True})
        real = await client.call_tool("generate_video", arguments)
    assert dry.is_error and "$1.20" in text_of(dry) and "LUMA_MCP_MAX_COST_USD=$1.00" in text_of(dry)
    assert text_of(dry) == text_of(real) and emulator.requests == []


async def test_a_dry_run_past_the_budget_is_refused_like_the_call(settings: Settings, emulator: Emulator) -> None:
    cheap = {"prompt": "rain", "wait_seconds": 0}  # $0.30
    async with session(replace(settings, budget_usd=0.65), emulator) as client:
        for _ in range(2):
            assert not (await client.call_tool("generate_video", cheap)).is_error
        dry = await client.call_tool("generate_video", {**cheap, "dry_run": True})
        real = await client.call_tool("generate_video", cheap)
        small = await client.call_tool("generate_image", {"prompt": "a kite", "dry_run": True})  # $0.04 still fits
    assert dry.is_error and "LUMA_MCP_BUDGET_USD=$0.65" in text_of(dry) and "$0.30" in text_of(dry)
    assert text_of(dry) == text_of(real) and not small.is_error
    assert len(emulator.generation_posts()) == 2
