"""Every wrong avatar call is refused before anything is uploaded or bought: the message names the
argument and the fix, and Hedra sees at most the free catalog reads (models, voices)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aimlapi.tools_support import call_error, history_rows, png, session

from luma_mcp.providers.hedra.emulator import HedraEmulator
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import Settings

from .tools_support import FACE_URL, SCRIPT, VOICE_ID, beyond_catalog, calls, wav, write_inputs

# (case, arguments given the face and speech files, words the message must hold)
REFUSALS: list[tuple[str, Any, tuple[str, ...]]] = [
    ("audio and script", lambda f, s: {"image": f, "audio": s, "script": SCRIPT, "voice_id": VOICE_ID},
     ("exactly one of audio", "script")),
    ("neither", lambda f, s: {"image": f}, ("exactly one of audio",)),
    ("script without voice", lambda f, s: {"image": f, "script": SCRIPT}, ("voice_id", "list_voices")),
    ("voice with audio", lambda f, s: {"image": f, "audio": s, "voice_id": VOICE_ID}, ("voice_id", "script")),
    ("unknown voice", lambda f, s: {"image": f, "script": SCRIPT, "voice_id": str(uuid.uuid4())},
     ("voice_id", "list_voices")),
    ("voice not an id", lambda f, s: {"image": f, "script": SCRIPT, "voice_id": "Maya"}, ("voice_id",)),
    ("unknown language", lambda f, s: {"image": f, "script": SCRIPT, "voice_id": VOICE_ID, "language": "Klingon"},
     ("language", "English")),
    ("unknown model", lambda f, s: {"image": f, "script": SCRIPT, "voice_id": VOICE_ID, "model": "hedra/nope"},
     ("model", "together/hedra-avatar")),
    ("face is audio", lambda f, s: {"image": s, "script": SCRIPT, "voice_id": VOICE_ID}, ("image",)),
    ("speech is an image", lambda f, s: {"image": f, "audio": f}, ("audio",)),
    ("missing face", lambda f, s: {"image": {"path": "/nowhere/face.png"}, "script": SCRIPT, "voice_id": VOICE_ID},
     ("image",)),
    ("script too long", lambda f, s: {"image": f, "script": "word " * 1001, "voice_id": VOICE_ID}, ("script",)),
    ("too long", lambda f, s: {"image": f, "audio": s, "duration_seconds": 601}, ("duration_seconds",)),
    ("bad aspect", lambda f, s: {"image": f, "audio": s, "aspect_ratio": "4:3"}, ("aspect_ratio",)),
]  # fmt: skip


@pytest.mark.parametrize(("case", "arguments", "words"), REFUSALS, ids=[case for case, *_ in REFUSALS])
async def test_a_wrong_call_is_refused_before_any_upload_or_create(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator, case: str, arguments: Any, words: tuple[str, ...]
) -> None:
    face, speech = write_inputs(settings.output_dir / "in")
    given = arguments({"path": str(face)}, {"path": str(speech)})
    async with session(settings, sandbox) as client:
        message = await call_error(client, "generate_avatar_video", given)
    for word in words:
        assert word in message, message
    assert beyond_catalog(avatar) == [], f"{case}: sent {beyond_catalog(avatar)}"
    assert avatar.uploads() == [] and history_rows(settings) == []


async def test_speech_shorter_than_the_model_allows_is_refused_by_its_measured_length(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator
) -> None:
    face, _ = write_inputs(settings.output_dir / "in")
    short = settings.output_dir / "in" / "blip.wav"
    short.write_bytes(wav(0.2))
    async with session(settings, sandbox) as client:
        message = await call_error(
            client, "generate_avatar_video", {"image": {"path": str(face)}, "audio": {"path": str(short)}}
        )
    assert "audio" in message and "0.5" in message, message
    assert beyond_catalog(avatar) == []


async def test_a_file_outside_the_allowed_folders_is_refused(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator, tmp_path: Path
) -> None:
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "face.png").write_bytes(png())
    args = {"image": {"path": str(outside / "face.png")}, "script": SCRIPT, "voice_id": VOICE_ID}
    async with session(settings, sandbox) as client:
        message = await call_error(client, "generate_avatar_video", args)
    assert "image" in message and "outside the folders" in message, message
    assert beyond_catalog(avatar) == []


async def test_a_price_above_the_cap_uploads_nothing(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator
) -> None:
    face, speech = write_inputs(settings.output_dir / "in", speech_seconds=3.0)
    args = {"image": {"path": str(face)}, "audio": {"path": str(speech)}}
    async with session(replace(settings, max_cost_usd=0.05), sandbox) as client:
        message = await call_error(client, "generate_avatar_video", args)
    assert "LUMA_MCP_MAX_COST_USD" in message and "$0.32" in message, message
    assert beyond_catalog(avatar) == [] and avatar.uploads() == []
    assert history_rows(settings) == []


async def test_a_dry_run_reads_the_catalog_and_nothing_else(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator
) -> None:
    async with session(settings, sandbox) as client:
        result = await client.call_tool(
            "generate_avatar_video",
            {"image": {"url": FACE_URL}, "script": SCRIPT, "voice_id": VOICE_ID, "dry_run": True},
        )
    assert not result.is_error
    assert beyond_catalog(avatar) == [] and calls(avatar)


async def test_a_server_started_in_the_root_folder_does_not_open_the_whole_disk(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "face.png").write_bytes(png())
    monkeypatch.chdir("/")  # the working dir is an implicit root, except when it is `/` or home
    args = {"image": {"path": str(elsewhere / "face.png")}, "script": SCRIPT, "voice_id": VOICE_ID}
    async with session(settings, sandbox) as client:
        message = await call_error(client, "generate_avatar_video", args)
    assert "outside the folders" in message, message
    assert beyond_catalog(avatar) == [] and avatar.uploads() == []
