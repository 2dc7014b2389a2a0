"""The player in a real browser: headless Chromium, a minimal MCP Apps host, our server in sandbox mode.

The host hands the player a tool's result as a host would, and forwards the player's tools/call and
resources/read to a real MCP client of the server, so what is played is what the sandbox made, read
through the host under the CSP the player's resource declares. Each state is photographed under the
test's temp dir (`uv run pytest -m browser tests/test_ui_browser.py --basetemp=/tmp/player` keeps them
in /tmp/player/<test>/).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult

from luma_mcp.server import build_server
from luma_mcp.settings import Settings
from luma_mcp.tools.resources import MAX_RESOURCE_BYTES
from luma_mcp.ui import PLAYER_URI
from test_ui_chromium import Browser, Host, launch, open_host, require_chromium

pytestmark = pytest.mark.browser

PLAYING = """(() => {
  const video = document.getElementById('video');
  return !video.hidden && video.readyState >= 2 && video.currentTime > 0.2 && video.currentTime;
})()"""


@pytest.fixture
def chromium_path() -> str:
    return require_chromium()


@dataclass
class Session:
    """A player on the host page, the server behind it, and every tool call the player made."""

    host: Host
    browser: Browser
    client: Client
    shots: Path
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def show(self, tool: str, arguments: dict[str, Any], result: CallToolResult) -> None:
        """What a host does once a tool returns: its arguments, then its result."""
        await self.host.notify("ui/notifications/tool-input", {"arguments": arguments})
        await self.host.notify("ui/notifications/tool-result", result.model_dump(mode="json", by_alias=True))

    async def text(self, element: str) -> str:
        return str(await self.host.in_view(f"document.getElementById('{element}').innerText"))

    async def click(self, selector: str) -> None:
        await self.host.in_view(f"document.querySelector({selector!r}).click()")

    async def screenshot(self, name: str) -> Path:
        return await self.browser.screenshot(self.shots / f"{name}.png")


@contextlib.asynccontextmanager
async def player(chromium: str, tmp_path: Path, settings: Settings, tool: str) -> AsyncIterator[Session]:
    """The player, opened as a host opens it for a call of `tool`."""
    apps = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})
    async with Client(build_server(settings), extensions=[apps]) as client, launch(chromium, tmp_path) as browser:
        view = (await client.read_resource(PLAYER_URI)).contents[0]
        assert view.mime_type == APP_MIME_TYPE and view.meta is not None
        listed = {t.name: t for t in (await client.list_tools()).tools}
        context = {"theme": "light", "toolInfo": {"tool": listed[tool].model_dump(mode="json", by_alias=True)}}
        calls: list[tuple[str, dict[str, Any]]] = []

        async def forward(message: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
            params = message.get("params") or {}
            try:
                if message["method"] == "tools/call":
                    calls.append((params["name"], params.get("arguments") or {}))
                    done: Any = await client.call_tool(params["name"], params.get("arguments") or {})
                elif message["method"] == "resources/read":
                    done = await client.read_resource(params["uri"])
                elif message["method"] == "ui/open-link":
                    return {}, None
                else:
                    return None, {"code": -32601, "message": "Method not found"}
            except MCPError as exc:
                return None, {"code": exc.code, "message": exc.message}
            return done.model_dump(mode="json", by_alias=True, exclude_none=True), None

        html = getattr(view, "text", "")
        async with open_host(browser, tmp_path, html, view.meta["ui"]["csp"], context, forward) as host:
            yield Session(host, browser, client, tmp_path, calls)


async def test_plays_a_finished_sandbox_video(chromium_path: str, tmp_path: Path, settings: Settings) -> None:
    arguments = {"prompt": "a red kite over dunes"}
    async with player(chromium_path, tmp_path, settings, "generate_video") as session:
        result = await session.client.call_tool("generate_video", arguments)
        await session.show("generate_video", arguments, result)
        first = await session.host.until(PLAYING, what="the video to play")
        await asyncio.sleep(0.6)
        later = await session.host.in_view("document.getElementById('video').currentTime")
        facts, prompt = await session.text("facts"), await session.text("prompt")
        limits = await session.text("limits")
        reads = await session.host.requests("resources/read")
        await session.screenshot("completed-video")
    assert later != first, "the video's currentTime should advance while it plays"
    assert prompt == "a red kite over dunes"
    for shown in ("ray-3.2", "luma", "5.0 s", "1280\u00d7720", "est. $0.30", result.structured_content["id"]):  # type: ignore[index]
        assert shown in facts
    assert f"up to {MAX_RESOURCE_BYTES // 2**20} MiB" in limits, limits
    # The saved file came through the host, not from file:// or the provider's URL.
    assert [read["params"]["uri"] for read in reads] == [result.structured_content["outputs"][0]["resource_uri"]]  # type: ignore[index]
    assert (tmp_path / "completed-video.png").stat().st_size > 10_000


async def test_follows_a_running_job_until_it_plays(chromium_path: str, tmp_path: Path, settings: Settings) -> None:
    slow = dataclasses.replace(settings, sandbox_job_seconds=6)
    arguments = {"prompt": "a paper boat on a rainy street", "wait_seconds": 0}
    async with player(chromium_path, tmp_path, slow, "generate_video") as session:
        result = await session.client.call_tool("generate_video", arguments)
        assert result.structured_content is not None and result.structured_content["state"] == "queued"
        await session.show("generate_video", arguments, result)
        await session.host.until(
            "!document.getElementById('progress').hidden && document.getElementById('bar').value > 0.05",
            what="the progress bar to move",
        )
        progress = await session.text("progress-text")
        state = await session.text("state")
        await session.screenshot("running")
        await session.host.until(PLAYING, seconds=30, what="the finished video to play")
        await session.screenshot("finished")
    assert state in ("queued", "processing") and "elapsed" in progress and "%" in progress, progress
    polls = [args for name, args in session.calls if name == "get_generation"]
    assert polls and all(args["generation_id"] == result.structured_content["id"] for args in polls)


async def test_next_step_buttons_price_then_call_our_tools(
    chromium_path: str, tmp_path: Path, settings: Settings
) -> None:
    arguments = {"prompt": "a lighthouse at dusk", "duration": "5s"}
    async with player(chromium_path, tmp_path, settings, "generate_video") as session:
        result = await session.client.call_tool("generate_video", arguments)
        gen_id = result.structured_content["id"]  # type: ignore[index]
        await session.show("generate_video", arguments, result)
        await session.host.until(PLAYING, what="the video to play")
        labels = await session.host.in_view("[...document.querySelectorAll('#actions button')].map(b => b.textContent)")
        await session.click("[data-tool='reframe_video']")
        await session.host.until("!document.getElementById('offer').hidden", what="the price of the reframe")
        offer = await session.text("offer-text")
        await session.screenshot("next-step-priced")
        await session.click("#confirm")
        await session.host.until(
            f"!document.getElementById('facts').innerText.includes({gen_id!r})", what="the reframe to be shown"
        )
        await session.screenshot("next-step-running")
    priced, bought = session.calls[0], session.calls[1]
    assert labels == ["Extend", "Reframe to 9:16", "Variation"]
    assert priced == ("reframe_video", {"source": {"generation_id": gen_id}, "aspect_ratio": "9:16", "dry_run": True})
    assert bought == ("reframe_video", {"source": {"generation_id": gen_id}, "aspect_ratio": "9:16", "wait_seconds": 0})
    assert "reframe_video" in offer and "$" in offer


async def test_extend_and_variation_carry_the_prompt(chromium_path: str, tmp_path: Path, settings: Settings) -> None:
    arguments = {"prompt": "a lighthouse at dusk", "duration": "5s", "resolution": "540p"}
    async with player(chromium_path, tmp_path, settings, "generate_video") as session:
        result = await session.client.call_tool("generate_video", arguments)
        gen_id = result.structured_content["id"]  # type: ignore[index]
        await session.show("generate_video", arguments, result)
        await session.host.until(PLAYING, what="the video to play")
        await session.host.in_view("document.getElementById('next-prompt').value = 'the beam sweeps the sea'")
        await session.click("[data-tool='extend_video']")
        await session.host.until("!document.getElementById('offer').hidden", what="the extension's price")
        await session.click("#cancel")
        await session.click("[data-tool='generate_video']")
        await session.host.until("document.getElementById('offer-text').textContent.includes('Variation')")
    extend, variation = session.calls
    assert extend == ("extend_video", {"generation_id": gen_id, "prompt": "the beam sweeps the sea", "dry_run": True})
    # The same call as the one the host showed, with the new prompt: duration and resolution kept.
    assert variation == (
        "generate_video",
        {"prompt": "the beam sweeps the sea", "duration": "5s", "resolution": "540p", "dry_run": True},
    )


async def test_shows_an_image_and_offers_to_animate_it(chromium_path: str, tmp_path: Path, settings: Settings) -> None:
    async with player(chromium_path, tmp_path, settings, "generate_image") as session:
        result = await session.client.call_tool("generate_image", {"prompt": "a red kite"})
        await session.show("generate_image", {"prompt": "a red kite"}, result)
        await session.host.until(
            "(() => { const i = document.getElementById('image'); return !i.hidden && i.naturalWidth > 0 })()",
            what="the image to show",
        )
        labels = await session.host.in_view("[...document.querySelectorAll('#actions button')].map(b => b.textContent)")
        facts = await session.text("facts")
        await session.screenshot("image")
    assert labels == ["Animate", "Variation"]
    assert "2048\u00d72048" in facts and "uni-1" in facts


async def test_fetches_a_fresh_copy_through_get_generation(
    chromium_path: str, tmp_path: Path, settings: Settings
) -> None:
    """An output not saved here, whose URL the page may not load: get_generation saves it, then it plays."""
    async with player(chromium_path, tmp_path, settings, "get_generation") as session:
        made = await session.client.call_tool("generate_video", {"prompt": "a red kite over dunes"})
        stale = made.model_copy(deep=True)
        assert stale.structured_content is not None
        for output in stale.structured_content["outputs"]:
            output.update(path=None, resource_uri=None)
        await session.show("get_generation", {"generation_id": stale.structured_content["id"]}, stale)
        await session.host.until(PLAYING, what="the refreshed video to play")
    assert session.calls == [("get_generation", {"generation_id": stale.structured_content["id"], "download": True})]
