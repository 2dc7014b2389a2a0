"""Request parsing and answers shared by the routes: auth, JSON bodies, and FastAPI's two error shapes.

A 422 carries FastAPI's list (`{"detail": [{type, loc, msg, input}]}`); every other error is
`{"detail": "<text>"}` (spec 11). Media and upload URLs answer like a storage bucket: XML errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from ..rules import is_uuid
from .config import INVALID_KEY, HedraEmulatorConfig
from .store import Store

Detail = str | list[dict[str, Any]]
Location = Sequence[str | int]


class ApiError(Exception):
    """An error answer, raised from anywhere in a handler."""

    def __init__(self, status: int, detail: Detail, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail if isinstance(detail, str) else json.dumps(detail))
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def entry(loc: Location, msg: str, kind: str, value: Any) -> dict[str, Any]:
    """One item of FastAPI's 422 list, its keys in FastAPI's order."""
    return {"type": kind, "loc": list(loc), "msg": msg, "input": value}


def invalid(*entries: dict[str, Any]) -> ApiError:
    return ApiError(422, list(entries))


def missing(loc: Location, parent: Any) -> dict[str, Any]:
    """Pydantic reports a missing field with its parent object as the input."""
    return entry(loc, "Field required", "missing", parent)


def require_uuid(loc: Location, value: Any) -> str:
    if not is_uuid(value):
        raise invalid(entry(loc, "Input should be a valid UUID", "uuid_parsing", value))
    return str(value)


def error_app(status: int, detail: str, headers: dict[str, str]) -> ASGIApp:
    """The fault middleware's error factory."""
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


async def handle(request: Request, exc: Exception) -> Response:
    """Every exception answers `{"detail": ...}`; unexpected ones still propagate in process (bugs)."""
    if isinstance(exc, ApiError):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=exc.headers)
    if isinstance(exc, HTTPException):
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500)


def authenticate(request: Request, config: HedraEmulatorConfig) -> str:
    """The caller's `X-API-Key`, or 401: each key is its own account (assets, jobs, credits)."""
    key = request.headers.get("x-api-key", "").strip()
    if not key or (config.accepted_keys is not None and key not in config.accepted_keys):
        raise ApiError(401, INVALID_KEY)
    return key


async def read_json_object(request: Request) -> dict[str, Any]:
    """The JSON body, or FastAPI's 422 for a body that does not parse or is not an object."""
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        position = exc.pos if isinstance(exc, json.JSONDecodeError) else 0
        raise invalid(entry(["body", position], "JSON decode error", "json_invalid", {})) from None
    if not isinstance(body, dict):
        msg = "Input should be a valid dictionary or object to extract fields from"
        raise invalid(entry(["body"], msg, "model_attributes_type", body))
    return body


def required_text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if name not in body:
        raise invalid(missing(["body", name], dict(body)))
    if not isinstance(value, str):
        raise invalid(entry(["body", name], "Input should be a valid string", "string_type", value))
    return value


def enum_choice(loc: Location, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        listed = ", ".join(f"'{choice}'" for choice in allowed[:-1]) + f" or '{allowed[-1]}'"
        raise invalid(entry(loc, f"Input should be {listed}", "enum", value))
    return str(value)


def base_url(request: Request) -> str:
    """Scheme, host and mount prefix (`root_path`) of this request: URLs handed out come back through them."""
    return str(request.base_url).rstrip("/")


def media_url(request: Request, store: Store, name: str) -> str:
    """A signed, expiring `/_media/<name>` URL, minted afresh on every read (spec 11.12)."""
    return f"{base_url(request)}/_media/{name}?{store.media_query(name)}"


def storage_error(status: int, code: str, message: str) -> Response:
    """What a storage bucket answers: XML, not the API's JSON."""
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status_code=status, media_type="application/xml")
