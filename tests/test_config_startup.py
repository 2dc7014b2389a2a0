"""Configuration and start-up (issue 11, items 6 and 9): a malformed key or base URL is answered by every tool
with the configuration error, before anything is sent or recorded; a request that fails before a byte left
says "nothing was sent"; a row left `submitting` by a killed process is settled on restart; an unusable data
dir or a corrupt history stops the server with one line that names it, never a traceback."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from pydantic import SecretStr

from conftest import loopback, server_env, session, structured, text_of
from luma_mcp.history import History, Submission
from luma_mcp.providers import errors
from luma_mcp.providers.luma.client import LumaApi
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings

GOOD_KEY = "luma-api-config-test"
BAD_KEYS = {
    "a line break": "luma-api-config\ntest",
    "a typographic quote": "\u201cluma-api-config-test\u201d",
    "a space": "luma-api config-test",
}
CALLS = [
    ("generate_video", {"prompt": "a fox in the snow", "wait_seconds": 0}),
    ("generate_image", {"prompt": "a fox in the snow", "dry_run": True}),
    ("get_generation", {"generation_id": "00000000-0000-4000-8000-000000000000"}),
    ("list_generations", {}),
]


def real(settings: Settings, **changes: object) -> Settings:
    return replace(settings, sandbox=False, **changes)  # type: ignore[arg-type]


@asynccontextmanager
async def api_on_loopback(emulator: Emulator) -> AsyncIterator[str]:
    async with loopback(emulator.app) as base:
        yield f"{base}/v1"


@pytest.mark.parametrize("flaw", sorted(BAD_KEYS))
async def test_a_malformed_key_is_answered_by_every_tool(settings: Settings, emulator: Emulator, flaw: str) -> None:
    key = BAD_KEYS[flaw]
    async with api_on_loopback(emulator) as base_url:
        configured = real(settings, api_key=SecretStr(key), base_url=base_url)
        async with session(configured) as client:
            assert {tool.name for tool in (await client.list_tools()).tools} >= {name for name, _ in CALLS}
            for name, arguments in CALLS:
                result = await client.call_tool(name, arguments)
                message = text_of(result)
                assert result.is_error, message
                assert f"LUMA_AGENTS_API_KEY contains {flaw}" in message and "Nothing was sent" in message
                assert key not in message and "config-test" not in message and "Traceback" not in message
    assert emulator.requests == []
    assert await History(configured.history_path).list(10) == []  # no pending row, nothing reserved


async def test_a_base_url_without_a_scheme_is_answered_by_every_tool(settings: Settings) -> None:
    configured = real(settings, api_key=SecretStr(GOOD_KEY), base_url="agents.lumalabs.ai/v1")
    async with session(configured) as client:
        result = await client.call_tool("generate_video", {"prompt": "tide", "wait_seconds": 0})
    assert result.is_error
    assert "LUMA_BASE_URL='agents.lumalabs.ai/v1' has no http:// or https:// scheme" in text_of(result)
    assert await History(configured.history_path).list(10) == []


async def test_other_providers_keys_are_checked_too(settings: Settings) -> None:
    configured = real(settings, hedra_key=SecretStr("sk_hedra_\u2018x\u2019"))
    async with session(configured) as client:
        result = await client.call_tool("list_generations", {})
    assert result.is_error and "HEDRA_API_KEY contains a typographic quote" in text_of(result)


async def test_a_server_with_a_malformed_key_starts_and_answers(tmp_path: Path) -> None:
    """As users run it: a subprocess over stdio whose key was pasted with a line break."""
    env = server_env(tmp_path, LUMA_AGENTS_API_KEY="luma-api-pasted\n-twice", LUMA_BASE_URL="http://127.0.0.1:9/v1")
    params = StdioServerParameters(command=sys.executable, args=["-m", "luma_mcp", "--log-level", "INFO"], env=env)
    errlog = tmp_path / "stderr.log"
    with errlog.open("w") as stderr:
        async with Client(stdio_client(params, errlog=stderr), mode="legacy") as client:
            result = await client.call_tool("generate_video", {"prompt": "tide", "wait_seconds": 0})
    assert result.is_error and "LUMA_AGENTS_API_KEY contains a line break" in text_of(result)
    logged = errlog.read_text()
    assert "LUMA_AGENTS_API_KEY contains a line break" in logged and "pasted" not in logged


# --- failures before a byte is sent --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "base"), [("luma-api-x\nInjected: 1", None), ("luma-api-\u201cx\u201d", None), (GOOD_KEY, "schemeless")]
)
async def test_failures_before_sending_say_nothing_was_sent(emulator: Emulator, key: str, base: str | None) -> None:
    """The client's own mapping, behind the start-up check: with a real socket listening, an unsendable key
    or URL is not an outcome-unknown create."""
    async with api_on_loopback(emulator) as base_url:
        api = LumaApi(key, base_url.split("://", 1)[1] if base else base_url)
        try:
            with pytest.raises(errors.Unavailable, match="nothing was sent") as raised:
                await api.create({"type": "image", "model": "uni-1", "prompt": "p"})
        finally:
            await api.aclose()
    assert key not in str(raised.value)
    assert [request.path for request in emulator.requests] == []


# --- a row left `submitting` -------------------------------------------------------------------------


async def left_submitting(settings: Settings, minutes_ago: float) -> str:
    history = History(settings.history_path)
    await history.open()
    try:
        row = await history.begin_submission(Submission("luma", "video", "ray-3.2", {"prompt": "p"}, 0.9, None, "p"))
    finally:
        await history.close()
    stamp = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with sqlite3.connect(settings.history_path) as db:
        db.execute("UPDATE generations SET created_at = ?, updated_at = ? WHERE id = ?", (stamp, stamp, row))
    db.close()
    return row


async def test_a_row_left_submitting_by_a_killed_server_is_settled_on_restart(settings: Settings) -> None:
    old = await left_submitting(settings, minutes_ago=125)
    young = await left_submitting(settings, minutes_ago=0)  # may belong to a live process sharing the data dir
    async with session(settings) as client:
        states: dict[str, str] = {}
        for _ in range(100):  # recovery runs in the background
            listed = structured(await client.call_tool("list_generations", {}))["generations"]
            states = {entry["id"]: entry["state"] for entry in listed}
            if states[old] != "submitting":
                break
            await anyio.sleep(0.05)
    assert states == {old: "unknown", young: "submitting"}
    history = History(settings.history_path)
    record = await history.get(old)
    await history.close()
    assert record is not None and record.failure_reason is not None
    assert "stopped while sending this request, 2 h 5 min ago" in record.failure_reason


# --- an unusable data dir, a corrupt history -----------------------------------------------------------


def run_server(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "luma_mcp", "--sandbox", *args],
        env=server_env(tmp_path, **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("transport", [(), ("--transport", "streamable-http", "--port", "0")])
def test_a_data_dir_that_is_a_file_is_one_line(tmp_path: Path, transport: tuple[str, ...]) -> None:
    data = tmp_path / "data"
    data.write_text("not a folder")
    done = run_server(tmp_path, *transport, LUMA_MCP_DATA_DIR=str(data))
    assert done.returncode != 0 and done.stdout == ""
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"LUMA_MCP_DATA_DIR={data} is not a usable folder" in done.stderr


def test_a_corrupt_history_names_the_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    history = data / "sandbox-history.sqlite3"
    history.write_bytes(b"this was never a database " * 100)
    done = run_server(tmp_path, LUMA_MCP_DATA_DIR=str(data))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"the history file {history} cannot be read" in done.stderr and "move it aside" in done.stderr
