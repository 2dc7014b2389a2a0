"""Generations: the create echo, every kind of refusal, duplicate ids, credits, the schedule with its
progress, prompt markers in both error styles, status look-ups and the list."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from luma_mcp.providers.hedra.emulator import HedraEmulator, HedraEmulatorConfig

from .emulator_support import AUTH, BASE_URL, START, VOICE_ID, HedraApi, audio, detail, new_id


async def test_a_tts_create_echoes_the_body_with_the_clients_ids(hedra: HedraApi) -> None:
    body = hedra.tts_body(await hedra.face(), text="x" * 70)  # 5 s of speech
    response = await hedra.create(body)
    assert response.status_code == 200
    created = response.json()
    result = {
        "id": body["generation_id"],
        "asset_id": body["reserved_asset_id"],
        "created_at": created["created_at"],
        "status": "queued",
        "progress": 0.0,
        "error": None,
        "eta_sec": 27,
    }
    assert created == {
        **body,
        "id": body["generation_id"],
        "asset_id": body["reserved_asset_id"],
        "created_at": created["created_at"],
        "status": "queued",
        "progress": 0.0,
        "eta_sec": 27,
        "batch_generation_id": None,
        "batch_results": [result],
    }
    assert created["created_at"].endswith("Z")


async def test_an_uploaded_audio_create_gets_new_ids_when_the_client_sends_none(
    hedra: HedraApi, hedra_emu: HedraEmulator
) -> None:
    body = hedra.body(start_keyframe_id=await hedra.face(), audio_id=await hedra.upload("audio", audio(2.0)))
    del body["generation_id"], body["reserved_asset_id"]
    created = (await hedra.create(body)).json()
    job = hedra_emu.store.jobs[created["id"]]
    assert (job.asset_id, job.seconds, job.width, job.height) == (created["asset_id"], 2.0, 960, 540)
    assert {key: created[key] for key in body} == body


async def test_both_audio_and_tts_are_accepted_and_audio_wins(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    audio_id = await hedra.upload("audio", audio(2.0))
    body = hedra.tts_body(await hedra.face(), text="y" * 140, audio_id=audio_id)
    job = hedra_emu.store.jobs[await hedra.submit(body)]
    assert (job.audio_id, job.seconds) == (audio_id, 2.0)


@pytest.mark.parametrize(
    ("change", "loc", "kind"),
    [
        ({"type": "image"}, ["type"], "literal_error"),
        ({"generated_video_inputs": {"aspect_ratio": "16:9"}}, ["generated_video_inputs", "text_prompt"], "missing"),
        ({"generation_id": "not-a-uuid"}, ["generation_id"], "uuid_parsing"),
        ({"audio_id": ["7"]}, ["audio_id"], "uuid_parsing"),
        ({"audio_generation": {"text": "hi"}}, ["audio_generation", "voice_id"], "missing"),
        ({"audio_generation": {"voice_id": VOICE_ID}}, ["audio_generation", "text"], "missing"),
        ({"audio_generation": {"voice_id": VOICE_ID, "text": "hi", "speed": 2}}, ["audio_generation", "speed"],
         "less_than_equal"),
        ({"audio_generation": {"voice_id": VOICE_ID, "text": "hi", "stability": -1}},
         ["audio_generation", "stability"], "greater_than_equal"),
        ({"audio_generation": {"voice_id": VOICE_ID, "text": "hi", "language": "english"}},
         ["audio_generation", "language"], "enum"),
        ({"start_keyframe_url": "ftp://example.com/face.png"}, ["start_keyframe_url"], "url_parsing"),
        ({"batch_size": 9}, ["batch_size"], "less_than_equal"),
        ({"name": "n" * 256}, ["name"], "string_too_long"),
        ({"generated_video_inputs": {"text_prompt": "x", "duration_ms": 0}}, ["generated_video_inputs", "duration_ms"],
         "greater_than"),
        ({"audio_start_ms": "soon"}, ["audio_start_ms"], "int_type"),
    ],
)  # fmt: skip
async def test_schema_errors_are_422_in_fastapis_list(
    hedra: HedraApi, hedra_emu: HedraEmulator, change: dict[str, Any], loc: list[str], kind: str
) -> None:
    body = {**hedra.tts_body(await hedra.face()), **change}
    first = detail(await hedra.create(body), 422)[0]
    assert (first["loc"], first["type"]) == (["body", *loc], kind)
    assert set(first) == {"type", "loc", "msg", "input"} and first["msg"]
    assert hedra_emu.store.jobs == {}


async def test_a_missing_field_reports_its_parent_and_every_schema_error_is_listed(hedra: HedraApi) -> None:
    body = {**hedra.tts_body(await hedra.face()), "generation_id": "x", "batch_size": 0}
    del body["generated_video_inputs"]["text_prompt"]
    errors = detail(await hedra.create(body), 422)
    assert [error["loc"][-1] for error in errors] == ["text_prompt", "generation_id", "batch_size"]
    assert errors[0]["input"] == body["generated_video_inputs"]


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]"])
async def test_a_body_that_is_not_a_json_object_is_422(hedra: HedraApi, raw: bytes) -> None:
    response = await hedra.http.post("/generations", content=raw, headers={**AUTH, "Content-Type": "application/json"})
    (error,) = detail(response, 422)
    assert error["type"] in ("json_invalid", "model_attributes_type")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"model_slug": "together/hedra-avatar-9"}, "model_slug"),
        ({"start_keyframe_id": None}, "start_keyframe_id"),
        ({"audio_generation": None}, "audio_id"),
        ({"audio_generation": {"voice_id": new_id(), "text": "hi"}}, "audio_generation.voice_id"),
        ({"audio_generation": {"voice_id": VOICE_ID, "text": "   "}}, "audio_generation.text"),
        ({"aspect_ratio": "4:3"}, "generated_video_inputs.aspect_ratio"),
        ({"resolution": "1080p"}, "generated_video_inputs.resolution"),
        ({"duration_ms": 600_001}, "generated_video_inputs.duration_ms"),
    ],
)
async def test_semantic_errors_are_400_naming_the_field(hedra: HedraApi, change: dict[str, Any], field: str) -> None:
    body = hedra.body(start_keyframe_id=await hedra.face(), audio_generation={"voice_id": VOICE_ID, "text": "hi"})
    body |= change
    for name in ("aspect_ratio", "resolution", "duration_ms"):
        if name in body:
            body["generated_video_inputs"][name] = body.pop(name)
    body = {name: value for name, value in body.items() if value is not None}
    assert detail(await hedra.create(body), 400).startswith(f"{field}: ")


async def test_a_prompt_outside_the_models_bounds_is_400(hedra: HedraApi) -> None:
    body = hedra.body(model_slug="fal/grok-video-t2v", text_prompt="", resolution="720p")
    assert detail(await hedra.create(body), 400).startswith("generated_video_inputs.text_prompt: ")
    assert (await hedra.create({**body, "generated_video_inputs": {"text_prompt": "a fox"}})).status_code == 200


async def test_named_assets_must_be_uploaded_assets_of_the_right_kind_and_key(hedra: HedraApi) -> None:
    face, sound = await hedra.face(), await hedra.upload("audio", audio(1.0))
    wrong_kind = hedra.body(start_keyframe_id=sound, audio_id=sound)
    assert detail(await hedra.create(wrong_kind), 400).startswith("start_keyframe_id: ")
    not_audio = hedra.body(start_keyframe_id=face, audio_id=[sound, face])
    assert detail(await hedra.create(not_audio), 400).startswith("audio_id: ")
    empty = hedra.body(start_keyframe_id=face, audio_id=await hedra.new_asset("audio"))
    assert "no uploaded file" in detail(await hedra.create(empty), 400)
    theirs = hedra.body(start_keyframe_id=face, audio_id=sound)
    assert detail(await hedra.create(theirs, headers={"X-API-Key": "other"}), 400).startswith("start_keyframe_id: ")


# --- duplicate ids and credits -----------------------------------------------------------------------


async def test_a_reused_generation_id_is_409_or_echoed(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    body = hedra.tts_body(await hedra.face())
    original = (await hedra.create(body)).json()
    hedra_emu.advance(10)
    again = {**body, "reserved_asset_id": new_id()}
    assert detail(await hedra.create(again), 409) == f"ALREADY_EXISTS: generation {body['generation_id']}"
    hedra_emu.switches.duplicate_id = "echo"
    replay = await hedra.create(again)
    assert replay.status_code == 200 and replay.json() == original
    assert len(hedra_emu.store.jobs) == 1 and len(hedra_emu.generation_posts()) == 3
    assert (await hedra.create(body, headers={"X-API-Key": "other"})).status_code == 409  # ids are global


async def test_a_reused_reserved_asset_id_is_409(hedra: HedraApi) -> None:
    face = await hedra.face()
    sound = await hedra.upload("audio", audio(1.0))
    body = hedra.body(start_keyframe_id=face, audio_id=sound, reserved_asset_id=face)
    assert detail(await hedra.create(body), 409) == f"ALREADY_EXISTS: asset {face}"


async def test_insufficient_credits_refuse_at_submit(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    hedra_emu.config.starting_credits = 20  # 3 s at 720p costs ceil(7 x 3 x 1.5) = 32
    body = hedra.tts_body(await hedra.face(), text="z" * 42, resolution="720p")
    assert detail(await hedra.create(body), 402) == "Insufficient credits"
    assert hedra_emu.store.jobs == {}


async def test_insufficient_credits_fail_the_job_with_the_async_switch(
    hedra: HedraApi, hedra_emu: HedraEmulator
) -> None:
    hedra_emu.config.starting_credits = 20
    hedra_emu.switches.insufficient_balance = "async"
    generation_id = await hedra.submit(hedra.tts_body(await hedra.face(), text="z" * 42, resolution="720p"))
    hedra_emu.advance(5)
    status = (await hedra.status(generation_id)).json()
    assert status["status"] == "error" and status["progress"] == 0.0
    shortfall = {"credits_needed": 32, "credits_available": 20}
    assert status["error"] == {"type": "INSUFFICIENT_BALANCE", "message": "Insufficient credits", **shortfall}
    assert await hedra.credits() == {"remaining": 20, "expiring": 0, "used": 0}


async def test_credits_are_debited_on_completion_only(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    face = await hedra.face()
    done = await hedra.submit(hedra.tts_body(face, text="z" * 42, resolution="720p"))
    failed = await hedra.submit(hedra.tts_body(face, text="z" * 42, text_prompt="__fail"))
    hedra_emu.advance(26)
    assert (await hedra.credits())["used"] == 0
    hedra_emu.advance(1)
    assert await hedra.credits() == {"remaining": 10_000 - 32, "expiring": 0, "used": 32}
    listed = (await hedra.http.get("/generations", params={"ids": f"{done},{failed}"}, headers=AUTH)).json()
    costs = {item["id"]: item["credit_cost"] for item in listed["data"]}
    assert costs == {done: 32, failed: None}
    other = await hedra.http.get("/billing/credits", headers={"X-API-Key": "other"})
    assert other.json()["used"] == 0


# --- the schedule and outcomes -------------------------------------------------------------------------


async def test_progress_rises_through_the_states(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    generation_id = await hedra.submit(hedra.tts_body(await hedra.face()))
    seen = []
    for step in (0, 4.9, 0.1, 10, 9.9, 0.1, 1.9, 0.1):
        hedra_emu.advance(step)
        status = (await hedra.status(generation_id)).json()
        seen.append((status["status"], status["progress"]))
    assert seen == [
        ("queued", 0.0),
        ("queued", 0.0),
        ("processing", 0.0),
        ("processing", 0.45),
        ("processing", 0.8955),
        ("finalizing", 0.95),
        ("finalizing", 0.95),
        ("complete", 1.0),
    ]
    assert status["url"] == status["download_url"] == status["streaming_url"]
    assert status["asset_id"] == hedra_emu.store.jobs[generation_id].asset_id


async def test_the_stall_switch_keeps_new_jobs_queued(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    hedra_emu.switches.stall_queued_seconds = 600
    generation_id = await hedra.submit(hedra.tts_body(await hedra.face()))
    hedra_emu.advance(604)
    assert (await hedra.status(generation_id)).json()["progress"] == 0.0
    hedra_emu.advance(1)
    assert (await hedra.status(generation_id)).json()["status"] == "processing"
    listed = (await hedra.http.get("/generations", params={"ids": generation_id}, headers=AUTH)).json()
    assert listed["data"][0]["eta_sec"] == 22 and listed["data"][0]["estimated_completion_at"].endswith("Z")


@pytest.mark.parametrize(
    ("marker", "after", "error"),
    [
        ("__moderate", 5, {"type": "MODERATION_FAILED", "reason_code": "MODERATION_LIKENESS"}),
        ("__transient", 25, {"type": "MODERATION_FAILED", "reason_code": "MODERATION_OUTPUT_TRANSIENT"}),
        ("__fail", 25, {"type": "INTERNAL"}),
    ],
)
async def test_markers_end_in_structured_errors(
    hedra: HedraApi, hedra_emu: HedraEmulator, marker: str, after: float, error: dict[str, str]
) -> None:
    hedra_emu.switches.error_style = "object"
    generation_id = await hedra.submit(hedra.tts_body(await hedra.face(), text_prompt=f"a portrait {marker}"))
    hedra_emu.advance(after - 0.1)
    assert (await hedra.status(generation_id)).json()["status"] != "error"
    hedra_emu.advance(0.1)
    status = (await hedra.status(generation_id)).json()
    assert status["status"] == "error" and "error_message" not in status and "url" not in status
    assert {key: status["error"][key] for key in error} == error and status["error"]["message"]


async def test_a_plain_failure_reports_error_message_in_the_message_style(hedra: HedraApi) -> None:
    status = await hedra.finish(await hedra.submit(hedra.tts_body(await hedra.face(), text_prompt="__fail")))
    assert (status["status"], status["error_message"], status["progress"]) == ("error", "Generation failed", 0.9)
    assert "error" not in status


async def test_status_of_a_bad_unknown_or_foreign_id(hedra: HedraApi) -> None:
    (error,) = detail(await hedra.status("123"), 422)
    assert (error["loc"], error["type"]) == (["path", "generation_id"], "uuid_parsing")
    assert detail(await hedra.status(new_id()), 404) == "Generation not found"
    generation_id = await hedra.submit(hedra.tts_body(await hedra.face()))
    assert detail(await hedra.status(generation_id, headers={"X-API-Key": "other"}), 404) == "Generation not found"
    assert (await hedra.status(generation_id.upper())).json()["id"] == generation_id


async def test_the_list_pages_filters_and_orders_newest_first(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    face = await hedra.face()
    first = await hedra.submit(hedra.tts_body(face, text_prompt="a calm portrait"))
    hedra_emu.advance(1)
    second = await hedra.submit(hedra.tts_body(face, text_prompt="an excited portrait"))
    listed = (await hedra.http.get("/generations", headers=AUTH)).json()
    assert listed["page_info"] == {"limit": 100, "offset": 0}
    assert [item["id"] for item in listed["data"]] == [second, first]
    paged = await hedra.http.get("/generations", params={"limit": 1, "offset": 1}, headers=AUTH)
    assert [item["id"] for item in paged.json()["data"]] == [first]
    found = await hedra.http.get("/generations", params={"prompt_query": "CALM"}, headers=AUTH)
    assert [item["id"] for item in found.json()["data"]] == [first]
    repeated = await hedra.http.get("/generations", params=[("ids", first), ("ids", second)], headers=AUTH)
    assert len(repeated.json()["data"]) == 2
    item = listed["data"][0]
    assert item["status"] == "queued" and item["credit_cost"] is None and item["asset"]["asset"]["url"] is None
    assert detail(await hedra.http.get("/generations", params={"limit": "x"}, headers=AUTH), 422)


async def test_the_create_answers_queued_even_on_a_zero_queue() -> None:
    emu = HedraEmulator(HedraEmulatorConfig(clock=lambda: START, queued_seconds=0, processing_seconds=1))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), base_url=BASE_URL) as http:
        hedra = HedraApi(http, emu)
        created = (await hedra.create(hedra.tts_body(await hedra.face()))).json()
        assert (created["status"], created["progress"], created["eta_sec"]) == ("queued", 0.0, 3)
        assert (await hedra.status(created["id"])).json()["status"] == "processing"
