"""Fault switches: make the next N requests to a route misbehave, to test a client's error handling.

    emu.faults.add("POST /v1/generations", status=429, retry_after=3, times=1)
    emu.faults.add("POST /v1/generations", status=500, accept_then_fail=True)  # job created, 500 answered
    emu.faults.add("GET /v1/generations/{id}", drop_connection=True, times=2)
    emu.faults.add("POST /v1/generations", delay_seconds=5)      # then answers normally
    emu.faults.add("GET /v1/generations/{id}", malformed_json=True)
    emu.faults.expire_urls = True                                # every media URL answers 403

Routes are `"METHOD template"`, one of the provider's route table (given to `Faults`). Faults on a
route are used first-in, first-out; each applies to `times` requests (None: until `clear()`). A fault
pre-empts everything else, auth included, except the request log, which always records the request
first. Effects combine in this order: `delay_seconds` (an anyio sleep), then one of
- `drop_connection`: the response starts, then the app raises, so the client sees a broken response
  (with `accept_then_fail`, the request is processed first: the job exists but the answer is lost);
- `accept_then_fail`: the request is processed normally, then `status` (default 500) is answered;
- `malformed_json`: the request is processed normally, then its status is sent with a non-JSON body;
- `status`: answered at once in the provider's error envelope (and `Retry-After` when `retry_after` is set).

Out of process the same fields go as JSON to `POST /_emulator/faults` (`{"expire_urls": true}` sets
the switch); `DELETE /_emulator/faults` clears them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

# A provider's fault routes: each `"METHOD template"` with the regex (over "METHOD path") it covers.
RouteTable = Sequence[tuple[str, str]]

DEFAULT_DETAILS: dict[int, str] = {
    429: "Rate limit exceeded",
    500: "Internal server error",
    502: "Upstream service unavailable",
    503: "Service unavailable",
    504: "Gateway timeout",
}


@dataclass
class Fault:
    route: str
    status: int | None = None
    detail: str | None = None
    retry_after: float | None = None
    accept_then_fail: bool = False
    drop_connection: bool = False
    delay_seconds: float = 0.0
    malformed_json: bool = False
    times: int | None = 1

    @property
    def error_status(self) -> int:
        return self.status if self.status is not None else 500

    @property
    def error_detail(self) -> str:
        return self.detail or DEFAULT_DETAILS.get(self.error_status, "Emulated fault")

    def error_headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        value = self.retry_after
        return {"Retry-After": str(int(value)) if float(value).is_integer() else str(value)}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Faults:
    """The queue of pending faults, per route, plus the `expire_urls` switch."""

    def __init__(self, routes: RouteTable) -> None:
        self.expire_urls = False
        self.routes = tuple(route for route, _ in routes)
        self._patterns = tuple((route, re.compile(pattern)) for route, pattern in routes)
        self._pending: list[Fault] = []

    def route_of(self, method: str, path: str) -> str | None:
        """The fault route a request falls under, or None (admin routes are never faulted)."""
        target = f"{method.upper()} {path}"
        return next((route for route, pattern in self._patterns if pattern.fullmatch(target)), None)

    def add(
        self,
        route: str,
        *,
        status: int | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
        accept_then_fail: bool = False,
        drop_connection: bool = False,
        delay_seconds: float = 0.0,
        malformed_json: bool = False,
        times: int | None = 1,
    ) -> Fault:
        fault = Fault(
            route,
            status,
            detail,
            retry_after,
            accept_then_fail,
            drop_connection,
            delay_seconds,
            malformed_json,
            times,
        )
        _validate(fault, self.routes)
        self._pending.append(fault)
        return fault

    def add_from_json(self, payload: Mapping[str, Any]) -> Fault | None:
        """`POST /_emulator/faults`: the same fields as `add`; raises ValueError on a bad payload."""
        known = {f.name for f in fields(Fault)} | {"expire_urls"}
        unknown = sorted(set(payload) - known)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(unknown)}")
        if "expire_urls" in payload:
            self.expire_urls = bool(payload["expire_urls"])
            if "route" not in payload:
                return None
        arguments = {name: value for name, value in payload.items() if name not in ("route", "expire_urls")}
        try:
            return self.add(str(payload.get("route")), **arguments)
        except TypeError as error:
            raise ValueError(str(error)) from error

    def take(self, route: str) -> Fault | None:
        """The fault for this request, if any, using up one of its `times`."""
        for fault in self._pending:
            if fault.route == route:
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._pending.remove(fault)
                return fault
        return None

    def pending(self) -> list[Fault]:
        return list(self._pending)

    def clear(self) -> None:
        self._pending.clear()
        self.expire_urls = False


def _validate(fault: Fault, routes: Sequence[str]) -> None:
    if fault.route not in routes:
        raise ValueError(f"unknown route {fault.route!r}; use one of: {', '.join(routes)}")
    if fault.status is not None and not (isinstance(fault.status, int) and 400 <= fault.status <= 599):
        raise ValueError("status must be an HTTP error status (400-599)")
    if fault.times is not None and (not isinstance(fault.times, int) or fault.times < 1):
        raise ValueError("times must be a positive integer, or None for every request")
    if not isinstance(fault.delay_seconds, int | float) or fault.delay_seconds < 0:
        raise ValueError("delay_seconds must be a non-negative number")
    if fault.malformed_json and (fault.status is not None or fault.accept_then_fail):
        raise ValueError("malformed_json keeps the real status: no status or accept_then_fail with it")
    effects = (fault.status is not None, fault.accept_then_fail, fault.drop_connection, fault.malformed_json)
    if not any(effects) and not fault.delay_seconds:
        raise ValueError("a fault needs an effect (status, accept_then_fail, drop_connection, ...)")
