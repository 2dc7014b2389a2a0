"""`/_emulator/*`: an emulator's test handles over HTTP, for tests in other processes. Shared by every
provider's emulator: faults (POST/GET/DELETE), the request log, reset and the clock; a provider adds
its own routes (e.g. the AI/ML emulator's switches) beside these."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from .faults import Faults
from .middleware import ErrorResponse, RecordedRequest

# A fault field of a provider's own (`{"out_of_credits": true}`) -> the plain fault fields it stands for.
Preset = Callable[[dict[str, Any]], dict[str, Any]]


class Controllable(Protocol):
    faults: Faults
    requests: list[RecordedRequest]

    def reset(self) -> None: ...
    def advance(self, seconds: float) -> None: ...
    def now(self) -> float: ...


class Switches(Protocol):
    """An emulator's behaviour switches for a spec's open questions: set by name, shown as JSON."""

    def update(self, payload: Mapping[str, Any]) -> None: ...
    def to_json(self) -> dict[str, Any]: ...


class AdminApi:
    """`switches`, when given, adds `POST`/`GET /_emulator/switches`."""

    def __init__(
        self,
        emulator: Controllable,
        error: ErrorResponse,
        presets: Mapping[str, Preset] | None = None,
        switches: Switches | None = None,
    ) -> None:
        self.emulator = emulator
        self.error = error
        self.presets = dict(presets or {})
        self.switches = switches

    def routes(self) -> list[Route]:
        extra = [
            Route("/_emulator/switches", self.set_switches, methods=["POST"]),
            Route("/_emulator/switches", self.get_switches, methods=["GET"]),
        ]
        return [
            *(extra if self.switches is not None else []),
            Route("/_emulator/faults", self.add_fault, methods=["POST"]),
            Route("/_emulator/faults", self.list_faults, methods=["GET"]),
            Route("/_emulator/faults", self.clear_faults, methods=["DELETE"]),
            Route("/_emulator/requests", self.requests, methods=["GET"]),
            Route("/_emulator/reset", self.reset, methods=["POST"]),
            Route("/_emulator/advance", self.advance, methods=["POST"]),
        ]

    async def payload(self, request: Request) -> dict[str, Any] | None:
        try:
            data = json.loads(await request.body() or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None

    async def add_fault(self, request: Request) -> Response | ASGIApp:
        payload = await self.payload(request)
        if payload is None:
            return self.error(400, "the body must be a JSON object", {})
        for name, preset in self.presets.items():
            if payload.pop(name, False):
                payload = preset(payload)
        faults = self.emulator.faults
        try:
            fault = faults.add_from_json(payload)
        except ValueError as err:
            return self.error(400, str(err), {})
        body = {"fault": fault.to_json() if fault else None, "expire_urls": faults.expire_urls}
        return JSONResponse(body, status_code=201)

    async def list_faults(self, request: Request) -> Response:
        faults = self.emulator.faults
        pending = [fault.to_json() for fault in faults.pending()]
        return JSONResponse({"faults": pending, "expire_urls": faults.expire_urls})

    async def clear_faults(self, request: Request) -> Response:
        self.emulator.faults.clear()
        return Response(status_code=204)

    async def requests(self, request: Request) -> Response:
        return JSONResponse({"requests": [recorded.to_json() for recorded in self.emulator.requests]})

    async def reset(self, request: Request) -> Response:
        self.emulator.reset()
        return Response(status_code=204)

    async def advance(self, request: Request) -> Response | ASGIApp:
        seconds = (await self.payload(request) or {}).get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            return self.error(400, "seconds must be a non-negative number", {})
        self.emulator.advance(float(seconds))
        return JSONResponse({"now": self.emulator.now()})

    async def set_switches(self, request: Request) -> Response | ASGIApp:
        assert self.switches is not None, "routed only with switches"
        try:
            self.switches.update(await self.payload(request) or {})
        except ValueError as err:
            return self.error(400, str(err), {})
        return JSONResponse(self.switches.to_json())

    async def get_switches(self, request: Request) -> Response:
        assert self.switches is not None, "routed only with switches"
        return JSONResponse(self.switches.to_json())
