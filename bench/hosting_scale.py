"""Hosted scaling: throughput and per-call overhead of tool calls through HAProxy at 1, 2 and 3 replicas.

The setup is the load test's (tests/hosting/cluster_support): PostgreSQL (a throwaway cluster, or
LUMA_MCP_TEST_DATABASE_URL), the emulators over HTTP, N `luma-mcp --transport streamable-http` replicas
behind HAProxy running deploy/haproxy.cfg, OAuth tokens from a test IdP. For each replica count, `--users`
clients (half on 2025-11-25 sessions, half on 2026-07-28) call in a closed loop, all at once:

- overhead: `generate_video` with dry_run (validation, pricing: nothing is sent to the API) alternating
  with `list_generations` (a database read). These calls do no provider work, so their latency is all
  overhead: balancer, OAuth token check, MCP, database;
- create: `generate_image` with wait_seconds=0: the budget booked in one transaction, the row written
  before and after the emulator's create (one loopback round trip, a few ms), the id returned. No job
  time is included: the call does not wait for the job.

With 1 replica the overhead calls are also sent straight to the replica (no balancer), to show what
HAProxy adds. Throughput is calls answered / wall time of the measured part (every user connected and
warmed up). Everything (the clients, the replicas, HAProxy, PostgreSQL, the emulator, and whatever else
runs) shares this machine's cores: each line also says how many cores each side kept busy, and the
replicas' CPU per call, the figure that does not depend on what else ran. More replicas raise
throughput only while the replicas are what is short of CPU.

    uv run python bench/hosting_scale.py [--users 12] [--calls 30] [--replicas 1 2 3]

Needs Debian's `postgresql` and `haproxy` packages (root, or LUMA_MCP_TEST_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import psutil
from _shared import heading, line, ms, percentile, quiet

# The load test's cluster, as the tests run it: tests/ goes on the path before its import.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hosting.cluster_support import Cluster, cluster, connect
from hosting.pg_support import fresh_schema, postgres_server

Call = Callable[[Any, int], Awaitable[Any]]


async def overhead_call(client: Any, n: int) -> Any:
    if n % 2:
        return await client.call_tool("list_generations", {"limit": 10})
    return await client.call_tool("generate_video", {"prompt": f"a heron at dawn {n}", "dry_run": True})


async def create_call(client: Any, n: int) -> Any:
    return await client.call_tool("generate_image", {"prompt": f"a heron at dawn {n}", "wait_seconds": 0})


@dataclass
class Measured:
    latencies: list[float]
    wall: float  # from the moment every user is connected and warmed up to the last answer
    cpu: dict[str, float]  # CPU seconds spent meanwhile, by whom (see cpu_seconds)


async def phase(url: str, hosted: Cluster, users: int, calls: int, call: Call) -> Measured:
    """Every user's latencies (warm-up calls left out), over the measured part only."""
    latencies: list[float] = []
    ready = anyio.Event()
    connected = 0
    marks: dict[str, Any] = {}

    async def user(index: int) -> None:
        nonlocal connected
        mode = "legacy" if index % 2 == 0 else "auto"
        async with connect(url, hosted.token(f"bench{index:02}"), mode=mode) as client:
            for n in range(2):  # warm-up: tool listing, first token check, first connection
                await call(client, n)
            connected += 1
            if connected == users:
                marks["cpu"], marks["start"] = cpu_seconds(hosted), time.perf_counter()
                ready.set()
            await ready.wait()
            for n in range(calls):
                started = time.perf_counter()
                result = await call(client, n)
                latencies.append(time.perf_counter() - started)
                assert not result.is_error, result

    async with anyio.create_task_group() as group:
        for index in range(users):
            group.start_soon(user, index)
    wall = time.perf_counter() - marks["start"]
    after = cpu_seconds(hosted)
    return Measured(latencies, wall, {name: after[name] - marks["cpu"].get(name, 0.0) for name in after})


def cpu_seconds(hosted: Cluster) -> dict[str, float]:
    """CPU seconds (user + system) so far: this process (the clients), the replicas together, HAProxy and
    the emulator, and the whole machine (PostgreSQL, and anything else running, included)."""
    pids = {
        "clients": {os.getpid()},
        "replicas": {service.process.pid for service in hosted.replicas if service.process is not None},
        "balancer+emulator": {
            service.process.pid for service in (hosted.balancer, hosted.emulator) if service.process is not None
        },
    }
    totals = dict.fromkeys(pids, 0.0)
    for kind, members in pids.items():
        for pid in members:
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            totals[kind] += times.user + times.system
    machine = psutil.cpu_times()
    totals["machine"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    return totals


def report(label: str, measured: Measured) -> None:
    latencies, wall = measured.latencies, measured.wall
    busy = ", ".join(f"{name} {seconds / wall:.2f}" for name, seconds in measured.cpu.items())
    # What a call costs the replicas, whoever else is busy: the figure to size a deployment's cores by.
    per_call = measured.cpu["replicas"] / len(latencies)
    line(
        label,
        f"{len(latencies) / wall:6.1f} calls/s  p50 {ms(percentile(latencies, 0.5)):>8}  "
        f"p95 {ms(percentile(latencies, 0.95)):>8}  replica CPU/call {ms(per_call):>8}  (cores busy: {busy})",
    )


async def measure(count: int, users: int, calls: int) -> None:
    with postgres_server() as server, fresh_schema(server) as schema, tempfile.TemporaryDirectory() as folder:
        async with cluster(Path(folder), schema.url, replicas=count, job_seconds=3.0) as hosted:
            heading(f"{count} replica{'s' if count > 1 else ''}")
            url = hosted.url
            report("overhead (dry_run + list_generations)", await phase(url, hosted, users, calls, overhead_call))
            report("create (generate_image, no wait)", await phase(url, hosted, users, calls // 3, create_call))
            if count == 1:
                direct = f"http://127.0.0.1:{hosted.ports[0]}/mcp"
                # The replica accepts its own address too (DNS-rebinding allow-list): no balancer in between.
                report("overhead, straight to the replica", await phase(direct, hosted, users, calls, overhead_call))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--calls", type=int, default=30, help="measured calls per user in the overhead phase")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    quiet()
    print(
        f"hosted scaling: {args.users} users at once (half 2025-11-25 sessions, half 2026-07-28), "
        f"{os.cpu_count()} cores shared by clients, replicas, HAProxy, PostgreSQL and the emulator",
        flush=True,
    )
    for count in args.replicas:
        anyio.run(measure, count, args.users, args.calls)


if __name__ == "__main__":
    main()
