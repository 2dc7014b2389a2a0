"""When a ray-2 job or its create goes wrong: failed jobs are results (not errors) with a reason and a next
step; a create whose fate is unknown is recorded and never re-sent; a refused create buys and records nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import structured, text_of
from luma_mcp.providers.aimlapi.emulator import AimlEmulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings

from .tools_support import PROMPT, call_ok, creates, history_rows, session, until_saved, wire

CREATE = "POST /v2/video/generations"
POLL = "GET /v2/video/generations"
MEDIA = "GET /_media/{id}"

# (prompt marker, the emulator's error shape, failure_code, words of failure_reason, words of next_step)
FAILURES: list[tuple[str, str, str, str, str]] = [
    ("__fail", "name_message", "generation_failed", "Generation failed", "submit"),
    ("__fail", "detail_list", "generation_failed", "Generation failed", "submit"),
    ("__moderate", "name_message", "content_moderated", "content filter", "Rephrase"),
    ("__moderate", "detail_list", "content_moderated", "content filter", "Rephrase"),
]


@pytest.mark.parametrize(
    ("marker", "shape", "code", "reason", "step"), FAILURES, ids=[f"{m}-{s}" for m, s, *_ in FAILURES]
)
async def test_a_failed_job_is_a_result_with_its_reason_and_a_next_step(
    settings: Settings,
    sandbox: Sandbox,
    aiml: AimlEmulator,
    marker: str,
    shape: str,
    code: str,
    reason: str,
    step: str,
) -> None:
    aiml.switches.update({"error_shape": shape})
    async with session(settings, sandbox) as client:
        failed = await call_ok(client, "generate_video", {"prompt": f"{PROMPT} {marker}", "model": "ray-2"})
        again = await call_ok(client, "get_generation", {"generation_id": failed["id"]})
        [entry] = structured(await client.call_tool("list_generations", {"provider": "aimlapi"}))["generations"]
    for result in (failed, again):
        assert result["state"] == "failed" and result["provider"] == "aimlapi"
        assert result["failure_code"] == code
        assert reason in (result["failure_reason"] or ""), result["failure_reason"]
        assert step in result["next_step"], result["next_step"]
        assert result["outputs"] == []
    assert (entry["id"], entry["state"], entry["failure_code"]) == (failed["id"], "failed", code)
    assert len(aiml.generation_posts()) == 1
    assert not any(settings.output_dir.rglob("*.mp4"))


async def test_a_500_after_the_job_was_taken_is_an_unknown_outcome_never_resent(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    aiml.faults.add(CREATE, status=500, accept_then_fail=True)
    async with session(settings, sandbox) as client:
        result = await client.call_tool("generate_video", {"prompt": PROMPT, "model": "ray-2"})
        listed = structured(await client.call_tool("list_generations", {}))
    message = text_of(result)
    assert result.is_error, message
    assert "may have accepted" in message and "Do not resubmit" in message, message
    assert "AI/ML API" in message, message
    assert aiml.generation_posts() == [wire()], "the create was re-sent, or not sent at all"
    [entry] = listed["generations"]
    assert (entry["state"], entry["provider"], entry["model"], entry["type"]) == (
        "unknown",
        "aimlapi",
        "ray-2",
        "video",
    )
    assert entry["id"] in message and "uncertain" in listed["next_step"]
    # The job does exist: its trace id, named in the message and kept in the history, finds it at the API.
    [headers] = creates(aiml)
    trace_id = headers["x-client-request-id"]
    [row] = history_rows(settings)
    assert row["request_id"] == trace_id and trace_id in message
    [job] = aiml.store.jobs.values()
    assert job.client_request_id == trace_id


async def test_an_unknown_outcome_is_reconciled_through_the_usage_logs(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    aiml.faults.add(CREATE, status=500, accept_then_fail=True)
    async with session(settings, sandbox) as client:
        assert (await client.call_tool("generate_video", {"prompt": PROMPT, "model": "ray-2"})).is_error
        early = structured(await client.call_tool("list_generations", {}))["generations"]
        aiml.advance(120)  # the job is over, and its usage-log row (30 s behind) now shows it
        late = structured(await client.call_tool("list_generations", {}))
    [job] = aiml.store.jobs.values()
    real_id = f"aimlapi:{job.id}"
    assert [entry["state"] for entry in early] == ["unknown"], "settled before the logs could show the job"
    [entry] = late["generations"]
    assert (entry["id"], entry["state"], entry["provider"]) == (real_id, "completed", "aimlapi")
    assert "uncertain" not in late["next_step"]
    async with session(settings, sandbox) as client:  # a restart saves what was found
        saved = await until_saved(client, real_id)
    assert saved.get("paths") and Path(saved["paths"][0]).is_file(), saved
    assert len(aiml.generation_posts()) == 1 and len(history_rows(settings)) == 1


async def test_an_unknown_create_whose_job_failed_is_settled_as_failed(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    aiml.faults.add(CREATE, status=500, accept_then_fail=True)
    async with session(settings, sandbox) as client:
        assert (await client.call_tool("generate_video", {"prompt": f"{PROMPT} __fail", "model": "ray-2"})).is_error
        aiml.advance(120)
        listed = structured(await client.call_tool("list_generations", {}))
    [job] = aiml.store.jobs.values()
    [entry] = listed["generations"]
    assert (entry["id"], entry["state"]) == (f"aimlapi:{job.id}", "failed"), entry
    assert "uncertain" not in listed["next_step"]


async def test_out_of_credits_buys_nothing_and_leaves_no_row(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    aiml.out_of_credits()
    balance = aiml.store.balance()
    async with session(settings, sandbox) as client:
        result = await client.call_tool("generate_video", {"prompt": PROMPT, "model": "ray-2"})
        listed = structured(await client.call_tool("list_generations", {}))
    message = text_of(result)
    assert result.is_error, message
    assert "run out of credits" in message and "Nothing was charged" in message, message
    assert len(aiml.generation_posts()) == 1
    assert aiml.store.jobs == {} and aiml.store.balance() == balance
    assert listed["generations"] == [] and history_rows(settings) == []


# (fault route, fault, creates received, final state (None: an error), words the agent sees, history state)
FAULTS: list[tuple[str, dict[str, Any], int, str | None, list[str], str | None]] = [
    (CREATE, {"status": 503}, 1, None, ["503", "may have accepted", "Do not resubmit"], "unknown"),
    (CREATE, {"drop_connection": True, "accept_then_fail": True}, 1, None, ["may have", "Do not resubmit"], "unknown"),
    (CREATE, {"malformed_json": True}, 1, None, ["no readable id", "Do not resubmit"], "unknown"),
    (CREATE, {"status": 429, "retry_after": 60}, 1, None, ["Try again in 60 s", "Nothing was charged"], None),
    (CREATE, {"status": 429, "retry_after": 0.2}, 2, "completed", [], "completed"),
    (CREATE, {"status": 401}, 1, None, ["401", "AIMLAPI_API_KEY", "Nothing was charged"], None),
    (CREATE, {"status": 403, "detail": "no video scope"}, 1, None, ["model:video", "Nothing was charged"], None),
    (POLL, {"status": 500, "times": 2}, 1, "completed", [], "completed"),
    (POLL, {"drop_connection": True, "times": 2}, 1, "completed", [], "completed"),
    (MEDIA, {"status": 403, "times": 1}, 1, "completed", [], "completed"),
]


@pytest.mark.parametrize(
    ("route", "fault", "posts", "state", "words", "recorded"), FAULTS, ids=[f"{r}-{f}" for r, f, *_ in FAULTS]
)
async def test_fault_suite(
    settings: Settings,
    sandbox: Sandbox,
    aiml: AimlEmulator,
    route: str,
    fault: dict[str, Any],
    posts: int,
    state: str | None,
    words: list[str],
    recorded: str | None,
) -> None:
    aiml.faults.add(route, **fault)
    async with session(settings, sandbox) as client:
        result = await client.call_tool("generate_video", {"prompt": PROMPT, "model": "ray-2"})
        history = structured(await client.call_tool("list_generations", {}))["generations"]
    assert aiml.generation_posts() == [wire()] * posts
    if state is None:
        assert result.is_error, text_of(result)
    else:
        data = structured(result)
        assert data["state"] == state and Path(data["outputs"][0]["path"]).is_file(), data
    for word in words:
        assert word in text_of(result), text_of(result)
    assert [(entry["state"], entry["provider"]) for entry in history] == ([(recorded, "aimlapi")] if recorded else [])


# The emulator's readings of the spec's open questions (section 12): the server copes with each.
SWITCHES: list[dict[str, Any]] = [
    {"create_status": 201},
    {"usage_at_submit": True},
    {"status_words": "extended"},
    {"unknown_id": "error200", "error_shape": "detail_list"},
]


@pytest.mark.parametrize("switches", SWITCHES, ids=[",".join(s) for s in SWITCHES])
async def test_each_reading_of_the_open_questions_still_works(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator, switches: dict[str, Any]
) -> None:
    aiml.switches.update(switches)
    unknown = "aimlapi:0b7f5a5e-8a0e-4c43-9a55-2e4f3c3d1a11:luma/ray-2"
    async with session(settings, sandbox) as client:
        done = await call_ok(client, "generate_video", {"prompt": PROMPT, "model": "ray-flash-2"})
        missing = await client.call_tool("get_generation", {"generation_id": unknown})
    assert done["state"] == "completed" and Path(done["outputs"][0]["path"]).is_file()
    assert missing.is_error and "no generation" in text_of(missing), text_of(missing)


async def test_an_api_that_wants_bare_anchor_ids_refuses_the_extend_and_nothing_is_bought(
    settings: Settings, sandbox: Sandbox, aiml: AimlEmulator
) -> None:
    aiml.switches.update({"anchor_id_form": "bare"})
    async with session(settings, sandbox) as client:
        source = await call_ok(client, "generate_video", {"prompt": PROMPT, "model": "ray-2", "resolution": "540p"})
        refused = await client.call_tool("extend_video", {"generation_id": source["id"], "prompt": PROMPT})
        listed = structured(await client.call_tool("list_generations", {}))["generations"]
    message = text_of(refused)
    assert refused.is_error and "rejected" in message and "Nothing was charged" in message, message
    assert len(aiml.generation_posts()) == 2 and len(aiml.store.jobs) == 1
    assert [entry["id"] for entry in listed] == [source["id"]]
