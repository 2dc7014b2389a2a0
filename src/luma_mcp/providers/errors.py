"""Errors from the Luma Agents API, mapped once at the boundary (`client.py`).

    LumaApiError                  anything the API (or the way to it) said no to
     +-- InvalidRequest           400/413/422: the request itself is wrong; fix it, never retry as is
     +-- AuthenticationFailed     401: missing, unknown, revoked or expired key
     +-- PaymentRequired          402: no balance left
     +-- PermissionDenied         403: account suspended, or a feature (e.g. HDR) not granted
     +-- NotFound                 404: no such generation for this key
     +-- RateLimited              429: RPM or concurrency limit; `retry_after` seconds
     +-- Unavailable              502/503, connection refused, GET failures: the request did not land
     +-- OutcomeUnknown           a create that may or may not have been accepted (500, timeout,
                                  connection lost after sending): never re-sent blindly

`detail` is the API's own text; `str(error)` is a message fit for an agent. No message ever holds
the key or an Authorization header: the SDK's errors carry the response body only.
"""

from __future__ import annotations


class LumaApiError(Exception):
    def __init__(self, message: str, *, status: int | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class InvalidRequest(LumaApiError):
    pass


class AuthenticationFailed(LumaApiError):
    pass


class PaymentRequired(LumaApiError):
    pass


class PermissionDenied(LumaApiError):
    pass


class NotFound(LumaApiError):
    pass


class RateLimited(LumaApiError):
    def __init__(self, message: str, *, retry_after: float | None, detail: str | None = None) -> None:
        super().__init__(message, status=429, detail=detail)
        self.retry_after = retry_after


class Unavailable(LumaApiError):
    pass


class OutcomeUnknown(LumaApiError):
    pass
