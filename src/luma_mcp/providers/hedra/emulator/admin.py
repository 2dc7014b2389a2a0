"""`/_emulator/*` for the Hedra emulator: the shared admin routes, plus `/_emulator/switches` for the
spec's open questions and a `too_many_requests` fault field (a 429 `{"detail": "Too many requests"}`,
on the create route unless another is named)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from luma_mcp.emulator.admin import AdminApi
from luma_mcp.emulator.middleware import ErrorResponse

from .config import CREATE_ROUTE, TOO_MANY_REQUESTS

if TYPE_CHECKING:
    from .app import HedraEmulator


def too_many_requests(payload: dict[str, Any]) -> dict[str, Any]:
    return {"route": CREATE_ROUTE, **payload, "status": 429, "detail": TOO_MANY_REQUESTS}


class Admin(AdminApi):
    def __init__(self, emulator: HedraEmulator, error: ErrorResponse) -> None:
        super().__init__(emulator, error, presets={"too_many_requests": too_many_requests})
        self.hedra = emulator

    def routes(self) -> list[Route]:
        return [
            *super().routes(),
            Route("/_emulator/switches", self.set_switches, methods=["POST"]),
            Route("/_emulator/switches", self.get_switches, methods=["GET"]),
        ]

    async def set_switches(self, request: Request) -> Response | ASGIApp:
        try:
            self.hedra.switches.update(await self.payload(request) or {})
        except ValueError as err:
            return self.error(400, str(err), {})
        return await self.get_switches(request)

    async def get_switches(self, request: Request) -> Response:
        return JSONResponse(self.hedra.switches.to_json())
