"""The API key never leaves the Authorization header of API requests.

The server runs as users run it (a subprocess, real mode, `--log-level DEBUG`) against the emulator on
loopback, with a key that carries a random marker. After successes, failures, refusals, a 401 and a
500, the marker must not appear, plain or base64-encoded, in any result, the server's stderr, the
history database or any file the server wrote; and presigned media downloads must carry no key at all.
"""

from __future__ import annotations

import base64
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from starlette.types import ASGIApp, Receive, Scope, Send

from conftest import loopback, server_env, text_of
from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig

PROMPT = "A red kite banking over chalk cliffs, slow pan"


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None  # "marker" when it was exactly `Bearer <marker key>`, else the raw value


@dataclass
class HeaderWatch:
    """Wraps the emulator's app to see the headers of every request, /_media and /_uploads included."""

    app: ASGIApp
    key: str
    seen: list[Seen] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {name.decode().lower(): value.decode() for name, value in scope["headers"]}
            value = headers.get("authorization")
            shown = "marker" if value == f"Bearer {self.key}" else value
            self.seen.append(Seen(scope["method"], scope["path"], shown))
        await self.app(scope, receive, send)


@dataclass
class Run:
    texts: list[str] = field(default_factory=list)
    stderr: str = ""


def new_key() -> str:
    return f"luma-api-{secrets.token_hex(20)}"


def encodings(key: str) -> list[str]:
    """The key itself, and the part of its base64 (plain and URL-safe) that any 0-2 byte prefix leaves intact."""
    found = [key, key.removeprefix("luma-api-")]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + key.encode()).decode()
        core = encoded[4 if shift else 0 : -4]
        found += [core, core.replace("+", "-").replace("/", "_")]
    return found


@asynccontextmanager
async def real_server(tmp_path: Path, app: ASGIApp, key: str, run: Run) -> AsyncIterator[Client]:
    """`luma-mcp --log-level DEBUG` in real mode, its API at the emulator on loopback, stderr into `run`."""
    log = tmp_path / "stderr.log"
    async with loopback(app) as base_url:
        env = server_env(tmp_path, LUMA_AGENTS_API_KEY=key, LUMA_BASE_URL=f"{base_url}/v1")
        params = StdioServerParameters(command=sys.executable, args=["-m", "luma_mcp", "--log-level", "DEBUG"], env=env)
        with log.open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
                yield client
    run.stderr += log.read_text(errors="replace")


async def call(client: Client, run: Run, tool: str, arguments: dict[str, Any]) -> dict[str, Any] | None:
    result = await client.call_tool(tool, arguments)
    run.texts += [text_of(result), repr(result.structured_content), repr(result.content)]
    return result.structured_content if not result.is_error else None


async def exercise_accepted_key(client: Client, emulator: Emulator, run: Run) -> None:
    # Submit without waiting, then move the emulator's clock: the jobs are over by the first poll.
    made = await call(client, run, "generate_video", {"prompt": PROMPT, "wait_seconds": 0})
    doomed = await call(
        client, run, "generate_video", {"prompt": f"{PROMPT} __fail:generation_failed", "wait_seconds": 0}
    )
    assert made is not None and doomed is not None, run.texts
    emulator.advance(3600)
    done = await call(client, run, "get_generation", {"generation_id": made["id"], "wait_seconds": 30})
    assert done is not None and done["state"] == "completed" and Path(done["outputs"][0]["path"]).is_file()
    failed = await call(client, run, "get_generation", {"generation_id": doomed["id"], "wait_seconds": 30})
    assert failed is not None and failed["state"] == "failed", run.texts[-3:]
    await call(client, run, "generate_video", {"prompt": "", "hdr": "maybe", "bogus": 1})
    await call(client, run, "get_generation", {"generation_id": "00000000-0000-4000-8000-000000000000"})
    await call(client, run, "list_generations", {})
    run.texts.append(repr(await client.read_resource(f"luma://generations/{made['id']}")))
    emulator.faults.add("POST /v1/generations", status=500, accept_then_fail=True, times=3)
    assert await call(client, run, "generate_video", {"prompt": PROMPT, "wait_seconds": 0}) is None


async def exercise_refused_key(client: Client, run: Run) -> None:
    assert await call(client, run, "generate_video", {"prompt": PROMPT, "wait_seconds": 0}) is None
    assert "401" in run.texts[-3] or "key" in run.texts[-3].lower(), run.texts[-3]
    await call(client, run, "get_generation", {"generation_id": "00000000-0000-4000-8000-000000000000"})


def assert_nowhere(key: str, run: Run, folders: list[Path]) -> None:
    needles = encodings(key)
    places = {f"result {n}": text for n, text in enumerate(run.texts)} | {"stderr": run.stderr}
    for folder in folders:
        for path in (p for p in folder.rglob("*") if p.is_file()):
            places[str(path)] = path.read_bytes().decode("latin-1")
    leaks = [(place, needle) for place, text in places.items() for needle in needles if needle in text]
    assert leaks == [], leaks
    assert "Bearer luma-api" not in run.stderr
    assert any(path.endswith(".sqlite3") for path in places), "the history was not written"


async def test_the_key_reaches_only_the_api_authorization_header(tmp_path: Path) -> None:
    key, run = new_key(), Run()
    emulator = Emulator(EmulatorConfig(queued_seconds=0.05, processing_seconds=0.2))
    watch = HeaderWatch(emulator.app, key)
    async with real_server(tmp_path, watch, key, run) as client:
        await exercise_accepted_key(client, emulator, run)
    assert run.stderr, "the server logged nothing at DEBUG: the scan would prove nothing"
    assert_nowhere(key, run, [tmp_path / "out", tmp_path / "data"])
    api = [seen for seen in watch.seen if seen.path.startswith("/v1/")]
    media = [seen for seen in watch.seen if not seen.path.startswith("/v1/")]
    assert api and all(seen.authorization == "marker" for seen in api), api
    assert any(seen.path.startswith("/_media/") for seen in media), watch.seen
    assert all(seen.authorization is None for seen in media), media
    assert all(recorded.headers.get("authorization") == "<redacted>" for recorded in emulator.requests)


async def test_a_refused_key_is_not_echoed(tmp_path: Path) -> None:
    key, run = new_key(), Run()
    emulator = Emulator(EmulatorConfig(accepted_keys=frozenset({new_key()})))
    async with real_server(tmp_path, HeaderWatch(emulator.app, key), key, run) as client:
        await exercise_refused_key(client, run)
    assert emulator.requests, "the refused key never reached the API: the 401 path was not exercised"
    assert_nowhere(key, run, [tmp_path / "out", tmp_path / "data"])


def test_the_scan_finds_what_it_looks_for() -> None:
    key = new_key()
    encoded = base64.b64encode(f"Authorization: Bearer {key}".encode()).decode()
    assert any(needle in encoded for needle in encodings(key))
    assert any(needle in f"key={key}" for needle in encodings(key))
