"""Overhead per call on the AI/ML API and Hedra paths: the MCP server against plain httpx to the same emulator.

Each emulator finishes jobs instantly and is mounted in process (httpx.ASGITransport, no sockets).
The same request goes
 - through the MCP server: the tool with `wait_seconds=0`, then `get_generation` (`download=false`),
   and a `dry_run` (which also reads the price: the AI/ML catalogue, Hedra's models and voices, each
   cached after the first call);
 - straight to the emulator with httpx: the create, then the status read.
Runs alternate between the two sides.

    uv run python bench/overhead_providers.py [--provider aimlapi|hedra|all] [--calls 200]

Target: median overhead <= +2 ms per tool call, as on the Luma path (bench/overhead.py).
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
from _shared import heading, line, median, percentile, quiet, scratch_dir, verdict
from mcp import Client
from overhead import TARGET_MS, WARM_UP, Timings, stats, timed

from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.server import build_server
from luma_mcp.settings import Settings

PROMPT = "A paper boat drifting down a rain-soaked street at dusk"
FACE = "https://images.example.com/presenter.png"


@dataclass(frozen=True)
class ProviderPath:
    """One provider's side of the comparison: its tool and arguments, its emulator, its direct requests."""

    label: str
    tool: str
    arguments: dict[str, Any]
    sandbox: Callable[[], tuple[Sandbox, Any]]  # the sandbox, and the emulator's ASGI app
    direct: Callable[[httpx.AsyncClient, Timings], Awaitable[None]]


def aimlapi_path() -> ProviderPath:
    from luma_mcp.providers.aimlapi.emulator import AimlEmulator, AimlEmulatorConfig

    body = {"model": "luma/ray-2", "prompt": PROMPT, "resolution": "720p", "duration": 5, "aspect_ratio": "16:9"}
    headers = {"Authorization": "Bearer bench-key", "X-Client-Request-Id": "bench-1"}

    def sandbox() -> tuple[Sandbox, Any]:
        emulator = AimlEmulator(AimlEmulatorConfig(queued_seconds=0, generating_seconds=0, balance_usd=1e9))
        return Sandbox(aimlapi=emulator), emulator.app

    async def direct(http: httpx.AsyncClient, times: Timings) -> None:
        created = await timed(times["create"], http.post("/v2/video/generations", json=body, headers=headers))
        params = {"generation_id": created.json()["id"]}
        got = await timed(times["get"], http.get("/v2/video/generations", params=params, headers=headers))
        assert got.json()["status"] == "completed", got.text

    arguments = {"prompt": PROMPT, "model": "ray-2", "aspect_ratio": "16:9"}
    return ProviderPath("AI/ML API (ray-2)", "generate_video", arguments, sandbox, direct)


def hedra_path() -> ProviderPath:
    from luma_mcp.providers.hedra.emulator import HedraEmulator, HedraEmulatorConfig
    from luma_mcp.providers.hedra.emulator.catalog import VOICES

    script = "Hello from the newsroom: three headlines today."
    headers = {"X-API-Key": "bench-key"}
    api = "/web-app/public"

    def sandbox() -> tuple[Sandbox, Any]:
        config = HedraEmulatorConfig(queued_seconds=0, processing_seconds=0, finalizing_seconds=0)
        emulator = HedraEmulator(config)
        emulator.config.starting_credits = 10**12
        return Sandbox(hedra=emulator), emulator.app

    async def direct(http: httpx.AsyncClient, times: Timings) -> None:
        body = {
            "type": "video",
            "model_slug": "together/hedra-avatar",
            "generation_id": str(uuid.uuid4()),
            "start_keyframe_url": FACE,
            "audio_generation": {"type": "text_to_speech", "voice_id": VOICES[0].id, "text": script},
            "generated_video_inputs": {"text_prompt": "A person talking", "aspect_ratio": "9:16", "resolution": "720p"},
        }
        created = await timed(times["create"], http.post(f"{api}/generations", json=body, headers=headers))
        status = f"{api}/generations/{created.json()['id']}/status"
        got = await timed(times["get"], http.get(status, headers=headers))
        assert got.json()["status"] == "complete", got.text

    arguments = {"image": {"url": FACE}, "script": script, "voice_id": VOICES[0].id, "aspect_ratio": "9:16"}
    return ProviderPath("Hedra (generate_avatar_video)", "generate_avatar_video", arguments, sandbox, direct)


