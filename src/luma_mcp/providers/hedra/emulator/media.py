"""`GET /_media/<name>?expires=&sig=`: the emulator's storage, behind signed URLs that expire.

Names are `<asset id>.<ext>`: an uploaded image or audio file (its own bytes), a generated video
(`.mp4`, rendered on first download), or a voice's preview (`<voice id>.wav`). A URL answers 403 after
`url_ttl_seconds`, while `faults.expire_urls` is on, or with a bad signature; 404 for anything unknown
or not finished.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from luma_mcp.emulator.media import FPS, MediaSpec, render_async

from .catalog import VOICES_BY_ID
from .render import DEFAULT_PITCH_HZ, AvatarSpec, Renderer, tone_wav
from .responses import storage_error
from .store import Job

if TYPE_CHECKING:
    from .app import HedraEmulator

PREVIEW_SECONDS = 2.0


class Media:
    def __init__(self, emulator: HedraEmulator) -> None:
        self.emulator = emulator
        self.store = emulator.store
        self.renderer = Renderer()

    async def serve(self, request: Request) -> Response:
        name: str = request.path_params["name"]
        stem, _, extension = name.rpartition(".")
        found = await self._content(stem, extension)
        if found is None:
            return storage_error(404, "NoSuchKey", "The specified key does not exist.")
        params, now = request.query_params, self.store.now()
        verdict = self.store.signer.verify(name, params.get("expires", ""), params.get("sig", ""), now)
        if verdict == "ok" and self.emulator.faults.expire_urls:
            verdict = "expired"
        if verdict == "expired":
            return storage_error(403, "AccessDenied", "Request has expired")
        if verdict == "bad":
            return storage_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
        data, media_type = found
        return Response(data, media_type=media_type)

    async def _content(self, stem: str, extension: str) -> tuple[bytes, str] | None:
        voice = VOICES_BY_ID.get(stem)
        if voice is not None and extension == "wav":
            return tone_wav(PREVIEW_SECONDS, voice.pitch_hz), "audio/wav"
        asset = self.store.assets.get(stem)
        if asset is not None and asset.data is not None and extension == asset.extension:
            return asset.data, asset.media_type or "application/octet-stream"
        job = self.store.by_asset.get(stem)
        if job is not None and extension == "mp4" and job.status(self.store.now()) == "complete":
            return await self.video(job), "video/mp4"
        return None

    async def video(self, job: Job) -> bytes:
        """The job's MP4: the face and the speech for an avatar; the shared synthetic clip otherwise."""
        frames = max(1, round(job.seconds * FPS))
        if not job.avatar:
            return await render_async(MediaSpec("video", job.width, job.height, frames, "mp4"))
        face = self.store.assets.get(job.face_id) if job.face_id else None
        audio = self.store.assets.get(job.audio_id) if job.audio_id else None
        voice = VOICES_BY_ID.get(job.voice_id or "")
        spec = AvatarSpec(
            job.width,
            job.height,
            frames,
            face=face.digest if face is not None else None,
            audio=audio.digest if audio is not None else None,
            pitch_hz=voice.pitch_hz if voice is not None else DEFAULT_PITCH_HZ,
        )
        face_bytes = face.data if face is not None else None
        return await self.renderer.render(spec, face_bytes, audio.data if audio is not None else None)
