"""Generations through the real SDK: the state machine, outputs per type, URLs, 404s and failures."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import av
import httpx
import pytest
from emulator_fixtures import *  # noqa: F403  (pytest fixtures)
from emulator_helpers import KEY, FakeClock, Jobs, probe, sdk
from luma_agents import AsyncLuma, NotFoundError

from luma_mcp.providers.luma.emulator import Emulator
from luma_mcp.providers.luma.rules.vocabulary import FAILURE_CODES, FAILURE_REASONS


async def test_video_moves_queued_processing_completed_on_the_clock(
    client: AsyncLuma, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    created = await client.generations.create(
        prompt="a paper boat", model="ray-3.2", type="video", video={"resolution": "360p"}
    )
    assert (created.state, created.type, created.model, created.output) == ("queued", "video", "ray-3.2", [])
    assert created.created_at.endswith("Z") and created.failure_code is None and created.failure_reason is None
    clock.advance(0.9)
    assert (await client.generations.get(created.id)).state == "queued"
    clock.advance(0.2)
    assert (await client.generations.get(created.id)).state == "processing"
    clock.advance(19.8)
    assert (await client.generations.get(created.id)).state == "processing"
    clock.advance(0.2)
    done = await client.generations.get(created.id)
    assert done.state == "completed" and done.output is not None and len(done.output) == 1
    assert done.output[0].type == "video"
    assert done.output[0].url.startswith(f"http://emulator.test/_media/{created.id}/0/output.mp4?X-Amz-Expires=3600&")
    media = await http.get(done.output[0].url)
    assert media.status_code == 200
    assert media.headers["content-type"] == "video/mp4"
    assert int(media.headers["content-length"]) == len(media.content)
    assert probe(media.content) == (640, 360, 120)


async def test_video_is_h264_yuv420p_at_24_fps_and_follows_aspect_and_duration(
    jobs: Jobs, http: httpx.AsyncClient
) -> None:
    done = await jobs.video(duration="10s", resolution="720p")
    created = await jobs.client.generations.create(
        prompt="tall", model="ray-3.2", type="video", aspect_ratio="9:16", video={"resolution": "360p"}
    )
    tall = await jobs.finish(created)
    assert done.output and tall.output
    data = (await http.get(done.output[0].url)).content
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert stream.average_rate == 24
    assert probe(data) == (1280, 720, 240)
    assert probe((await http.get(tall.output[0].url)).content) == (360, 640, 120)


async def test_image_defaults_to_a_2048_square_png_and_honours_aspect_and_jpeg(
    jobs: Jobs, http: httpx.AsyncClient
) -> None:
    square = await jobs.image()
    wide = await jobs.image(aspect_ratio="16:9", output_format="jpeg")
    assert square.output and wide.output and square.output[0].type == "image"
    png = await http.get(square.output[0].url)
    jpeg = await http.get(wide.output[0].url)
    assert square.output[0].url.split("?")[0].endswith("/output.png")
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert jpeg.headers["content-type"] == "image/jpeg" and jpeg.content.startswith(b"\xff\xd8")
    assert probe(png.content)[:2] == (2048, 2048)
    assert probe(jpeg.content)[:2] == (2048, 1152)


async def test_image_edit_keeps_the_source_shape(jobs: Jobs, http: httpx.AsyncClient) -> None:
    source = await jobs.image(aspect_ratio="2:3")
    created = await jobs.client.generations.create(
        prompt="make it snow", model="uni-1", type="image_edit", source={"generation_id": source.id}
    )
    edited = await jobs.finish(created)
    assert edited.state == "completed" and edited.output
    assert probe((await http.get(edited.output[0].url)).content)[:2] == (1366, 2048)


async def test_layering_returns_rgba_layers_front_to_back(jobs: Jobs, http: httpx.AsyncClient) -> None:
    source = await jobs.image()
    created = await jobs.client.generations.create(
        prompt="split", model="uni-1", type="layering", source={"generation_id": source.id}
    )
    done = await jobs.finish(created)
    assert done.output is not None and len(done.output) == 3
    layers = [output.layer for output in done.output]
    assert [layer.index for layer in layers if layer] == [0, 1, 2]
    assert layers[-1] is not None and layers[-1].alpha_hint == "none"
    data = (await http.get(done.output[0].url)).content
    with av.open(io.BytesIO(data)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "rgba"
        assert (container.streams.video[0].codec_context.width) == 1024


async def test_exr_export_adds_an_exr_output(jobs: Jobs, http: httpx.AsyncClient) -> None:
    created = await jobs.client.generations.create(
        prompt="neon", model="ray-3.2", type="video", video={"resolution": "720p", "hdr": True, "exr_export": True}
    )
    done = await jobs.finish(created)
    assert done.output is not None and [output.type for output in done.output] == ["video", "exr"]
    exr = await http.get(done.output[1].url)
    assert exr.status_code == 200 and exr.headers["content-type"] == "image/x-exr"
    assert exr.content.startswith(b"\x76\x2f\x31\x01")


async def test_every_get_mints_a_fresh_url_and_old_ones_expire(
    jobs: Jobs, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    done = await jobs.image()
    assert done.output
    first = done.output[0].url
    clock.advance(1800)
    again = await jobs.client.generations.get(done.id)
    assert again.output
    second = again.output[0].url
    assert first != second
    assert parse_qs(urlsplit(first).query)["X-Amz-Date"] != parse_qs(urlsplit(second).query)["X-Amz-Date"]
    clock.advance(1801)
    expired = await http.get(first)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code>" in expired.text and "expired" in expired.text
    assert (await http.get(second)).status_code == 200
    tampered = second.replace("sig=", "sig=0")
    assert (await http.get(tampered)).status_code == 403
    assert "SignatureDoesNotMatch" in (await http.get(tampered)).text


async def test_unknown_foreign_and_malformed_ids_are_all_404(jobs: Jobs, http: httpx.AsyncClient) -> None:
    mine = await jobs.image()
    other = sdk(http, "luma-api-someone-else")
    for client, generation_id in (
        (jobs.client, "5b1b0b4e-6f1c-4e5e-9a8c-2b4f1f0d9c11"),
        (other, mine.id),
        (jobs.client, "not-a-uuid"),
    ):
        with pytest.raises(NotFoundError) as caught:
            await client.generations.get(generation_id)
        assert caught.value.body == {"detail": "Generation not found"}
    assert (await jobs.client.generations.get(mine.id.upper())).id == mine.id


@pytest.mark.parametrize("code", FAILURE_CODES)
async def test_fail_directive_ends_failed_with_the_code_and_reason(
    client: AsyncLuma, clock: FakeClock, code: str
) -> None:
    created = await client.generations.create(prompt=f"a cat __fail:{code}", model="uni-1")
    clock.advance(2)
    assert (await client.generations.get(created.id)).state == "processing"
    clock.advance(10)
    failed = await client.generations.get(created.id)
    assert (failed.state, failed.failure_code, failed.output) == ("failed", code, [])
    assert failed.failure_reason == FAILURE_REASONS[code]


async def test_moderate_fails_straight_from_queued(client: AsyncLuma, clock: FakeClock) -> None:
    created = await client.generations.create(prompt="__moderate something", model="uni-1")
    clock.advance(0.5)
    assert (await client.generations.get(created.id)).state == "queued"
    clock.advance(0.6)
    failed = await client.generations.get(created.id)
    assert (failed.state, failed.failure_code) == ("failed", "content_moderated")


async def test_slow_directive_sets_processing_time_and_unknown_fail_code_is_refused(
    client: AsyncLuma, http: httpx.AsyncClient, clock: FakeClock
) -> None:
    created = await client.generations.create(prompt="a cat __slow:100", model="uni-1")
    clock.advance(100)
    assert (await client.generations.get(created.id)).state == "processing"
    clock.advance(1.5)
    assert (await client.generations.get(created.id)).state == "completed"
    response = await http.post(
        "generations", json={"prompt": "__fail:nope", "model": "uni-1"}, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert response.status_code == 400 and "__fail" in response.json()["detail"]


async def test_reset_forgets_everything(emu: Emulator, jobs: Jobs) -> None:
    done = await jobs.image()
    emu.faults.expire_urls = True
    emu.reset()
    assert emu.requests == [] and not emu.faults.expire_urls
    with pytest.raises(NotFoundError):
        await jobs.client.generations.get(done.id)


async def test_generation_posts_lists_the_bodies_received(emu: Emulator, client: AsyncLuma) -> None:
    await client.generations.create(prompt="one", model="uni-1", aspect_ratio=None)
    await client.generations.create(prompt="two", model="uni-1")
    assert emu.generation_posts() == [
        {"prompt": "one", "model": "uni-1", "aspect_ratio": None},
        {"prompt": "two", "model": "uni-1"},
    ]
    assert emu.requests[0].headers["authorization"] == "<redacted>"
    assert all(KEY not in str(request) for request in emu.requests)
