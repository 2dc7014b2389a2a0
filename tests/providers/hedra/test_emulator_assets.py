"""Assets: records, multipart uploads of real files (told by their bytes), limits, and `GET /assets`."""

from __future__ import annotations

import httpx
import pytest

from luma_mcp.providers.hedra.emulator import HedraEmulator

from .emulator_support import AUTH, ROOT_URL, HedraApi, audio, detail, new_id, png


async def test_create_answers_the_record_and_honours_a_reserved_id(hedra: HedraApi) -> None:
    reserved = new_id()
    response = await hedra.http.post(
        "/assets", json={"name": "me.png", "type": "image", "reserved_asset_id": reserved}, headers=AUTH
    )
    assert response.json() == {
        "id": reserved,
        "name": "me.png",
        "type": "image",
        "workspace_id": None,
        "reserved_asset_id": reserved,
        "upload_url": None,
    }
    again = await hedra.http.post(
        "/assets", json={"name": "again.png", "type": "audio", "reserved_asset_id": reserved}, headers=AUTH
    )
    assert detail(again, 409) == "Asset already exists"


@pytest.mark.parametrize(
    ("body", "loc", "kind"),
    [
        ({"type": "image"}, ["body", "name"], "missing"),
        ({"name": "x"}, ["body", "type"], "missing"),
        ({"name": "x", "type": "picture"}, ["body", "type"], "enum"),
        ({"name": "x", "type": "image", "reserved_asset_id": "nope"}, ["body", "reserved_asset_id"], "uuid_parsing"),
    ],
)
async def test_asset_schema_errors_are_422(hedra: HedraApi, body: dict[str, str], loc: list[str], kind: str) -> None:
    (error,) = detail(await hedra.http.post("/assets", json=body, headers=AUTH), 422)
    assert (error["loc"], error["type"]) == (loc, kind)


