"""Saving outputs under stress (issue 11, items 9 and 10): a save that fails returns the completed, paid result
with `saved: false`; recovery skips what it cannot save; a download cut by the client goes on in the
background and leaves no `.part`; two calls or two servers never download one output twice at once;
`download=false` is honoured by recovery; the output resource never follows a link; a hostile API answer
cannot choose where or as what a file is written.

Downloads that must be cut midway are served over real HTTP on loopback, slowly, by the emulator behind a
wrapper that drips its media out (in process, httpx would buffer the whole body before the first write).
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.shared.exceptions import MCPError
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conftest import loopback, session, structured, text_of
from luma_mcp.emulator.media import encode_image
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.settings import Settings

KEY = "luma-api-saves-test"


@dataclass
class Dripping:
    """The API on the wire, with its media sent in `pieces` parts, `pause` seconds apart; counts media GETs."""

    app: ASGIApp
    pieces: int = 20
    pause: float = 0.0
    media_gets: list[str] = field(default_factory=list)
    started: anyio.Event = field(default_factory=anyio.Event)
    tamper: Any = None  # a function over each generation's JSON, to play a hostile API

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/_media/"):
            self.media_gets.append(path)
            real = path.split("/../", 1)[0]  # a tampered URL still reaches the file it was made from
            await self.app({**scope, "path": real, "raw_path": real.encode()}, receive, self._dripped(send))
        elif scope["type"] == "http" and path.startswith("/v1/generations") and self.tamper is not None:
            await self.app(scope, receive, self._tampered(send))
        else:
            await self.app(scope, receive, send)

    def _dripped(self, send: Send) -> Send:
        async def drip(message: Message) -> None:
            if message["type"] != "http.response.body" or not self.pause:
                await send(message)
                return
            body: bytes = message.get("body", b"")
            step = max(1, len(body) // self.pieces)
            for start in range(0, len(body), step):
                await send({"type": "http.response.body", "body": body[start : start + step], "more_body": True})
                self.started.set()
                await anyio.sleep(self.pause)
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        return drip

    def _tampered(self, send: Send) -> Send:
        held: list[Message] = []

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start":
                held.append(message)
                return
            data = json.loads(message.get("body", b"") or b"{}")
            body = json.dumps(self.tamper(data) if isinstance(data, dict) and data.get("output") else data).encode()
            start = held[0]
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        return rewrite


@asynccontextmanager
async def on_the_wire(settings: Settings, emulator: Emulator, **drip: Any) -> AsyncIterator[tuple[Settings, Dripping]]:
    """Settings for a real-mode server whose API is the emulator, over loopback."""
    wire = Dripping(emulator.app, **drip)
    async with loopback(wire) as base:
        yield replace(settings, sandbox=False, api_key=SecretStr(KEY), base_url=f"{base}/v1"), wire


async def finished_job(client: Any, prompt: str) -> str:
    """A video job, submitted and finished, its outputs not yet fetched (a real-mode server's first poll comes
    late; get_generation asks at once)."""
    made = structured(await client.call_tool("generate_video", {"prompt": prompt, "wait_seconds": 0}))
    await anyio.sleep(0.6)  # the emulator's job takes 0.35 s
    return str(made["id"])


def finished_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and not path.name.startswith(".")]


def leftovers(folder: Path) -> list[Path]:
    return [path for path in folder.rglob(".*") if path.suffix in (".part", ".claim")]


# --- item 9: a failed save ------------------------------------------------------------------------------


async def test_a_save_that_fails_returns_the_completed_result(settings: Settings, emulator: Emulator) -> None:
    settings.output_dir.parent.mkdir(parents=True, exist_ok=True)
    settings.output_dir.write_text("a file where the output folder should be")
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_video", {"prompt": "a lantern on a jetty"})
        after = await client.call_tool("list_generations", {})  # the server lives on
    data = structured(result)
    assert not result.is_error, text_of(result)
    assert (data["state"], data["saved"], data["outputs"][0]["path"]) == ("completed", False, None)
    assert data["outputs"][0]["url"] and str(settings.output_dir) in data["save_error"]
    assert "Not saved: could not write to" in text_of(result) and "LUMA_MCP_OUTPUT_DIR" in data["next_step"]
    assert f"generation_id='{data['id']}'" in data["next_step"] and "download=true" in data["next_step"]
    assert structured(after)["generations"][0]["id"] == data["id"]


async def test_a_saved_result_says_saved(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        data = structured(await client.call_tool("generate_image", {"prompt": "a teapot"}))
    assert data["saved"] is True and data["save_error"] is None and Path(data["outputs"][0]["path"]).is_file()


async def test_recovery_skips_what_it_cannot_save(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        first = structured(await client.call_tool("generate_video", {"prompt": "dunes __slow:0.5", "wait_seconds": 0}))
    emulator.advance(5)
    settings.output_dir.parent.mkdir(parents=True, exist_ok=True)
    settings.output_dir.write_text("not a folder")
    for _ in range(2):  # every restart, not only the first, comes up and answers
        async with session(settings, emulator) as client:
            await anyio.sleep(0.3)  # recovery runs (and fails to save) in the background meanwhile
            listed = structured(await client.call_tool("list_generations", {}))["generations"]
            fetched = structured(await client.call_tool("get_generation", {"generation_id": first["id"]}))
        assert listed[0]["id"] == first["id"] and listed[0]["paths"] == []
        assert fetched["state"] == "completed" and fetched["saved"] is False


# --- item 10: downloads that outlive the call --------------------------------------------------------------


async def test_a_download_cut_by_the_client_finishes_in_the_background(settings: Settings, emulator: Emulator) -> None:
    async with on_the_wire(settings, emulator, pause=0.05) as (real, wire), session(real) as client:
        generation_id = await finished_job(client, "a paper crane")
        async with anyio.create_task_group() as group:
            group.start_soon(client.call_tool, "get_generation", {"generation_id": generation_id})
            await wire.started.wait()
            await anyio.sleep(0.3)
            assert leftovers(real.output_dir), "the download was under way"
            group.cancel_scope.cancel()  # the client gives up mid-download
        saved: list[Path] = []
        with anyio.fail_after(20):
            while not saved:
                await anyio.sleep(0.1)
                saved = finished_files(real.output_dir)
        await anyio.sleep(0.2)
        [entry] = structured(await client.call_tool("list_generations", {}))["generations"]
    assert [Path(path) for path in entry["paths"]] == saved and saved[0].suffix == ".mp4"
    assert leftovers(real.output_dir) == [] and len(wire.media_gets) == 1


async def test_a_server_stopped_mid_download_leaves_no_part(settings: Settings, emulator: Emulator) -> None:
    async with on_the_wire(settings, emulator, pause=0.1) as (real, wire):
        async with session(real) as client, anyio.create_task_group() as group:
            generation_id = await finished_job(client, "a heron")
            group.start_soon(client.call_tool, "get_generation", {"generation_id": generation_id})
            await wire.started.wait()
            await anyio.sleep(0.3)
            group.cancel_scope.cancel()
        assert leftovers(real.output_dir) == [] and finished_files(real.output_dir) == []


async def completed_unsaved(client: Any, prompt: str) -> str:
    generation_id = await finished_job(client, prompt)
    got = structured(
        await client.call_tool(
            "get_generation", {"generation_id": generation_id, "wait_seconds": 10, "download": False}
        )
    )
    assert got["state"] == "completed" and got["outputs"][0]["path"] is None
    return generation_id


async def test_two_calls_download_an_output_once(settings: Settings, emulator: Emulator) -> None:
    async with on_the_wire(settings, emulator, pause=0.02) as (real, wire), session(real) as client:
        generation_id = await completed_unsaved(client, "two callers")
        results: list[dict[str, Any]] = []

        async def fetch() -> None:
            results.append(structured(await client.call_tool("get_generation", {"generation_id": generation_id})))

        async with anyio.create_task_group() as group:
            group.start_soon(fetch)
            group.start_soon(fetch)
    paths = {result["outputs"][0]["path"] for result in results}
    assert len(wire.media_gets) == 1 and len(paths) == 1 and None not in paths
    assert finished_files(real.output_dir) == [Path(next(iter(paths)))]


async def test_two_servers_download_an_output_once(settings: Settings, emulator: Emulator) -> None:
    """Two servers on one data dir and output dir (as two clients each launching one): the claim file is all
    they share, besides the history."""
    async with on_the_wire(settings, emulator, pause=0.02) as (real, wire):
        async with session(real) as client:
            generation_id = await completed_unsaved(client, "two servers")
        results: list[dict[str, Any]] = []

        async def fetch_from_a_server_of_its_own() -> None:
            async with session(real) as own:
                results.append(structured(await own.call_tool("get_generation", {"generation_id": generation_id})))

        async with anyio.create_task_group() as group:
            group.start_soon(fetch_from_a_server_of_its_own)
            group.start_soon(fetch_from_a_server_of_its_own)
    assert len(wire.media_gets) == 1, wire.media_gets
    assert {result["outputs"][0]["path"] for result in results} == {str(finished_files(real.output_dir)[0])}
    assert leftovers(real.output_dir) == []


async def test_recovery_honours_download_false(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        control = structured(
            await client.call_tool("generate_video", {"prompt": "saved by recovery __slow:0.5", "wait_seconds": 0})
        )
        declined = await completed_unsaved(client, "the user said not to download")
    emulator.advance(5)
    async with session(settings, emulator) as client:
        entries: dict[str, Any] = {}
        for _ in range(100):
            listed = structured(await client.call_tool("list_generations", {}))["generations"]
            entries = {entry["id"]: entry for entry in listed}
            if entries[control["id"]]["paths"]:
                break
            await anyio.sleep(0.05)
        await anyio.sleep(0.2)
        assert entries[control["id"]]["paths"] and entries[declined]["paths"] == []
        # Asked again with download=true, it is saved after all.
        fetched = structured(await client.call_tool("get_generation", {"generation_id": declined}))
    assert fetched["saved"] is True and Path(fetched["outputs"][0]["path"]).is_file()


# --- item 10: the output resource and hostile answers -------------------------------------------------------


@pytest.mark.parametrize("swap", ["file", "folder"])
async def test_the_output_resource_never_follows_a_link(
    settings: Settings, emulator: Emulator, tmp_path: Path, swap: str
) -> None:
    secret_folder = tmp_path / "private"
    secret_folder.mkdir()
    secret = encode_image(24, 24, "png") + b"PRIVATE-PHOTO"
    async with session(settings, emulator) as client:
        made = structured(await client.call_tool("generate_image", {"prompt": "a kettle"}))
        saved = Path(made["outputs"][0]["path"])
        if swap == "file":
            (secret_folder / "photo.png").write_bytes(secret)
            saved.unlink()
            saved.symlink_to(secret_folder / "photo.png")
        else:  # the folder it sits in becomes a link to a folder outside, holding a file of the same name
            (secret_folder / saved.name).write_bytes(secret)
            shutil.rmtree(saved.parent)
            saved.parent.symlink_to(secret_folder, target_is_directory=True)
        with pytest.raises(MCPError) as raised:
            await client.read_resource(f"luma://generations/{made['id']}/outputs/0")
    assert "download=true" in str(raised.value) and "PRIVATE" not in str(raised.value)


async def test_the_output_resource_still_reads_a_saved_file(settings: Settings, emulator: Emulator) -> None:
    async with session(settings, emulator) as client:
        made = structured(await client.call_tool("generate_image", {"prompt": "a kettle"}))
        read = await client.read_resource(f"luma://generations/{made['id']}/outputs/0")
    [blob] = read.contents
    assert base64.b64decode(blob.blob) == Path(made["outputs"][0]["path"]).read_bytes()  # type: ignore[union-attr]


def hostile(generation: dict[str, Any]) -> dict[str, Any]:
    """An answer whose output URL's path tries to pick the file's name and kind."""
    for output in generation.get("output") or []:
        head, _, query = output["url"].partition("?")
        output["url"] = f"{head}/..%2F..%2F..%2Fescape.sh/{'x' * 300}.command?{query}"
    return generation


async def test_a_hostile_answer_cannot_choose_the_files_path_or_kind(
    settings: Settings, emulator: Emulator, tmp_path: Path
) -> None:
    async with on_the_wire(settings, emulator, tamper=hostile) as (real, _), session(real) as client:
        generation_id = await finished_job(client, "a lighthouse")
        result = await client.call_tool("get_generation", {"generation_id": generation_id})
    data = structured(result)
    assert not result.is_error, text_of(result)
    written = [path for path in tmp_path.rglob("*") if path.is_file() and real.data_dir not in path.parents]
    assert [(path.parent, path.suffix, len(path.name) < 100) for path in written] == [(real.output_dir, ".mp4", True)]
    assert data["saved"] is True and written == [Path(data["outputs"][0]["path"])]
    assert "escape.sh" in data["outputs"][0]["url"]  # the answer was indeed hostile
