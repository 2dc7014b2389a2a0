"""What the httpx-based providers (AI/ML API, Hedra) share: reads retried with backoff, `Retry-After`.

A read costs nothing, so a refused or failed GET is retried (spec: 2 retries, 0.5 s growing to 4 s,
honouring `Retry-After`); a create is never sent here (see `retry.py` for the create policy).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import anyio
import httpx

from . import errors

READ_RETRIES = 2
MAX_BACKOFF_SECONDS = 4.0
# Failures raised before a byte of the request left: refused or unresolvable hosts, a pool with no free
# connection, and requests httpx would not even write (a key with a line break or a non-ASCII character,
# a URL without a scheme). A create that fails so bought nothing.
NOTHING_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.InvalidURL,
    UnicodeEncodeError,
)


async def read_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    map_error: Callable[[httpx.Response], errors.ProviderError],
    unreachable: str,
) -> httpx.Response:
    """The first successful answer of `send`; errors other than 429/5xx/network are raised at once."""
    for attempt in range(READ_RETRIES + 1):
        try:
            response = await send()
        except httpx.HTTPError as exc:
            failure: errors.ProviderError = errors.Unavailable(f"Could not reach {unreachable} ({type(exc).__name__}).")
        else:
            if response.is_success:
                return response
            failure = map_error(response)
            if not isinstance(failure, errors.Unavailable | errors.RateLimited):
                raise failure
        if attempt == READ_RETRIES:
            raise failure
        await anyio.sleep(backoff(failure, attempt))
    raise AssertionError("unreachable: the last attempt returns or raises")


def retry_after(response: httpx.Response) -> float | None:
    try:
        seconds = float(str(response.headers["retry-after"]))
    except (KeyError, ValueError):
        return None
    return max(seconds, 0.0)


def backoff(failure: errors.ProviderError, attempt: int) -> float:
    if isinstance(failure, errors.RateLimited) and failure.retry_after is not None:
        return min(failure.retry_after, MAX_BACKOFF_SECONDS)
    return min(MAX_BACKOFF_SECONDS, 0.5 * 2.0**attempt) * random.uniform(0.5, 1.0)