async def test_uploading_a_real_png_and_real_audio(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    image_id = await hedra.new_asset("image")
    image = await hedra.send_file(image_id, png(64, 48, (10, 200, 10)), "face.png")
    inner = image.json()["asset"]
    assert (inner["type"], inner["width"], inner["height"]) == ("uploaded_image", 64, 48)
    assert inner["url"].startswith(f"{ROOT_URL}/_media/{image_id}.png?expires=")
    served = await hedra.http.get(inner["url"])
    assert served.headers["content-type"] == "image/png" and served.content == png(64, 48, (10, 200, 10))
    for container, media_type in (("wav", "audio/wav"), ("mp3", "audio/mpeg")):
        audio_id = await hedra.new_asset("audio")
        uploaded = (await hedra.send_file(audio_id, audio(1.5, container))).json()
        assert uploaded["type"] == "audio" and uploaded["asset"]["type"] == "uploaded_audio"
        assert abs(uploaded["asset"]["duration_ms"] - 1500) <= 60  # an MP3 pads its last frame
        assert (await hedra.http.get(uploaded["asset"]["url"])).headers["content-type"] == media_type
    notes = hedra_emu.uploads()
    assert [(note["type"], note["media_type"], note["field"]) for note in notes] == [
        ("image", "image/png", "file"),
        ("audio", "audio/wav", "file"),
        ("audio", "audio/mpeg", "file"),
    ]
    assert notes[0]["asset_id"] == image_id and notes[0]["size"] == len(png(64, 48, (10, 200, 10)))


async def test_a_file_of_the_wrong_kind_is_400(hedra: HedraApi) -> None:
    audio_id = await hedra.new_asset("audio")
    assert detail(await hedra.send_file(audio_id, png(8, 8, (0, 0, 0))), 400) == "File type does not match asset type"
    image_id = await hedra.new_asset("image")
    assert detail(await hedra.send_file(image_id, b"just some text, not an image"), 400).startswith("File type")


async def test_limits_of_the_avatar_slots(hedra: HedraApi) -> None:
    image_id = await hedra.new_asset("image")
    too_big = png(8, 8, (1, 2, 3)) + bytes(10 * 2**20)
    assert detail(await hedra.send_file(image_id, too_big), 413) == "File too large"
    audio_id = await hedra.new_asset("audio")
    assert "0.5 to 600 s" in detail(await hedra.send_file(audio_id, audio(0.3)), 400)
    assert (await hedra.send_file(audio_id, audio(0.6))).status_code == 200


async def test_upload_to_an_unknown_or_foreign_asset_is_404(hedra: HedraApi) -> None:
    assert detail(await hedra.send_file(new_id(), png(8, 8, (0, 0, 0))), 404) == "Asset not found"
    theirs = await hedra.http.post("/assets", json={"name": "x", "type": "image"}, headers={"X-API-Key": "other"})
    assert detail(await hedra.send_file(theirs.json()["id"], png(8, 8, (0, 0, 0))), 404) == "Asset not found"


async def test_upload_path_and_form_errors_are_422(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    (error,) = detail(await hedra.send_file("not-a-uuid", png(8, 8, (0, 0, 0))), 422)
    assert (error["loc"], error["type"]) == (["path", "id"], "uuid_parsing")
    asset_id = await hedra.new_asset("image")
    files = {"image": ("face.png", png(8, 8, (0, 0, 0)), "image/png")}
    response = await hedra.http.post(f"/assets/{asset_id}/upload", files=files, headers=AUTH)
    (error,) = detail(response, 422)
    assert (error["loc"], error["type"]) == (["body", "file"], "missing")
    assert hedra_emu.uploads()[-1]["field"] == "image"


@pytest.mark.parametrize(("separator", "found"), [("comma", 2), ("single", 0)])
async def test_get_assets_by_type_and_ids(
    hedra: HedraApi, hedra_emu: HedraEmulator, separator: str, found: int
) -> None:
    first, second = await hedra.face(), await hedra.face((0, 0, 255))
    await hedra.upload("audio", audio(1.0))
    hedra_emu.switches.update({"ids_separator": separator})
    listed = await hedra.http.get("/assets", params={"type": "image", "ids": f"{first},{second}"}, headers=AUTH)
    assert len(listed.json()) == found
    one = (await hedra.http.get("/assets", params={"type": "image", "ids": second}, headers=AUTH)).json()
    assert [asset["id"] for asset in one] == [second]
    every = (await hedra.http.get("/assets", params={"type": "image"}, headers=AUTH)).json()
    assert [asset["id"] for asset in every] == [first, second]
    voices = (await hedra.http.get("/assets", params={"type": "voice"}, headers=AUTH)).json()
    assert len(voices) == 3


async def test_get_assets_needs_a_valid_type(hedra_http: httpx.AsyncClient) -> None:
    (error,) = detail(await hedra_http.get("/assets", headers=AUTH), 422)
    assert (error["loc"], error["type"]) == (["query", "type"], "missing")
    (error,) = detail(await hedra_http.get("/assets", params={"type": "movie"}, headers=AUTH), 422)
    assert error["type"] == "enum"


async def test_video_assets_upload_through_their_presigned_put(hedra: HedraApi, hedra_emu: HedraEmulator) -> None:
    created = await hedra.http.post("/assets", json={"name": "clip.mp4", "type": "video"}, headers=AUTH)
    upload_url = created.json()["upload_url"]
    asset_id = created.json()["id"]
    assert upload_url.startswith(f"{ROOT_URL}/_uploads/{asset_id}?expires=")
    mp4 = b"\x00\x00\x00\x18ftypmp42" + bytes(64)
    refused = await hedra.http.put(upload_url, content=png(8, 8, (0, 0, 0)))
    assert refused.status_code == 400 and b"InvalidArgument" in refused.content
    assert (await hedra.http.put(upload_url, content=mp4)).status_code == 200
    assert hedra_emu.store.assets[asset_id].data == mp4
    assert (await hedra.http.put(upload_url[:-4] + "0000", content=mp4)).status_code == 403
    hedra_emu.advance(601)
    assert b"Request has expired" in (await hedra.http.put(upload_url, content=mp4)).content
