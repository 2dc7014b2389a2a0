"""Finished outputs onto disk, once: shared by the tools and by recovery after a restart."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from .history import UNKNOWN, Record
from .media.download import DownloadFailed, UrlExpired, output_filename, save_url
from .providers.base import PROVIDER_NAMES, ProviderName
from .providers.errors import ProviderError
from .providers.registry import provider_of_id
from .runtime import Runtime
from .settings import Settings

if TYPE_CHECKING:
    from .providers.base import Generation

logger = logging.getLogger(__name__)

# A .part file this old belongs to no live download (another server may share the folder: spare younger ones).
STALE_PART_SECONDS = 3600


@dataclass(frozen=True)
class SavedOutput:
    index: int
    type: str
    url: str
    path: str | None
    width: int | None = None
    height: int | None = None
    seconds: float | None = None


async def save_outputs(
    runtime: Runtime, generation: Generation, saved: dict[int, str], prompt: str, *, download: bool = True
) -> list[SavedOutput]:
    """Each output of `generation` with its local path: reused when still on disk, else saved now."""
    results: list[SavedOutput] = []
    for index, output in enumerate(generation.outputs):
        path = saved.get(index)
        if path is not None and not await anyio.to_thread.run_sync(Path(path).is_file):
            path = None  # the user moved or deleted it: fetch it again
        if path is None and download and generation.state == "completed":
            path = await _save(runtime, generation, index, prompt)
        size = await anyio.to_thread.run_sync(measure, path, output.type) if path else (None, None, None)
        results.append(SavedOutput(index, output.type, output.url, path, *size))
    return results


def measure(path: str, output_type: str) -> tuple[int | None, int | None, float | None]:
    """(width, height, seconds) of a saved file, read from the file itself; None where it does not apply."""
    from .media import probe

    if output_type == "video":
        info = probe.video_info(Path(path))
        return (info.width, info.height, round(info.seconds, 3)) if info else (None, None, None)
    if output_type == "image":
        size = probe.image_size(Path(path))
        return (size[0], size[1], None) if size else (None, None, None)
    return None, None, None


async def _save(runtime: Runtime, generation: Generation, index: int, prompt: str) -> str | None:
    output = generation.outputs[index]
    name = output_filename(generation.id, generation.created_at, prompt, index, output.type, output.url)
    destination = output_folder(runtime.settings) / name
    url = output.url
    for attempt in range(2):
        try:
            await save_url(runtime.http, url, destination)
            break
        except UrlExpired:
            if attempt:
                return None
            url = await _fresh_url(runtime, generation.id, index)
        except DownloadFailed as exc:
            logger.warning("Saving output %d of %s failed: %s", index, generation.id, exc)
            return None
    await runtime.history.set_path(generation.id, index, destination)
    return str(destination)


async def _fresh_url(runtime: Runtime, generation_id: str, index: int) -> str:
    fresh = await runtime.provider_for_id(generation_id).get(generation_id)  # each GET mints a fresh URL
    return fresh.outputs[index].url


def output_folder(settings: Settings) -> Path:
    """Where outputs are saved: the sandbox's apart from real ones (contract, Sandbox)."""
    return settings.output_dir / "sandbox" if settings.sandbox else settings.output_dir


async def recover(runtime: Runtime, limit: int = 50) -> None:
    """After a restart: settle what the last process left unfinished, without an agent having to ask.

    Generations it was still waiting on are checked once, and finished ones without a saved file are
    saved; stale partial downloads are removed (they never had a final name).
    """
    for folder in {runtime.settings.output_dir, output_folder(runtime.settings)}:
        await anyio.to_thread.run_sync(_remove_stale_parts, folder)
    providers = runtime.providers
    recent = await runtime.history.list(limit)
    await settle_unknown(runtime, recent)
    records = [
        record
        for record in await runtime.history.list(limit)
        if _unsettled(record) and providers.is_available(provider_of_id(record.id))
    ]
    # Only now build a provider's client: that is the costliest part of a start.
    for record in records:
        try:
            generation = await providers.for_id(record.id).get(record.id)
        except ProviderError as exc:
            logger.info("Recovery could not check %s: %s", record.id, type(exc).__name__)
            continue
        await runtime.history.update_state(
            generation.id, generation.state, generation.failure_code, generation.failure_reason
        )
        await save_outputs(runtime, generation, record.paths, record.prompt)


async def settle_unknown(runtime: Runtime, records: list[Record], most: int = 5) -> int:
    """Ask the providers that can tell (by the create's request id) what became of creates whose outcome
    was unknown; a found job takes the row's place under its real id. Returns how many were settled."""
    settled = 0
    candidates = [
        r for r in records if r.state == UNKNOWN and r.request_id and runtime.providers.is_available(_name(r))
    ]
    for record in candidates[:most]:
        assert record.request_id is not None
        try:
            generation = await runtime.providers.get(_name(record)).reconcile(record.request_id)
        except ProviderError as exc:
            logger.info("Could not reconcile %s: %s", record.id, type(exc).__name__)
            continue
        if generation is None:
            continue
        if await runtime.history.get(generation.id) is None:
            await runtime.history.confirm_submission(record.id, generation.id, generation.state, None)
        else:  # already known under its real id (met through get_generation): the stand-in row goes
            await runtime.history.forget_submission(record.id)
        settled += 1
    return settled


def _name(record: Record) -> ProviderName:
    return next((name for name in PROVIDER_NAMES if name == record.provider), "luma")


def _unsettled(record: Record) -> bool:
    waiting = record.state in ("queued", "processing") or (record.state == "completed" and not record.paths)
    return waiting and not record.id.startswith("pending-")


def _remove_stale_parts(folder: Path) -> None:
    if not folder.is_dir():
        return
    cutoff = time.time() - STALE_PART_SECONDS
    for part in folder.glob(".*.part"):
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
        except OSError:
            continue
