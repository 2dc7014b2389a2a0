"""Headless Chromium for the player's browser tests, and a minimal MCP Apps host around the player.

Chromium is driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON messages
separated by NUL bytes on fds 3 and 4), so nothing is fetched and no port is opened. The host page
holds the player in a sandboxed iframe under the CSP its resource declares, answers `ui/initialize`,
and hands every other request of the view to the test (a CDP binding), which forwards it to a real
MCP client of our server. Debian's `chromium` is the browser; the tests skip, saying so, without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

pytestmark = pytest.mark.browser

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless=new",
    "--remote-debugging-pipe",
    "--no-sandbox",  # CI runs as root, where Chromium's own sandbox cannot start
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
    # The player's iframe stays in the page's process, so one DevTools session reaches its DOM.
    "--disable-site-isolation-trials",
    "--disable-features=IsolateSandboxedIframes,site-per-process",
    "--window-size=800,1000",
)
HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>
body { margin: 0; background: #e8e8ec; } iframe { border: 0; width: 760px; height: 900px; background: #fff; }
</style></head><body><iframe id="view" sandbox="allow-scripts"></iframe><script>
const frame = document.getElementById("view");
const early = [];
let ready = false;
window.log = [];
window.hostContext = {};
const toView = (message) => frame.contentWindow.postMessage(message, "*");
window.loadView = (html) => { frame.srcdoc = html; };
window.hostNotify = (method, params) => {
  const message = { jsonrpc: "2.0", method, params };
  ready ? toView(message) : early.push(message);  // the spec: nothing reaches the view before initialized
};
window.hostAnswer = (id, result, error) =>
  toView(error ? { jsonrpc: "2.0", id, error } : { jsonrpc: "2.0", id, result });
window.addEventListener("message", (event) => {
  if (event.source !== frame.contentWindow) return;
  const message = event.data;
  window.log.push(message);
  if (message.method === "ui/initialize") {
    return hostAnswer(message.id, {
      protocolVersion: "2026-01-26",
      hostInfo: { name: "luma-mcp test host", version: "1" },
      hostCapabilities: { serverTools: {}, serverResources: {}, openLinks: {} },
      hostContext: window.hostContext,
    });
  }
  if (message.method === "ui/notifications/initialized") { ready = true; early.splice(0).forEach(toView); return; }
  if (message.method === "ui/notifications/size-changed") { frame.style.height = `${message.params.height}px`; return; }
  if (message.id !== undefined && message.method) hostBridge(JSON.stringify(message));
});
</script></body></html>
"""


def find_chromium() -> str | None:
    explicit = os.environ.get("LUMA_MCP_CHROMIUM")
    return explicit or next((found for name in BROWSERS if (found := shutil.which(name))), None)


def require_chromium() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip("chromium not found: install Debian's package (apt-get install chromium) or set LUMA_MCP_CHROMIUM")
    return path


@pytest.fixture
def chromium_path() -> str:
    return require_chromium()


def csp_header(csp: dict[str, list[str]]) -> str:
    """The Content-Security-Policy a host builds from a view's `_meta.ui.csp`, as the MCP Apps spec writes it."""
    media = " ".join(csp.get("resourceDomains", []))
    connect = " ".join(csp.get("connectDomains", []))
    return (
        f"default-src 'none'; script-src 'self' 'unsafe-inline' {media}; style-src 'self' 'unsafe-inline' {media}; "
        f"connect-src 'self' {connect}; img-src 'self' data: {media}; font-src 'self' {media}; "
        f"media-src 'self' data: {media}; frame-src 'none'; object-src 'none'; base-uri 'self'"
    )


class _Pipe(asyncio.Protocol):
    def __init__(self, deliver: Callable[[dict[str, Any]], None]) -> None:
        self.buffer = b""
        self.deliver = deliver

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        *messages, self.buffer = self.buffer.split(b"\0")
        for message in messages:
            self.deliver(json.loads(message))


@dataclass
class Browser:
    """One page of a headless Chromium, spoken to over the DevTools pipe."""

    writer: asyncio.WriteTransport
    session: str = ""
    calls: dict[int, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    listeners: dict[str, Callable[[dict[str, Any]], None]] = field(default_factory=dict)
    next_id: int = 0

    def deliver(self, message: dict[str, Any]) -> None:
        if "id" in message:
            future = self.calls.pop(message["id"], None)
            if future is not None and not future.done():
                future.set_result(message)
        elif message.get("method") in self.listeners:
            self.listeners[message["method"]](message.get("params", {}))

    async def send(self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False) -> Any:
        self.next_id += 1
        future = self.calls[self.next_id] = asyncio.get_running_loop().create_future()
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if not browser:
            message["sessionId"] = self.session
        self.writer.write(json.dumps(message).encode() + b"\0")
        answer = await asyncio.wait_for(future, 30)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    async def evaluate(self, expression: str, context: int | None = None) -> Any:
        params: dict[str, Any] = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        if context is not None:
            params["contextId"] = context
        answer = await self.send("Runtime.evaluate", params)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression[:80]}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    async def screenshot(self, path: Path) -> Path:
        import base64

        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


