"""The Starlette app shaped like the AI/ML API's video endpoints, and the `AimlEmulator` that owns it.

Routes: the video create and poll, the catalogue, billing and logs, expiring `/_media/...` URLs served
by the emulator itself, and `/_emulator/...` admin routes. No lifespan or startup hooks:
`httpx.ASGITransport` never runs them. Every URL handed out is built from the request's scheme,
host and `root_path`, so the app works mounted under a prefix.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from luma_mcp.emulator.faults import Fault, Faults
from luma_mcp.emulator.middleware import EmulatorMiddleware, RecordedRequest

from .account import Account
from .admin import admin_api
from .catalog import Catalog
from .config import CREATE_ROUTE, FAULT_ROUTES, OUT_OF_CREDITS, AimlEmulatorConfig, Switches
from .generations import Generations
from .responses import ApiError, Envelope
from .store import Store

# The API's own routes (recorded in `requests`); `/_media` and `/_emulator` are the emulator's.
API_PREFIXES = ("/v1/", "/v2/", "/model/")


class AimlEmulator:
    """An in-memory AI/ML API for `luma/ray-2` and `luma/ray-flash-2`: `app` is the ASGI app, the rest
    are test handles. `switches` is a fresh copy of `config.switches`, free to change mid-test."""

    def __init__(self, config: AimlEmulatorConfig | None = None) -> None:
        self.config = config or AimlEmulatorConfig()
        self.store = Store(self.config)
        self.faults = Faults(FAULT_ROUTES)
        self.switches: Switches = self.config.switches.copy()
        self.requests: list[RecordedRequest] = []
        self.app = build_app(self)

    def generation_posts(self) -> list[dict[str, Any]]:
        """Bodies of the POST /v2/video/generations requests received, in order (faulted ones too)."""
        return [
            request.body
            for request in self.requests
            if request.method == "POST"
            and request.path.rstrip("/") == "/v2/video/generations"
            and request.body is not None
        ]

    def out_of_credits(self, times: int | None = 1) -> Fault:
        """The next `times` creates answer the documented 403 out-of-credits, whatever the balance."""
        return self.faults.add(CREATE_ROUTE, status=403, detail=OUT_OF_CREDITS, times=times)

    def now(self) -> float:
        return self.store.now()

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (on top of `config.clock`), e.g. to finish jobs at once."""
        self.store.advance(seconds)

    def reset(self) -> None:
        """Forget jobs (so the balance is whole again), the request log and faults, and restore the
        switches to `config.switches`; the clock keeps its offset."""
        self.store.clear()
        self.requests.clear()
        self.faults.clear()
        self.switches = self.config.switches.copy()


def build_app(emulator: AimlEmulator) -> Starlette:
    generations = Generations(emulator)
    catalog = Catalog(emulator.config)
    account = Account(emulator.store, emulator.config)
    envelope = Envelope(emulator.store.now)
    admin = admin_api(emulator, envelope)
    routes = [
        Route("/v2/video/generations", generations.create, methods=["POST"]),
        Route("/v2/video/generations", generations.poll, methods=["GET"]),
        Route("/v1/models", catalog.models, methods=["GET"]),
        Route("/model/{model_id:path}", catalog.model, methods=["GET"]),
        Route("/v2/billing", account.billing, methods=["GET"]),
        Route("/v2/logs", account.logs, methods=["GET"]),
        Route("/_media/{name:path}", generations.media, methods=["GET"]),
        *admin.routes(),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(
                EmulatorMiddleware,
                log=emulator.requests,
                faults=emulator.faults,
                error=envelope,
                logged=API_PREFIXES,
            )
        ],
        # `Exception` alone would reach only the outermost handler, which re-raises after answering.
        exception_handlers={ApiError: envelope.handle, HTTPException: envelope.handle, Exception: envelope.handle},
    )
