"""Every provider's emulator behind one ASGI app: what `--sandbox` talks to, in process, and what
`luma-mcp emulator` serves over HTTP. Luma's emulator answers at the root (`/v1`, its media URLs),
the AI/ML API's under `/aimlapi` (its `/v2/...` and `/v1/...` paths beneath), Hedra's under `/hedra`
(its `/web-app/public/...` paths beneath).

With a `state_dir`, each emulator's state (generations, uploads) is read from it when the emulator is
built and written back after every API request, so a sandbox survives a restart like the real APIs do.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from luma_mcp.emulator.persist import Persistent, StateFile

    from .aimlapi.emulator import AimlEmulator
    from .hedra.emulator import HedraEmulator
    from .luma.emulator import Emulator

logger = logging.getLogger(__name__)

AIMLAPI_PREFIX = "/aimlapi"
HEDRA_PREFIX = "/hedra"


class Sandbox:
    """Emulators not given are built on first use, timed by `job_seconds` (how long a job runs)."""

    def __init__(
        self,
        luma: Emulator | None = None,
        aimlapi: AimlEmulator | None = None,
        hedra: HedraEmulator | None = None,
        *,
        job_seconds: float = 8.0,
        state_dir: Path | None = None,
    ) -> None:
        self.job_seconds = job_seconds
        self.state_dir = state_dir
        self._luma = luma
        self._aimlapi = aimlapi
        self._hedra = hedra
        self._states: dict[str, StateFile] = {}

    @property
    def luma(self) -> Emulator:
        if self._luma is None:
            from .luma.emulator import Emulator, EmulatorConfig

            job = self.job_seconds
            self._luma = Emulator(EmulatorConfig(queued_seconds=min(1.0, job / 4), processing_seconds=job))
            if self.state_dir is not None:
                self._luma.store.upload_dir = self.state_dir / "luma" / "uploads"
            self._restore("luma", self._luma.store)
        return self._luma

    @property
    def aimlapi(self) -> AimlEmulator:
        if self._aimlapi is None:
            from .aimlapi.emulator import AimlEmulator, AimlEmulatorConfig

            job = self.job_seconds
            self._aimlapi = AimlEmulator(AimlEmulatorConfig(queued_seconds=min(1.0, job / 4), generating_seconds=job))
            self._restore("aimlapi", self._aimlapi.store)
        return self._aimlapi

    @property
    def hedra(self) -> HedraEmulator:
        if self._hedra is None:
            from .hedra.emulator import HedraEmulator, HedraEmulatorConfig

            job = self.job_seconds
            config = HedraEmulatorConfig(
                queued_seconds=min(1.0, job / 4), processing_seconds=job, finalizing_seconds=min(1.0, job / 8)
            )
            self._hedra = HedraEmulator(config)
            self._restore("hedra", self._hedra.store)
        return self._hedra

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and _under(path, AIMLAPI_PREFIX):
            await self._serve(
                "aimlapi", self.aimlapi.app, self.aimlapi.store, _mounted(scope, AIMLAPI_PREFIX), receive, send
            )
            return
        if scope["type"] == "http" and _under(path, HEDRA_PREFIX):
            await self._serve("hedra", self.hedra.app, self.hedra.store, _mounted(scope, HEDRA_PREFIX), receive, send)
            return
        await self._serve("luma", self.luma.app, self.luma.store, scope, receive, send)

    async def _serve(self, name: str, app: ASGIApp, store: Any, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        finally:
            state = self._states.get(name)
            # Only writes change what is kept: polls and downloads (most requests) cost no snapshot.
            if state is not None and scope["type"] == "http" and scope.get("method") not in ("GET", "HEAD"):
                try:
                    state.save(store)
                except OSError as exc:
                    logger.warning("Could not save the %s sandbox state in %s: %s", name, state.folder, exc)

    def _restore(self, name: str, store: Persistent) -> None:
        if self.state_dir is None:
            return
        from luma_mcp.emulator.persist import StateFile

        state = self._states[name] = StateFile(self.state_dir / name)
        state.load(store)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _mounted(scope: Scope, prefix: str) -> Scope:
    """The scope as the mounted app sees it: its own paths, with the prefix moved into `root_path`
    so that the URLs it hands out (media) lead back through the prefix."""
    child = dict(scope)
    child["path"] = scope["path"][len(prefix) :] or "/"
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw.startswith(prefix.encode()):
        child["raw_path"] = raw[len(prefix) :] or b"/"
    child["root_path"] = scope.get("root_path", "") + prefix
    return child
