"""Request parsing and answers shared by the emulator's routes: auth, JSON bodies, error shapes."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .checks import ApiError
from .config import KEY_PREFIX, EmulatorConfig


def error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The API's one error shape: `{"detail": "<string>"}`."""
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def s3_error(status: int, code: str, message: str) -> Response:
    """What S3 answers for presigned URLs: XML, not the API's JSON."""
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status_code=status, media_type="application/xml")


def presign_denied(verdict: str) -> Response:
    if verdict == "expired":
        return s3_error(403, "AccessDenied", "Request has expired")
    return s3_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")


def base_url(request: Request) -> str:
    """Where this request reached us: presigned URLs point back at the same host."""
    return str(request.base_url).rstrip("/")


def authenticate(request: Request, config: EmulatorConfig) -> str:
    """The caller's API key, or ApiError with the documented 401/403 detail (spec 5.7)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(KEY_PREFIX) or len(token) == len(KEY_PREFIX):
        raise ApiError(401, "Missing or invalid API key")
    if token in config.revoked_keys:
        raise ApiError(401, "API key has been revoked")
    if token in config.expired_keys:
        raise ApiError(401, "API key has expired")
    if config.accepted_keys is not None and token not in config.accepted_keys:
        raise ApiError(401, "Invalid API key")
    if token in config.suspended_keys:
        raise ApiError(403, "API client is suspended")
    return token


async def read_json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ApiError(400, f"Invalid JSON body: {err}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object")
    return body


def strip_nulls(value: Any) -> Any:
    """Drop JSON nulls from objects, at every depth: the API reads `null` as "not given"."""
    if isinstance(value, dict):
        return {name: strip_nulls(item) for name, item in value.items() if item is not None}
    if isinstance(value, list):
        return [strip_nulls(item) for item in value]
    return value


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error(exc.status, exc.detail, exc.headers)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", None)
    return error(status, detail if isinstance(detail, str) else "Error")


async def crash_handler(request: Request, exc: Exception) -> Response:
    """Unexpected exceptions still answer in the API's shape; in-process they also propagate (bugs)."""
    return error(500, "Internal server error")
