"""Shortcuts for the Hedra emulator's tests: a fixed clock, a key, real media made with PyAV, and
upload / create / poll over real HTTP calls."""

from __future__ import annotations

import array
import io
import math
import uuid
from fractions import Fraction
from typing import Any

import httpx

from luma_mcp.providers.hedra.emulator import HedraEmulator

ROOT_URL = "http://hedra.test"
BASE_URL = f"{ROOT_URL}/web-app/public"
KEY = "sk_hedra_test"
AUTH = {"X-API-Key": KEY}
START = 1_790_000_000.0
VOICE_ID = "f412c62f-e94f-41c0-bfc6-97f63289941c"
AVATAR = "together/hedra-avatar"
# Longer than any default schedule (5 s queued + 20 s processing + 2 s finalizing).
DONE = 60.0


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one flat colour."""
    import av
    from av.video.frame import VideoFrame

    frame = VideoFrame(width, height, "rgb24")
    plane = frame.planes[0]
    row = bytes(rgb) * width + bytes(plane.line_size - 3 * width)
    plane.update(row * height)
    context = av.CodecContext.create("png", "w")
    context.width, context.height, context.pix_fmt = width, height, "rgb24"
    context.time_base = Fraction(1, 24)
    return b"".join(bytes(packet) for packet in [*context.encode(frame), *context.encode(None)])


def audio(seconds: float, container: str = "wav", rate: int = 16_000) -> bytes:
    """A real WAV (or MP3) of a 440 Hz tone."""
    import av
    from av.audio.frame import AudioFrame

    samples = round(seconds * rate)
    tone = array.array("h", (int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(samples)))
    buffer = io.BytesIO()
    codec = "pcm_s16le" if container == "wav" else "libmp3lame"
    with av.open(buffer, mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        frame = AudioFrame(format="s16", layout="mono", samples=samples)
        data = tone.tobytes()
        frame.planes[0].update(data + bytes(frame.planes[0].buffer_size - len(data)))
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return buffer.getvalue()


def new_id() -> str:
    return str(uuid.uuid4())


class HedraApi:
    def __init__(self, http: httpx.AsyncClient, emu: HedraEmulator) -> None:
        self.http = http
        self.emu = emu

    async def new_asset(self, kind: str, **fields: Any) -> str:
        response = await self.http.post("/assets", json={"name": f"a {kind}", "type": kind, **fields}, headers=AUTH)
        assert response.status_code == 200, response.text
        asset_id = response.json()["id"]
        assert isinstance(asset_id, str)
        return asset_id

    async def send_file(self, asset_id: str, data: bytes, name: str = "file.bin") -> httpx.Response:
        files = {"file": (name, data, "application/octet-stream")}
        return await self.http.post(f"/assets/{asset_id}/upload", files=files, headers=AUTH)

    async def upload(self, kind: str, data: bytes) -> str:
        asset_id = await self.new_asset(kind)
        response = await self.send_file(asset_id, data)
        assert response.status_code == 200, response.text
        return asset_id

    async def face(self, rgb: tuple[int, int, int] = (200, 40, 40)) -> str:
        return await self.upload("image", png(64, 48, rgb))

    def tts_body(self, face_id: str, text: str = "Hello there, this is a demo.", **inputs: Any) -> dict[str, Any]:
        tts = {"type": "text_to_speech", "voice_id": VOICE_ID, "text": text}
        return self.body(start_keyframe_id=face_id, audio_generation=tts, **inputs)

    def body(self, **fields: Any) -> dict[str, Any]:
        """The server's body shape (spec 3.5); `text_prompt`, `aspect_ratio`, `resolution` go inside."""
        inputs = {"text_prompt": "A person speaking to the camera", "aspect_ratio": "16:9", "resolution": "540p"}
        for name in ("text_prompt", "aspect_ratio", "resolution", "duration_ms"):
            if name in fields:
                inputs[name] = fields.pop(name)
        top = {"type": "video", "model_slug": AVATAR, "generation_id": new_id(), "reserved_asset_id": new_id()}
        return {**top, "batch_size": 1, **fields, "generated_video_inputs": inputs}

    async def create(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post("/generations", json=body, headers=headers or AUTH)

    async def submit(self, body: dict[str, Any]) -> str:
        response = await self.create(body)
        assert response.status_code == 200, response.text
        generation_id = response.json()["id"]
        assert isinstance(generation_id, str)
        return generation_id

    async def status(self, generation_id: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.get(f"/generations/{generation_id}/status", headers=headers or AUTH)

    async def finish(self, generation_id: str) -> dict[str, Any]:
        self.emu.advance(DONE)
        response = await self.status(generation_id)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def credits(self) -> dict[str, Any]:
        response = await self.http.get("/billing/credits", headers=AUTH)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def detail(response: httpx.Response, status: int) -> Any:
    """The `detail` of an error answer, its status checked."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail"}, body
    return body["detail"]
