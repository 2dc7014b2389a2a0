"""Request parsing and answers shared by the routes: auth, JSON bodies, and the gateway's error envelope."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..rules import VALIDATION
from .config import NO_VIDEO_SCOPE, UNAUTHORIZED, AimlEmulatorConfig
from .store import iso_ms


class ApiError(Exception):
    """An answer in the error envelope, raised from anywhere in a handler."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def invalid(detail: str) -> ApiError:
    """A 400 in the documented zod style: `Body validation error!` and the detail on the next line."""
    return ApiError(400, f"{VALIDATION}\n{detail}")


class Envelope:
    """The gateway's one error shape (spec 7.1), `statusCode` a string; stamped by the virtual clock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock

    def response(self, scope: Scope, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        request_id = Request(scope).headers.get("x-request-id") or str(uuid.uuid4())
        body = {
            "message": message,
            "path": scope["path"],
            "requestId": request_id,
            "statusCode": str(status),
            "timestamp": iso_ms(self.clock()),
        }
        return JSONResponse(body, status_code=status, headers=headers)

    def __call__(self, status: int, message: str, headers: dict[str, str]) -> ASGIApp:
        """The fault middleware's error factory: the path is only known once the request arrives."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await self.response(scope, status, message, headers)(scope, receive, send)

        return app

    async def handle(self, request: Request, exc: Exception) -> Response:
        """Every exception answers in the envelope; unexpected ones still propagate in process (bugs)."""
        if isinstance(exc, ApiError):
            return self.response(request.scope, exc.status, exc.message, exc.headers)
        if isinstance(exc, HTTPException):
            return self.response(request.scope, exc.status_code, str(exc.detail))
        return self.response(request.scope, 500, "Internal server error")


def authenticate(request: Request, config: AimlEmulatorConfig, *, video: bool = False) -> str:
    """The caller's key, or the documented 401; `video` routes also need the key's `model:video` scope."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, UNAUTHORIZED)
    if config.accepted_keys is not None and token not in config.accepted_keys:
        raise ApiError(401, UNAUTHORIZED)
    if video and token in config.keys_without_video_scope:
        raise ApiError(403, NO_VIDEO_SCOPE)
    return token


async def read_json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid("Invalid JSON") from None
    if not isinstance(body, dict):
        raise invalid(f"Expected object, received {_json_type(body)}")
    return body


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "array" if isinstance(value, list) else "string"


def base_url(request: Request) -> str:
    """Scheme, host and mount prefix (`root_path`) of this request: URLs handed out come back through them."""
    return str(request.base_url).rstrip("/")


def storage_error(status: int, code: str, message: str) -> Response:
    """What the CDN's storage answers: XML, not the gateway's JSON."""
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status_code=status, media_type="application/xml")


def query_flag(request: Request, name: str, *values: str) -> bool:
    """Whether a comma-separated query parameter names one of `values` (`include=pricing,modalities`)."""
    given = ",".join(request.query_params.getlist(name)).lower()
    return any(part.strip() in values for part in given.split(","))
