"""Structured results a program can act on without reading prose (issue 13, item 6): when each output's
URL expires, and `next_call`, the very call `next_step` describes, which the server accepts as given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import session, structured, text_of
from luma_mcp.settings import Settings

PROMPT = "A hot-air balloon rising over misty vineyards at sunrise"
GENERATION_TOOLS = (
    "generate_video",
    "extend_video",
    "edit_video",
    "reframe_video",
    "generate_image",
    "edit_image",
    "generate_avatar_video",
    "get_generation",
)


def expiry(output: dict[str, Any]) -> datetime:
    stamp = output["url_expires_at"]
    assert isinstance(stamp, str) and stamp.endswith("Z"), output
    parsed = datetime.fromisoformat(stamp)
    assert parsed.utcoffset() == timedelta(0), stamp
    return parsed


async def test_every_generation_result_declares_next_call_and_url_expiry(settings: Settings) -> None:
    async with session(settings) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name in GENERATION_TOOLS:
        schema = tools[name].output_schema
        assert schema is not None, name
        assert "next_call" in schema["properties"] and "next_call" in schema["required"], name
        output = schema["$defs"]["Output"]["properties"]
        assert "url_expires_at" in output, name
        call = schema["$defs"]["NextCall"]
        assert set(call["properties"]) == {"tool", "arguments"}, call


async def test_a_running_jobs_next_call_is_accepted_as_given(settings: Settings) -> None:
    async with session(settings) as client:
        queued = structured(await client.call_tool("generate_video", {"prompt": PROMPT, "wait_seconds": 0}))
        call = queued["next_call"]
        assert call == {
            "tool": "get_generation",
            "arguments": {"generation_id": queued["id"], "wait_seconds": 45},
        }, queued
        assert f"generation_id='{queued['id']}'" in queued["next_step"] and "wait_seconds=45" in queued["next_step"]
        followed = await client.call_tool(call["tool"], call["arguments"])
    assert not followed.is_error, text_of(followed)
    done = structured(followed)
    assert done["state"] == "completed" and done["next_call"] is None, done


async def test_a_dry_runs_next_call_submits_the_same_request(settings: Settings) -> None:
    arguments = {"prompt": "a red kite", "aspect_ratio": "1:1", "dry_run": True}
    async with session(settings) as client:
        priced = structured(await client.call_tool("generate_image", arguments))
        call = priced["next_call"]
        assert call == {"tool": "generate_image", "arguments": {"prompt": "a red kite", "aspect_ratio": "1:1"}}
        made = await client.call_tool(call["tool"], call["arguments"])
    assert structured(made)["state"] == "completed", text_of(made)


async def test_a_retryable_failures_next_call_is_the_same_call_again(settings: Settings) -> None:
    arguments = {"prompt": f"{PROMPT} __fail:generation_failed", "resolution": "360p"}
    async with session(settings) as client:
        failed = structured(await client.call_tool("generate_video", arguments))
        looked_up = structured(await client.call_tool("get_generation", {"generation_id": failed["id"]}))
        moderated = structured(
            await client.call_tool("generate_video", {"prompt": f"{PROMPT} __fail:content_moderated"})
        )
    assert failed["next_call"] == {"tool": "generate_video", "arguments": arguments}, failed
    assert "same arguments" in failed["next_step"], failed["next_step"]
    # get_generation cannot know the arguments that made the job: no call, and the prose does not pretend.
    assert looked_up["next_call"] is None and "same arguments" in looked_up["next_step"], looked_up
    assert moderated["next_call"] is None, moderated


async def test_an_unsaved_results_next_call_saves_it(settings: Settings) -> None:
    async with session(settings) as client:
        queued = structured(await client.call_tool("generate_image", {"prompt": "a red kite", "wait_seconds": 0}))
        unsaved = structured(
            await client.call_tool(
                "get_generation", {"generation_id": queued["id"], "wait_seconds": 20, "download": False}
            )
        )
        call = unsaved["next_call"]
        assert call == {"tool": "get_generation", "arguments": {"generation_id": queued["id"], "download": True}}
        saved = structured(await client.call_tool(call["tool"], call["arguments"]))
    assert saved["outputs"][0]["path"], saved


@pytest.mark.parametrize(
    ("arguments", "lifetime"),
    [
        ({"prompt": PROMPT, "resolution": "360p"}, 3600),  # Luma: presigned for an hour (luma-api-spec 6.2)
        ({"prompt": PROMPT, "model": "ray-2", "resolution": "540p"}, 3600),  # the URL's own `expires`
    ],
)
async def test_outputs_say_when_their_url_expires(settings: Settings, arguments: dict[str, Any], lifetime: int) -> None:
    before = datetime.now(UTC)
    async with session(settings) as client:
        made = structured(await client.call_tool("generate_video", arguments))
    [output] = made["outputs"]
    assert output["url"]
    expires = expiry(output)
    assert before + timedelta(seconds=lifetime - 60) <= expires <= datetime.now(UTC) + timedelta(seconds=lifetime + 5)


async def test_a_url_without_a_known_lifetime_has_no_expiry(settings: Settings) -> None:
    from luma_mcp.tools.results import url_expires_at

    fetched = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    assert url_expires_at("https://cdn.example.com/v.mp4", "hedra", fetched) is None
    assert url_expires_at(None, "luma", fetched) is None
    assert url_expires_at("https://s3.example.com/o.mp4?X-Amz-Date=20260102T030405Z&X-Amz-Expires=600", "aimlapi",
                          fetched) == "2026-01-02T03:14:05Z"  # fmt: skip
    assert (
        url_expires_at("https://cdn.example.com/v.mp4?Expires=1767323045", "hedra", fetched) == "2026-01-02T03:04:05Z"
    )
    assert url_expires_at("https://storage.example.com/o.png", "luma", fetched) == "2026-01-02T04:04:05Z"
