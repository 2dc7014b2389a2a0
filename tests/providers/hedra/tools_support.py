"""Shortcuts for the avatar tool tests (test_tools_*.py): the server's Hedra calls through a real MCP client.

The Hedra emulator is the API; what it received (`requests`, `generation_posts()`, `uploads()`) is the
wire truth these tests assert on. Nothing of the server is mocked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aimlapi.tools_support import png

from conftest import wav
from luma_mcp.providers.hedra.emulator import HedraEmulator
from luma_mcp.providers.hedra.emulator.catalog import VOICES

SCRIPT = "Welcome to the spring collection: three colours, one price, and free returns."
FACE_URL = "https://images.example.com/presenter.png"
VOICE_ID = VOICES[0].id
API = "/web-app/public"
CATALOG_READS = {f"GET {API}/models", f"GET {API}/voices"}


def write_inputs(folder: Path, speech_seconds: float = 1.5) -> tuple[Path, Path]:
    """A face PNG and a speech WAV in `folder` (an allowed folder: the output dir)."""
    folder.mkdir(parents=True, exist_ok=True)
    face, speech = folder / "face.png", folder / "speech.wav"
    face.write_bytes(png(64, 64))
    speech.write_bytes(wav(speech_seconds))
    return face, speech


def tts_args(face: Path | str, **extra: Any) -> dict[str, Any]:
    image = {"url": face} if isinstance(face, str) else {"path": str(face)}
    return {"image": image, "script": SCRIPT, "voice_id": VOICE_ID, **extra}


def calls(avatar: HedraEmulator) -> list[str]:
    """`METHOD path` of every request the emulator received, in order."""
    return [f"{request.method} {request.path.rstrip('/')}" for request in avatar.requests]


def beyond_catalog(avatar: HedraEmulator) -> list[str]:
    """The requests other than the free catalog reads (models, voices): none for a refused call."""
    return [call for call in calls(avatar) if call not in CATALOG_READS]
