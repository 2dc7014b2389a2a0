"""What generate_avatar_video sends: the face and the speech in each form the contract allows, the body
Hedra receives for each, the uploads it needs and no more, and a price that matches what Hedra charged."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import av
from aimlapi.tools_support import call_ok, history_rows, session

from conftest import loopback, structured, text_of
from luma_mcp.providers.hedra.emulator import HedraEmulator
from luma_mcp.providers.hedra.rules import DEFAULT_PROMPT
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.settings import SANDBOX_HEDRA_KEY, Settings

from .tools_support import API, FACE_URL, SCRIPT, VOICE_ID, calls, tts_args, wav, write_inputs


def _uuid(value: Any) -> str:
    return str(uuid.UUID(str(value)))


async def test_a_local_face_and_a_script_upload_the_face_only_and_speak_the_script(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator
) -> None:
    face, _ = write_inputs(settings.output_dir / "in")
    async with session(settings, sandbox) as client:
        called = await client.call_tool("generate_avatar_video", tts_args(face, aspect_ratio="9:16"))
    result = structured(called)
    # Like Ray's: a contact sheet the model can look at, and the credits beside the dollars.
    assert [block.type for block in called.content][:2] == ["text", "image"]
    assert f"({result['estimated_credits']} credits)" in text_of(called)
    [body] = avatar.generation_posts()
    [upload] = avatar.uploads()
    assert upload["type"] == "image" and upload["size"] == face.stat().st_size
    assert body == {
        "type": "video",
        "model_slug": "together/hedra-avatar",
        "generation_id": _uuid(body["generation_id"]),
        "reserved_asset_id": _uuid(body["reserved_asset_id"]),
        "batch_size": 1,
        "start_keyframe_id": upload["asset_id"],
        "audio_generation": {"type": "text_to_speech", "voice_id": VOICE_ID, "text": SCRIPT},
        "generated_video_inputs": {"text_prompt": DEFAULT_PROMPT, "aspect_ratio": "9:16", "resolution": "720p"},
    }
    # The id is the one the server chose and recorded before sending: found again by it after a lost answer.
    assert result["id"] == f"hedra:{body['generation_id']}"
    assert (result["provider"], result["model"], result["state"], result["type"]) == (
        "hedra",
        "together/hedra-avatar",
        "completed",
        "video",
    )
    [output] = result["outputs"]
    assert (output["width"], output["height"]) == (720, 1280)
    saved = Path(output["path"])
    with av.open(str(saved)) as container:  # the sandbox's video carries the speech as its audio track
        assert container.streams.video and container.streams.audio
    assert saved.parent == settings.output_dir / "sandbox" and "welcome-spring-collection" in saved.name
    assert result["prompt"] == SCRIPT
    [row] = history_rows(settings)
    assert (row["id"], row["provider"], row["request_id"]) == (result["id"], "hedra", body["generation_id"])


async def test_an_audio_file_is_uploaded_and_sets_the_length_and_the_price(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator
) -> None:
    face, speech = write_inputs(settings.output_dir / "in", speech_seconds=1.5)
    args = {"image": {"path": str(face)}, "audio": {"path": str(speech)}, "resolution": "720p"}
    async with session(settings, sandbox) as client:
        priced = await call_ok(client, "generate_avatar_video", {**args, "dry_run": True})
        assert avatar.uploads() == [] and avatar.generation_posts() == [], "a dry run uploaded or bought"
        result = await call_ok(client, "generate_avatar_video", args)
    [body] = avatar.generation_posts()
    image, audio = avatar.uploads()
    assert (image["type"], audio["type"]) == ("image", "audio")
    assert audio["size"] == speech.stat().st_size
    assert body["start_keyframe_id"] == image["asset_id"] and body["audio_id"] == audio["asset_id"]
    assert "audio_generation" not in body and "duration_ms" not in body["generated_video_inputs"]
    # 7 credits a second, x1.5 at 720p, for 1.5 s of speech: 16 credits, charged as estimated.
    assert priced["estimated_credits"] == result["estimated_credits"] == 16
    assert priced["estimated_cost_usd"] == result["estimated_cost_usd"] == 0.16
    assert avatar.store.used(SANDBOX_HEDRA_KEY) == 16
    [output] = result["outputs"]
    assert abs(output["duration_seconds"] - 1.5) < 0.1, output


async def test_a_public_face_url_goes_as_is_with_no_upload(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator
) -> None:
    async with session(settings, sandbox) as client:
        await call_ok(client, "generate_avatar_video", tts_args(FACE_URL, language="spanish", duration_seconds=4))
    [body] = avatar.generation_posts()
    assert body["start_keyframe_url"] == FACE_URL and "start_keyframe_id" not in body
    assert avatar.uploads() == []
    assert not any(call.startswith("POST") and "/assets" in call for call in calls(avatar))
    # The language is matched case-insensitively and sent as Hedra spells it; an explicit length is sent.
    assert body["audio_generation"]["language"] == "Spanish"
    assert body["generated_video_inputs"]["duration_ms"] == 4000


async def test_an_audio_url_is_fetched_within_the_limits_and_uploaded(
    settings: Settings, sandbox: Sandbox, avatar: HedraEmulator
) -> None:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    speech = wav(2.0)

    async def serve(_: Any) -> Response:
        return Response(speech, media_type="audio/wav")

    face, _ = write_inputs(settings.output_dir / "in")
    web = Starlette(routes=[Route("/voice.wav", serve)])
    async with loopback(web) as base, session(settings, sandbox) as client:
        args = {"image": {"path": str(face)}, "audio": {"url": f"{base}/voice.wav"}}
        result = await call_ok(client, "generate_avatar_video", args)
    [body] = avatar.generation_posts()
    _, audio = avatar.uploads()
    assert audio["type"] == "audio" and audio["size"] == len(speech)
    assert body["audio_id"] == audio["asset_id"]
    assert result["estimated_credits"] == 21  # 2 s x 7 x 1.5, rounded up


async def test_an_image_generation_id_is_the_face(settings: Settings, sandbox: Sandbox, avatar: HedraEmulator) -> None:
    async with session(settings, sandbox) as client:
        image = await call_ok(client, "generate_image", {"prompt": "a smiling news presenter, studio light"})
        await call_ok(client, "generate_avatar_video", tts_args(FACE_URL) | {"image": {"generation_id": image["id"]}})
    [body] = avatar.generation_posts()
    [upload] = avatar.uploads()
    assert upload["type"] == "image" and body["start_keyframe_id"] == upload["asset_id"]


async def test_list_voices_filters_by_labels(settings: Settings, sandbox: Sandbox, avatar: HedraEmulator) -> None:
    async with session(settings, sandbox) as client:
        everyone = await call_ok(client, "list_voices", {})
        women = await call_ok(client, "list_voices", {"query": "FEMALE"})
        nobody = await call_ok(client, "list_voices", {"query": "klingon"})
        first = await call_ok(client, "list_voices", {"limit": 1})
    assert women["voices"] and all(voice["gender"] == "female" for voice in women["voices"])
    assert len(women["voices"]) < len(everyone["voices"])
    assert {voice["id"] for voice in women["voices"]} <= {voice["id"] for voice in everyone["voices"]}
    for voice in everyone["voices"]:
        assert voice["name"] and _uuid(voice["id"]) == voice["id"]
        assert voice["preview_url"] and voice["preview_url"].split("?")[0].endswith(".wav")
    assert nobody["voices"] == [] and "without query" in nobody["next_step"]
    assert len(first["voices"]) == 1
    assert "voice_id" in everyone["next_step"]
    # The voices are read once per process: four calls, one request.
    assert calls(avatar).count(f"GET {API}/voices") == 1
