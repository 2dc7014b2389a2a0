"""The Starlette app shaped like Hedra's v2 public API, and the `HedraEmulator` that owns it.

Routes: the catalog and voices, assets and their upload, generations (create, status, list), credits,
all under `/web-app/public`; the emulator's own storage at the root (`/_media/...` downloads and
`PUT /_uploads/...`), and `/_emulator/...` admin routes. No lifespan or startup hooks:
`httpx.ASGITransport` never runs them. Every URL handed out is built from the request's scheme, host
and `root_path`, so the app works mounted under a prefix.
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
from .assets import Assets
from .catalog import Catalog
from .config import API_PREFIX, CREATE_ROUTE, FAULT_ROUTES, TOO_MANY_REQUESTS, HedraEmulatorConfig, Switches
from .generations import Generations
from .media import Media
from .responses import ApiError, error_app, handle
from .store import Store

GENERATIONS_PATH = f"{API_PREFIX}/generations"


class HedraEmulator:
    """An in-memory Hedra v2 API: `app` is the ASGI app, the rest are test handles. `switches` is a
    fresh copy of `config.switches`, free to change mid-test."""

    def __init__(self, config: HedraEmulatorConfig | None = None) -> None:
        self.config = config or HedraEmulatorConfig()
        self.store = Store(self.config)
        self.faults = Faults(FAULT_ROUTES)
        self.switches: Switches = self.config.switches.copy()
        self.requests: list[RecordedRequest] = []
        self.upload_log: list[dict[str, Any]] = []
        self.catalog = Catalog(self.store, self.config)
        self.app = build_app(self)

    def generation_posts(self) -> list[dict[str, Any]]:
        """JSON bodies of the `POST /web-app/public/generations` requests received, in order (faulted ones too)."""
        return [
            request.body
            for request in self.requests
            if request.method == "POST" and request.path.rstrip("/") == GENERATIONS_PATH and request.body is not None
        ]

    def uploads(self) -> list[dict[str, Any]]:
        """One entry per `POST /assets/{id}/upload`: `{asset_id, type (sniffed), media_type, size, field}`."""
        return [dict(note) for note in self.upload_log]

    def too_many_requests(
        self, route: str = CREATE_ROUTE, *, times: int | None = 1, retry_after: float | None = None
    ) -> Fault:
        """The next `times` requests to `route` answer 429 `{"detail": "Too many requests"}`."""
        return self.faults.add(route, status=429, detail=TOO_MANY_REQUESTS, retry_after=retry_after, times=times)

    def now(self) -> float:
        return self.store.now()

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (on top of `config.clock`), e.g. to finish jobs at once."""
        self.store.advance(seconds)

    def reset(self) -> None:
        """Forget assets and jobs (so every balance is whole again), the logs and faults, and restore the
        switches to `config.switches`; the clock keeps its offset."""
        self.store.clear()
        self.requests.clear()
        self.upload_log.clear()
        self.faults.clear()
        self.switches = self.config.switches.copy()


def build_app(emulator: HedraEmulator) -> Starlette:
    generations = Generations(emulator)
    assets = Assets(emulator)
    account = Account(emulator.store, emulator.config)
    media = Media(emulator)
    admin = admin_api(emulator, error_app)
    api = [
        Route("/models", emulator.catalog.models, methods=["GET"]),
        Route("/voices", emulator.catalog.voices, methods=["GET"]),
        Route("/assets", assets.create, methods=["POST"]),
        Route("/assets", assets.listing, methods=["GET"]),
        Route("/assets/{id}/upload", assets.upload, methods=["POST"]),
        Route("/generations", generations.create, methods=["POST"]),
        Route("/generations", generations.listing, methods=["GET"]),
        Route("/generations/{generation_id}/status", generations.status, methods=["GET"]),
        Route("/billing/credits", account.credits, methods=["GET"]),
    ]
    routes = [
        *(Route(API_PREFIX + route.path, route.endpoint, methods=route.methods) for route in api),
        Route("/_uploads/{id}", assets.put_upload, methods=["PUT"]),
        Route("/_media/{name:path}", media.serve, methods=["GET"]),
        *admin.routes(),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(
                EmulatorMiddleware,
                log=emulator.requests,
                faults=emulator.faults,
                error=error_app,
                logged=(API_PREFIX + "/",),
            )
        ],
        # `Exception` alone would reach only the outermost handler, which re-raises after answering.
        exception_handlers={ApiError: handle, HTTPException: handle, Exception: handle},
    )
