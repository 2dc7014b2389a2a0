"""The media behind `video.url`: real MP4s of the right shape, expiring URLs, and mounting under a prefix."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from luma_mcp.media.probe import video_info
from luma_mcp.providers.aimlapi.emulator import AimlEmulator

from .support import AUTH, Api


async def download(http: httpx.AsyncClient, url: str) -> httpx.Response:
    return await http.get(url)  # no key: media URLs are presigned


async def test_media_is_a_real_mp4_of_the_requested_shape_and_length(api: Api, http: httpx.AsyncClient) -> None:
    body = await api.completed(aspect_ratio="9:16", duration=9)
    response = await download(http, body["video"]["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    info = video_info(response.content)
    assert info is not None
    assert (info.width, info.height, info.seconds, info.frames) == (540, 960, 9.0, 216)


async def test_an_extend_is_the_anchor_plus_the_requested_seconds(api: Api, http: httpx.AsyncClient) -> None:
    anchor = (await api.completed(aspect_ratio="9:16"))["id"]
    extended = await api.completed(keyframes={"frame0": {"type": "generation", "id": anchor}}, aspect_ratio="16:9")
    info = video_info((await download(http, extended["video"]["url"])).content)
    assert info is not None and (info.width, info.height, info.seconds) == (540, 960, 10.0)


async def test_urls_expire_and_a_fresh_poll_mints_a_new_one(
    api: Api, emu: AimlEmulator, http: httpx.AsyncClient
) -> None:
    body = await api.completed(aspect_ratio="9:16", duration=9)
    emu.advance(3601)
    expired = await download(http, body["video"]["url"])
    assert expired.status_code == 403 and b"Request has expired" in expired.content
    assert expired.headers["content-type"].startswith("application/xml")
    fresh = (await api.poll(body["id"])).json()["video"]["url"]
    assert fresh != body["video"]["url"]
    assert (await download(http, fresh)).status_code == 200


async def test_the_expire_urls_fault_and_bad_signatures_answer_403(
    api: Api, emu: AimlEmulator, http: httpx.AsyncClient
) -> None:
    url = (await api.completed(aspect_ratio="9:16", duration=9))["video"]["url"]
    emu.faults.expire_urls = True
    assert b"Request has expired" in (await download(http, url)).content
    emu.faults.expire_urls = False
    tampered = await download(http, url[:-4] + "0000")
    assert tampered.status_code == 403 and b"SignatureDoesNotMatch" in tampered.content
    missing = await download(http, "/_media/7c880e75-9892-4238-8464-49cb0c6deabd%3Aluma%2Fray-2.mp4?expires=1&sig=0")
    assert missing.status_code == 404 and b"NoSuchKey" in missing.content


async def test_media_of_an_unfinished_job_does_not_exist(api: Api, emu: AimlEmulator, http: httpx.AsyncClient) -> None:
    generation_id = await api.submit()
    query = emu.store.media_query(generation_id)
    assert (await download(http, f"/_media/{generation_id}.mp4?{query}")).status_code == 404


class PrefixMount:
    """What the server's dispatcher does: strip the prefix from `path`, append it to `root_path`."""

    def __init__(self, prefix: str, app: ASGIApp) -> None:
        self.prefix = prefix
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        assert scope["type"] == "http" and path.startswith(self.prefix + "/"), path
        inner: dict[str, Any] = {
            **scope,
            "path": path[len(self.prefix) :],
            "root_path": scope.get("root_path", "") + self.prefix,
        }
        await self.app(inner, receive, send)


async def test_urls_point_back_through_the_mount_prefix(emu: AimlEmulator) -> None:
    transport = httpx.ASGITransport(app=PrefixMount("/aimlapi", emu.app))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        created = await http.post(
            "/aimlapi/v2/video/generations",
            json={
                "model": "luma/ray-2",
                "prompt": "a fox",
                "resolution": "540p",
                "aspect_ratio": "9:16",
                "duration": 9,
            },
            headers=AUTH,
        )
        generation_id = created.json()["id"]
        emu.advance(60)
        polled = await http.get("/aimlapi/v2/video/generations", params={"generation_id": generation_id}, headers=AUTH)
        url = polled.json()["video"]["url"]
        assert url.startswith("http://gateway.test/aimlapi/_media/")
        media = await http.get(url)
    assert media.status_code == 200 and media.headers["content-type"] == "video/mp4"
    assert emu.requests[0].path == "/v2/video/generations"  # the log speaks the API's own paths
