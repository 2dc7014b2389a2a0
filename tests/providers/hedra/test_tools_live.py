"""Hedra as users run it: a real key (the emulator on loopback, over real HTTP), the server as a subprocess.

Only what a Hedra key serves is listed; the key reaches the `X-API-Key` header of API requests and
nothing else (no result, log line, file, media download); a restart finds every `hedra:` id again."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from aimlapi.test_tools_secrets import needles
from aimlapi.tools_support import call_ok, session
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from pydantic import SecretStr

from conftest import Progress, Watch, loopback, server_env, text_of
from luma_mcp.providers.hedra.emulator import HedraEmulator, HedraEmulatorConfig
from luma_mcp.settings import Settings

from .tools_support import API, FACE_URL, tts_args, write_inputs

KEY = "sk_hedra_live-secret-QRS"
READS = {"get_generation", "list_generations"}


def fast(**extra: Any) -> HedraEmulator:
    config = HedraEmulatorConfig(queued_seconds=0.05, processing_seconds=0.3, finalizing_seconds=0.05, **extra)
    return HedraEmulator(config)


async def test_only_a_hedra_key_lists_the_avatar_tools(tmp_path: Path) -> None:
    avatar = fast()
    async with loopback(avatar.app) as base_url:
        settings = Settings(
            output_dir=tmp_path / "out",
            data_dir=tmp_path / "data",
            min_poll_interval=0.02,
            hedra_key=SecretStr("sk_hedra_listing"),
            hedra_base_url=f"{base_url}{API}",
        )
        async with session(settings) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            made = await call_ok(client, "generate_avatar_video", tts_args(FACE_URL))
            refused = await client.call_tool("generate_video", {"prompt": "a kite"})
    assert names == {"generate_avatar_video", "list_voices"} | READS
    assert made["state"] == "completed" and made["sandbox"] is False
    assert Path(made["outputs"][0]["path"]).parent == tmp_path / "out", "a real result went to the sandbox folder"
    assert refused.is_error


async def test_the_key_is_in_no_result_log_or_file_and_a_restart_finds_every_id(tmp_path: Path) -> None:
    avatar = fast(accepted_keys=frozenset({KEY}))
    watch = Watch(avatar.app, b"x-api-key")
    texts: list[str] = []
    stderr = tmp_path / "stderr.log"
    face, speech = write_inputs(tmp_path / "out" / "in")
    progress = Progress()

    async def call(client: Client, tool: str, arguments: dict[str, Any], **options: Any) -> dict[str, Any] | None:
        result = await client.call_tool(tool, arguments, **options)
        texts.extend([text_of(result), repr(result.structured_content), repr(result.content)])
        return None if result.is_error else result.structured_content

    async with loopback(watch) as base_url:
        env = server_env(tmp_path, HEDRA_API_KEY=KEY, HEDRA_BASE_URL=f"{base_url}{API}")
        params = StdioServerParameters(command=sys.executable, args=["-m", "luma_mcp", "--log-level", "DEBUG"], env=env)
        with stderr.open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
                voices = await call(client, "list_voices", {"query": "male"})
                assert voices is not None and voices["voices"], texts[-3:]
                args = {"image": {"path": str(face)}, "audio": {"path": str(speech)}}
                made = await call(client, "generate_avatar_video", args, progress_callback=progress)
                assert made is not None and made["state"] == "completed", texts[-3:]
                spoken = await call(client, "generate_avatar_video", tts_args(FACE_URL, wait_seconds=0))
                doomed = await call(client, "generate_avatar_video", tts_args(FACE_URL, prompt="__fail"))
                assert spoken is not None and doomed is not None and doomed["state"] == "failed", texts[-3:]
                assert await call(client, "generate_avatar_video", tts_args(FACE_URL, model="nope/x")) is None
                avatar.faults.add("POST /generations", status=500, accept_then_fail=True)
                found = await call(client, "generate_avatar_video", tts_args(FACE_URL))
                assert found is not None and found["state"] == "completed", texts[-3:]
                texts.append(repr(await client.read_resource(f"luma://generations/{made['id']}")))
        with stderr.open("a") as errlog:
            async with Client(stdio_client(params, errlog=errlog)) as client:  # a restart
                again = await call(client, "get_generation", {"generation_id": made["id"]})
                later = await call(client, "get_generation", {"generation_id": spoken["id"], "wait_seconds": 10})
                listed = await call(client, "list_generations", {"provider": "hedra"})
    assert again is not None and again["outputs"][0]["path"] == made["outputs"][0]["path"], texts[-9:]
    assert later is not None and later["state"] == "completed" and Path(later["outputs"][0]["path"]).is_file()
    assert listed is not None and {item["id"] for item in listed["generations"]} == {
        made["id"], spoken["id"], doomed["id"], found["id"]
    }  # fmt: skip
    assert len(avatar.generation_posts()) == 4, "a create was re-sent, or one was sent for a refused call"
    assert progress.events, "no progress notifications while waiting"

    log = stderr.read_text(errors="replace")
    assert "DEBUG" in log, "the server logged nothing at DEBUG: the scan would prove nothing"
    places = {f"result {n}": text for n, text in enumerate(texts)} | {"stderr": log}
    for folder in (tmp_path / "out", tmp_path / "data"):
        places |= {str(path): path.read_bytes().decode("latin-1") for path in folder.rglob("*") if path.is_file()}
    leaks = [(place, needle) for place, text in places.items() for needle in needles(KEY) if needle in text]
    assert leaks == [], leaks
    api = [key for path, key in watch.seen if path.startswith(API)]
    assert len(api) >= 10 and all(key == KEY for key in api), api
    media = [(path, key) for path, key in watch.seen if not path.startswith(API)]
    assert any(path.startswith("/_media/") for path, _ in media) and all(key is None for _, key in media), media
