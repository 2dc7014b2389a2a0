"""Poll pacing of the wait loop, on a virtual clock: a three-minute job runs in milliseconds.

The emulator and the loop share one virtual clock that only the loop's sleeps move forward. The
assertions count the GETs the emulator received and read virtual moments; none depends on how fast
this machine is.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from luma_mcp.providers.luma.client import Generation, LumaApi
from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig
from luma_mcp.providers.luma.timing import expected_seconds
from luma_mcp.settings import SANDBOX_API_KEY, SANDBOX_BASE_URL
from luma_mcp.waiting import Clock, WaitPolicy, job_age, poll_interval, wait_for

QUEUED_SECONDS = 1.0
BODY: dict[str, Any] = {"model": "ray-3.2", "type": "video", "video": {"resolution": "720p", "duration": "5s"}}
EXPECTED = expected_seconds(BODY)  # 75 s for a 5 s 720p video


@dataclass
class VirtualClock:
    now_value: float = 1_800_000_000.0  # a plausible Unix time: `created_at` ages must make sense

    def now(self) -> float:
        return self.now_value

    async def sleep(self, seconds: float) -> None:
        await anyio.lowlevel.checkpoint()  # still a real await: cancellation lands here
        self.now_value += max(seconds, 0.0)

    def clock(self) -> Clock:
        return Clock(now=self.now, wall=self.now, sleep=self.sleep)


class PollLog:
    """ASGI wrapper noting the virtual moment of every GET /v1/generations/{id}."""

    def __init__(self, app: Any, clock: VirtualClock) -> None:
        self.app, self.clock = app, clock
        self.moments: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith("/v1/generations/"):
            self.moments.append(self.clock.now())
        await self.app(scope, receive, send)


@dataclass
class Reports:
    events: list[tuple[float, float, str]] = field(default_factory=list)  # (virtual now, elapsed, state)
    clock: VirtualClock | None = None

    async def __call__(self, elapsed: float, latest: Generation) -> None:
        assert self.clock is not None
        self.events.append((self.clock.now(), elapsed, latest.state))


@dataclass
class Rig:
    clock: VirtualClock
    emulator: Emulator
    api: LumaApi
    polls: PollLog

    async def submit(self, total_seconds: float) -> Generation:
        """A job that ends `total_seconds` after it is created (queue included)."""
        prompt = f"a lighthouse at dusk __slow:{total_seconds - QUEUED_SECONDS}"
        return await self.api.create({**BODY, "prompt": prompt})

    def done_at(self, generation: Generation) -> float:
        return self.emulator.store.by_id[generation.id].done_at

    def policy(self, budget: float = 600.0, **overrides: Any) -> WaitPolicy:
        return WaitPolicy(budget_seconds=budget, expected_seconds=EXPECTED, clock=self.clock.clock(), **overrides)

    def reports(self) -> Reports:
        return Reports(clock=self.clock)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    clock = VirtualClock()
    emulator = Emulator(EmulatorConfig(queued_seconds=QUEUED_SECONDS, clock=clock.now))
    polls = PollLog(emulator.app, clock)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=polls))
    api = LumaApi(SANDBOX_API_KEY, SANDBOX_BASE_URL, http_client=http)
    try:
        yield Rig(clock, emulator, api, polls)
    finally:
        await api.aclose()


def gets_per_minute(rig: Rig, generation: Generation) -> float:
    lifetime = rig.clock.now() - rig.emulator.store.by_id[generation.id].created
    return len(rig.polls.moments) / (lifetime / 60)


async def test_a_job_ending_when_expected_is_caught_within_a_second_and_a_half_at_under_15_gets_a_minute(
    rig: Rig,
) -> None:
    generation = await rig.submit(EXPECTED)
    final = await wait_for(rig.api, generation, rig.policy(), rig.reports())
    assert final.state == "completed"
    assert rig.clock.now() - rig.done_at(generation) <= 1.5
    assert gets_per_minute(rig, generation) <= 15


@pytest.mark.parametrize("share", [1.1, 1.25, 1.5, 2.0])
async def test_a_late_job_is_caught_within_one_overdue_interval(rig: Rig, share: float) -> None:
    generation = await rig.submit(EXPECTED * share)
    final = await wait_for(rig.api, generation, rig.policy(), rig.reports())
    assert final.state == "completed"
    assert rig.clock.now() - rig.done_at(generation) <= 5.0
    assert gets_per_minute(rig, generation) <= 20


async def test_an_early_job_is_polled_sparsely_and_still_caught(rig: Rig) -> None:
    generation = await rig.submit(EXPECTED * 0.5)
    final = await wait_for(rig.api, generation, rig.policy(), rig.reports())
    assert final.state == "completed"
    assert len(rig.polls.moments) <= 5
    assert rig.clock.now() - rig.done_at(generation) <= 10.0  # the sparse phase's widest gap


async def test_polls_never_come_closer_than_the_minimum_interval(rig: Rig) -> None:
    generation = await rig.submit(EXPECTED * 2)
    await wait_for(rig.api, generation, rig.policy(), rig.reports())
    gaps = [later - earlier for earlier, later in itertools.pairwise(rig.polls.moments)]
    assert gaps and min(gaps) >= 1.0
    assert max(gaps) <= 10.0


async def test_progress_goes_out_at_start_and_at_least_every_five_seconds(rig: Rig) -> None:
    generation = await rig.submit(EXPECTED)
    reports = rig.reports()
    await wait_for(rig.api, generation, rig.policy(), reports)
    moments = [event[0] for event in reports.events]
    assert reports.events[0][1] == 0.0
    assert all(later - earlier <= 5.0 for earlier, later in itertools.pairwise(moments))
    assert rig.clock.now() - moments[-1] <= 5.0
    assert {event[2] for event in reports.events} <= {"queued", "processing"}


async def test_the_budget_ends_the_wait_with_the_last_known_state(rig: Rig) -> None:
    generation = await rig.submit(180.0)
    start = rig.clock.now()
    final = await wait_for(rig.api, generation, rig.policy(budget=45.0), rig.reports())
    assert final.state == "processing" and final.id == generation.id
    assert rig.clock.now() == pytest.approx(start + 45.0)
    assert rig.polls.moments[-1] == pytest.approx(start + 45.0)  # one last look at the deadline
    assert len(rig.polls.moments) <= 8


async def test_cancellation_stops_the_wait_at_once(rig: Rig) -> None:
    generation = await rig.submit(EXPECTED)
    reports = rig.reports()
    with anyio.CancelScope() as scope:

        async def cancel_after_three(elapsed: float, latest: Generation) -> None:
            await reports(elapsed, latest)
            if len(reports.events) == 3:
                scope.cancel()

        await wait_for(rig.api, generation, rig.policy(), cancel_after_three)
    assert scope.cancelled_caught
    polls_at_cancel = [moment for moment in rig.polls.moments if moment <= reports.events[-1][0]]
    assert rig.polls.moments == polls_at_cancel
    assert rig.clock.now() == reports.events[-1][0]  # no sleep ran after the cancel


async def test_a_job_picked_up_late_is_paced_by_its_age(rig: Rig) -> None:
    generation = await rig.submit(EXPECTED)
    rig.clock.now_value += EXPECTED - 5  # e.g. get_generation after generate_video's budget ran out
    final = await wait_for(rig.api, generation, rig.policy(), rig.reports())
    assert final.state == "completed"
    assert rig.clock.now() - rig.done_at(generation) <= 1.5
    assert len(rig.polls.moments) <= 7


async def test_a_hung_poll_counts_as_missed_and_the_wait_goes_on(rig: Rig) -> None:
    generation = await rig.submit(EXPECTED)
    rig.emulator.faults.add("GET /v1/generations/{id}", delay_seconds=30)
    reports = rig.reports()
    final = await wait_for(rig.api, generation, rig.policy(request_timeout=0.05), reports)
    assert final.state == "completed"
    assert len(rig.emulator.faults.pending()) == 0 and len(rig.polls.moments) >= 2


async def test_an_already_finished_job_is_not_polled(rig: Rig) -> None:
    generation = await rig.submit(EXPECTED)
    done = generation.model_copy(update={"state": "completed"})
    assert await wait_for(rig.api, done, rig.policy(), rig.reports()) is done
    assert await wait_for(rig.api, generation, rig.policy(budget=0), rig.reports()) is generation
    assert rig.polls.moments == []


@pytest.mark.parametrize("expected", [15.0, 75.0, 360.0])
def test_the_pace_tightens_towards_the_expected_end_then_eases_off(expected: float) -> None:
    policy = WaitPolicy(budget_seconds=600, expected_seconds=expected)
    ages = [expected * step / 20 for step in range(61)]
    intervals = [poll_interval(age, policy) for age in ages]
    assert all(1.0 <= interval <= 10.0 for interval in intervals)
    before = [interval for age, interval in zip(ages, intervals, strict=True) if age < expected]
    after = [interval for age, interval in zip(ages, intervals, strict=True) if age >= expected]
    assert before == sorted(before, reverse=True) and after == sorted(after)
    assert poll_interval(expected, policy) < 2.0 and max(after) <= 5.0


def test_job_age_reads_created_at_and_ignores_implausible_ones() -> None:
    now = datetime(2026, 5, 1, 12, 0, 30, tzinfo=UTC).timestamp()
    assert job_age("2026-05-01T12:00:00Z", now) == 30.0
    assert job_age("2026-05-01T12:01:00Z", now) == 0.0  # in the future: clocks disagree
    assert job_age("2020-01-01T00:00:00Z", now) == 0.0  # years old: a test clock, not a real job
    assert job_age("not a date", now) == 0.0
    assert job_age(None, now) == 0.0
