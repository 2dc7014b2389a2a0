"""The media behind the URLs: an MP4 that shows the face and carries the speech, the `/assets`
fallback, expiring URLs, the faults a client must survive, and mounting under a prefix."""

from __future__ import annotations

import io
from typing import Any

import av
import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from luma_mcp.media.probe import audio_seconds, video_info
from luma_mcp.providers.hedra.emulator import HedraEmulator

from .emulator_support import AUTH, KEY, VOICE_ID, HedraApi, audio, detail, png


def centre_pixel(mp4: bytes) -> tuple[int, int, int]:
    with av.open(io.BytesIO(mp4)) as container:
        frame = next(container.decode(video=0)).to_rgb()
    plane = frame.planes[0]
    offset = (frame.height // 2) * plane.line_size + (frame.width // 2) * 3
    red, green, blue = bytes(plane)[offset : offset + 3]
    return red, green, blue


async def completed_video(hedra: HedraApi, body: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    status = await hedra.finish(await hedra.submit(body))
    response = await hedra.http.get(status["download_url"])  # no key: the URL is presigned
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    return status, response.content


async def test_the_video_has_the_models_size_and_the_uploaded_speech(hedra: HedraApi) -> None:
    sound = await hedra.upload("audio", audio(1.5, "mp3"))
    body = hedra.body(start_keyframe_id=await hedra.face(), audio_id=sound)
    _, mp4 = await completed_video(hedra, body)
    info = video_info(mp4)
    assert info is not None and (info.width, info.height) == (960, 540)
    speech = audio_seconds(mp4)
    assert info.seconds == pytest.approx(1.5, abs=0.05) and speech == pytest.approx(info.seconds, abs=0.05)
    with av.open(io.BytesIO(mp4)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        assert container.streams.video[0].average_rate == 24


@pytest.mark.parametrize(("aspect", "size"), [("9:16", (540, 960)), ("1:1", (540, 540))])
async def test_tts_videos_last_as_long_as_the_script_with_a_tone(
    hedra: HedraApi, aspect: str, size: tuple[int, int]
) -> None:
    _, mp4 = await completed_video(hedra, hedra.tts_body(await hedra.face(), text="w" * 21, aspect_ratio=aspect))
    info = video_info(mp4)
    assert info is not None and (info.width, info.height) == size and info.seconds == 1.5  # 21 chars at 14/s
    assert audio_seconds(mp4) == pytest.approx(1.5, abs=0.05)


async def test_duration_ms_sets_the_length_and_the_audio_is_cut_to_it(hedra: HedraApi) -> None:
    sound = await hedra.upload("audio", audio(2.0))
    body = hedra.body(start_keyframe_id=await hedra.face(), audio_id=sound, duration_ms=1000)
    _, mp4 = await completed_video(hedra, body)
    info = video_info(mp4)
    assert info is not None and info.seconds == 1.0 and audio_seconds(mp4) == pytest.approx(1.0, abs=0.05)


async def test_the_face_is_in_the_frame(hedra: HedraApi) -> None:
    sound = await hedra.upload("audio", audio(1.0))
    pixels = []
    for colour in ((220, 30, 30), (30, 30, 220)):
        body = hedra.body(start_keyframe_id=await hedra.face(colour), audio_id=sound)
        pixels.append(centre_pixel((await completed_video(hedra, body))[1]))
    red, blue = pixels
    assert red != blue
    assert red[0] > 150 and red[2] < 90 and blue[2] > 150 and blue[0] < 90


async def test_a_public_start_frame_url_gets_a_placeholder(hedra: HedraApi) -> None:
    tts = {"voice_id": VOICE_ID, "text": "hello there"}
    body = hedra.body(start_keyframe_url="https://example.com/face.png", audio_generation=tts)
    _, mp4 = await completed_video(hedra, body)
    info = video_info(mp4)
    assert info is not None and (info.width, info.height) == (960, 540) and audio_seconds(mp4)


async def test_a_model_that_is_not_an_avatar_makes_the_shared_synthetic_clip(hedra: HedraApi) -> None:
    body = hedra.body(model_slug="fal/grok-video-t2v", text_prompt="a fox", resolution="480p", aspect_ratio="1:1")
    _, mp4 = await completed_video(hedra, body)
    info = video_info(mp4)
    assert info is not None and (info.width, info.height, info.seconds) == (480, 480, 6.0)


async def test_complete_without_url_leaves_the_asset_as_the_fallback(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    hedra_emu.switches.complete_without_url = True
    status = await hedra.finish(await hedra.submit(hedra.tts_body(await hedra.face(), text="w" * 14)))
    assert status["status"] == "complete" and "url" not in status and "download_url" not in status
    assert status["streaming_url"]
    found = await hedra.http.get("/assets", params={"type": "video", "ids": status["asset_id"]}, headers=AUTH)
    (asset,) = found.json()
    video = asset["asset"]
    assert (asset["id"], video["type"]) == (status["asset_id"], "generated_video")
    assert (video["width"], video["height"], video["duration_ms"]) == (960, 540, 1000)
    assert (await hedra.http.get(video["download_url"])).status_code == 200
    by_generation = await hedra.http.get("/assets", params={"type": "video", "ids": status["id"]}, headers=AUTH)
    assert by_generation.json() == []


async def test_urls_expire_and_a_fresh_read_mints_a_new_one(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    status = await hedra.finish(generation_id := await hedra.submit(hedra.tts_body(await hedra.face(), text="w" * 14)))
    hedra_emu.advance(601)
    expired = await hedra.http.get(status["url"])
    assert expired.status_code == 403 and b"Request has expired" in expired.content
    fresh = (await hedra.status(generation_id)).json()["url"]
    assert fresh != status["url"] and (await hedra.http.get(fresh)).status_code == 200
    hedra_emu.faults.expire_urls = True
    assert (await hedra.http.get(fresh)).status_code == 403
    hedra_emu.faults.expire_urls = False
    tampered = await hedra.http.get(fresh[:-4] + "0000")
    assert tampered.status_code == 403 and b"SignatureDoesNotMatch" in tampered.content


async def test_media_of_an_unfinished_job_or_unknown_name_is_404(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    generation_id = await hedra.submit(hedra.tts_body(await hedra.face()))
    name = f"{hedra_emu.store.jobs[generation_id].asset_id}.mp4"
    assert (await hedra.http.get(f"/_media/{name}?{hedra_emu.store.media_query(name)}")).status_code == 404
    assert (await hedra.http.get("http://hedra.test/_media/nothing.mp4")).status_code == 404


# --- faults -------------------------------------------------------------------------------------------


async def test_accept_then_fail_creates_the_job_that_the_status_poll_finds(
    hedra: HedraApi, hedra_emu: HedraEmulator
) -> None:
    hedra_emu.faults.add("POST /generations", status=502, accept_then_fail=True)
    body = hedra.tts_body(await hedra.face())
    assert detail(await hedra.create(body), 502) == "Upstream service unavailable"
    polled = await hedra.status(body["generation_id"])
    assert polled.status_code == 200 and polled.json()["status"] == "queued"
    assert len(hedra_emu.generation_posts()) == 1


async def test_a_dropped_create_still_lands(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    hedra_emu.faults.add("POST /generations", drop_connection=True, accept_then_fail=True)
    body = hedra.tts_body(await hedra.face())
    with pytest.raises(ConnectionResetError):
        await hedra.create(body)
    assert (await hedra.status(body["generation_id"])).status_code == 200


async def test_read_faults_malformed_json_and_429(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    hedra_emu.faults.add("GET /models", malformed_json=True)
    broken = await hedra.http.get("/models", headers=AUTH)
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    hedra_emu.too_many_requests("GET /generations/{id}/status", times=2, retry_after=3)
    generation_id = await hedra.submit(hedra.tts_body(await hedra.face()))
    for _ in range(2):
        limited = await hedra.status(generation_id)
        assert detail(limited, 429) == "Too many requests" and limited.headers["retry-after"] == "3"
    assert (await hedra.status(generation_id)).status_code == 200


async def test_upload_and_media_routes_take_faults(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    asset_id = await hedra.new_asset("image")
    hedra_emu.faults.add("POST /assets/{id}/upload", status=503)
    assert detail(await hedra.send_file(asset_id, png(8, 8, (0, 0, 0))), 503) == "Service unavailable"
    uploaded = await hedra.send_file(asset_id, png(8, 8, (0, 0, 0)))
    hedra_emu.faults.add("GET /_media/{id}", status=500)
    assert (await hedra.http.get(uploaded.json()["asset"]["url"])).status_code == 500
    assert (await hedra.http.get(uploaded.json()["asset"]["url"])).status_code == 200


# --- mounted under a prefix ------------------------------------------------------------------------------


class PrefixMount:
    """What the sandbox's dispatcher does: strip the prefix from `path`, append it to `root_path`."""

    def __init__(self, prefix: str, app: ASGIApp) -> None:
        self.prefix = prefix
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        inner = {**scope, "path": path[len(self.prefix) :], "root_path": scope.get("root_path", "") + self.prefix}
        await self.app(inner, receive, send)


async def test_urls_point_back_through_the_mount_prefix(hedra_emu: HedraEmulator) -> None:
    transport = httpx.ASGITransport(app=PrefixMount("/hedra", hedra_emu.app))
    base = "http://sandbox.test/hedra/web-app/public"
    async with httpx.AsyncClient(transport=transport, base_url=base) as http:
        hedra = HedraApi(http, hedra_emu)
        status = await hedra.finish(await hedra.submit(hedra.tts_body(await hedra.face(), text="w" * 14)))
        assert status["url"].startswith("http://sandbox.test/hedra/_media/")
        assert (await http.get(status["url"])).headers["content-type"] == "video/mp4"
    assert hedra_emu.requests[0].path == "/web-app/public/assets"  # the log speaks the API's own paths
    assert hedra_emu.requests[0].headers["x-api-key"] == "<redacted>" and KEY not in str(hedra_emu.requests)
