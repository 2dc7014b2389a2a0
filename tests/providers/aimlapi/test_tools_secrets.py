"""The AI/ML API key reaches the API's Authorization header and nothing else.

The server runs as users run it (a subprocess in real mode, `--log-level DEBUG`), its AI/ML API at the
emulator on loopback. After successes, a failure, refusals, an unknown outcome and a refused key, the key
(plain, URL-encoded or inside base64) is in no tool result, no log line and no file the server wrote; the
public catalogue and the media downloads carry no key at all.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from conftest import Watch, loopback, server_env, text_of
from luma_mcp.providers.aimlapi.emulator import AimlEmulator, AimlEmulatorConfig

from .tools_support import PROMPT

KEY = "aiml-secret-key-XYZ"


def needles(secret: str) -> list[str]:
    """The secret as text, URL-encoded, and the middle of its base64 at each of the three byte alignments."""
    found = [secret, quote(secret, safe="")]
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + secret.encode()).decode()
        middle = encoded[4 if pad else 0 : -4]
        found += [middle, middle.replace("+", "-").replace("/", "_")]
    return found


async def test_the_key_is_in_no_result_log_or_file(tmp_path: Path) -> None:
    emulator = AimlEmulator(AimlEmulatorConfig(queued_seconds=0.05, generating_seconds=0.3))
    watch = Watch(emulator.app)
    texts: list[str] = []
    stderr = tmp_path / "stderr.log"

    async def call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any] | None:
        result = await client.call_tool(tool, arguments)
        texts.extend([text_of(result), repr(result.structured_content), repr(result.content)])
        return None if result.is_error else result.structured_content

    async with loopback(watch) as base_url:
        env = server_env(tmp_path, AIMLAPI_API_KEY=KEY, AIMLAPI_BASE_URL=base_url)
        params = StdioServerParameters(command=sys.executable, args=["-m", "luma_mcp", "--log-level", "DEBUG"], env=env)
        with stderr.open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
                made = await call(client, "generate_video", {"prompt": PROMPT, "model": "ray-2", "wait_seconds": 0})
                doomed = await call(
                    client, "generate_video", {"prompt": f"{PROMPT} __fail", "model": "ray-2", "wait_seconds": 0}
                )
                assert made is not None and doomed is not None, texts
                emulator.advance(60)
                done = await call(client, "get_generation", {"generation_id": made["id"], "wait_seconds": 10})
                assert done is not None and done["state"] == "completed", texts[-3:]
                assert Path(done["outputs"][0]["path"]).is_file()
                failed = await call(client, "get_generation", {"generation_id": doomed["id"], "wait_seconds": 10})
                assert failed is not None and failed["state"] == "failed", texts[-3:]
                await call(client, "extend_video", {"generation_id": made["id"], "prompt": PROMPT, "wait_seconds": 0})
                assert await call(client, "generate_video", {"prompt": PROMPT, "model": "ray-2", "hdr": True}) is None
                unknown_id = "aimlapi:0b7f5a5e-8a0e-4c43-9a55-2e4f3c3d1a11:luma/ray-2"
                assert await call(client, "get_generation", {"generation_id": unknown_id}) is None
                await call(client, "list_generations", {"provider": "aimlapi"})
                texts.append(repr(await client.read_resource(done["outputs"][0]["resource_uri"].split("/outputs")[0])))
                emulator.faults.add("POST /v2/video/generations", status=500, accept_then_fail=True)
                assert await call(client, "generate_video", {"prompt": PROMPT, "model": "ray-2"}) is None
                emulator.config.accepted_keys = frozenset({"aiml-some-other-key"})  # the key is revoked
                refused = await call(client, "generate_video", {"prompt": PROMPT, "model": "ray-flash-2"})
                assert refused is None and "AIMLAPI_API_KEY" in texts[-3], texts[-3]
                assert await call(client, "get_generation", {"generation_id": made["id"]}) is None
    log = stderr.read_text(errors="replace")
    assert "DEBUG" in log, "the server logged nothing at DEBUG: the scan would prove nothing"

    places = {f"result {n}": text for n, text in enumerate(texts)} | {"stderr": log}
    for folder in (tmp_path / "out", tmp_path / "data"):
        places |= {str(path): path.read_bytes().decode("latin-1") for path in folder.rglob("*") if path.is_file()}
    assert any(place.endswith(".sqlite3") for place in places), "the history was not written"
    leaks = [(place, needle) for place, text in places.items() for needle in needles(KEY) if needle in text]
    assert leaks == [], leaks

    api = [auth for path, auth in watch.seen if path.startswith("/v2/")]
    assert len(api) >= 8 and all(auth == f"Bearer {KEY}" for auth in api), api
    public = [(path, auth) for path, auth in watch.seen if not path.startswith("/v2/")]
    assert any(path.startswith("/_media/") for path, _ in public), watch.seen
    assert any(path == "/v1/models" for path, _ in public), watch.seen
    assert all(auth is None for _, auth in public), public
    # The emulator's own request log keeps no key either.
    assert all(request.headers.get("authorization") in (None, "<redacted>") for request in emulator.requests)


def test_the_scan_finds_the_key_in_its_disguises() -> None:
    header = base64.b64encode(f"Authorization: Bearer {KEY}".encode()).decode()
    assert any(needle in header for needle in needles(KEY))
    assert any(needle in f"https://x.test/?key={quote(KEY, safe='')}" for needle in needles(KEY))
