"""The emulators' shared kit, known to no provider: synthetic media, fault switches, the request log
and its middleware, and serving an emulator app over HTTP. Each provider's emulator lives in its folder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn

__all__ = ["make_server"]


def make_server(app: Any, host: str = "127.0.0.1", port: int = 8089, *, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for an emulator's ASGI `app`, not yet started (`.run()` blocks; `.should_exit` stops it)."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="off", interface="asgi3")
    return uvicorn.Server(config)
