"""An emulator of the Luma Agents API, for tests, demos and `--sandbox`.

    emu = Emulator(EmulatorConfig(clock=fake_clock))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app))   # no sockets
    serve(EmulatorConfig(), "127.0.0.1", 8089)                                 # or over real HTTP

It answers like the real API (spec sections 1-8): the documented rules (shared with the MCP
validator through `luma_mcp.providers.luma.rules`), per-key stores, lazy clock-driven job states, rate limits,
the Files API, and real synthetic media behind presigned URLs. Test handles: `emu.requests`,
`emu.generation_posts()`, `emu.faults` (see `faults`), `emu.advance()`, `emu.reset()`; prompt
directives (`__fail:<code>`, `__moderate`, `__slow:<s>`, see `plan`) and URL hooks (see `checks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from luma_mcp.emulator.faults import Fault, Faults
from luma_mcp.emulator.middleware import RecordedRequest

from .app import Emulator
from .config import EmulatorConfig

if TYPE_CHECKING:
    import uvicorn

__all__ = ["Emulator", "EmulatorConfig", "Fault", "Faults", "RecordedRequest", "make_server", "serve"]


def make_server(
    emulator: Emulator, host: str = "127.0.0.1", port: int = 8089, *, log_level: str = "warning"
) -> uvicorn.Server:
    """A uvicorn server for `emulator`, not yet started (`.run()` blocks; `.should_exit` stops it)."""
    from luma_mcp.emulator import make_server as make_app_server

    return make_app_server(emulator.app, host, port, log_level=log_level)


def serve(
    config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 8089, *, log_level: str = "warning"
) -> None:
    """Run an emulator over HTTP until interrupted (blocking)."""
    make_server(Emulator(config), host, port, log_level=log_level).run()
