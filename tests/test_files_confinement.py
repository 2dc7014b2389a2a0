"""Local files (issue 11, items 7 and 8, and the data: URI part of 12): what is sent is what was checked, for
every provider's uploads; the allowed folders cannot be voided by where the server was started or by a
remote client's roots; a refusal says nothing of files outside them; a huge data: URI is refused by its
size before it is decoded."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import ElicitRequestParams, ElicitResult, ListRootsResult, Root

from conftest import server_env, session, structured, text_of
from luma_mcp.emulator.media import encode_image, encode_video
from luma_mcp.providers.hedra.emulator import HedraEmulator, HedraEmulatorConfig
from luma_mcp.providers.hedra.emulator.catalog import VOICES
from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings

PNG = encode_image(48, 32, "png")
_SERVER_ENV: dict[str, str] = {}
SECRET_PNG = encode_image(40, 40, "png") + b"SECRET-PHOTO"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder no setting allows, holding a picture."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "secret.png").write_bytes(SECRET_PNG)
    return folder


def image_call(path: str) -> dict[str, Any]:
    return {"prompt": "a still life", "image_refs": [{"path": path}], "dry_run": True}


# --- item 8: implicit roots ---------------------------------------------------------------------------


async def test_a_server_started_in_the_root_folder_does_not_open_the_disk(
    settings: Settings, emulator: Emulator, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir("/")
    async with session(settings, emulator) as client:
        absolute = await client.call_tool("generate_image", image_call(str(outside / "secret.png")))
        relative = await client.call_tool("generate_image", image_call(str(outside / "secret.png").lstrip("/")))
    for result in (absolute, relative):
        assert result.is_error and "is outside the folders this server may read" in text_of(result)
    assert emulator.requests == []


async def test_the_home_folder_is_not_an_implicit_root_but_a_project_in_it_is(
    settings: Settings, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    project = home / "project"
    project.mkdir(parents=True)
    (home / "id_photo.png").write_bytes(SECRET_PNG)
    (project / "frame.png").write_bytes(PNG)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)
    async with session(settings, emulator) as client:
        from_home = await client.call_tool("generate_image", image_call("id_photo.png"))
    monkeypatch.chdir(project)
    async with session(settings, emulator) as client:
        from_project = await client.call_tool("generate_image", image_call("frame.png"))
    assert from_home.is_error and "is outside the folders" in text_of(from_home)
    assert not from_project.is_error, text_of(from_project)


async def test_a_configured_folder_is_taken_as_given(settings: Settings, emulator: Emulator, tmp_path: Path) -> None:
    """LUMA_MCP_INPUT_DIRS is the user's own choice: the home folder there is allowed."""
    (tmp_path / "picture.png").write_bytes(PNG)
    async with session(replace(settings, input_dirs=(tmp_path,)), emulator) as client:
        result = await client.call_tool("generate_image", image_call(str(tmp_path / "picture.png")))
    assert not result.is_error, text_of(result)


@pytest.mark.parametrize(
    "make",
    [
        lambda outside: str(outside / "secret.png"),  # exists
        lambda outside: str(outside / "missing.png"),  # does not
        lambda outside: str(outside),  # a folder
        lambda outside: "/dev/null",  # a device
        lambda outside: "~no-such-user-here/secret.png",  # a user who does not exist
        lambda outside: "~root/.ssh/id_rsa",  # one who does
    ],
)
async def test_refusals_outside_say_nothing_of_the_file(
    settings: Settings, emulator: Emulator, outside: Path, make: Any
) -> None:
    raw = make(outside)
    async with session(settings, emulator) as client:
        result = await client.call_tool("generate_image", image_call(raw))
    message = text_of(result).replace(repr(raw), "<path>")
    expected = (
        "generate_image: image_refs[0].path: <path> is outside the folders this server may read ("
        f"{settings.output_dir}, {Path.cwd()}); move or copy the file into one of them, or allow its folder: add it"
        " to LUMA_MCP_INPUT_DIRS in the server's environment, or as a root in the MCP client."
        " Nothing was sent and nothing was charged."
    )
    assert result.is_error and message == expected


# --- item 8: client roots on stdio only ------------------------------------------------------------------


@contextmanager
def http_server(tmp_path: Path, cwd: Path, **extra_env: str) -> Iterator[str]:
    log = tmp_path / "server-stderr.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "luma_mcp", "--sandbox", "--transport", "streamable-http", "--port", "0"],
            env=server_env(tmp_path, **extra_env),
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for line in log.read_text(errors="replace").splitlines():
                if "streamable HTTP at " in line:
                    yield line.split("streamable HTTP at ", 1)[1].split()[0]
                    return
            assert process.poll() is None, log.read_text(errors="replace")
            time.sleep(0.05)
        raise AssertionError(log.read_text(errors="replace"))
    finally:
        process.terminate()
        process.wait(10)