PATHS: dict[str, Callable[[], ProviderPath]] = {"aimlapi": aimlapi_path, "hedra": hedra_path}


async def mcp_round(client: Client, path: ProviderPath, times: Timings) -> None:
    dry = await timed(times["dry_run"], client.call_tool(path.tool, {**path.arguments, "dry_run": True}))
    assert not dry.is_error, dry
    started = time.perf_counter()
    created = await timed(times["create"], client.call_tool(path.tool, {**path.arguments, "wait_seconds": 0}))
    assert not created.is_error, created
    args = {"generation_id": (created.structured_content or {})["id"], "wait_seconds": 0, "download": False}
    got = await timed(times["get"], client.call_tool("get_generation", args))
    times["create+get"].append(time.perf_counter() - started)
    assert (got.structured_content or {}).get("state") == "completed", got


async def http_round(http: httpx.AsyncClient, path: ProviderPath, times: Timings) -> None:
    started = time.perf_counter()
    await path.direct(http, times)
    times["create+get"].append(time.perf_counter() - started)


def empty() -> Timings:
    return {name: [] for name in ("dry_run", "create", "get", "create+get")}


async def measure(path: ProviderPath, calls: int) -> tuple[Timings, Timings]:
    sandbox, app = path.sandbox()
    with scratch_dir() as root:
        settings = Settings(sandbox=True, output_dir=root / "out", data_dir=root / "data")
        transport = httpx.ASGITransport(app=app)
        async with (
            Client(build_server(settings, sandbox)) as client,
            httpx.AsyncClient(transport=transport, base_url="http://emulator.bench") as http,
        ):
            results = (empty(), empty())
            for index in range(WARM_UP + calls):
                sinks = results if index >= WARM_UP else (empty(), empty())
                if index % 2:
                    await mcp_round(client, path, sinks[0])
                    await http_round(http, path, sinks[1])
                else:
                    await http_round(http, path, sinks[1])
                    await mcp_round(client, path, sinks[0])
            return results


def report(path: ProviderPath, calls: int, ours: Timings, direct: Timings) -> None:
    heading(f"{path.label}, per call, {calls} calls each, alternated (instant emulator, in process)")
    for name in ("dry_run", "create", "get", "create+get"):
        line(f"MCP {name}", stats(ours[name]))
    for name in ("create", "get", "create+get"):
        line(f"httpx {name}", stats(direct[name]))
    heading("overhead (MCP minus direct httpx)")
    pair = (median(ours["create+get"]) - median(direct["create+get"])) * 1000
    pair90 = (percentile(ours["create+get"], 0.9) - percentile(direct["create+get"], 0.9)) * 1000
    dry = median(ours["dry_run"]) * 1000
    line("create+get (2 tool calls)", f"median +{pair:.2f} ms, p90 +{pair90:.2f} ms")
    line("  per tool call", f"median +{pair / 2:.2f} ms, p90 +{pair90 / 2:.2f} ms")
    line("dry_run (1 call; direct: nothing sent)", f"median +{dry:.2f} ms")
    line("target", f"<= +{TARGET_MS} ms per call at the median: {verdict(pair / 2 <= TARGET_MS)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--provider", choices=(*PATHS, "all"), default="all")
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    quiet()
    for name in PATHS if args.provider == "all" else (args.provider,):
        path = PATHS[name]()
        ours, direct = anyio.run(measure, path, args.calls)
        report(path, args.calls, ours, direct)


if __name__ == "__main__":
    main()
