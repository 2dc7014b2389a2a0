"""`GET /billing/credits`: each key's balance, debited by a job's price when it completes (spec 11.11)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .config import HedraEmulatorConfig
from .responses import authenticate
from .store import Store


class Account:
    def __init__(self, store: Store, config: HedraEmulatorConfig) -> None:
        self.store = store
        self.config = config

    async def credits(self, request: Request) -> Response:
        key = authenticate(request, self.config)
        used = self.store.used(key)
        return JSONResponse({"remaining": self.config.starting_credits - used, "expiring": 0, "used": used})
