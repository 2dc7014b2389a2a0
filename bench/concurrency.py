"""Concurrency: 50 jobs at once through one server, in real mode, against the emulator on loopback.

Checks that every job completes; that the server's event loop stays responsive (a ticker task sleeps
10 ms over and over and records how late it wakes: max and p99 must stay under 50 ms); and that
the server opens no more TCP connections to the API than its httpx pools allow (psutil samples this
process's connections to the emulator's port every 100 ms).

The jobs all end at the same moment, the worst case: 50 downloads and previews at once. By default
the emulator runs in a subprocess, so that its own request handling does not compete with the
server for this process's GIL and show up as server lag; `--in-process` serves it from a thread here.

    uv run python bench/concurrency.py [--jobs 50] [--seconds 37.5] [--in-process]

The in-process MCP client shares the server's event loop, so the lag includes the client's side of
each call too; the report splits the worst lateness by phase (submitting, waiting, completing).

Targets: all complete; loop lag max and p99 <= 50 ms; simultaneous connections <= pool limits.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import psutil
from _shared import Loopback, heading, line, median, percentile, quiet, real_settings, scratch_dir, verdict
from mcp import Client

from luma_mcp.server import build_server

TARGET_LAG = 0.050
TICK = 0.010
QUEUED_SECONDS = 1.0
PROMPT = "A swarm of fireflies over a summer meadow at dusk"
ARGS: dict[str, Any] = {"resolution": "360p", "wait_seconds": 600}  # 360p: expected 37.5 s
EMULATOR = (
    "import sys\n"
    "from luma_mcp.providers.luma.emulator import EmulatorConfig, serve\n"
    "config = EmulatorConfig(queued_seconds={queued}, rpm_limit=10**6, concurrency_limit=10**6)\n"
    "serve(config, '127.0.0.1', int(sys.argv[1]))\n"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def emulator_process() -> Iterator[str]:
    port = free_port()
    code = EMULATOR.format(queued=QUEUED_SECONDS)
    child = subprocess.Popen([sys.executable, "-c", code, str(port)], stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base_url}/_emulator/faults", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base_url
    finally:
        child.terminate()
        child.wait(10)


@contextmanager
def emulator_thread() -> Iterator[str]:
    from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig

    config = EmulatorConfig(queued_seconds=QUEUED_SECONDS, rpm_limit=10**6, concurrency_limit=10**6)
    with Loopback(Emulator(config).app) as served:
        yield served.base_url


@dataclass
class Connections:
    """Samples, from a thread, this process's TCP connections to one port."""

    port: int
    seen: set[int] = field(default_factory=set)
    most: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        # psutil parses /proc in Python, holding the GIL: sampling more often would itself lag the loop.
        while not self._stop.wait(0.1):
            ours = psutil.Process(os.getpid()).net_connections(kind="tcp")
            local = {c.laddr.port for c in ours if c.raddr and c.raddr.port == self.port and c.status == "ESTABLISHED"}
            self.seen |= local
            self.most = max(self.most, len(local))

    @contextmanager
    def running(self) -> Iterator[Connections]:
        thread = threading.Thread(target=self.sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()


async def ticker(lateness: list[tuple[float, float]], stop: anyio.Event) -> None:
    """(moment since start, how late the wake-up was) for every 10 ms sleep until `stop`."""
    origin = time.perf_counter()
    while not stop.is_set():
        started = time.perf_counter()
        await anyio.sleep(TICK)
        lateness.append((started - origin, time.perf_counter() - started - TICK))


async def one_job(client: Client, seconds: float, states: list[str]) -> None:
    prompt = f"{PROMPT} __slow:{seconds - QUEUED_SECONDS:.3f}"
    result = await client.call_tool("generate_video", {**ARGS, "prompt": prompt})
    states.append((result.structured_content or {}).get("state", "error"))


async def run(jobs: int, seconds: float, base_url: str) -> dict[str, Any]:
    port = httpx.URL(base_url).port or 80
    with scratch_dir() as root:
        async with Client(build_server(real_settings(root, f"{base_url}/v1"))) as client:
            await one_job(client, QUEUED_SECONDS, [])  # warm up: media render, imports, first connections
            lateness: list[tuple[float, float]] = []
            states: list[str] = []
            stop = anyio.Event()
            started = time.perf_counter()
            with Connections(port).running() as connections:
                async with anyio.create_task_group() as ticking:
                    ticking.start_soon(ticker, lateness, stop)
                    async with anyio.create_task_group() as group:
                        for _ in range(jobs):
                            group.start_soon(one_job, client, seconds, states)
                    stop.set()
    return {
        "states": states,
        "lateness": lateness,
        "wall": time.perf_counter() - started,
        "most": connections.most,
        "seen": len(connections.seen),
        "gets": count_gets(base_url),
    }


async def reference_burst(jobs: int) -> float:
    """The SDK's floor: worst lateness while a bare MCPServer answers `jobs` trivial calls sent at once."""
    from reference_server import server

    async with Client(server) as client:
        await client.call_tool("echo", {"text": "warm"})
        lateness: list[tuple[float, float]] = []
        stop = anyio.Event()
        async with anyio.create_task_group() as ticking:
            ticking.start_soon(ticker, lateness, stop)
            async with anyio.create_task_group() as group:
                for _ in range(jobs):
                    group.start_soon(client.call_tool, "echo", {"text": "hi"})
            await anyio.sleep(0.1)
            stop.set()
    return max(late for _, late in lateness)


def count_gets(base_url: str) -> int:
    log = json.loads(httpx.get(f"{base_url}/_emulator/requests", timeout=30).text)["requests"]
    return sum(1 for request in log if request["method"] == "GET" and request["path"].startswith("/v1/generations/"))


def pool_limits() -> tuple[httpx.Limits, httpx.Limits]:
    """The pools the server's two clients use: the SDK's (API) and httpx's default (downloads)."""
    from httpx._config import DEFAULT_LIMITS
    from luma_agents._constants import DEFAULT_CONNECTION_LIMITS

    return DEFAULT_CONNECTION_LIMITS, DEFAULT_LIMITS


def phases(lateness: list[tuple[float, float]], seconds: float) -> dict[str, float]:
    """Worst lateness while submitting (first 2 s), while waiting, and from the first completion on."""
    spans = {"submitting": (0.0, 2.0), "waiting": (2.0, seconds - 0.5), "completing": (seconds - 0.5, 1e9)}
    return {
        name: max((late for at, late in lateness if low <= at < high), default=0.0)
        for name, (low, high) in spans.items()
    }


def report(figures: dict[str, Any], jobs: int, seconds: float) -> None:
    lateness = [late for _, late in figures["lateness"]]
    completed = figures["states"].count("completed")
    worst, p99 = max(lateness), percentile(lateness, 0.99)
    api, downloads = pool_limits()
    ceiling = (api.max_connections or 0) + (downloads.max_connections or 0)
    keepalive = (api.max_keepalive_connections or 0) + (downloads.max_keepalive_connections or 0)
    heading(f"{jobs} jobs at once, {figures['wall']:.1f} s")
    line("completed", f"{completed} / {jobs}  {verdict(completed == jobs)}")
    line("event-loop lag (10 ms ticker)", f"median {median(lateness) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    line("", f"max {worst * 1000:.1f} ms  (target <= {TARGET_LAG * 1000:.0f} ms: {verdict(worst <= TARGET_LAG)})")
    worst_by_phase = phases(figures["lateness"], seconds)
    line("worst lateness by phase", ", ".join(f"{name} {late * 1000:.1f} ms" for name, late in worst_by_phase.items()))
    floor = figures["reference_burst"]
    line(
        f"reference: bare MCPServer, {jobs} trivial calls",
        f"max {floor * 1000:.1f} ms (submitting phase: {worst_by_phase['submitting'] / floor:.1f}x)",
    )
    line("GETs the emulator received", f"{figures['gets']} ({figures['gets'] / jobs:.1f} per job)")
    line(
        "TCP connections, most at once",
        f"{figures['most']} (pools allow {ceiling}: {verdict(figures['most'] <= ceiling)})",
    )
    line("TCP connections, distinct over the run", f"{figures['seen']} (keep-alive pools hold {keepalive})")
    line("pool limits (API, downloads)", f"{api} / {downloads}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=37.5, help="each job's length (360p: expected 37.5 s)")
    parser.add_argument("--in-process", action="store_true", help="serve the emulator from a thread of this process")
    args = parser.parse_args()
    quiet()
    with emulator_thread() if args.in_process else emulator_process() as base_url:
        figures = anyio.run(run, args.jobs, args.seconds, base_url)
    figures["reference_burst"] = anyio.run(reference_burst, args.jobs)
    report(figures, args.jobs, args.seconds)


if __name__ == "__main__":
    main()
