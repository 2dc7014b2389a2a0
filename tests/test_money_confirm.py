"""The user's confirmation cannot be skipped by accident (issue 11, item 5): asked only in a mode the client
declared, bound on the 2026-07-28 protocol to the exact request it was asked for, refused where it cannot be
asked and the user set the threshold, and offering a cheaper draft."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import anyio
import pytest
import uvicorn
from mcp import Client
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import (
    ClientCapabilities,
    ElicitationCapability,
    ElicitRequestParams,
    ElicitResult,
    ErrorData,
    InputRequiredResult,
    UrlElicitationCapability,
)

from conftest import session, structured, text_of, wav
from luma_mcp.emulator.media import encode_image, encode_video
from luma_mcp.providers.hedra.emulator import HedraEmulator, HedraEmulatorConfig
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.server import build_server
from luma_mcp.settings import Settings

HD = {"prompt": "a storm over the sea", "resolution": "1080p", "wait_seconds": 0}  # $1.20; 360p draft $0.06
CHEAP = {"prompt": "rain", "wait_seconds": 0}  # $0.30
MODERN = "2026-07-28"
YES = ElicitResult(action="accept", content={"submit": True})


def explicit(settings: Settings, threshold: str) -> Settings:
    """Settings as the CLI builds them when the user sets LUMA_MCP_CONFIRM_ABOVE_USD, with the fixture's
    fast test knobs."""
    env = {
        "LUMA_MCP_SANDBOX": "1",
        "LUMA_MCP_OUTPUT_DIR": str(settings.output_dir),
        "LUMA_MCP_DATA_DIR": str(settings.data_dir),
        "LUMA_MCP_CONFIRM_ABOVE_USD": threshold,
    }
    made = Settings.from_env(env)
    return replace(
        made,
        wait_seconds=settings.wait_seconds,
        min_poll_interval=settings.min_poll_interval,
        progress_interval=settings.progress_interval,
        sandbox_job_seconds=settings.sandbox_job_seconds,
    )


class Asked:
    """An elicitation callback that records each question and gives one answer."""

    def __init__(self, answer: ElicitResult | ErrorData = YES) -> None:
        self.answer = answer
        self.questions: list[str] = []

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        self.questions.append(params.message)
        return self.answer


@pytest.fixture
def url_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that declares URL-mode elicitation only: it has no form to show."""
    built = ClientSession._build_capabilities

    def url_mode(self: ClientSession, version: str) -> ClientCapabilities:
        capabilities = built(self, version)
        if capabilities.elicitation is None:
            return capabilities
        return capabilities.model_copy(update={"elicitation": ElicitationCapability(url=UrlElicitationCapability())})

    monkeypatch.setattr(ClientSession, "_build_capabilities", url_mode)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_a_client_with_url_elicitation_only_is_never_sent_a_form(
    settings: Settings, emulator: Emulator, url_only: None, mode: str
) -> None:
    asked = Asked()
    async with session(settings, emulator, elicitation_callback=asked, mode=mode) as client:
        implicit = await client.call_tool("generate_video", HD)  # default threshold: the caps alone apply
    async with session(explicit(settings, "1"), emulator, elicitation_callback=asked, mode=mode) as client:
        refused = await client.call_tool("generate_video", HD)
    assert asked.questions == []
    assert not implicit.is_error and len(emulator.generation_posts()) == 1
    assert refused.is_error and "LUMA_MCP_CONFIRM_ABOVE_USD=$1.00" in text_of(refused)
    assert "cannot be asked" in text_of(refused) and "$1.20" in text_of(refused)


async def test_without_a_way_to_ask_an_explicit_threshold_refuses_above_it(
    settings: Settings, emulator: Emulator
) -> None:
    async with session(explicit(settings, "1"), emulator) as client:  # no elicitation at all
        refused = await client.call_tool("generate_video", HD)
        dry = await client.call_tool("generate_video", {**HD, "dry_run": True})
        cheap = await client.call_tool("generate_video", CHEAP)
    async with session(settings, emulator) as client:  # the default threshold: as before, caps alone
        default = await client.call_tool("generate_video", HD)
    assert refused.is_error and "LUMA_MCP_CONFIRM_ABOVE_USD=$1.00" in text_of(refused), text_of(refused)
    assert "Nothing was sent" in text_of(refused) and dry.is_error and text_of(dry) == text_of(refused)
    assert not cheap.is_error and not default.is_error
    assert [body["video"]["resolution"] for body in emulator.generation_posts()] == ["720p", "1080p"]


