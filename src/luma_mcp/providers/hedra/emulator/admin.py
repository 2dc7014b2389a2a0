"""`/_emulator/*` for the Hedra emulator: the shared admin routes with its switches, plus a
`too_many_requests` fault field (a 429 `{"detail": "Too many requests"}`, on the create route unless
another is named)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luma_mcp.emulator.admin import AdminApi
from luma_mcp.emulator.middleware import ErrorResponse

from .config import CREATE_ROUTE, TOO_MANY_REQUESTS

if TYPE_CHECKING:
    from .app import HedraEmulator


def too_many_requests(payload: dict[str, Any]) -> dict[str, Any]:
    return {"route": CREATE_ROUTE, **payload, "status": 429, "detail": TOO_MANY_REQUESTS}


def admin_api(emulator: HedraEmulator, error: ErrorResponse) -> AdminApi:
    return AdminApi(emulator, error, presets={"too_many_requests": too_many_requests}, switches=emulator.switches)
