"""Every call a model cannot take is refused before anything leaves the machine: an error naming the field,
the model and the fix, and not one request to either emulator (not even the price lookup)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from luma_mcp.providers.aimlapi.emulator import AimlEmulator
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings

from .tools_support import FRAME_A, PROMPT, call_error, session

ANCHOR = "aimlapi:7c880e75-2f4b-4f8e-9d3a-0c1b2a3d4e5f:luma/ray-2"
FLASH_ANCHOR = "aimlapi:7c880e75-2f4b-4f8e-9d3a-0c1b2a3d4e5f:luma/ray-flash-2"
CLIP = "https://cdn.example.com/clips/cliffs.mp4"

# (case, tool, arguments beyond the prompt, words the message must hold)
REFUSALS: list[tuple[str, str, dict[str, Any], list[str]]] = [
    (
        "ray-2-keyframes",
        "generate_video",
        {"model": "ray-2", "keyframes": [{"frame": 0, "image": {"url": FRAME_A}}]},
        ["keyframes", "ray-2 does not take keyframes", "start_frame/end_frame", "ray-3.2"],
    ),
    ("ray-2-hdr", "generate_video", {"model": "ray-2", "hdr": True}, ["hdr", "ray-2", "Remove hdr", "ray-3.2"]),
    (
        "ray-2-exr",
        "generate_video",
        {"model": "ray-2", "exr_export": True},
        ["exr_export", "ray-2", "Remove exr_export", "ray-3.2"],
    ),
    (
        "ray-2-360p",
        "generate_video",
        {"model": "ray-2", "resolution": "360p"},
        ["resolution", "ray-2 does not offer resolution '360p'", "540p", "model ray-3.2"],
    ),
    (
        "ray-2-10s",
        "generate_video",
        {"model": "ray-2", "duration": "10s"},
        ["duration", "ray-2 does not offer duration '10s'", "5s, 9s", "model ray-3.2"],
    ),
    (
        "ray-flash-2-hdr-and-keyframes",
        "generate_video",
        {"model": "ray-flash-2", "hdr": True, "keyframes": [{"frame": 0, "image": {"url": FRAME_A}}]},
        ["ray-flash-2 does not take hdr", "ray-flash-2 does not take keyframes"],
    ),
    (
        "ray-3.2-4k",
        "generate_video",
        {"model": "ray-3.2", "resolution": "4k"},
        ["resolution", "ray-3.2 does not offer resolution '4k'", "model ray-2"],
    ),
    (
        "ray-3.2-9s",
        "generate_video",
        {"duration": "9s"},
        ["duration", "ray-3.2 does not offer duration '9s'", "model ray-2"],
    ),
    (
        "ray-3.2-9:21",
        "generate_video",
        {"model": "ray-3.2", "aspect_ratio": "9:21"},
        ["aspect_ratio", "ray-3.2 does not offer aspect_ratio '9:21'", "model ray-2"],
    ),
    (
        "video-url-as-start-frame",
        "generate_video",
        {"model": "ray-2", "start_frame": {"url": CLIP}},
        ["start_frame", "video", "image"],
    ),
    (
        "ftp-url",
        "generate_video",
        {"model": "ray-2", "end_frame": {"url": "ftp://images.example.com/a.png"}},
        ["end_frame", "http(s)"],
    ),
    (
        "data-uri-not-an-image",
        "generate_video",
        {"model": "ray-2", "start_frame": {"url": "data:image/png;base64,aGVsbG8gd29ybGQ="}},
        ["start_frame", "data:image"],
    ),
    ("unknown-model", "generate_video", {"model": "ray-9"}, ["model", "ray-3.2", "ray-2", "ray-flash-2"]),
    ("empty-prompt", "generate_video", {"model": "ray-2", "prompt": ""}, ["prompt"]),
    (
        "extend-backward-loop",
        "extend_video",
        {"generation_id": ANCHOR, "direction": "backward", "loop": True},
        ["loop", "forward"],
    ),
    (
        "extend-360p",
        "extend_video",
        {"generation_id": FLASH_ANCHOR, "resolution": "360p"},
        ["resolution", "'540p', '720p', '1080p' or '4k' (got '360p')"],  # extend's schema lists what it takes
    ),
    ("extend-malformed-id", "extend_video", {"generation_id": "aimlapi:../../etc"}, ["generation_id"]),
]


def assert_nothing_sent(aiml: AimlEmulator, emulator: Emulator) -> None:
    assert aiml.requests == [], [(r.method, r.path) for r in aiml.requests]
    assert emulator.requests == [], [(r.method, r.path) for r in emulator.requests]


@pytest.mark.parametrize(("case", "tool", "arguments", "words"), REFUSALS, ids=[case for case, *_ in REFUSALS])
async def test_refused_before_sending(
    settings: Settings,
    sandbox: Sandbox,
    aiml: AimlEmulator,
    emulator: Emulator,
    case: str,
    tool: str,
    arguments: dict[str, Any],
    words: list[str],
) -> None:
    async with session(settings, sandbox) as client:
        message = await call_error(client, tool, {"prompt": PROMPT, **arguments, "wait_seconds": 0})
        dry = await call_error(client, tool, {"prompt": PROMPT, **arguments, "dry_run": True})
        listed = await client.call_tool("list_generations", {})
    for word in words:
        assert word in message, message
    assert dry == message, "a dry run must refuse the same way"
    assert_nothing_sent(aiml, emulator)
    assert listed.structured_content is not None and listed.structured_content["generations"] == []


async def test_model_refusals_name_the_fix(settings: Settings, sandbox: Sandbox) -> None:
    async with session(settings, sandbox) as client:
        message = await call_error(
            client, "generate_video", {"prompt": PROMPT, "model": "ray-2", "resolution": "360p", "duration": "10s"}
        )
    assert message.count("Fix:") == 2, message
    assert "resolution" in message and "duration" in message


@pytest.mark.parametrize("where", ["missing", "outside", "not-an-image"])
async def test_local_frames_that_cannot_be_used_are_refused(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator, emulator: Emulator, tmp_path: Path, where: str
) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    settings = replace(settings, input_dirs=(frames,))
    if where == "missing":
        path, words = frames / "missing.png", ["start_frame", "no file at"]
    elif where == "outside":
        path = tmp_path / "elsewhere" / "frame.png"
        path.parent.mkdir()
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
        words = ["start_frame", "outside the folders", "LUMA_MCP_INPUT_DIRS"]
    else:
        path = frames / "notes.png"  # named like an image, but text: kinds are told by bytes
        path.write_text("not an image at all\n" * 20)
        words = ["start_frame", "image"]
    async with session(settings, sandbox) as client:
        message = await call_error(
            client, "generate_video", {"prompt": PROMPT, "model": "ray-2", "start_frame": {"path": str(path)}}
        )
    for word in words:
        assert word in message, message
    assert_nothing_sent(aiml, emulator)


async def test_an_extend_refusal_only_suggests_what_extend_video_can_change(
    settings: Settings, sandbox: Sandbox
) -> None:
    async with session(settings, sandbox) as client:
        message = await call_error(
            client, "extend_video", {"generation_id": ANCHOR, "prompt": PROMPT, "resolution": "360p"}
        )
    assert "resolution" in message and "540p" in message, message
    assert "model ray-3.2" not in message, message