@contextlib.asynccontextmanager
async def launch(executable: str, scratch: Path) -> AsyncIterator[Browser]:
    to_chromium, commands = os.pipe()
    replies, from_chromium = os.pipe()

    def pipes_at_3_and_4() -> None:  # where --remote-debugging-pipe looks for them
        os.dup2(to_chromium, 3)
        os.dup2(from_chromium, 4)

    log = _log_file(scratch / "chromium.log")
    process = await asyncio.create_subprocess_exec(
        executable,
        *FLAGS,
        f"--user-data-dir={scratch / 'profile'}",
        "about:blank",
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        close_fds=False,  # our other descriptors are not inheritable (PEP 446); 3 and 4 are made so
        preexec_fn=pipes_at_3_and_4,
    )
    os.close(to_chromium)
    os.close(from_chromium)
    loop = asyncio.get_running_loop()
    writer, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(commands, "wb", buffering=0))
    browser = Browser(writer=writer)
    reader, _ = await loop.connect_read_pipe(lambda: _Pipe(browser.deliver), os.fdopen(replies, "rb", buffering=0))
    try:
        targets = await browser.send("Target.getTargets", browser=True)
        page = next(t["targetId"] for t in targets["targetInfos"] if t["type"] == "page")
        attached = await browser.send("Target.attachToTarget", {"targetId": page, "flatten": True}, browser=True)
        browser.session = attached["sessionId"]
        await browser.send("Page.enable")
        await browser.send("Runtime.enable")
        yield browser
    finally:
        writer.close()
        reader.close()
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
        log.close()


def _log_file(path: Path) -> IO[bytes]:
    """Chromium's own log, kept beside the screenshots for when a test fails."""
    return path.open("wb")


Forward = Callable[[dict[str, Any]], Awaitable[tuple[Any, dict[str, Any] | None]]]


@dataclass
class Host:
    """The host page with the player loaded: the test reads the view's DOM and what it asked the host."""

    browser: Browser
    view_context: int

    async def notify(self, method: str, params: dict[str, Any]) -> None:
        await self.browser.evaluate(f"hostNotify({json.dumps(method)}, {json.dumps(params)})")

    async def in_view(self, expression: str) -> Any:
        return await self.browser.evaluate(expression, self.view_context)

    async def until(self, expression: str, seconds: float = 20.0, what: str = "") -> Any:
        """Polls `expression` in the view until it is truthy; fails naming `what` and the view's note."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            value = await self.in_view(expression)
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                note = await self.in_view("document.getElementById('note').textContent")
                pytest.fail(f"timed out waiting for {what or expression} (the player says: {note!r})")
            await asyncio.sleep(0.1)

    async def requests(self, method: str) -> list[dict[str, Any]]:
        log = await self.browser.evaluate("window.log")
        return [message for message in log if message.get("method") == method]


@contextlib.asynccontextmanager
async def open_host(
    browser: Browser, scratch: Path, html: str, csp: dict[str, list[str]], context: dict[str, Any], forward: Forward
) -> AsyncIterator[Host]:
    """Loads the host page and the player (`html`, under the CSP built from `csp`); every request the
    view sends beyond ui/initialize goes to `forward`, which returns (result, error)."""
    tasks: set[asyncio.Task[None]] = set()

    async def answer(message: dict[str, Any]) -> None:
        result, error = await forward(message)
        await browser.evaluate(f"hostAnswer({message['id']}, {json.dumps(result)}, {json.dumps(error)})")

    def on_binding(params: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(answer(json.loads(params["payload"])))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    browser.listeners["Runtime.bindingCalled"] = on_binding
    await browser.send("Runtime.addBinding", {"name": "hostBridge"})
    page = scratch / "host.html"
    page.write_text(HOST_PAGE, encoding="utf-8")
    await browser.send("Page.navigate", {"url": page.as_uri()})
    for _ in range(200):
        if await browser.evaluate("typeof window.loadView === 'function' && document.readyState === 'complete'"):
            break
        await asyncio.sleep(0.05)
    else:
        raise RuntimeError("the host page never loaded")
    policy = f'<meta http-equiv="Content-Security-Policy" content="{csp_header(csp)}">'
    await browser.evaluate(f"window.hostContext = {json.dumps(context)}")
    await browser.evaluate(f"loadView({json.dumps(html.replace('<head>', '<head>' + policy, 1))})")
    host = Host(browser, await _view_context(browser))
    await host.until("document.readyState === 'complete'", what="the player to load")
    try:
        yield host
    finally:
        for task in tasks:
            task.cancel()


async def _view_context(browser: Browser) -> int:
    """A script context inside the player's frame (an isolated world: same DOM, none of its globals)."""
    for _ in range(100):
        tree = await browser.send("Page.getFrameTree")
        children = tree["frameTree"].get("childFrames", [])
        if children and children[0]["frame"].get("url") == "about:srcdoc":
            frame = children[0]["frame"]["id"]
            world = await browser.send("Page.createIsolatedWorld", {"frameId": frame, "worldName": "test"})
            return int(world["executionContextId"])
        await asyncio.sleep(0.05)
    raise RuntimeError("the player's frame never appeared")


async def test_debian_chromium_can_decode_h264(chromium_path: str, tmp_path: Path) -> None:
    """The sandbox's outputs are H.264 MP4s: the browser the player is tested in must say it can play them."""
    async with launch(chromium_path, tmp_path) as browser:
        verdict = await browser.evaluate(
            "document.createElement('video').canPlayType('video/mp4; codecs=\"avc1.42E01E\"')"
        )
    assert verdict in ("probably", "maybe"), f"{chromium_path} cannot decode H.264 MP4 (canPlayType: {verdict!r})"