async def test_a_failed_question_is_not_a_yes(settings: Settings, emulator: Emulator) -> None:
    failing = Asked(ErrorData(code=-32603, message="the client's form broke"))
    async with session(settings, emulator, elicitation_callback=failing, mode="legacy") as client:
        result = await client.call_tool("generate_video", {**HD, "resolution": "1080p", "duration": "10s"})
    assert len(failing.questions) == 1
    assert result.is_error and "asking failed" in text_of(result) and "$3.60" in text_of(result)
    assert emulator.generation_posts() == []


async def test_an_unsolicited_answer_does_not_count(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator, elicitation_callback=Asked(), mode=MODERN) as client:
        answered_ahead = await client.session.call_tool(
            "generate_video",
            {**HD, "duration": "10s"},
            input_responses={"confirm_cost": YES},
            allow_input_required=True,
        )
    assert isinstance(answered_ahead, InputRequiredResult), answered_ahead
    assert "$3.60" in answered_ahead.input_requests["confirm_cost"].params.message  # type: ignore[union-attr]
    assert emulator.generation_posts() == []


async def test_an_answer_counts_only_for_the_request_it_was_asked_for(settings: Settings, emulator: Emulator) -> None:
    cheaper = {**HD, "duration": "5s"}  # $1.20
    dearer = {**HD, "duration": "10s"}  # $3.60
    asking = replace(settings, confirm_above_usd=1.0)
    async with session(asking, emulator, elicitation_callback=Asked(), mode=MODERN) as client:
        question = await client.session.call_tool("generate_video", cheaper, allow_input_required=True)
        assert isinstance(question, InputRequiredResult) and question.request_state
        with pytest.raises(MCPError, match="requestState"):  # the SDK binds the state to the arguments
            await client.session.call_tool(
                "generate_video",
                dearer,
                input_responses={"confirm_cost": YES},
                request_state=question.request_state,
                allow_input_required=True,
            )
        carried_over = await client.session.call_tool(  # the same yes, without the state it answered
            "generate_video", dearer, input_responses={"confirm_cost": YES}, allow_input_required=True
        )
    assert isinstance(carried_over, InputRequiredResult) and "$3.60" in _question(carried_over)
    assert emulator.generation_posts() == []


async def test_a_source_that_changed_after_the_question_is_asked_about_again(
    settings: Settings, emulator: Emulator
) -> None:
    settings.output_dir.mkdir(parents=True)
    clip = settings.output_dir / "clip.mp4"
    clip.write_bytes(encode_video(64, 48, 24 * 5))  # 5 s: $1.08 to edit at 720p
    arguments = {"source": {"path": str(clip)}, "prompt": "as an oil painting", "wait_seconds": 0}
    asking = replace(settings, confirm_above_usd=1.0)
    async with session(asking, emulator, elicitation_callback=Asked(), mode=MODERN) as client:
        first = await client.session.call_tool("edit_video", arguments, allow_input_required=True)
        assert isinstance(first, InputRequiredResult) and "$1.08" in _question(first)
        clip.write_bytes(encode_video(64, 48, 24 * 15))  # swapped for 15 s ($3.24) once the user was asked
        again = await client.session.call_tool(
            "edit_video",
            arguments,
            input_responses={"confirm_cost": YES},
            request_state=first.request_state,
            allow_input_required=True,
        )
        assert isinstance(again, InputRequiredResult) and "$3.24" in _question(again)
        assert emulator.generation_posts() == [] and _uploads(emulator) == 0
        done = await client.session.call_tool(
            "edit_video",
            arguments,
            input_responses={"confirm_cost": YES},
            request_state=again.request_state,
            allow_input_required=True,
        )
    assert not isinstance(done, InputRequiredResult) and not done.is_error, done
    assert structured(done)["estimated_cost_usd"] == pytest.approx(3.24)
    assert len(emulator.generation_posts()) == 1 and _uploads(emulator) == 1


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_the_question_offers_a_cheaper_draft(settings: Settings, emulator: Emulator, mode: str) -> None:
    declining = Asked(ElicitResult(action="decline"))
    async with session(settings, emulator, elicitation_callback=declining, mode=mode) as client:
        result = await client.call_tool("generate_video", {**HD, "duration": "10s"})
    [question] = declining.questions
    assert "$3.60" in question and "360p draft costs about $0.18 (resolution='360p')" in question
    assert result.is_error and "360p draft costs about $0.18" in text_of(result)
    assert emulator.generation_posts() == []


