"""Bounds on what one slow or greedy HTTP client can hold: connections, time to send a request head, time
between two chunks of a body.

uvicorn bounds the server's total connections (`limit_concurrency`, then 503) and the size of a request
head, but not the time a client takes to send one: a client that drips a header byte every few seconds
keeps its connection, and its slot, for ever. `LimitedH11Protocol` closes a connection whose request head
is not complete `head_seconds` after it opened (or after its previous response), and refuses more than
`connections_per_client` open connections from one address. `BodyDeadline` answers 408 to a request
whose body stalls; it sits inside the token check, so a request without a valid token is answered 401
before a byte of its body is read.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

import anyio
import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["BodyDeadline", "Limits", "protocol_for", "uvicorn_settings"]


@dataclass(frozen=True, slots=True)
class Limits:
    head_seconds: float = 10.0  # from the connection (or the previous response) to a complete request head
    body_idle_seconds: float = 15.0  # between two chunks of a request body
    connections_per_client: int = 32  # a host's MCP session needs a few (a POST stream, the GET stream)
    connections: int = 512  # in all; past it uvicorn answers 503
    keep_alive_seconds: int = 5  # an idle connection between requests
    head_bytes: int = 64 * 1024  # a request head (request line and headers) larger than this is refused (400)


def uvicorn_settings(limits: Limits) -> dict[str, Any]:
    """The `uvicorn.Config` arguments that carry `limits`."""
    return {
        "http": protocol_for(limits),
        "limit_concurrency": limits.connections,
        "timeout_keep_alive": limits.keep_alive_seconds,
        "h11_max_incomplete_event_size": limits.head_bytes,
    }


def protocol_for(limits: Limits) -> type[LimitedH11Protocol]:
    """A protocol class of its own per server: the per-client count belongs to one listening server."""
    return type("LimitedH11Protocol", (LimitedH11Protocol,), {"limits": limits, "open_by_client": Counter()})


class LimitedH11Protocol(H11Protocol):
    limits: ClassVar[Limits] = Limits()
    open_by_client: ClassVar[Counter[str]] = Counter()  # replaced per server by `protocol_for`
    _head_timer: asyncio.TimerHandle | None = None
    _counted: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        host = self.client[0] if self.client else None
        if host is not None:
            if self.open_by_client[host] >= self.limits.connections_per_client:
                self.logger.warning("Refused a connection: %s already holds %d", host, self.open_by_client[host])
                transport.close()
                return
            self.open_by_client[host] += 1
            self._counted = host
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        if self._counted is not None:
            self.open_by_client[self._counted] -= 1
            if self.open_by_client[self._counted] <= 0:
                del self.open_by_client[self._counted]
            self._counted = None
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()  # the next request's head is on the same clock

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.limits.head_seconds, self._head_overdue)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        # h11 leaves the client IDLE until a whole request head has arrived; a request being served (a long
        # SSE stream included) has moved it on, and is not cut.
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("Closed a connection that sent no complete request head in %gs", self.limits.head_seconds)
            self.transport.close()


class BodyDeadline:
    """A request body that stalls for `idle_seconds` between chunks is answered 408 and its connection
    closed; the app sees the client as gone. Read lazily, as the app asks, never ahead of it."""

    def __init__(self, app: ASGIApp, idle_seconds: float) -> None:
        self.app = app
        self.idle_seconds = idle_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        timed_out = False
        body_done = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if timed_out:
                return  # the client was already answered 408
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def guarded_receive() -> Message:
            nonlocal timed_out, body_done
            if body_done:  # past the body, receive() waits for the client to leave (an SSE stream): no bound
                return await receive()
            with anyio.move_on_after(self.idle_seconds):
                message = await receive()
                body_done = message["type"] != "http.request" or not message.get("more_body", False)
                return message
            if not started:
                await _request_timeout(send)
            timed_out = True
            return {"type": "http.disconnect"}

        await self.app(scope, guarded_receive, guarded_send)


async def _request_timeout(send: Send) -> None:
    from .http_transport import send_json

    detail = {"error": "request_timeout", "detail": "the request body stalled; send it at once"}
    await send_json(send, 408, detail, [(b"connection", b"close")])
