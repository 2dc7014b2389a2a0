"""The emulators' shared kit, known to no provider: synthetic media, fault switches, the request log
and its middleware, and serving an emulator app over HTTP. Each provider's emulator lives in its folder."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import socket
    from types import FrameType

    import uvicorn

__all__ = ["make_server"]


def make_server(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 8089,
    *,
    log_level: str = "warning",
    on_started: Callable[[], None] | None = None,
) -> uvicorn.Server:
    """A uvicorn server for an emulator's ASGI `app`, not yet started (`.run()` blocks; `.should_exit` stops it).
    `on_started` runs once it listens with its signal handlers in place: an announcement made earlier
    could be answered with a Ctrl-C that arrives before uvicorn can handle it."""
    import uvicorn

    class Server(uvicorn.Server):
        interrupted = False  # Ctrl-C ended it (uvicorn's own re-raise of it may be lost inside asyncio.run)

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            self.interrupted = self.interrupted or sig == signal.SIGINT
            super().handle_exit(sig, frame)

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if on_started is not None and not self.should_exit:
                on_started()

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="off", interface="asgi3")
    return Server(config)
