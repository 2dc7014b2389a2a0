"""What an agent reads, through the MCP client (issue 12, item 6): descriptions that say which argument
does what, refusals in the agent's own argument names, and results that tell the truth about time,
money and files."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import SecretStr

from conftest import Progress, session, structured, text_of
from luma_mcp.emulator.media import encode_image, encode_video
from luma_mcp.providers.hedra.emulator.catalog import VOICES
from luma_mcp.settings import Settings

PROMPT = "A paper boat drifting down a rain-soaked street, low angle"
IMAGE_URL = "https://images.example.com/boat.png"
# Wire paths and rule ids: what the server's rule tables speak, never the agent.
WIRE_WORDS = re.compile(
    r"video\.|edit\.|keyframe_indexes|generated_video_inputs|model_slug|audio_generation|frame0|\[rule"
)


async def listed(settings: Settings) -> dict[str, dict[str, Any]]:
    async with session(settings) as client:
        tools = (await client.list_tools()).tools
    return {tool.name: tool.model_dump(mode="json", by_alias=True) for tool in tools}


def prop(tool: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = tool["inputSchema"]["properties"][name]
    return found


# --- descriptions (points 1 to 4) -------------------------------------------------------------------


async def test_loop_says_which_tool_loops_an_existing_clip(settings: Settings) -> None:
    tools = await listed(settings)
    new_clip = prop(tools["generate_video"], "loop")["description"]
    existing = prop(tools["extend_video"], "loop")["description"]
    assert "new" in new_clip and "extend_video" in new_clip, new_clip
    assert "existing" in existing and "forward" in existing, existing


async def test_extend_says_it_returns_the_whole_longer_clip(settings: Settings) -> None:
    description = (await listed(settings))["extend_video"]["description"]
    assert "whole" in description and "source" in description, description


async def test_extend_resolution_lists_only_what_extend_accepts(settings: Settings) -> None:
    resolution = prop((await listed(settings))["extend_video"], "resolution")
    assert resolution["enum"] == ["540p", "720p", "1080p", "4k"], resolution  # 4k: ray-2 sources (AI/ML API)
    luma_only = prop(
        (await listed(replace(settings, sandbox=False, api_key=SecretStr("luma-test"))))["extend_video"], "resolution"
    )
    assert luma_only["enum"] == ["540p", "720p", "1080p"], luma_only
    async with session(settings) as client:
        refused = await client.call_tool(
            "extend_video",
            {"generation_id": "d290f1ee-6c54-4b01-90e6-d701748f0851", "prompt": "p", "resolution": "360p"},
        )
    assert refused.is_error and "resolution" in text_of(refused)


async def test_a_path_names_the_folders_it_may_be_in(settings: Settings) -> None:
    tools = await listed(settings)
    for name in ("generate_video", "edit_video", "generate_image", "generate_avatar_video"):
        path = tools[name]["inputSchema"]["$defs"]["MediaRef"]["properties"]["path"]["description"]
        for folder in ("output", "working", "LUMA_MCP_INPUT_DIRS", "roots"):
            assert folder in path, (name, path)


# --- refusals (points 5 to 8) -----------------------------------------------------------------------


@pytest.mark.parametrize("given", ["/home/u/a.png", "./a.png", "~/a.png", "C:\\x.png", "file:///x.png"])
async def test_a_local_path_given_as_url_is_told_to_use_path(settings: Settings, given: str) -> None:
    async with session(settings) as client:
        result = await client.call_tool("generate_video", {"prompt": PROMPT, "start_frame": {"url": given}})
    message = text_of(result)
    assert result.is_error and "start_frame.url" in message, message
    assert '{"path": ' in message and "instead" in message, message


@pytest.mark.parametrize(
    ("controls", "shown"),
    [
        ({"depth": 0.5}, '"blur"'),
        ("depth", '"depth": {'),
        ({"pose": "precise"}, '"strength": "precise"'),
        ({"gaze": {"enabled": True}}, "depth, face, normals, pose, trajectory"),
    ],
)
async def test_a_wrong_controls_entry_shows_the_expected_shape(settings: Settings, controls: Any, shown: str) -> None:
    arguments = {"source": {"url": "https://example.com/a.mp4"}, "prompt": "as watercolor", "controls": controls}
    async with session(settings) as client:
        result = await client.call_tool("edit_video", arguments)
    message = text_of(result)
    assert result.is_error and shown in message, message
    assert not re.search(r"DepthControl|PoseControl|Controls\b|_Control", message), message


async def test_an_image_given_to_extend_is_an_image_not_a_image(settings: Settings) -> None:
    async with session(settings) as client:
        image = structured(await client.call_tool("generate_image", {"prompt": "a red kite"}))
        result = await client.call_tool("extend_video", {"generation_id": image["id"], "prompt": "p"})
    message = text_of(result)
    assert result.is_error and "is an image" in message, message
    assert not re.search(r"\ba [aeiou]", message), message


def _face(settings: Settings) -> dict[str, str]:
    face = settings.output_dir / "in" / "face.png"
    face.parent.mkdir(parents=True, exist_ok=True)
    face.write_bytes(encode_image(64, 64, "png"))
    return {"path": str(face)}


def _long_clip(settings: Settings) -> dict[str, str]:
    clip = settings.output_dir / "in" / "long.mp4"
    clip.parent.mkdir(parents=True, exist_ok=True)
    clip.write_bytes(encode_video(64, 36, 24 * 20))  # 20 s: over edit's 18 s
    return {"path": str(clip)}


ONE_FRAME = {"url": IMAGE_URL}
REFUSALS: list[tuple[str, str, Any, str]] = [
    ("luma keyframes", "generate_video",
     lambda s: {"prompt": PROMPT, "keyframes": [{"frame": 4, "image": ONE_FRAME}, {"frame": 4, "image": ONE_FRAME}]},
     "keyframes[].frame"),
    ("luma loop", "generate_video", lambda s: {"prompt": PROMPT, "loop": True, "end_frame": ONE_FRAME}, "- loop:"),
    ("luma edit", "edit_video",
     lambda s: {"source": {"url": "https://e.com/a.mp4"}, "prompt": "p", "auto_controls": True, "strength": "flex_1"},
     "- strength:"),
    ("luma length", "edit_video", lambda s: {"source": _long_clip(s), "prompt": "p"}, "18 s"),
    ("ray-2 hdr", "generate_video", lambda s: {"prompt": PROMPT, "model": "ray-2", "hdr": True}, "- hdr:"),
    ("ray-2 keyframes", "generate_video",
     lambda s: {"prompt": PROMPT, "model": "ray-2", "keyframes": [{"frame": 0, "image": ONE_FRAME}]}, "- keyframes:"),
    ("hedra model", "generate_avatar_video",
     lambda s: {"image": _face(s), "script": "Hello there.", "voice_id": VOICES[0].id, "model": "hedra/nope"},
     "- model:"),
    ("hedra voice", "generate_avatar_video",
     lambda s: {"image": _face(s), "script": "Hello there.", "voice_id": "00000000-0000-4000-8000-000000000000"},
     "- voice_id:"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "tool", "arguments", "names"), REFUSALS, ids=[case for case, *_ in REFUSALS])
async def test_refusals_speak_argument_names_not_wire_paths(
    settings: Settings, case: str, tool: str, arguments: Any, names: str
) -> None:
    async with session(settings) as client:
        result = await client.call_tool(tool, arguments(settings))
    message = text_of(result)
    assert result.is_error and names in message, message
    assert not WIRE_WORDS.search(message), message
    assert "source: source" not in message and "path: source" not in message, message


# --- results (points 9 to 11) -----------------------------------------------------------------------


async def test_a_resumed_wait_counts_from_the_jobs_creation(settings: Settings) -> None:
    slow = replace(settings, sandbox_job_seconds=20)
    progress = Progress()
    async with session(slow) as client:
        queued = structured(await client.call_tool("generate_video", {"prompt": PROMPT, "wait_seconds": 0}))
        await anyio.sleep(2.2)
        resumed = await client.call_tool(
            "get_generation", {"generation_id": queued["id"], "wait_seconds": 0.3}, progress_callback=progress
        )
    data = structured(resumed)
    assert data["state"] in ("queued", "processing"), text_of(resumed)
    ages = [int(m.group(1)) for _, _, message in progress.events if (m := re.search(r"(\d+) s elapsed", message or ""))]
    assert ages and min(ages) >= 2, progress.events
    after = re.search(r"after (\d+) s", data["next_step"])
    assert after is not None and int(after.group(1)) >= 2, data["next_step"]


@pytest.mark.parametrize(
    ("tool", "arguments", "said"),
    [
        ("generate_video", {"prompt": f"{PROMPT} __fail:generation_failed"}, "Nothing was charged"),
        ("generate_video", {"prompt": f"{PROMPT} __fail", "model": "ray-2"}, "Nothing was charged"),
        ("generate_video", {"prompt": f"{PROMPT} __fail:budget_exhausted"}, "partial charge"),
    ],
)
async def test_a_failed_job_shows_no_price_as_spent(
    settings: Settings, tool: str, arguments: dict[str, Any], said: str
) -> None:
    async with session(settings) as client:
        result = await client.call_tool(tool, arguments)
    data, text = structured(result), text_of(result)
    assert data["state"] == "failed", text
    assert "est. $" not in text and "$" not in text.split("Next:")[0], text
    assert data["estimated_cost_usd"] is None, data
    assert said in text, text


async def test_a_failed_avatar_makes_no_claim_hedra_does_not(settings: Settings) -> None:
    arguments = {"image": _face(settings), "script": "Hello there.", "voice_id": VOICES[0].id, "prompt": "__fail"}
    async with session(settings) as client:
        result = await client.call_tool("generate_avatar_video", arguments)
    data, text = structured(result), text_of(result)
    assert data["state"] == "failed", text
    assert "est. $" not in text and "credits)" not in text and data["estimated_cost_usd"] is None, text
    assert "Nothing was charged" not in text and "Hedra" in text, text


async def test_the_saved_path_is_stated_once(settings: Settings) -> None:
    async with session(settings) as client:
        result = await client.call_tool("generate_video", {"prompt": PROMPT, "resolution": "360p"})
    [output] = structured(result)["outputs"]
    assert Path(output["path"]).is_file()
    assert text_of(result).count(output["path"]) == 1, text_of(result)


async def test_outputs_carry_the_saved_files_size_and_length(settings: Settings) -> None:
    async with session(settings) as client:
        video = structured(await client.call_tool("generate_video", {"prompt": PROMPT, "resolution": "360p"}))
        image = structured(await client.call_tool("generate_image", {"prompt": "a red kite", "aspect_ratio": "1:1"}))
    [clip], [still] = video["outputs"], image["outputs"]
    assert clip["width"] and clip["height"] and clip["width"] > clip["height"], clip
    assert clip["duration_seconds"] == pytest.approx(5, abs=0.2), clip
    assert still["width"] == still["height"] and still["width"] > 0 and still["duration_seconds"] is None, still


# --- the contact sheet's frame times (issue 12, item 7) ----------------------------------------------


def _decode(jpeg: bytes) -> tuple[bytes, int]:
    import io

    import av

    with av.open(io.BytesIO(jpeg), mode="r") as container:
        frame = next(container.decode(video=0)).reformat(format="rgb24")
    return bytes(frame.planes[0]), frame.planes[0].line_size


def _difference(a: tuple[bytes, int], b: tuple[bytes, int], box: tuple[int, int, int, int]) -> float:
    """Mean absolute difference of the two decoded sheets over `box` (left, top, width, height)."""
    (first, stride), (second, _) = a, b
    left, top, width, height = box
    total = sum(
        abs(first[at] - second[at])
        for y in range(top, top + height)
        for at in range(y * stride + left * 3, y * stride + (left + width) * 3)
    )
    return total / (width * height * 3)


async def test_each_frame_of_a_contact_sheet_carries_its_time(tmp_path: Path) -> None:
    from luma_mcp.media.preview import GUTTER, SHEET_COLUMNS, SHEET_ROWS, preview_of, tile_size

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(encode_video(640, 360, 120))
    labelled, plain = await preview_of(clip, "video"), await preview_of(clip, "video", labels=False)
    assert labelled is not None and plain is not None
    assert labelled.seconds == pytest.approx((0.0, 1.0, 2.0, 3.0, 4.0, 5.0), abs=0.05)
    with_labels, without = _decode(labelled.jpeg), _decode(plain.jpeg)
    tile_width, tile_height = tile_size(640, 360)
    for index in range(SHEET_COLUMNS * SHEET_ROWS):
        row, column = divmod(index, SHEET_COLUMNS)
        left, top = GUTTER + column * (tile_width + GUTTER), GUTTER + row * (tile_height + GUTTER)
        label = (left + 6, top + 6, 56, 18)  # the top-left corner, where the time is written
        middle = (left + tile_width // 2, top + tile_height // 3, 56, 18)
        assert _difference(with_labels, without, label) > 40, f"no label on tile {index}"
        assert _difference(with_labels, without, middle) < 4, f"tile {index} changed outside its label"


async def test_a_video_result_lists_its_preview_frame_times(settings: Settings) -> None:
    async with session(settings) as client:
        result = await client.call_tool("generate_video", {"prompt": PROMPT, "resolution": "360p"})
    assert "image" in [block.type for block in result.content]
    listed = re.search(r"Preview: frames at ([\d., ]+) s\.", text_of(result))
    assert listed is not None, text_of(result)
    times = [float(value) for value in listed.group(1).split(", ")]
    assert len(times) == 6 and times[0] == 0.0 and times == sorted(times) and times[-1] >= 4.5, times
