"""The wait loop: poll a generation until it ends or the wait budget runs out, reporting progress.

Agents' clients cut a call at about 60 s, so the budget is short and a job that outlasts it is handed
back with its id, never dropped. Progress goes out at least every few seconds while waiting, so the
user sees the job move and clients that reset timeouts on progress keep the call alive.

Polling is adaptive. A job cannot be done long before its typical run time, so early polls are sparse
(up to `max_poll_interval` apart); they close in geometrically on the expected end, where a poll every
`min_poll_interval` keeps the lag between "done" and "returned" around a second; past the expected end
the pace eases off again towards `overdue_poll_interval`. Pacing follows the job's age (from its
`created_at`), so a `get_generation` that picks up a job submitted earlier lands in the right phase.
`bench/completion_lag.py` measures the lag and the GETs per minute this buys.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import anyio

from .providers.base import TERMINAL_STATES
from .providers.errors import RateLimited, Unavailable

if TYPE_CHECKING:
    from .providers.base import Generation, Provider

logger = logging.getLogger(__name__)

Report = Callable[[float, "Generation"], Awaitable[None]]

# Each poll before the expected end waits this share of the time still left: sparse far away, dense
# near it, and the number of polls grows only with the log of the job's length.
_APPROACH = 0.25
# Past the expected end, the pause grows by this many `min_poll_interval`s per expected length overdue:
# a late job is probably nearly done, a very late one is not worth hammering.
_OVERDUE_GROWTH = 4.0
_OVERDUE_START = 1.5
# The first poll comes within this many `min_poll_interval`s: moderation and bad inputs fail at once.
_FIRST_POLL = 3.0
# Ages past this mean the API's clock and ours disagree (or a test clock): pace as if just created.
_MAX_PLAUSIBLE_AGE = 86_400.0


@dataclass(frozen=True)
class Clock:
    """Where the wait loop reads time and sleeps; tests inject a virtual one so nothing really waits."""

    now: Callable[[], float] = anyio.current_time  # monotonic: deadlines and pacing
    wall: Callable[[], float] = time.time  # Unix time: a job's age from its `created_at`
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep


@dataclass(frozen=True)
class WaitPolicy:
    budget_seconds: float
    expected_seconds: float
    min_poll_interval: float = 1.0
    max_poll_interval: float = 10.0
    progress_interval: float = 4.0
    overdue_poll_interval: float = 5.0
    # A GET slower than this counts as a missed poll, so a hung request never starves progress.
    request_timeout: float = 5.0
    clock: Clock = field(default_factory=Clock)


def progress_fraction(elapsed: float, expected: float) -> float:
    """Strictly rising with time and never 1 before the job ends: honest about being an estimate."""
    return 1.0 - math.exp(-elapsed / max(expected, 1.0))


def poll_interval(age: float, policy: WaitPolicy) -> float:
    """Seconds from a poll of a job `age` seconds old to the next one."""
    floor = policy.min_poll_interval
    remaining = policy.expected_seconds - age
    if remaining > 0:
        return min(max(remaining * _APPROACH, floor), max(policy.max_poll_interval, floor))
    overdue = -remaining / max(policy.expected_seconds, 1.0)
    return max(min(floor * (_OVERDUE_START + _OVERDUE_GROWTH * overdue), policy.overdue_poll_interval), floor)


def first_poll_delay(age: float, policy: WaitPolicy) -> float:
    return min(poll_interval(age, policy), _FIRST_POLL * policy.min_poll_interval)


def job_age(created_at: str | None, wall_now: float) -> float:
    """Seconds since the API created the job; 0 when `created_at` is missing or implausible."""
    try:
        created = datetime.fromisoformat(created_at or "").timestamp()
    except ValueError:
        return 0.0
    age = wall_now - created
    return age if 0.0 <= age <= _MAX_PLAUSIBLE_AGE else 0.0


async def wait_for(api: Provider, generation: Generation, policy: WaitPolicy, report: Report) -> Generation:
    """Poll until `generation` is terminal or the budget is spent; returns the latest state seen.

    `report(elapsed, generation)` gets the seconds since this wait began and the latest state seen, at
    the start and then every `progress_interval`. Cancellation (the client gave up) interrupts any
    sleep or poll at once.
    """
    if generation.state in TERMINAL_STATES or policy.budget_seconds <= 0:
        return generation
    clock = policy.clock
    start = clock.now()
    born = start - job_age(generation.created_at, clock.wall())  # the job's creation, on our clock
    deadline = start + policy.budget_seconds
    next_poll = min(start + first_poll_delay(start - born, policy), deadline)
    next_report = start
    while True:
        now = clock.now()
        if now >= next_report:
            await report(now - start, generation)
            next_report = now + policy.progress_interval
        if now >= next_poll:
            generation, hold_off = await _poll(api, generation, policy)
            if generation.state in TERMINAL_STATES:
                return generation
            after = clock.now()
            pause = max(poll_interval(after - born, policy), hold_off)
            next_poll = min(after + pause, deadline)
        if now >= deadline:
            return generation
        await clock.sleep(max(0.0, min(next_poll, next_report, deadline) - clock.now()))


async def _poll(api: Provider, generation: Generation, policy: WaitPolicy) -> tuple[Generation, float]:
    """The fresh state (or the last known one after a missed poll) and how long the API asked us to hold off."""
    try:
        with anyio.fail_after(policy.request_timeout):
            return await api.get(generation.id), 0.0
    except (Unavailable, RateLimited, TimeoutError) as exc:
        # A missed poll costs nothing: keep the last known state and try again at the next tick.
        logger.warning("Polling %s failed (%s); will retry", generation.id, type(exc).__name__)
        hold_off = exc.retry_after if isinstance(exc, RateLimited) and exc.retry_after else 0.0
        return generation, hold_off
