"""References that need state: generation ids (I11), extend, edit and reframe lengths (E3/F4), URLs, data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_fixtures import *  # noqa: F403  (pytest fixtures)
from emulator_helpers import KEY, FakeClock, Jobs, b64, probe, sdk
from luma_agents import AsyncLuma, BadRequestError, PermissionDeniedError, UnprocessableEntityError

from luma_mcp.emulator.media import encode_image, encode_video
from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig

MISSING = "5b1b0b4e-6f1c-4e5e-9a8c-2b4f1f0d9c11"


async def post(http: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await http.post("generations", json=body, headers={"Authorization": f"Bearer {KEY}"})


def edit(source: dict[str, Any], **video: Any) -> dict[str, Any]:
    return {
        "prompt": "make it rain",
        "model": "ray-3.2",
        "type": "video_edit",
        "source": source,
        "video": {"resolution": "360p", **video},
    }


async def test_extend_adds_five_seconds_and_keeps_the_source_aspect(jobs: Jobs, http: httpx.AsyncClient) -> None:
    created = await jobs.client.generations.create(
        prompt="tall", model="ray-3.2", type="video", aspect_ratio="9:16", video={"resolution": "540p"}
    )
    source = await jobs.finish(created)
    extended = await jobs.finish(
        await jobs.client.generations.create(
            prompt="and then",
            model="ray-3.2",
            type="video",
            video={"resolution": "540p", "start_frame": {"generation_id": source.id}},
        )
    )
    assert extended.output
    assert probe((await http.get(extended.output[0].url)).content) == (540, 960, 240)


async def test_edit_longer_than_18_s_is_refused_after_extending_twice(jobs: Jobs) -> None:
    ten = await jobs.video(duration="10s")
    fifteen = await jobs.video(start_frame={"generation_id": ten.id}, resolution="540p")
    twenty = await jobs.video(end_frame={"generation_id": fifteen.id}, resolution="540p")
    with pytest.raises(BadRequestError) as caught:
        await jobs.client.generations.create(**edit({"generation_id": twenty.id}))
    assert caught.value.body == {"detail": "source: video is 20.0 s, longer than the 18 s limit for video_edit"}
    fine = await jobs.client.generations.create(**edit({"generation_id": fifteen.id}))
    assert fine.state == "queued"
    reframed = await jobs.client.generations.create(
        prompt="vertical",
        model="ray-3.2",
        type="video_reframe",
        aspect_ratio="9:16",
        source={"generation_id": twenty.id},
        video={"resolution": "360p"},
    )
    assert reframed.type == "video_reframe"


async def test_edit_and_reframe_follow_the_source_length(jobs: Jobs, http: httpx.AsyncClient) -> None:
    source = await jobs.video(aspect_ratio="1:1")
    edited = await jobs.finish(await jobs.client.generations.create(**edit({"generation_id": source.id})))
    reframed = await jobs.finish(
        await jobs.client.generations.create(
            prompt="wide",
            model="ray-3.2",
            type="video_reframe",
            aspect_ratio="21:9",
            source={"generation_id": source.id},
            video={"resolution": "360p"},
        )
    )
    assert edited.output and reframed.output
    assert probe((await http.get(edited.output[0].url)).content) == (640, 360, 120)
    assert probe((await http.get(reframed.output[0].url)).content) == (840, 360, 120)


async def test_inline_video_source_is_probed(jobs: Jobs, http: httpx.AsyncClient) -> None:
    short = encode_video(96, 64, 48)  # 2 s, 3:2
    done = await jobs.finish(
        await jobs.client.generations.create(**edit({"data": b64(short), "media_type": "video/mp4"}))
    )
    assert done.output
    assert probe((await http.get(done.output[0].url)).content) == (540, 360, 48)
    long = encode_video(64, 36, 24 * 19)
    response = await post(http, edit({"data": b64(long), "media_type": "video/mp4"}))
    assert response.status_code == 400 and "longer than the 18 s limit" in response.json()["detail"]
    junk = await post(http, edit({"data": b64(b"not a video at all"), "media_type": "video/mp4"}))
    assert junk.status_code == 422 and junk.json()["detail"].startswith("source: ")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        ("missing", "video.start_frame: generation '{id}' not found"),
        ("foreign", "video.start_frame: generation '{id}' not found"),
        ("pending", "video.start_frame: generation '{id}' is not completed"),
        ("failed", "video.start_frame: generation '{id}' is not completed"),
        ("image", "video.start_frame: generation '{id}' has no video output"),
    ],
)
async def test_extend_needs_a_completed_video_of_the_same_key(
    jobs: Jobs, http: httpx.AsyncClient, make: str, expected: str
) -> None:
    if make == "missing":
        generation_id = MISSING
    elif make == "foreign":
        generation_id = (await Jobs(sdk(http, "luma-api-other"), jobs.clock).video()).id
    elif make == "pending":
        generation_id = (await jobs.client.generations.create(prompt="p", model="ray-3.2", type="video")).id
    elif make == "failed":
        generation_id = (
            await jobs.finish(
                await jobs.client.generations.create(prompt="__fail:generation_failed", model="ray-3.2", type="video")
            )
        ).id
    else:
        generation_id = (await jobs.image()).id
    response = await post(
        http,
        {
            "prompt": "more",
            "model": "ray-3.2",
            "type": "video",
            "video": {"start_frame": {"generation_id": generation_id}},
        },
    )
    assert response.status_code == 400
    assert response.json() == {"detail": expected.format(id=generation_id)}


async def test_image_positions_need_images(jobs: Jobs, http: httpx.AsyncClient) -> None:
    video = await jobs.video()
    cases = [
        (
            {"prompt": "x", "model": "uni-1", "type": "image_edit", "source": {"generation_id": video.id}},
            400,
            f"source: generation '{video.id}' has no image output",
        ),
        (
            {
                "prompt": "x",
                "model": "uni-1",
                "image_ref": [
                    {"data": b64(b"GIF89a but not really"), "media_type": "image/gif"},
                    {"data": b64(b"plain text"), "media_type": "image/png"},
                ],
            },
            422,
            "image_ref[1]: content-type is not an image",
        ),
        (
            {"prompt": "x", "model": "uni-1", "image_ref": [{"url": "https://example.com/clip.mp4"}]},
            422,
            "image_ref[0]: content-type is not an image",
        ),
        (
            {"prompt": "x", "model": "uni-1", "image_ref": [{"url": "https://example.com/__404/cat.png"}]},
            422,
            "image_ref[0]: failed to fetch URL (HTTP 404)",
        ),
        (
            {
                "prompt": "x",
                "model": "ray-3.2",
                "type": "video",
                "video": {
                    "keyframes": [{"url": "https://example.com/a.png"}, {"generation_id": MISSING}],
                    "keyframe_indexes": [0, 120],
                },
            },
            400,
            f"video.keyframes[1]: generation '{MISSING}' not found",
        ),
    ]
    for body, status, detail in cases:
        response = await post(http, body)
        assert (response.status_code, response.json()) == (status, {"detail": detail}), body


async def test_keyframes_accept_image_and_video_generations_and_real_images(
    jobs: Jobs, http: httpx.AsyncClient
) -> None:
    image, video = await jobs.image(), await jobs.video()
    png = encode_image(64, 64, "png")
    response = await post(
        http,
        {
            "prompt": "x",
            "model": "ray-3.2",
            "type": "video",
            "video": {
                "keyframes": [
                    {"generation_id": image.id},
                    {"generation_id": video.id},
                    {"data": b64(png), "media_type": "image/png"},
                ],
                "keyframe_indexes": [0, 60, 120],
            },
        },
    )
    assert response.status_code == 201, response.text


async def test_video_url_sources_take_a_duration_hint(http: httpx.AsyncClient) -> None:
    url = "https://cdn.example.com/clip.mp4?__duration=25"
    refused = await post(http, edit({"url": url, "media_type": "video/mp4"}))
    assert refused.status_code == 400 and "25.0 s" in refused.json()["detail"]
    reframe = {
        "prompt": "v",
        "model": "ray-3.2",
        "type": "video_reframe",
        "aspect_ratio": "9:16",
        "source": {"url": url, "media_type": "video/mp4"},
    }
    assert (await post(http, reframe)).status_code == 201
    image_url = await post(http, edit({"url": "https://cdn.example.com/still.png", "media_type": "video/mp4"}))
    assert image_url.status_code == 422


async def test_own_media_urls_resolve_to_their_generation(
    jobs: Jobs, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    long = await jobs.video(duration="10s")
    longer = await jobs.video(start_frame={"generation_id": long.id}, resolution="540p")
    longest = await jobs.video(start_frame={"generation_id": longer.id}, resolution="540p")
    assert longest.output
    url = longest.output[0].url
    refused = await post(http, edit({"url": url, "media_type": "video/mp4"}))
    assert refused.status_code == 400 and "20.0 s" in refused.json()["detail"]
    clock.advance(3601)
    stale = await post(http, edit({"url": url, "media_type": "video/mp4"}))
    assert stale.json() == {"detail": "source: failed to fetch URL (HTTP 403)"}


async def test_hdr_needs_access(clock: FakeClock) -> None:
    emu = Emulator(EmulatorConfig(clock=clock, hdr_access=False, layering_access=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), base_url="http://e.test/v1") as http:
        client = sdk(http)
        with pytest.raises(PermissionDeniedError) as caught:
            await client.generations.create(prompt="x", model="ray-3.2", type="video", video={"hdr": True})
        assert isinstance(caught.value.body, dict) and isinstance(caught.value.body["detail"], str)
        with pytest.raises(PermissionDeniedError):
            await client.generations.create(
                prompt="x", model="uni-1", type="layering", source={"url": "https://example.com/a.png"}
            )


async def test_invalid_base64_is_422(client: AsyncLuma) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        await client.generations.create(
            prompt="x", model="uni-1", type="image_edit", source={"data": "%%%", "media_type": "image/png"}
        )
    assert caught.value.body == {"detail": "source: invalid base64 data"}
