"""The outer layer of every request: standard headers, the request log, and fault injection.

A plain ASGI middleware (not BaseHTTPMiddleware) so that it can replay a request body it has
already read, swallow the app's answer for `accept_then_fail`, and break a response half-way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .faults import Fault, Faults

# Answers a fault's error status in the provider's own envelope: (status, detail, headers) -> ASGI app.
ErrorResponse = Callable[[int, str, dict[str, str]], ASGIApp]


_SECRET_HEADERS = frozenset({"authorization", "x-api-key"})


@dataclass(frozen=True)
class RecordedRequest:
    """One API request, as the API saw it (the Authorization and key header values redacted)."""

    method: str
    path: str
    body: dict[str, Any] | None
    headers: dict[str, str]
    query: str = field(default="")

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "body": self.body,
            "headers": self.headers,
        }


class DroppedConnection(ConnectionResetError):
    """Raised mid-response by the `drop_connection` fault: the client sees a broken response."""


class EmulatorMiddleware:
    """`logged`: path prefixes of the API's own routes (recorded); `headers`: added to every answer."""

    def __init__(
        self,
        app: ASGIApp,
        log: list[RecordedRequest],
        faults: Faults,
        *,
        error: ErrorResponse,
        logged: tuple[str, ...],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.log = log
        self.faults = faults
        self.error = error
        self.logged = logged
        self.headers = dict(headers or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_standard_headers(scope, send, self.headers)
        path: str = scope["path"]
        if path.startswith(self.logged):
            body = await _read_body(receive)
            self.log.append(_record(scope, body))
            receive = _replay(body, receive)
        route = self.faults.route_of(scope["method"], path)
        fault = self.faults.take(route) if route else None
        if fault is None:
            await self.app(scope, receive, send)
        else:
            await self._apply(fault, scope, receive, send)

    async def _apply(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        if fault.delay_seconds:
            await anyio.sleep(fault.delay_seconds)
        if fault.accept_then_fail or fault.malformed_json:
            status = await _run_and_discard(self.app, scope, receive)
            if fault.malformed_json:
                await _malformed(status, send)
                return
        if fault.drop_connection:
            await _drop(send)
        if fault.status is not None or fault.accept_then_fail:
            await self.error(fault.error_status, fault.error_detail, fault.error_headers())(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _with_standard_headers(scope: Scope, send: Send, extra: Mapping[str, str]) -> Send:
    incoming = dict(_headers(scope))
    request_id = incoming.get("x-request-id") or str(uuid.uuid4())

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["X-Request-Id"] = request_id
            for name, value in extra.items():
                headers[name] = value
        await send(message)

    return wrapped


def _headers(scope: Scope) -> list[tuple[str, str]]:
    return [(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in scope["headers"]]


def _record(scope: Scope, body: bytes) -> RecordedRequest:
    headers = {name: ("<redacted>" if name in _SECRET_HEADERS else value) for name, value in _headers(scope)}
    try:
        parsed = json.loads(body) if body else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        parsed = None
    return RecordedRequest(
        method=scope["method"],
        path=scope["path"],
        body=parsed if isinstance(parsed, dict) else None,
        headers=headers,
        query=scope.get("query_string", b"").decode("latin-1"),
    )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _run_and_discard(app: ASGIApp, scope: Scope, receive: Receive) -> int:
    """Run the request for its side effects (the job gets created); keep only its status."""
    status = 500

    async def swallow(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    await app(scope, receive, swallow)
    return status


async def _malformed(status: int, send: Send) -> None:
    body = b'{"id": "truncated'  # what a proxy cutting the body short would leave
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Send) -> None:
    # Promise more bytes than are sent, then fail: over HTTP the server closes the connection
    # mid-body; in-process (httpx.ASGITransport) the exception reaches the client.
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"id": ', "more_body": True})
    raise DroppedConnection("emulator fault: connection dropped mid-response")
