"""An emulator of the AI/ML API's `luma/ray-2` and `luma/ray-flash-2` video endpoints (spec section 12).

    emu = AimlEmulator(AimlEmulatorConfig(queued_seconds=0.1, generating_seconds=1))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app))   # no sockets

It checks bodies with the provider's own rule table (`..rules`, lenient mode), resolves extend
anchors, runs jobs on a lazy virtual clock, serves real synthetic MP4s behind expiring URLs, and
answers the catalogue, billing and logs. Test handles: `emu.requests`, `emu.generation_posts()`,
`emu.faults`, `emu.out_of_credits()`, `emu.switches`, `emu.advance()`, `emu.reset()`; prompt markers
(`__fail`, `__moderate`, `__stall`, see `plan`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from luma_mcp.emulator.faults import Fault, Faults
from luma_mcp.emulator.middleware import RecordedRequest

from .app import AimlEmulator
from .config import AimlEmulatorConfig, Switches

if TYPE_CHECKING:
    import uvicorn

__all__ = ["AimlEmulator", "AimlEmulatorConfig", "Fault", "Faults", "RecordedRequest", "Switches", "make_server"]


def make_server(
    emulator: AimlEmulator, host: str = "127.0.0.1", port: int = 8090, *, log_level: str = "warning"
) -> uvicorn.Server:
    """A uvicorn server for `emulator`, not yet started (`.run()` blocks; `.should_exit` stops it)."""
    from luma_mcp.emulator import make_server as make_app_server

    return make_app_server(emulator.app, host, port, log_level=log_level)
