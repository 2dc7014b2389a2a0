"""The sandbox keeps its state under the data dir (contract, Sandbox): after a restart every id in the
history resolves, a job still running finishes, lost files download again, chains continue from old ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcp import Client

from conftest import structured, text_of
from luma_mcp.emulator.persist import StateFile
from luma_mcp.providers.hedra.emulator import HedraEmulatorConfig
from luma_mcp.providers.hedra.emulator.catalog import VOICES
from luma_mcp.providers.hedra.emulator.store import Asset, Job
from luma_mcp.providers.hedra.emulator.store import Store as HedraStore
from luma_mcp.server import build_server
from luma_mcp.settings import Settings

PROMPT = "A paper boat drifting down a rain gutter, macro, overcast light"


async def call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    return structured(result)


async def test_every_id_resolves_after_a_restart(settings: Settings) -> None:
    face = settings.output_dir / "in" / "face.png"
    face.parent.mkdir(parents=True)
    from luma_mcp.emulator.media import encode_image

    face.write_bytes(encode_image(256, 256, "png"))
    async with Client(build_server(settings)) as client:
        image = await call(client, "generate_image", {"prompt": "a smiling presenter"})
        video = await call(client, "generate_video", {"prompt": PROMPT, "resolution": "360p"})
        running = await call(client, "generate_video", {"prompt": PROMPT, "model": "ray-2", "wait_seconds": 0})
        avatar = await call(
            client,
            "generate_avatar_video",
            {"image": {"path": str(face)}, "script": "Hello there.", "voice_id": VOICES[0].id},
        )
    assert running["state"] in ("queued", "processing")
    assert (settings.data_dir / "sandbox" / "luma" / "state.json").is_file()
    Path(video["outputs"][0]["path"]).unlink()  # lost since: the restored emulator can serve it again

    async with Client(build_server(settings)) as client:  # a new process, as far as the emulators know
        got = {
            item["id"]: await call(client, "get_generation", {"generation_id": item["id"], "wait_seconds": 10})
            for item in (image, video, running, avatar)
        }
        extended = await call(client, "extend_video", {"generation_id": video["id"], "prompt": "and on"})
        listed = await call(client, "list_generations", {})
    for result in got.values():
        assert result["state"] == "completed", result
        assert result["outputs"] and Path(result["outputs"][0]["path"]).is_file(), result
    assert extended["state"] == "completed"
    assert {item["id"] for item in listed["generations"]} >= set(got)


async def test_uploads_are_kept_as_files_beside_the_state(tmp_path: Path) -> None:
    store = HedraStore(HedraEmulatorConfig())
    asset = Asset(id="6a1c56f4-5d0e-4c1e-9a51-6c0d8e0b6f10", key="k", name="face", type="image", created=1.0)
    asset.keep(b"\x89PNG" + bytes(5000), "image/png", "png")
    store.add_asset(asset)
    job = Job(
        id="0d5e8f7a-3b9c-4e21-8f00-2a7b6c5d4e3f", key="k", asset_id="7f0e2a1b-9c8d-4e7f-a6b5-c4d3e2f1a0b9",
        model="m", body={"nested": [1, {"a": None}]}, created=1.0, queued_until=2.0, processing_until=3.0,
        done_at=4.0, width=720, height=1280, seconds=2.5, resolution="720p", aspect_ratio="9:16", credits=16,
    )  # fmt: skip
    store.add_job(job)
    StateFile(tmp_path).save(store)
    state = json.loads((tmp_path / "state.json").read_text())
    assert "$blob" in json.dumps(state["assets"]), "5 kB of upload inlined in the JSON"
    assert len(list((tmp_path / "blobs").iterdir())) == 1

    again = HedraStore(HedraEmulatorConfig())
    assert StateFile(tmp_path).load(again)
    assert again.assets == store.assets and again.jobs == store.jobs
    assert again.by_asset[job.asset_id] == job, "derived lookups were not rebuilt"
    assert again.signer == store.signer, "URLs signed before the restart would no longer verify"


async def test_a_damaged_state_starts_afresh_instead_of_failing(tmp_path: Path) -> None:
    store = HedraStore(HedraEmulatorConfig())
    asset = Asset(id="6a1c56f4-5d0e-4c1e-9a51-6c0d8e0b6f10", key="k", name="face", type="image", created=1.0)
    asset.keep(bytes(5000), "image/png", "png")
    store.add_asset(asset)
    StateFile(tmp_path).save(store)
    [blob] = (tmp_path / "blobs").iterdir()
    blob.write_bytes(b"tampered")
    fresh = HedraStore(HedraEmulatorConfig())
    assert not StateFile(tmp_path).load(fresh) and fresh.assets == {}
    (tmp_path / "state.json").write_text('{"assets": {"x": {"id": 5}}, "jobs": {}, "signer": {}}')
    assert not StateFile(tmp_path).load(fresh) and fresh.assets == {}


async def test_polls_and_downloads_write_no_snapshot(settings: Settings) -> None:
    async with Client(build_server(settings)) as client:
        made = await call(client, "generate_video", {"prompt": PROMPT, "resolution": "360p"})
        state = settings.data_dir / "sandbox" / "luma" / "state.json"
        written = state.stat().st_mtime_ns
        Path(made["outputs"][0]["path"]).unlink()
        again = await call(client, "get_generation", {"generation_id": made["id"]})  # a GET and a download
    assert Path(again["outputs"][0]["path"]).is_file()
    assert state.stat().st_mtime_ns == written, "a read rewrote the sandbox state"
