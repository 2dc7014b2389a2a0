"""`/_emulator/*` for the AI/ML emulator: the shared admin routes with its switches, plus an
`out_of_credits` fault field (a 403 with the documented text, on the create route unless another is named)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luma_mcp.emulator.admin import AdminApi
from luma_mcp.emulator.middleware import ErrorResponse

from .config import CREATE_ROUTE, OUT_OF_CREDITS

if TYPE_CHECKING:
    from .app import AimlEmulator


def _out_of_credits(payload: dict[str, Any]) -> dict[str, Any]:
    return {"route": CREATE_ROUTE, **payload, "status": 403, "detail": OUT_OF_CREDITS}


def admin_api(emulator: AimlEmulator, error: ErrorResponse) -> AdminApi:
    return AdminApi(emulator, error, presets={"out_of_credits": _out_of_credits}, switches=emulator.switches)
