"""The account's routes: `GET /v2/billing` (balance, debited when jobs complete) and `GET /v2/logs`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .config import AimlEmulatorConfig
from .responses import ApiError, authenticate
from .store import Store

LOGS_DEFAULT_LIMIT = 20
LOGS_MAX_LIMIT = 100
LOG_STATUSES = ("succeeded", "failed")


class Account:
    def __init__(self, store: Store, config: AimlEmulatorConfig) -> None:
        self.store = store
        self.config = config

    async def billing(self, request: Request) -> Response:
        authenticate(request, self.config)
        return JSONResponse({"current_balance": round(self.store.balance(), 6), "currency": "USD"})

    async def logs(self, request: Request) -> Response:
        """One row per accepted create after the analytics lag. `period`, `start` and `end` are accepted
        but do not filter: the emulator's log never outgrows a test."""
        authenticate(request, self.config)
        limit = _bounded_int(request, "limit", LOGS_DEFAULT_LIMIT, 1, LOGS_MAX_LIMIT)
        offset = _bounded_int(request, "offset", 0, 0, None)
        model, status = request.query_params.get("model"), request.query_params.get("status")
        if status is not None and status not in LOG_STATUSES:
            raise ApiError(400, f"status must be one of: {', '.join(LOG_STATUSES)}")
        rows = [
            row for row in self.store.log_rows() if model in (None, row["model"]) and status in (None, row["status"])
        ]
        page = rows[offset : offset + limit]
        pagination = {"limit": limit, "offset": offset, "total": len(rows), "has_more": offset + len(page) < len(rows)}
        return JSONResponse({"data": page, "pagination": pagination})


def _bounded_int(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"{name} must be an integer {bounds}")
    return value
