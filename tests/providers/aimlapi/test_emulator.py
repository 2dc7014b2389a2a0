"""The emulator's create and poll: auth, body rules, the schedule, outcomes, unknown ids and extends."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from luma_mcp.providers.aimlapi.emulator import AimlEmulator, AimlEmulatorConfig
from luma_mcp.providers.aimlapi.rules import error_text

from .support import AUTH, BASE_URL, GENERATIONS, KEY, START, Api, envelope

UNAUTHORIZED = (
    "This request requires a valid API key. You can create a new API key on the Billing page: "
    "https://aimlapi.com/app/keys"
)
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


# --- auth ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "", "Basic abc", "Bearer ", "Bearer    ", KEY])
async def test_missing_or_malformed_key_is_401_in_the_envelope(
    http: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await http.post(GENERATIONS, json={"model": "luma/ray-2", "prompt": "x"}, headers=headers)
    assert envelope(response, 401) == UNAUTHORIZED
    assert response.json()["path"] == GENERATIONS


async def test_only_configured_keys_pass_and_unscoped_keys_are_403() -> None:
    config = AimlEmulatorConfig(
        accepted_keys=frozenset({KEY, "chat-only"}), keys_without_video_scope=frozenset({"chat-only"})
    )
    emu = AimlEmulator(config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), base_url=BASE_URL) as http:
        wrong = await http.get("/v2/billing", headers={"Authorization": "Bearer other"})
        assert envelope(wrong, 401) == UNAUTHORIZED
        unscoped = await http.get(
            GENERATIONS, params={"generation_id": "x"}, headers={"Authorization": "Bearer chat-only"}
        )
        assert envelope(unscoped, 403) == "This API key is not allowed to call video models"
        assert (await http.get("/v2/billing", headers={"Authorization": "Bearer chat-only"})).status_code == 200
    assert emu.requests[0].headers["authorization"] == "<redacted>"


# --- create -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["luma/ray-2", "luma/ray-flash-2"])
async def test_create_answers_the_id_and_the_tracing_headers(api: Api, model: str) -> None:
    response = await api.create(model=model, headers={"X-Client-Request-Id": "lmcp-0f3a.b_c:d"})
    assert response.status_code == 200
    body = response.json()
    assert body == {"id": body["id"], "status": "queued"}
    assert re.fullmatch(f"{UUID4}:{re.escape(model)}", body["id"])
    assert response.headers["x-inference-id"] == body["id"]
    assert response.headers["x-client-request-id"] == "lmcp-0f3a.b_c:d"
    assert response.headers["x-aimlapi-credits-used"] == "0"
    assert response.headers["x-aimlapi-usd-spent"] == "0"


async def test_create_status_and_usage_at_submit_switches(api: Api, emu: AimlEmulator) -> None:
    emu.switches.create_status = 201
    emu.switches.usage_at_submit = True
    response = await api.create(duration=9)  # 540p ray-2: 0.05 USD a second
    assert response.status_code == 201
    assert response.json()["meta"] == {"usage": {"credits_used": 900_000, "usd_spent": 0.45}}
    assert response.headers["x-aimlapi-credits-used"] == "900000"
    assert response.headers["x-aimlapi-usd-spent"] == "0.45"


@pytest.mark.parametrize("value", ["", "has space", "x" * 129, "semi;colon"])
async def test_a_bad_client_request_id_is_dropped_silently(api: Api, emu: AimlEmulator, value: str) -> None:
    response = await api.create(headers={"X-Client-Request-Id": value})
    assert response.status_code == 200
    assert "x-client-request-id" not in response.headers
    assert emu.store.jobs[response.json()["id"]].client_request_id is None


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        (
            {"model": "luma/ray-3"},
            "Invalid enum value. Expected 'luma/ray-2' | 'luma/ray-flash-2', received 'luma/ray-3'",
        ),
        ({"prompt": None}, "Required"),
        ({"resolution": "480p"}, "Invalid enum value. Expected '540p' | '720p' | '1080p' | '4k', received '480p'"),
        ({"aspect_ratio": "2:1"}, "received '2:1'"),
        ({"duration": 7}, "Invalid enum value. Expected 5 | 9, received '7'"),
        ({"duration": "7"}, "Invalid enum value. Expected 5 | 9, received '7'"),
        ({"loop": "yes"}, "Expected boolean, received str"),
        ({"image_url": "https://example.com/a.png"}, "Unrecognized key(s) in object: 'image_url'"),
        ({"keyframes": "https://example.com/a.png"}, "Expected object"),
        ({"keyframes": {"frame2": None}}, "Unrecognized key(s) in object: 'frame2'"),
        ({"keyframes": {"frame0": {"type": "video", "url": "https://example.com/a.mp4"}}}, "Invalid input"),
        ({"keyframes": {"frame0": {"type": "image", "url": "not a url"}}}, "Invalid url"),
        ({"keyframes": {"frame0": {"type": "image", "url": "https://e.com/a.png", "x": 1}}}, "exactly {type, url}"),
        ({"keyframes": {"frame0": {"type": "generation", "id": ""}}}, "Required"),
    ],
)
async def test_broken_rules_answer_400_body_validation(
    api: Api, emu: AimlEmulator, fields: dict[str, Any], detail: str
) -> None:
    message = envelope(await api.create(**fields), 400)
    assert message.startswith("Body validation error!\n")
    assert detail in message
    assert emu.store.jobs == {}


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "{not json"])
async def test_a_body_that_is_not_a_json_object_is_400(http: httpx.AsyncClient, body: str) -> None:
    response = await http.post(GENERATIONS, content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert envelope(response, 400).startswith("Body validation error!\n")


async def test_duration_as_a_numeric_string_is_accepted(api: Api, emu: AimlEmulator) -> None:
    generation_id = await api.submit(duration="9", loop=True, keyframes={"frame0": None, "frame1": None})
    assert emu.store.jobs[generation_id].seconds == 9
    assert emu.generation_posts()[0]["duration"] == "9"


# --- schedule and poll --------------------------------------------------------------------------------


async def test_a_job_moves_from_queued_through_generating_to_completed(api: Api, emu: AimlEmulator) -> None:
    generation_id = await api.submit(resolution="720p", duration=9)
    first = await api.poll(generation_id)
    assert first.json() == {"id": generation_id, "status": "queued"}
    assert first.headers["x-inference-id"] == generation_id
    emu.advance(5)
    assert (await api.poll(generation_id)).json()["status"] == "generating"
    emu.advance(29.9)
    assert (await api.poll(generation_id)).json()["status"] == "generating"
    emu.advance(0.1)
    done = await api.poll(generation_id)
    body = done.json()
    assert body["status"] == "completed"
    assert body["video"]["url"].startswith(f"{BASE_URL}/_media/")
    assert body["meta"] == {"usage": {"credits_used": 1_800_000, "usd_spent": 0.9}}  # 0.10 USD x 9 s
    assert done.headers["x-aimlapi-usd-spent"] == "0.9"


async def test_flash_takes_half_the_time_and_a_third_of_the_price(api: Api, emu: AimlEmulator) -> None:
    generation_id = await api.submit(model="luma/ray-flash-2")
    emu.advance(2.5 + 15)
    body = (await api.poll(generation_id)).json()
    assert body["status"] == "completed"
    assert body["meta"]["usage"]["usd_spent"] == pytest.approx(0.0167 * 5)


async def test_extended_status_words_show_up_sometimes(api: Api, emu: AimlEmulator) -> None:
    emu.switches.status_words = "extended"
    generation_id = await api.submit()
    queued = {(await api.poll(generation_id)).json()["status"] for _ in range(2)}
    emu.advance(10)
    generating = {(await api.poll(generation_id)).json()["status"] for _ in range(2)}
    assert (queued, generating) == ({"queued", "waiting"}, {"generating", "active"})


@pytest.mark.parametrize("query", ["", "?generation_id=", "?other=1"])
async def test_poll_without_generation_id_is_400(http: httpx.AsyncClient, query: str) -> None:
    response = await http.get(GENERATIONS + query, headers=AUTH)
    assert envelope(response, 400) == "generation_id is required"


@pytest.mark.parametrize("encode", [lambda value: value, lambda value: quote(value, safe="")])
async def test_poll_takes_the_id_raw_or_percent_encoded(api: Api, http: httpx.AsyncClient, encode: Any) -> None:
    generation_id = await api.submit()
    response = await http.get(f"{GENERATIONS}?generation_id={encode(generation_id)}", headers=AUTH)
    assert response.json()["id"] == generation_id


@pytest.mark.parametrize(
    ("generation_id", "traced"),
    [
        ("7c880e75-9892-4238-8464-49cb0c6deabd:luma/ray-2", True),
        ("7c880e75-9892-4238-8464-49cb0c6deabd", True),
        ("NDxdQ2xZY1L6PYQNkJgbA", True),
        ("not-an-id", False),
        ("7c880e75:luma/ray-2", False),
    ],
)
async def test_unknown_ids_answer_404_and_only_well_formed_ones_are_traced(
    api: Api, generation_id: str, traced: bool
) -> None:
    response = await api.poll(generation_id)
    assert envelope(response, 404) == "Generation not found"
    assert ("x-inference-id" in response.headers) is traced


async def test_unknown_ids_answer_200_error_with_the_switch(api: Api, emu: AimlEmulator) -> None:
    emu.switches.unknown_id = "error200"
    response = await api.poll("7c880e75-9892-4238-8464-49cb0c6deabd:luma/ray-2")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "error" and body["id"] == "7c880e75-9892-4238-8464-49cb0c6deabd:luma/ray-2"
    assert error_text(body["error"]) == "Generation not found"
    assert "x-inference-id" not in (await api.poll("junk")).headers


# --- outcomes -----------------------------------------------------------------------------------------


async def test_fail_marker_ends_in_error_in_the_name_message_shape(api: Api, emu: AimlEmulator) -> None:
    generation_id = await api.submit(prompt="a storm __fail")
    emu.advance(5)
    assert (await api.poll(generation_id)).json()["status"] == "generating"
    body = await api.finish(generation_id)
    assert body == {
        "id": generation_id,
        "status": "error",
        "error": {"name": "GenerationError", "message": "Generation failed"},
    }


async def test_detail_list_error_shape(api: Api, emu: AimlEmulator) -> None:
    emu.switches.error_shape = "detail_list"
    body = await api.completed(prompt="__fail")
    (entry,) = body["error"]["detail"]
    assert entry["loc"] == ["body", "prompt"] and entry["msg"] == "Generation failed" and entry["type"]


async def test_moderated_prompts_fail_straight_from_the_queue(api: Api, emu: AimlEmulator) -> None:
    generation_id = await api.submit(prompt="something __moderate")
    emu.advance(5)
    body = (await api.poll(generation_id)).json()
    assert body["status"] == "error"
    assert error_text(body["error"]) == "Prompt was rejected by the content filter"


async def test_stalled_jobs_keep_generating_until_the_stall_limit(api: Api, emu: AimlEmulator) -> None:
    generation_id = await api.submit(prompt="__stall")
    emu.advance(599)
    assert (await api.poll(generation_id)).json()["status"] == "generating"
    emu.advance(1)
    assert (await api.poll(generation_id)).json()["status"] == "completed"


# --- extend -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["frame0", "frame1"])
@pytest.mark.parametrize("form", ["full", "bare"])
async def test_extend_resolves_the_anchor_in_both_id_forms(api: Api, emu: AimlEmulator, side: str, form: str) -> None:
    anchor = (await api.completed(aspect_ratio="9:16", duration=9))["id"]
    anchor_id = anchor if form == "full" else anchor.split(":")[0]
    extended = await api.submit(keyframes={side: {"type": "generation", "id": anchor_id}})
    job = emu.store.jobs[extended]
    assert (job.width, job.height, job.seconds) == (540, 960, 14)  # the anchor's shape; 9 s + 5 s


@pytest.mark.parametrize(("switch", "refused"), [("full", "bare"), ("bare", "full")])
async def test_anchor_id_form_switch_makes_the_other_form_unknown(
    api: Api, emu: AimlEmulator, switch: Any, refused: str
) -> None:
    anchor = (await api.completed())["id"]
    emu.switches.anchor_id_form = switch
    forms = {"full": anchor, "bare": anchor.split(":")[0]}
    refusal = await api.create(keyframes={"frame0": {"type": "generation", "id": forms[refused]}})
    assert envelope(refusal, 400) == f"Body validation error!\nUnknown generation id '{forms[refused]}'"
    accepted = await api.create(keyframes={"frame0": {"type": "generation", "id": forms[switch]}})
    assert accepted.status_code == 200


async def test_extend_of_an_unknown_generation_is_400(api: Api) -> None:
    unknown = "7c880e75-9892-4238-8464-49cb0c6deabd:luma/ray-2"
    response = await api.create(keyframes={"frame0": {"type": "generation", "id": unknown}})
    assert envelope(response, 400) == f"Body validation error!\nUnknown generation id '{unknown}'"
    wrong_model = (await api.completed())["id"].replace("luma/ray-2", "luma/ray-flash-2")
    response = await api.create(keyframes={"frame0": {"type": "generation", "id": wrong_model}})
    assert envelope(response, 400).endswith(f"Unknown generation id '{wrong_model}'")


async def test_extend_of_an_unfinished_generation_is_refused_or_fails_later(api: Api, emu: AimlEmulator) -> None:
    anchor = await api.submit()
    keyframes = {"frame1": {"type": "generation", "id": anchor}}
    assert "is not completed" in envelope(await api.create(keyframes=keyframes), 400)
    emu.switches.anchor_not_ready = "fail_later"
    extended = await api.submit(keyframes=keyframes)
    emu.advance(5)
    body = (await api.poll(extended)).json()
    text = error_text(body["error"])
    assert body["status"] == "error" and text is not None and anchor in text


async def test_a_failed_anchor_is_not_ready_either(api: Api) -> None:
    anchor = (await api.completed(prompt="__fail"))["id"]
    response = await api.create(keyframes={"frame0": {"type": "generation", "id": anchor}})
    assert "is not completed" in envelope(response, 400)


def test_clock_and_reset(emu: AimlEmulator) -> None:
    emu.advance(10)
    emu.switches.unknown_id = "error200"
    emu.reset()
    assert emu.now() == START + 10
    assert emu.switches == emu.config.switches
