"""`/_emulator/*`: the test handles of `AimlEmulator`, over HTTP, for tests in other processes.

Mirrors the Luma emulator's admin API, plus `/_emulator/switches` for the spec's open questions and
an `out_of_credits` fault field (a 403 with the documented text, by default on the create route).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .config import CREATE_ROUTE, OUT_OF_CREDITS
from .responses import ApiError, read_json_object

if TYPE_CHECKING:
    from .app import AimlEmulator


class Admin:
    def __init__(self, emulator: AimlEmulator) -> None:
        self.emulator = emulator

    async def add_fault(self, request: Request) -> Response:
        payload = await read_json_object(request)
        if payload.pop("out_of_credits", False):
            payload = {"route": CREATE_ROUTE, **payload, "status": 403, "detail": OUT_OF_CREDITS}
        try:
            fault = self.emulator.faults.add_from_json(payload)
        except ValueError as err:
            raise ApiError(400, str(err)) from None
        return JSONResponse(
            {"fault": fault.to_json() if fault else None, "expire_urls": self.emulator.faults.expire_urls},
            status_code=201,
        )

    async def list_faults(self, request: Request) -> Response:
        faults = self.emulator.faults
        return JSONResponse(
            {"faults": [fault.to_json() for fault in faults.pending()], "expire_urls": faults.expire_urls}
        )

    async def clear_faults(self, request: Request) -> Response:
        self.emulator.faults.clear()
        return Response(status_code=204)

    async def requests(self, request: Request) -> Response:
        return JSONResponse({"requests": [recorded.to_json() for recorded in self.emulator.requests]})

    async def reset(self, request: Request) -> Response:
        self.emulator.reset()
        return Response(status_code=204)

    async def advance(self, request: Request) -> Response:
        seconds = (await read_json_object(request)).get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise ApiError(400, "seconds must be a non-negative number")
        self.emulator.advance(float(seconds))
        return JSONResponse({"now": self.emulator.now()})

    async def set_switches(self, request: Request) -> Response:
        try:
            self.emulator.switches.update(await read_json_object(request))
        except ValueError as err:
            raise ApiError(400, str(err)) from None
        return JSONResponse(self.emulator.switches.to_json())

    async def get_switches(self, request: Request) -> Response:
        return JSONResponse(self.emulator.switches.to_json())
