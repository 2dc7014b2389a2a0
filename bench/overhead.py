"""Overhead per call: what the MCP server adds on top of calling the Luma SDK directly.

One emulator that finishes jobs instantly (queued 0 s, processing 0 s), mounted in process through
httpx.ASGITransport (no sockets: nothing but our code and the SDK's is timed). The same requests go
 - through the MCP server, with the in-process MCP client: `generate_video` with `dry_run`, and a
   create + get (`generate_video` with `wait_seconds=0`, then `get_generation` with `download=false`,
   so both sides move the same bytes);
 - straight to the same emulator app with `AsyncLuma`: `generations.create` then `generations.get`.
A dry run sends nothing, so its direct counterpart costs nothing: its whole round trip is overhead.
For scale, the script also times a trivial tool on a bare MCPServer (the SDK's own floor).
Runs alternate between the two sides.

    uv run python bench/overhead.py [--calls 200]

Target: median overhead <= +2 ms per tool call (create+get is two calls: half the difference of the
medians; a dry run is one call, all of it overhead).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
from _shared import heading, line, median, percentile, quiet, scratch_dir, verdict
from luma_agents import AsyncLuma
from mcp import Client
from reference_server import server as reference_server

from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig
from luma_mcp.server import build_server
from luma_mcp.settings import SANDBOX_API_KEY, SANDBOX_BASE_URL, Settings

TARGET_MS = 2.0
WARM_UP = 20
PROMPT = "A paper boat drifting down a rain-soaked street at dusk"
ARGS: dict[str, Any] = {"prompt": PROMPT, "aspect_ratio": "16:9"}
BODY: dict[str, Any] = {
    "model": "ray-3.2",
    "type": "video",
    "prompt": PROMPT,
    "aspect_ratio": "16:9",
    "video": {"resolution": "720p", "duration": "5s"},
}
Timings = dict[str, list[float]]


async def timed(sink: list[float], work: Awaitable[Any]) -> Any:
    started = time.perf_counter()
    result = await work
    sink.append(time.perf_counter() - started)
    return result


async def mcp_round(client: Client, times: Timings) -> None:
    dry = await timed(times["dry_run"], client.call_tool("generate_video", {**ARGS, "dry_run": True}))
    assert not dry.is_error, dry
    started = time.perf_counter()
    created = await timed(times["create"], client.call_tool("generate_video", {**ARGS, "wait_seconds": 0}))
    generation_id = (created.structured_content or {})["id"]
    args = {"generation_id": generation_id, "wait_seconds": 0, "download": False}
    got = await timed(times["get"], client.call_tool("get_generation", args))
    times["create+get"].append(time.perf_counter() - started)
    assert (got.structured_content or {}).get("state") == "completed", got


async def sdk_round(luma: AsyncLuma, times: Timings) -> None:
    started = time.perf_counter()
    generation = await timed(times["create"], luma.generations.create(**BODY))
    fetched = await timed(times["get"], luma.generations.get(generation.id))
    times["create+get"].append(time.perf_counter() - started)
    assert fetched.state == "completed", fetched


async def floor_round(client: Client, times: Timings) -> None:
    await timed(times["trivial tool"], client.call_tool("echo", {"text": "hi"}))


def empty() -> Timings:
    return {name: [] for name in ("dry_run", "create", "get", "create+get", "trivial tool")}


async def measure(calls: int) -> tuple[Timings, Timings, Timings]:
    config = EmulatorConfig(queued_seconds=0, processing_seconds=0, rpm_limit=1_000_000, concurrency_limit=1_000_000)
    emulator = Emulator(config)
    with scratch_dir() as root:
        settings = Settings(sandbox=True, output_dir=root / "out", data_dir=root / "data")
        transport = httpx.ASGITransport(app=emulator.app)
        async with (
            Client(build_server(settings, emulator)) as client,
            Client(reference_server) as floor,
            httpx.AsyncClient(transport=transport) as http,
        ):
            luma = AsyncLuma(auth_token=SANDBOX_API_KEY, base_url=SANDBOX_BASE_URL, http_client=http)
            rounds: list[Callable[[Timings], Awaitable[None]]] = [
                lambda sink: mcp_round(client, sink),
                lambda sink: sdk_round(luma, sink),
                lambda sink: floor_round(floor, sink),
            ]
            results = (empty(), empty(), empty())
            for index in range(WARM_UP + calls):
                sinks = results if index >= WARM_UP else (empty(), empty(), empty())
                order = [0, 1, 2] if index % 2 else [1, 0, 2]
                for which in order:
                    await rounds[which](sinks[which])
            return results


def stats(values: list[float]) -> str:
    return f"median {median(values) * 1000:6.2f} ms   p90 {percentile(values, 0.9) * 1000:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    quiet()
    ours, sdk, floor = anyio.run(measure, args.calls)
    heading(f"per call, {args.calls} calls each, alternated (instant emulator, in process)")
    for name in ("dry_run", "create", "get", "create+get"):
        line(f"MCP {name}", stats(ours[name]))
    for name in ("create", "get", "create+get"):
        line(f"SDK {name}", stats(sdk[name]))
    line("bare MCPServer, trivial tool (SDK floor)", stats(floor["trivial tool"]))
    report_overhead(ours, sdk)


def report_overhead(ours: Timings, sdk: Timings) -> None:
    heading("overhead (MCP minus SDK)")
    pair = (median(ours["create+get"]) - median(sdk["create+get"])) * 1000
    pair90 = (percentile(ours["create+get"], 0.9) - percentile(sdk["create+get"], 0.9)) * 1000
    ratio = median(ours["create+get"]) / median(sdk["create+get"])
    dry, dry90 = median(ours["dry_run"]) * 1000, percentile(ours["dry_run"], 0.9) * 1000
    line("create+get (2 tool calls)", f"median +{pair:.2f} ms, p90 +{pair90:.2f} ms ({ratio:.2f}x the SDK)")
    line("  per tool call", f"median +{pair / 2:.2f} ms, p90 +{pair90 / 2:.2f} ms")
    line("dry_run (1 call; direct: nothing sent)", f"median +{dry:.2f} ms, p90 +{dry90:.2f} ms")
    met = f"create+get {verdict(pair / 2 <= TARGET_MS)}, dry_run {verdict(dry <= TARGET_MS)}"
    line("target", f"<= +{TARGET_MS} ms per call at the median: {met}")


if __name__ == "__main__":
    main()
