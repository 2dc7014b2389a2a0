"""The one door to the Luma Agents API: the official `luma-agents` SDK, our retry policy, error mapping.

Creates run with the SDK's retries off: it would re-send POST /generations without an idempotency
key, so a 500 or a timeout after the API accepted a job would buy the same video twice. Reads keep a
few SDK retries, since a repeated GET costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
from luma_agents import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AsyncLuma,
)
from luma_agents.types import Generation

from .. import errors
from ..http import NOTHING_SENT

__all__ = ["Generation", "LumaApi"]

READ_RETRIES = 2
# Connect fast (a dead endpoint should fail before an agent's 60 s budget is gone), read patiently.
READ_TIMEOUT = 30.0


class LumaApi:
    def __init__(
        self,
        api_key: str,
        base_url: str,
        http_client: httpx.AsyncClient | None = None,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        timeout = httpx.Timeout(read_timeout, connect=min(5.0, read_timeout))
        self._luma = AsyncLuma(
            auth_token=api_key, base_url=base_url, max_retries=0, timeout=timeout, http_client=http_client
        )
        self._reader = self._luma.with_options(max_retries=READ_RETRIES)

    async def create(self, body: Mapping[str, Any]) -> Generation:
        """Submit one generation. Raises `OutcomeUnknown` when the API may have accepted it."""
        try:
            return await self._luma.generations.create(**body)
        except APIStatusError as exc:
            raise status_error(exc, creating=True) from None
        except APITimeoutError:
            raise errors.OutcomeUnknown(
                "The Luma API did not answer in time after the request was sent; it may have accepted it."
            ) from None
        except APIConnectionError as exc:
            raise connection_error(exc) from None
        except UnicodeEncodeError:
            raise unsendable() from None
        except (APIResponseValidationError, json.JSONDecodeError):
            raise errors.OutcomeUnknown(
                "The Luma API's answer to the create request was unreadable; it may have accepted it."
            ) from None

    async def get(self, generation_id: str) -> Generation:
        try:
            return await self._reader.generations.get(generation_id)
        except APIStatusError as exc:
            raise status_error(exc, creating=False) from None
        except APIConnectionError as exc:
            raise errors.Unavailable(f"Could not reach the Luma API ({_cause(exc)}).") from None
        except UnicodeEncodeError:
            raise unsendable() from None
        except (APIResponseValidationError, json.JSONDecodeError):
            raise errors.Unavailable("The Luma API's answer was unreadable.") from None

    @property
    def sdk(self) -> AsyncLuma:
        """The SDK client (creates: no retries), for the other API modules (files); map its errors with
        `status_error` / `connection_error`."""
        return self._luma

    async def aclose(self) -> None:
        await self._luma.close()


def _detail(exc: APIStatusError) -> str:
    body = exc.body
    if isinstance(body, Mapping) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    return exc.response.reason_phrase or f"HTTP {exc.status_code}"


def status_error(exc: APIStatusError, *, creating: bool) -> errors.ProviderError:
    status, detail = exc.status_code, _detail(exc)
    said = f"The Luma API answered {status}: {detail}"
    if status in (400, 413, 422):
        return errors.InvalidRequest(said, status=status, detail=detail)
    if status == 401:
        return errors.AuthenticationFailed(
            f"{said}. Check LUMA_AGENTS_API_KEY (keys start with 'luma-api-').", status=status, detail=detail
        )
    if status == 402:
        return errors.PaymentRequired(f"{said}. Add funds to the Luma account.", status=status, detail=detail)
    if status == 403:
        return errors.PermissionDenied(said, status=status, detail=detail)
    if status == 404:
        return errors.NotFound(said, status=status, detail=detail)
    if status == 429:
        return errors.RateLimited(said, retry_after=_retry_after(exc.response), detail=detail)
    if creating and status not in (502, 503):
        return errors.OutcomeUnknown(f"{said}; it may have accepted the request.", status=status, detail=detail)
    return errors.Unavailable(said, status=status, detail=detail)


def connection_error(exc: APIConnectionError) -> errors.ProviderError:
    # Nothing reached the API, so nothing was bought: say so, and let the create be retried or dropped.
    if isinstance(exc.__cause__, NOTHING_SENT):
        return errors.Unavailable(
            f"Could not reach the Luma API ({_cause(exc)}); nothing was sent, nothing was submitted."
        )
    return errors.OutcomeUnknown(
        f"The connection to the Luma API broke after the request was sent ({_cause(exc)}); it may have been accepted."
    )


def unsendable() -> errors.ProviderError:
    """A header value HTTP cannot carry (a key with typographic quotes or other non-ASCII): refused before
    sending. The message never quotes the key."""
    return errors.Unavailable(
        "The request could not be sent: the API key holds a character HTTP headers cannot carry (check "
        "LUMA_AGENTS_API_KEY for quotes or spaces); nothing was sent, nothing was submitted."
    )


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__
    return type(cause).__name__ if cause is not None else type(exc).__name__


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    try:
        return max(float(raw), 0.0) if raw is not None else None
    except ValueError:
        return None
