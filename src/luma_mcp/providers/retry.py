"""The one retry policy for every provider's create: re-send only when the API certainly did not take the job.

A 429 (honouring Retry-After while the budget lasts), a 502/503, or a connection refused before any
byte left are safe to repeat: nothing was created. A 500, a timeout or a connection lost after sending
may have created a paid job, so `OutcomeUnknown` is raised at once and never retried.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio

from . import errors

if TYPE_CHECKING:
    from .base import Generation, Provider

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
MAX_ATTEMPTS = 4
BASE_DELAY = 0.5
MAX_DELAY = 8.0


async def create_with_retries(
    provider: Provider,
    body: Mapping[str, Any],
    *,
    request_id: str,
    budget_seconds: float,
    sleep: Sleep = anyio.sleep,
) -> Generation:
    """Create, retrying the refusals that bought nothing while `budget_seconds` allow. Every attempt
    carries the same `request_id`: it names one intended purchase, however often it is re-sent."""
    deadline = anyio.current_time() + budget_seconds
    for attempt in range(MAX_ATTEMPTS):
        try:
            return await provider.create(body, request_id=request_id)
        except (errors.RateLimited, errors.Unavailable) as exc:
            delay = _delay(exc, attempt)
            if attempt == MAX_ATTEMPTS - 1 or anyio.current_time() + delay > deadline:
                raise
            logger.info("Create refused (%s); retrying in %.1f s", type(exc).__name__, delay)
            await sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _delay(exc: errors.ProviderError, attempt: int) -> float:
    if isinstance(exc, errors.RateLimited) and exc.retry_after is not None:
        return exc.retry_after + random.uniform(0, 0.25)
    # Full jitter: concurrent agents that were refused together do not come back together.
    return random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2**attempt)) + 0.05