def _question(result: InputRequiredResult) -> str:
    return str(result.input_requests["confirm_cost"].params.message)  # type: ignore[union-attr]


def _uploads(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if r.method == "POST" and r.path.rstrip("/") == "/v1/files")


@asynccontextmanager
async def stateless_http(settings: Settings) -> AsyncIterator[str]:
    """The server as a stateless streamable-HTTP deployment on loopback (its lifespan on); yields its URL."""
    server = build_server(settings)
    app = server.streamable_http_app(stateless_http=True)
    runner = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    while not runner.started:  # noqa: ASYNC110 (uvicorn exposes only a flag, set from its own thread)
        await anyio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{runner.servers[0].sockets[0].getsockname()[1]}/mcp"
    finally:
        runner.should_exit = True
        await anyio.to_thread.run_sync(thread.join, 10)


async def test_a_stateless_http_server_that_cannot_ask_refuses_above_an_explicit_threshold(settings: Settings) -> None:
    asked = Asked()
    async with stateless_http(explicit(settings, "1")) as url:
        async with Client(streamable_http_client(url), elicitation_callback=asked, mode="legacy") as client:
            legacy = await client.call_tool("generate_video", HD)  # no back-channel to carry the question
        async with Client(streamable_http_client(url), elicitation_callback=asked, mode=MODERN) as client:
            modern = await client.call_tool("generate_video", HD)  # the question travels in the result
    assert (
        legacy.is_error
        and "cannot be asked" in text_of(legacy)
        and "LUMA_MCP_CONFIRM_ABOVE_USD=$1.00" in text_of(legacy)
    )
    assert len(asked.questions) == 1 and "$1.20" in asked.questions[0]
    assert not modern.is_error and structured(modern)["estimated_cost_usd"] == pytest.approx(1.2)


async def test_a_talking_avatar_is_asked_about_once_and_uploaded_once(settings: Settings, emulator: Emulator) -> None:
    """Hedra's call goes through the same checks: its server-chosen ids differ on every round of the
    2026-07-28 protocol, and the answer must still count (once), with the face and speech uploaded once."""
    avatar = HedraEmulator(HedraEmulatorConfig(queued_seconds=0.05, processing_seconds=0.3, finalizing_seconds=0.05))
    folder = settings.output_dir / "in"
    folder.mkdir(parents=True)
    (folder / "face.png").write_bytes(encode_image(64, 64, "png"))
    (folder / "speech.wav").write_bytes(wav(3.0))
    arguments = {"image": {"path": str(folder / "face.png")}, "audio": {"path": str(folder / "speech.wav")}}
    asked = Asked()
    async with session(
        replace(settings, confirm_above_usd=0.1), Sandbox(luma=emulator, hedra=avatar), elicitation_callback=asked,
        mode=MODERN,
    ) as client:  # fmt: skip
        result = await client.call_tool("generate_avatar_video", {**arguments, "wait_seconds": 0})
    assert not result.is_error, text_of(result)
    assert len(asked.questions) == 1 and "$0.32" in asked.questions[0]
    assert len(avatar.generation_posts()) == 1 and len(avatar.uploads()) == 2
