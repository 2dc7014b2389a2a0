"""An emulator of Hedra's public API v2 (`/web-app/public`) for talking-avatar video (spec section 11).

    emu = HedraEmulator(HedraEmulatorConfig(queued_seconds=0.1, processing_seconds=1))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app))   # no sockets

It checks create bodies with the provider's own rule table (`..rules`, lenient mode), keeps uploaded
images and audio per key, runs jobs on a lazy virtual clock (queued -> processing -> finalizing ->
complete, with progress), debits credits on completion, and serves real MP4s that show the uploaded
face and carry the speech, behind expiring signed URLs. Test handles: `emu.requests`,
`emu.generation_posts()`, `emu.uploads()`, `emu.faults` (routes named like `"POST /generations"`),
`emu.switches`, `emu.advance()`, `emu.reset()`; prompt markers (`__fail`, `__moderate`, `__transient`,
see `plan`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from luma_mcp.emulator.faults import Fault, Faults
from luma_mcp.emulator.middleware import RecordedRequest

from .app import HedraEmulator
from .config import HedraEmulatorConfig, Switches

if TYPE_CHECKING:
    import uvicorn

__all__ = ["Fault", "Faults", "HedraEmulator", "HedraEmulatorConfig", "RecordedRequest", "Switches", "make_server"]


def make_server(
    emulator: HedraEmulator, host: str = "127.0.0.1", port: int = 8091, *, log_level: str = "warning"
) -> uvicorn.Server:
    """A uvicorn server for `emulator`, not yet started (`.run()` blocks; `.should_exit` stops it)."""
    from luma_mcp.emulator import make_server as make_app_server

    return make_app_server(emulator.app, host, port, log_level=log_level)
