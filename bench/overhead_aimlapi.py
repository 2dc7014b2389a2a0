"""Overhead per call on the AI/ML API path: the MCP server against plain httpx to the same emulator.

The AI/ML emulator finishes jobs instantly and is mounted in process (httpx.ASGITransport, no
sockets). The same ray-2 request goes
 - through the MCP server: `generate_video` (model ray-2, `wait_seconds=0`), then `get_generation`
   (`download=false`), and a `dry_run` (which also reads the price, cached after the first call);
 - straight to the emulator with httpx: `POST /v2/video/generations`, then
   `GET /v2/video/generations?generation_id=`.
Runs alternate between the two sides.

    uv run python bench/overhead_aimlapi.py [--calls 200]

Target: median overhead <= +2 ms per tool call, as on the Luma path (bench/overhead.py).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import anyio
import httpx
from _shared import heading, line, median, percentile, quiet, scratch_dir, verdict
from mcp import Client
from overhead import TARGET_MS, WARM_UP, Timings, stats, timed

from luma_mcp.providers.aimlapi.emulator import AimlEmulator, AimlEmulatorConfig
from luma_mcp.providers.sandbox import Sandbox
from luma_mcp.server import build_server
from luma_mcp.settings import Settings

PROMPT = "A paper boat drifting down a rain-soaked street at dusk"
ARGS: dict[str, Any] = {"prompt": PROMPT, "model": "ray-2", "aspect_ratio": "16:9"}
BODY: dict[str, Any] = {
    "model": "luma/ray-2",
    "prompt": PROMPT,
    "resolution": "720p",
    "duration": 5,
    "aspect_ratio": "16:9",
}
HEADERS = {"Authorization": "Bearer bench-key", "X-Client-Request-Id": "bench-1"}


async def mcp_round(client: Client, times: Timings) -> None:
    dry = await timed(times["dry_run"], client.call_tool("generate_video", {**ARGS, "dry_run": True}))
    assert not dry.is_error, dry
    started = time.perf_counter()
    created = await timed(times["create"], client.call_tool("generate_video", {**ARGS, "wait_seconds": 0}))
    args = {"generation_id": (created.structured_content or {})["id"], "wait_seconds": 0, "download": False}
    got = await timed(times["get"], client.call_tool("get_generation", args))
    times["create+get"].append(time.perf_counter() - started)
    assert (got.structured_content or {}).get("state") == "completed", got


async def http_round(http: httpx.AsyncClient, times: Timings) -> None:
    started = time.perf_counter()
    created = await timed(times["create"], http.post("/v2/video/generations", json=BODY, headers=HEADERS))
    params = {"generation_id": created.json()["id"]}
    got = await timed(times["get"], http.get("/v2/video/generations", params=params, headers=HEADERS))
    times["create+get"].append(time.perf_counter() - started)
    assert got.json()["status"] == "completed", got.text


def empty() -> Timings:
    return {name: [] for name in ("dry_run", "create", "get", "create+get")}


async def measure(calls: int) -> tuple[Timings, Timings]:
    emulator = AimlEmulator(AimlEmulatorConfig(queued_seconds=0, generating_seconds=0, balance_usd=1e9))
    with scratch_dir() as root:
        settings = Settings(sandbox=True, output_dir=root / "out", data_dir=root / "data")
        transport = httpx.ASGITransport(app=emulator.app)
        async with (
            Client(build_server(settings, Sandbox(aimlapi=emulator))) as client,
            httpx.AsyncClient(transport=transport, base_url="http://aiml.bench") as http,
        ):
            results = (empty(), empty())
            for index in range(WARM_UP + calls):
                sinks = results if index >= WARM_UP else (empty(), empty())
                if index % 2:
                    await mcp_round(client, sinks[0])
                    await http_round(http, sinks[1])
                else:
                    await http_round(http, sinks[1])
                    await mcp_round(client, sinks[0])
            return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    quiet()
    ours, direct = anyio.run(measure, args.calls)
    heading(f"AI/ML API path, per call, {args.calls} calls each, alternated (instant emulator, in process)")
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


if __name__ == "__main__":
    main()
