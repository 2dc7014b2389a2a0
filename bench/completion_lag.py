"""Completion lag: from the moment a job completes at the API to the moment the tool call returns.

The server runs in REAL mode (production poll pacing: `min_poll_interval` and friends at their
defaults, `expected_seconds` computed from the request as in production) against the emulator served
on loopback in this process. Each job is submitted as the kind of job that typically takes about that
long (an image for 5-20 s, a 360p video for 30-45 s, 720p for 60-90 s, 1080p for 2-3 min) and made to
take exactly its length with the emulator's `__slow:<s>` directive; all run at once. Each length is
shifted by a random -2.5..2.5 s (seeded), so that no poller gains from lengths that fall on its beat.

Figures per job: return lag (completion -> tool returned: detection, then download and preview),
detection lag (completion -> the GET that saw it), GETs per minute of the job's life (from the
emulator's request log), and the longest gap between progress notifications. The reference is a plain
poller on the SDK polling every 5 s (the API guide's advice for videos), run on the same jobs at the
same time.

    uv run python bench/completion_lag.py            # 5 s .. 3 min, 2 runs of each length (~3.5 min)
    uv run python bench/completion_lag.py --quick    # 5 s .. 45 s (~1 min)

Target: median return lag <= 1.5 s at <= 15 GETs per minute (median per job).
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
from _shared import (
    BENCH_KEY,
    Loopback,
    Timeline,
    heading,
    line,
    median,
    percentile,
    quiet,
    real_settings,
    scratch_dir,
    verdict,
)
from luma_agents import AsyncLuma
from mcp import Client

from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig
from luma_mcp.server import build_server
from luma_mcp.waiting import expected_seconds

QUEUED_SECONDS = 1.0
WIDTHS = (9, 7, 7, 7, 5, 8, 13)
TARGET_LAG = 1.5
TARGET_RATE = 15.0
REFERENCE_INTERVAL = 5.0
PROMPT = "A lighthouse beam sweeping over a stormy sea at night"

# kind -> (tool, arguments): the job a user would submit for that kind
KINDS: dict[str, tuple[str, dict[str, Any]]] = {
    "image": ("generate_image", {}),
    "360p": ("generate_video", {"resolution": "360p"}),
    "720p": ("generate_video", {"resolution": "720p"}),
    "1080p": ("generate_video", {"resolution": "1080p"}),
}
FULL: list[tuple[str, float]] = [
    ("image", 5),
    ("image", 15),
    ("image", 20),
    ("360p", 30),
    ("360p", 45),
    ("720p", 60),
    ("720p", 75),
]
FULL += [("720p", 90), ("1080p", 120), ("1080p", 150), ("1080p", 180)]
QUICK: list[tuple[str, float]] = [("image", 5), ("image", 15), ("image", 20), ("360p", 30), ("360p", 45)]


@dataclass
class Job:
    kind: str
    seconds: float
    expected: float = 0.0
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    job: Job
    lag: float
    detection: float
    gets: int
    per_minute: float
    progress_gap: float


def slow_prompt(seconds: float) -> str:
    return f"{PROMPT} __slow:{seconds - QUEUED_SECONDS:.3f}"


async def wire_body(client: Client, kind: str) -> dict[str, Any]:
    """The exact request the server would send (its dry run), so `expected_seconds` matches production."""
    tool, arguments = KINDS[kind]
    result = await client.call_tool(tool, {**arguments, "prompt": PROMPT, "dry_run": True})
    assert result.structured_content is not None, result
    return dict(result.structured_content["request"])


async def through_the_server(client: Client, emulator: Emulator, timeline: Timeline, job: Job) -> Outcome:
    tool, arguments = KINDS[job.kind]
    notes: list[float] = []

    async def progress(progress: float, total: float | None, message: str | None) -> None:
        notes.append(time.time())

    started = time.time()
    result = await client.call_tool(
        tool, {**arguments, "prompt": slow_prompt(job.seconds), "wait_seconds": 600}, progress_callback=progress
    )
    returned = time.time()
    data = result.structured_content or {}
    assert data.get("state") == "completed", result
    moments = [started, *notes, returned]
    return outcome(job, emulator, timeline, data["id"], returned, max(b - a for a, b in itertools.pairwise(moments)))


async def reference_poller(luma: AsyncLuma, emulator: Emulator, timeline: Timeline, job: Job) -> Outcome:
    generation = await luma.generations.create(**{**job.body, "prompt": slow_prompt(job.seconds)})
    while generation.state not in ("completed", "failed"):
        await anyio.sleep(REFERENCE_INTERVAL)
        generation = await luma.generations.get(generation.id)
    return outcome(job, emulator, timeline, generation.id, time.time(), 0.0)


def outcome(job: Job, emulator: Emulator, timeline: Timeline, gen_id: str, returned: float, gap: float) -> Outcome:
    stored = emulator.store.by_id[gen_id]
    gets = timeline.gets.get(gen_id, [])
    seen = min((moment for moment in gets if moment >= stored.done_at), default=returned)
    life_minutes = (returned - stored.created) / 60
    return Outcome(job, returned - stored.done_at, seen - stored.done_at, len(gets), len(gets) / life_minutes, gap)


async def run(plan: list[tuple[str, float]], reps: int) -> tuple[list[Outcome], list[Outcome]]:
    config = EmulatorConfig(queued_seconds=QUEUED_SECONDS, rpm_limit=100_000, concurrency_limit=100_000)
    emulator = Emulator(config)
    timeline = Timeline(emulator.app)
    rng = random.Random(7)
    with Loopback(timeline) as served, scratch_dir() as root:
        settings = real_settings(root, f"{served.base_url}/v1")
        async with Client(build_server(settings)) as client:
            bodies = {kind: await wire_body(client, kind) for kind, _ in plan}
            jobs = [
                Job(kind, max(seconds + rng.uniform(-2.5, 2.5), 5.0), expected_seconds(bodies[kind]), bodies[kind])
                for _ in range(reps)
                for kind, seconds in plan
            ]
            await warm_up(client, emulator, timeline, sorted(bodies))
            async with httpx.AsyncClient() as http:
                luma = AsyncLuma(auth_token=BENCH_KEY, base_url=f"{served.base_url}/v1", http_client=http)
                return await all_at_once(client, luma, emulator, timeline, jobs)


async def warm_up(client: Client, emulator: Emulator, timeline: Timeline, kinds: list[str]) -> None:
    """One short job per kind first: media renders, imports and connections are not what we measure."""
    async with anyio.create_task_group() as group:
        for kind in kinds:
            group.start_soon(through_the_server, client, emulator, timeline, Job(kind, QUEUED_SECONDS))


async def all_at_once(
    client: Client, luma: AsyncLuma, emulator: Emulator, timeline: Timeline, jobs: list[Job]
) -> tuple[list[Outcome], list[Outcome]]:
    ours: list[Outcome] = []
    reference: list[Outcome] = []

    async def ours_job(job: Job) -> None:
        ours.append(await through_the_server(client, emulator, timeline, job))

    async def reference_job(job: Job) -> None:
        reference.append(await reference_poller(luma, emulator, timeline, job))

    async with anyio.create_task_group() as group:
        for job in jobs:
            group.start_soon(ours_job, job)
            group.start_soon(reference_job, job)
    return ours, reference


def print_jobs(outcomes: list[Outcome]) -> None:
    heading("luma-mcp, per job (sorted by length)")
    columns = ("expected", "length", "lag", "detect", "GETs", "GET/min", "progress gap")
    print(f"  {'kind':<6} " + " ".join(f"{name:>{width}}" for name, width in zip(columns, WIDTHS, strict=True)))
    for item in sorted(outcomes, key=lambda o: o.job.seconds):
        job = item.job
        print(
            f"  {job.kind:<6} {job.expected:>8.1f}s {job.seconds:>6.1f}s {item.lag:>6.2f}s {item.detection:>6.2f}s"
            f" {item.gets:>5} {item.per_minute:>8.1f} {item.progress_gap:>12.2f}s"
        )


def summarize(name: str, outcomes: list[Outcome]) -> tuple[float, float]:
    lags = [o.lag for o in outcomes]
    rates = [o.per_minute for o in outcomes]
    total_minutes = sum(o.gets / o.per_minute for o in outcomes)
    heading(name)
    line("return lag", f"median {median(lags):.2f} s, p90 {percentile(lags, 0.9):.2f} s, max {max(lags):.2f} s")
    line("detection lag", f"median {median([o.detection for o in outcomes]):.2f} s")
    line("GETs per minute per job", f"median {median(rates):.1f}, max {max(rates):.1f}")
    line("GETs per minute, all jobs together", f"{sum(o.gets for o in outcomes) / total_minutes:.1f}")
    return median(lags), median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only jobs of 5 to 45 s")
    parser.add_argument("--reps", type=int, default=2, help="runs of each length, each shifted by a random -2.5..2.5 s")
    args = parser.parse_args()
    quiet()
    ours, reference = anyio.run(run, QUICK if args.quick else FULL, args.reps)
    print_jobs(ours)
    lag, rate = summarize(f"luma-mcp: {len(ours)} jobs, adaptive polling", ours)
    line("longest gap between progress notes", f"{max(o.progress_gap for o in ours):.2f} s (must be <= 5 s)")
    ref_lag, ref_rate = summarize(f"reference: the same jobs polled every {REFERENCE_INTERVAL:.0f} s (SDK)", reference)
    heading("verdict")
    line("median lag vs reference", f"{lag:.2f} s vs {ref_lag:.2f} s ({lag / ref_lag:.2f}x)")
    line("median GET/min vs reference", f"{rate:.1f} vs {ref_rate:.1f} ({rate / ref_rate:.2f}x)")
    met = lag <= TARGET_LAG and rate <= TARGET_RATE
    line("target", f"median lag <= {TARGET_LAG} s at <= {TARGET_RATE:.0f} GET/min: {verdict(met)}")


if __name__ == "__main__":
    main()
