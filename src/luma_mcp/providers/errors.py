"""Errors from every provider's API, mapped once at each provider's boundary (its `client.py`).

    ProviderError                 anything an API (or the way to it) said no to
     +-- InvalidRequest           400/413/422: the request itself is wrong; fix it, never retry as is
     +-- AuthenticationFailed     401: missing, unknown, revoked or expired key
     +-- PaymentRequired          402 (or the AI/ML API's 403 "out of credits"): no balance left
     +-- PermissionDenied         403: account suspended, or a feature (e.g. HDR) not granted
     +-- NotFound                 404: no such generation for this key
     +-- NotConfigured            the provider has no key here: nothing was sent
     +-- RateLimited              429: RPM or concurrency limit; `retry_after` seconds
     +-- Unavailable              502/503, connection refused, GET failures: the request did not land
     +-- OutcomeUnknown           a create that may or may not have been accepted (500, timeout,
                                  connection lost after sending): never re-sent blindly
     +-- NotAccepted              a create that failed ambiguously, then proved not to exist (Hedra's
                                  status of the id we chose says so): nothing was bought

`detail` is the API's own text; `str(error)` is a message fit for an agent. No message ever holds
the key or an Authorization header: the SDK's errors carry the response body only.
"""

from __future__ import annotations


class ProviderError(Exception):
    def __init__(self, message: str, *, status: int | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class InvalidRequest(ProviderError):
    pass


class AuthenticationFailed(ProviderError):
    pass


class PaymentRequired(ProviderError):
    pass


class PermissionDenied(ProviderError):
    pass


class NotFound(ProviderError):
    pass


class RateLimited(ProviderError):
    def __init__(self, message: str, *, retry_after: float | None, detail: str | None = None) -> None:
        super().__init__(message, status=429, detail=detail)
        self.retry_after = retry_after


class NotConfigured(ProviderError):
    pass


class Unavailable(ProviderError):
    pass


class OutcomeUnknown(ProviderError):
    pass


class NotAccepted(ProviderError):
    pass