async def test_a_remote_clients_roots_are_not_this_machines_folders(tmp_path: Path) -> None:
    """Over HTTP the client may be anywhere: a root it names is a folder of its disk, not a grant on ours."""
    shared = tmp_path / "client-project"
    shared.mkdir()
    (shared / "frame.png").write_bytes(PNG)
    asked: list[str] = []

    async def roots(context: Any) -> ListRootsResult:
        asked.append("roots")
        return ListRootsResult(roots=[Root(uri=shared.as_uri())])

    elsewhere = tmp_path / "server-cwd"
    elsewhere.mkdir()
    with http_server(tmp_path, elsewhere, **_SERVER_ENV) as url:
        async with Client(url, list_roots_callback=roots, mode="legacy") as client:
            result = await client.call_tool(
                "edit_image", {"prompt": "p", "source": {"path": str(shared / "frame.png")}, "dry_run": True}
            )
    assert result.is_error and "is outside the folders" in text_of(result)
    allowed = text_of(result).split("may read (", 1)[1].split(")", 1)[0]
    assert str(shared) not in allowed and asked == []  # not even asked


# --- item 7: send what was checked -----------------------------------------------------------------------


async def test_a_link_swapped_in_during_a_luma_upload_sends_the_checked_file(
    settings: Settings, emulator: Emulator, outside: Path
) -> None:
    """The swap lands while the upload is being announced (POST /v1/files held by the API): the bytes that
    follow are those of the file that was checked, never of the file the link now points to."""
    checked = encode_video(64, 48, 24)
    other = encode_video(32, 32, 48)
    (outside / "private.mp4").write_bytes(other)
    source = settings.output_dir / "in" / "clip.mp4"
    source.parent.mkdir(parents=True)
    source.write_bytes(checked)
    emulator.faults.add("POST /v1/files", delay_seconds=0.5, times=1)
    arguments = {"prompt": "make it autumn", "source": {"path": str(source)}, "wait_seconds": 0}
    async with session(settings, emulator) as client, anyio.create_task_group() as group:
        results: list[Any] = []

        async def edit() -> None:
            results.append(await client.call_tool("edit_video", arguments))

        group.start_soon(edit)
        with anyio.fail_after(20):
            # The emulator's request log is a list, not an event: watched.
            while not any(r.method == "POST" and r.path == "/v1/files" for r in emulator.requests):  # noqa: ASYNC110
                await anyio.sleep(0.01)
        source.unlink()
        source.symlink_to(outside / "private.mp4")
    [file] = emulator.store.files_by_id.values()
    assert file.path is not None and file.path.read_bytes() == checked
    assert not results[0].is_error, text_of(results[0])


class SwapWhenAsked:
    """The user's confirmation arrives after the checks and before any upload: the file is swapped for a
    link to a private one meanwhile (as a racing process could)."""

    def __init__(self, victim: Path, target: Path) -> None:
        self.victim, self.target = victim, target

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.victim.unlink()
        self.victim.symlink_to(self.target)
        return ElicitResult(action="accept", content={"submit": True})


async def test_a_link_swapped_in_before_a_hedra_upload_is_refused_not_sent(
    settings: Settings, emulator: Emulator, outside: Path
) -> None:
    avatar = HedraEmulator(HedraEmulatorConfig(queued_seconds=0.05, processing_seconds=0.3, finalizing_seconds=0.05))
    face = settings.output_dir / "in" / "face.png"
    face.parent.mkdir(parents=True)
    face.write_bytes(encode_image(64, 64, "png"))
    arguments = {"image": {"path": str(face)}, "script": "Hello there.", "voice_id": VOICES[0].id}
    asking = replace(settings, confirm_above_usd=0.0)
    swap = SwapWhenAsked(face, outside / "secret.png")
    async with session(
        asking, Sandbox(luma=emulator, hedra=avatar), elicitation_callback=swap, mode="legacy"
    ) as client:
        result = await client.call_tool("generate_avatar_video", arguments)
    assert result.is_error and "face.png" in text_of(result) and "Nothing was charged" in text_of(result)
    assert avatar.uploads() == [] and avatar.generation_posts() == []


async def test_a_hedra_upload_sends_the_file_under_its_own_name(settings: Settings, emulator: Emulator) -> None:
    avatar = HedraEmulator(HedraEmulatorConfig(queued_seconds=0.05, processing_seconds=0.3, finalizing_seconds=0.05))
    face = settings.output_dir / "in" / "presenter.png"
    face.parent.mkdir(parents=True)
    face.write_bytes(encode_image(64, 64, "png"))
    arguments = {"image": {"path": str(face)}, "script": "Hello there.", "voice_id": VOICES[0].id}
    async with session(settings, Sandbox(luma=emulator, hedra=avatar)) as client:
        result = await client.call_tool("generate_avatar_video", arguments)
    assert structured(result)["state"] == "completed", text_of(result)
    [upload] = avatar.uploads()
    assert upload["size"] == face.stat().st_size
    assert any(r.method == "POST" and (r.body or {}).get("name") == "presenter.png" for r in avatar.requests)


# --- item 12: a data: URI is refused by its size before it is decoded --------------------------------------


async def test_a_huge_data_uri_is_refused_by_its_size_before_decoding(settings: Settings, emulator: Emulator) -> None:
    """The payload is 6 MB of base64 that would not even decode (it ends in '!'): a decode first would answer
    "not valid base64"; the size, checked first, answers without decoding a byte."""
    uri = "data:image/png;base64," + "A" * (8 * 2**20) + "!"
    arguments = {"prompt": "p", "model": "ray-2", "start_frame": {"url": uri}, "dry_run": True}
    async with session(replace(settings), emulator) as client:
        result = await client.call_tool("generate_video", arguments)
    message = text_of(result)
    assert result.is_error and "start_frame.url: the data: URI holds about 6.0 MB, over the 4 MB" in message
    assert len(message) < 400  # the URI is never echoed
