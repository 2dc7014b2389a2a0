"""The Hedra emulator's surface: auth, the catalog, voices, credits, the request log and admin routes."""

from __future__ import annotations

import httpx
import pytest

from luma_mcp.providers.hedra.emulator import HedraEmulator, HedraEmulatorConfig
from luma_mcp.providers.hedra.pricing import credits
from luma_mcp.providers.hedra.rules import DEFAULT_MODEL, slot_limits

from .emulator_support import AUTH, BASE_URL, KEY, ROOT_URL, START, VOICE_ID, HedraApi, detail

# --- auth ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": ""}, {"X-API-Key": "   "}, {"Authorization": f"Bearer {KEY}"}])
@pytest.mark.parametrize("path", ["/models", "/voices", "/billing/credits", "/assets?type=image", "/generations"])
async def test_a_missing_or_empty_key_is_401(hedra_http: httpx.AsyncClient, headers: dict[str, str], path: str) -> None:
    assert detail(await hedra_http.get(path, headers=headers), 401) == "Invalid API key"


async def test_only_configured_keys_pass_and_the_header_is_case_blind() -> None:
    emu = HedraEmulator(HedraEmulatorConfig(clock=lambda: START, accepted_keys=frozenset({KEY})))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), base_url=BASE_URL) as http:
        assert detail(await http.get("/models", headers={"X-API-Key": "other"}), 401) == "Invalid API key"
        assert (await http.get("/models", headers={"x-api-key": KEY})).status_code == 200


# --- catalog and voices -------------------------------------------------------------------------------


async def test_models_is_a_bare_array_with_the_avatar_entry_of_the_spec(hedra_http: httpx.AsyncClient) -> None:
    models = (await hedra_http.get("/models", params={"types": "video"}, headers=AUTH)).json()
    assert [model["slug"] for model in models] == [DEFAULT_MODEL, "fal/grok-video-t2v"]
    avatar = models[0]
    assert {"slug", "name", "description", "type", "price_details"} <= set(avatar)
    assert avatar["type"] == "video" and avatar["requires_start_frame"] and avatar["requires_audio_input"]
    assert (avatar["aspect_ratios"], avatar["resolutions"]) == (["16:9", "9:16", "1:1"], ["540p", "720p"])
    assert (avatar["default_resolution"], avatar["max_duration_ms"]) == ("540p", 600_000)
    assert avatar["price_details"] == {"credit_cost": 7, "unit_scale": 1, "billing_unit": "second"}
    assert avatar["pricing"] == {"base_cost": 0, "credits_per_second": 7, "modifiers": {"resolution": {"720p": 1.5}}}
    assert avatar["eta_ms"] == 27_000
    sizes = avatar["dimensions"]
    assert sizes["16:9"]["540p"] == {"width": 960, "height": 540}
    assert sizes["9:16"]["720p"] == {"width": 720, "height": 1280}
    assert sizes["1:1"]["720p"] == {"width": 720, "height": 720}
    assert slot_limits(avatar, "start_frame") == {"max_file_size_bytes": 10 * 2**20}
    assert slot_limits(avatar, "audio_input") == {
        "max_file_size_bytes": 100 * 2**20,
        "min_duration_ms": 500,
        "max_duration_ms": 600_000,
    }
    assert credits(avatar, 10, {"resolution": "720p"}) == 105
    grok = models[1]
    assert not grok["requires_audio_input"] and not grok["requires_start_frame"]
    assert credits(grok, 6, {}) == 60  # by price_details: it has no `pricing`


@pytest.mark.parametrize(("types", "slugs"), [([], 2), (["video"], 2), (["image"], 0), (["image", "video"], 2)])
async def test_models_honour_repeated_types(hedra_http: httpx.AsyncClient, types: list[str], slugs: int) -> None:
    response = await hedra_http.get("/models", params=[("types", kind) for kind in types], headers=AUTH)
    assert len(response.json()) == slugs


async def test_an_unknown_model_type_is_422(hedra_http: httpx.AsyncClient) -> None:
    response = await hedra_http.get("/models", params=[("types", "video"), ("types", "hologram")], headers=AUTH)
    (error,) = detail(response, 422)
    assert (error["loc"], error["type"], error["input"]) == (["query", "types", 1], "enum", "hologram")


async def test_voices_are_assets_with_labels_and_a_playable_preview(hedra_http: httpx.AsyncClient) -> None:
    voices = (await hedra_http.get("/voices", headers=AUTH)).json()
    assert len(voices) == 3 and VOICE_ID in [voice["id"] for voice in voices]
    for voice in voices:
        assert voice["type"] == "voice" and voice["asset"]["type"] == "voice"
        assert {label["name"] for label in voice["asset"]["labels"]} == {"gender", "accent", "age"}
    preview = await hedra_http.get(voices[0]["asset"]["preview_url"])
    assert voices[0]["asset"]["preview_url"].startswith(f"{ROOT_URL}/_media/{voices[0]['id']}.wav?expires=")
    assert preview.status_code == 200 and preview.headers["content-type"] == "audio/wav"
    assert preview.content[:4] == b"RIFF"


async def test_credits_start_full_per_key(hedra: HedraApi) -> None:
    assert await hedra.credits() == {"remaining": 10_000, "expiring": 0, "used": 0}


# --- request log and admin ------------------------------------------------------------------------------


async def test_the_request_log_redacts_the_key_and_keeps_json_bodies(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    body = hedra.tts_body(await hedra.face())
    await hedra.submit(body)
    await hedra.http.get("/models", params={"types": "video"}, headers=AUTH)
    assert all(request.headers["x-api-key"] == "<redacted>" for request in hedra_emu.requests)
    assert KEY not in repr([request.to_json() for request in hedra_emu.requests])
    assert hedra_emu.generation_posts() == [body]
    upload = next(request for request in hedra_emu.requests if request.path.endswith("/upload"))
    assert upload.body is None  # multipart: noted in uploads(), never the bytes
    models = hedra_emu.requests[-1]
    assert (models.method, models.path, models.query) == ("GET", "/web-app/public/models", "types=video")


async def test_admin_routes_switches_faults_advance_and_reset(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    http = hedra.http
    root = f"{ROOT_URL}/_emulator"
    switched = await http.post(f"{root}/switches", json={"duplicate_id": "echo", "stall_queued_seconds": 30})
    assert switched.json()["duplicate_id"] == "echo" and hedra_emu.switches.stall_queued_seconds == 30.0
    refused = await http.post(f"{root}/switches", json={"error_style": "loud"})
    assert "error_style" in detail(refused, 400)
    assert detail(await http.post(f"{root}/switches", json={"complete_without_url": 1}), 400)
    fault = await http.post(f"{root}/faults", json={"too_many_requests": True, "retry_after": 2})
    assert fault.status_code == 201 and fault.json()["fault"]["route"] == "POST /generations"
    limited = await hedra.create(hedra.tts_body(await hedra.face()))
    assert detail(limited, 429) == "Too many requests" and limited.headers["retry-after"] == "2"
    assert (await http.post(f"{root}/advance", json={"seconds": 5})).json() == {"now": START + 5}
    assert (await http.post(f"{root}/reset")).status_code == 204
    assert hedra_emu.switches == hedra_emu.config.switches and hedra_emu.store.assets == {}
    assert hedra_emu.requests == [] and hedra_emu.uploads() == [] and hedra_emu.now() == START + 5
