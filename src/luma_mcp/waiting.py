"""The wait loop: poll a generation until it ends or the wait budget runs out, reporting progress.

Agents' clients cut a call at about 60 s, so the budget is short and a job that outlasts it is handed
back with its id, never dropped. Progress goes out at least every few seconds while waiting, so the
user sees the job move and clients that reset timeouts on progress keep the call alive.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio

from .api.client import Generation, LumaApi
from .api.errors import RateLimited, Unavailable
from .api.rules import TERMINAL_STATES

logger = logging.getLogger(__name__)

Report = Callable[[float, str], Awaitable[None]]

_RESOLUTION_FACTOR = {"360p": 0.5, "540p": 0.7, "720p": 1.0, "1080p": 2.0}


@dataclass(frozen=True)
class WaitPolicy:
    budget_seconds: float
    expected_seconds: float
    min_poll_interval: float = 1.0
    max_poll_interval: float = 5.0
    progress_interval: float = 4.0


def expected_seconds(body: Mapping[str, Any]) -> float:
    """A rough typical run time, used to pace polling and to scale the progress bar."""
    gen_type = body.get("type") or "image"
    if gen_type in ("image", "image_edit", "layering"):
        return 15.0
    video: Mapping[str, Any] = body.get("video") or {}
    base = 180.0 if gen_type in ("video_edit", "video_reframe") else 75.0
    base *= _RESOLUTION_FACTOR.get(video.get("resolution") or "720p", 1.0)
    if video.get("duration") == "10s":
        base *= 2
    return base * (2 if video.get("hdr") else 1)


def progress_fraction(elapsed: float, expected: float) -> float:
    """Strictly rising with time and never 1 before the job ends: honest about being an estimate."""
    return 1.0 - math.exp(-elapsed / max(expected, 1.0))


def _poll_interval(elapsed: float, policy: WaitPolicy) -> float:
    # Sparse early (nothing finishes in its first seconds), denser as the typical end nears.
    remaining = policy.expected_seconds - elapsed
    interval = remaining / 4 if remaining > 0 else policy.max_poll_interval / 2
    return min(max(interval, policy.min_poll_interval), policy.max_poll_interval)


async def wait_for(api: LumaApi, generation: Generation, policy: WaitPolicy, report: Report) -> Generation:
    """Poll until `generation` is terminal or the budget is spent; returns the latest state seen."""
    if generation.state in TERMINAL_STATES or policy.budget_seconds <= 0:
        return generation
    start = anyio.current_time()
    deadline = start + policy.budget_seconds
    next_poll = min(start + _poll_interval(0.0, policy), deadline)
    next_report = start
    while True:
        now = anyio.current_time()
        if now >= next_report:
            await report(now - start, generation.state)
            next_report = now + policy.progress_interval
        if now >= next_poll:
            generation = await _poll(api, generation)
            if generation.state in TERMINAL_STATES:
                return generation
            next_poll = min(anyio.current_time() + _poll_interval(now - start, policy), deadline)
        if now >= deadline:
            return generation
        await anyio.sleep(max(0.0, min(next_poll, next_report, deadline) - anyio.current_time()))


async def _poll(api: LumaApi, generation: Generation) -> Generation:
    try:
        return await api.get(generation.id)
    except (Unavailable, RateLimited) as exc:
        # A missed poll costs nothing: keep the last known state and try again at the next tick.
        logger.warning("Polling %s failed (%s); will retry", generation.id, type(exc).__name__)
        return generation
