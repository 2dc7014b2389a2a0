"""`/_emulator/*` for the AI/ML emulator: the shared admin routes, plus `/_emulator/switches` for the
spec's open questions and an `out_of_credits` fault field (a 403 with the documented text, on the
create route unless another is named)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from luma_mcp.emulator.admin import AdminApi
from luma_mcp.emulator.middleware import ErrorResponse

from .config import CREATE_ROUTE, OUT_OF_CREDITS

if TYPE_CHECKING:
    from .app import AimlEmulator


def _out_of_credits(payload: dict[str, Any]) -> dict[str, Any]:
    return {"route": CREATE_ROUTE, **payload, "status": 403, "detail": OUT_OF_CREDITS}


class Admin(AdminApi):
    def __init__(self, emulator: AimlEmulator, error: ErrorResponse) -> None:
        super().__init__(emulator, error, presets={"out_of_credits": _out_of_credits})
        self.aiml = emulator

    def routes(self) -> list[Route]:
        return [
            *super().routes(),
            Route("/_emulator/switches", self.set_switches, methods=["POST"]),
            Route("/_emulator/switches", self.get_switches, methods=["GET"]),
        ]

    async def set_switches(self, request: Request) -> Response | ASGIApp:
        try:
            self.aiml.switches.update(await self.payload(request) or {})
        except ValueError as err:
            return self.error(400, str(err), {})
        return await self.get_switches(request)

    async def get_switches(self, request: Request) -> Response:
        return JSONResponse(self.aiml.switches.to_json())
