"""Finished outputs onto disk, once: shared by the tools and by recovery after a restart.

A save never fails the call that asked for it: a paid, completed job is answered with its URL and the
reason its file could not be written. Downloads run in the server's background task group, so a client
that gives up (a timeout, a cancel) does not stop a paid file from reaching the disk; one claim file per
output keeps two calls, or two processes sharing the folder, from downloading it twice at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import anyio
import anyio.to_thread

from .history import SUBMITTING, UNKNOWN, Record
from .identity import user_folder_name
from .media.download import (
    CLAIM_STALE_SECONDS,
    DownloadFailed,
    SaveFailed,
    UrlExpired,
    claimed,
    open_inside,
    output_filename,
    save_url,
)
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
Saved = tuple[str | None, str | None]  # (the path, or why there is none)


@dataclass(frozen=True)
class SavedOutput:
    index: int
    type: str
    url: str
    path: str | None
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    error: str | None = None  # why a save was tried and failed; None when saved or not asked to save


async def save_outputs(
    runtime: Runtime,
    generation: Generation,
    saved: dict[int, str],
    prompt: str,
    *,
    download: bool = True,
    owner: str | None = None,
) -> list[SavedOutput]:
    """Each output of `generation` with its local path: reused when still on disk, else saved now into
    `owner`'s folder (None: the caller's; read here, since the download itself runs in the background)."""
    owner = runtime.history.owner if owner is None else owner
    results: list[SavedOutput] = []
    for index, output in enumerate(generation.outputs):
        path = saved.get(index)
        if path is not None and not await anyio.to_thread.run_sync(is_saved_file, path):
            path = None  # the user moved or deleted it (or put something else there): fetch it again
        error = None
        if path is None and download and generation.state == "completed":
            path, error = await _save(runtime, generation, index, prompt, owner)
        size = await anyio.to_thread.run_sync(measure, path, output.type) if path else (None, None, None)
        results.append(SavedOutput(index, output.type, output.url, path, *size, error=error))
    if generation.state == "completed":
        missing = any(item.path is None for item in results)
        await anyio.to_thread.run_sync(_remember_choice, runtime.settings, generation.id, download or not missing)
    return results


def is_saved_file(path: str) -> bool:
    """A regular file, not a link: a link put where a saved file was is never read as the output."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def measure(path: str, output_type: str) -> tuple[int | None, int | None, float | None]:
    """(width, height, seconds) of a saved file, read from the file itself; None where it does not apply."""
    from .media import probe

    try:
        if output_type == "video":
            info = probe.video_info(Path(path))
            return (info.width, info.height, round(info.seconds, 3)) if info else (None, None, None)
        if output_type == "image":
            size = probe.image_size(Path(path))
            return (size[0], size[1], None) if size else (None, None, None)
    except OSError:  # gone or unreadable since it was saved: the result still stands without its size
        pass
    return None, None, None


async def _save(runtime: Runtime, generation: Generation, index: int, prompt: str, owner: str) -> Saved:
    output = generation.outputs[index]
    name = output_filename(generation.id, generation.created_at, prompt, index, output.type, output.url)
    destination = output_folder(runtime.settings, owner) / name
    return await _in_background(runtime, destination, lambda: _download(runtime, generation, index, destination, owner))


async def _download(runtime: Runtime, generation: Generation, index: int, destination: Path, owner: str) -> Saved:
    try:
        async with claimed(destination):
            # Another call or process may have saved it while this one waited for the claim.
            if not await anyio.to_thread.run_sync(is_saved_file, str(destination)):
                await _fetch(runtime, generation, index, destination)
    except (DownloadFailed, ProviderError) as exc:
        disk = isinstance(exc, SaveFailed)
        logger.warning("Saving output %d of %s failed: %s", index, generation.id, exc)
        if disk:
            return None, f"{exc}; free some space, or set LUMA_MCP_OUTPUT_DIR to a writable folder"
        return None, f"the download failed ({exc})"
    await runtime.store.set_path(generation.id, index, destination, owner=owner)
    size = await anyio.to_thread.run_sync(lambda: destination.stat().st_size)
    logger.info("Saved output %d of %s: %s (%d bytes)", index, generation.id, destination, size)
    return str(destination), None


async def _fetch(runtime: Runtime, generation: Generation, index: int, destination: Path) -> None:
    url = generation.outputs[index].url
    try:
        await save_url(runtime.http, url, destination)
    except UrlExpired:
        # Each GET of a generation mints fresh URLs: one more try with a new one.
        fresh = await runtime.providers.for_id(generation.id).get(generation.id)
        try:
            await save_url(runtime.http, fresh.outputs[index].url, destination)
        except UrlExpired:
            raise DownloadFailed("its download link had expired, twice") from None


@dataclass
class _Pending:
    done: anyio.Event = field(default_factory=anyio.Event)
    result: Saved = (None, "the server stopped before the file was saved")


async def _in_background(runtime: Runtime, destination: Path, work: Callable[[], Awaitable[Saved]]) -> Saved:
    """`work`'s result; a caller cancelled meanwhile leaves it running. A second caller for the same file
    waits for the first one's download instead of starting its own."""
    if runtime.background is None:  # a runtime used without a server (some tests): in the caller's task
        return await work()
    pending = runtime.saving.get(destination)
    if pending is None:
        pending = runtime.saving[destination] = _Pending()
        runtime.background.start_soon(_run, runtime.saving, destination, pending, work)
    await pending.done.wait()
    return pending.result


async def _run(
    running: dict[Path, _Pending], destination: Path, pending: _Pending, work: Callable[[], Awaitable[Saved]]
) -> None:
    try:
        pending.result = await work()
    except Exception as exc:  # in the server's task group, an escaped error would end the server itself
        logger.warning("Saving %s failed: %s: %s", destination.name, type(exc).__name__, exc, exc_info=True)
        pending.result = (None, f"saving failed ({type(exc).__name__})")
    finally:
        running.pop(destination, None)
        pending.done.set()


def user_output_dir(settings: Settings, owner: str = "") -> Path:
    """The folder of `owner`'s files: the output dir itself for the single user (""), else its folder
    `<output dir>/u-<digest>` (identity.user_folder_name), which plays the output dir's part for that user."""
    folder = user_folder_name(owner)
    return settings.output_dir / folder if folder else settings.output_dir


def output_folder(settings: Settings, owner: str = "") -> Path:
    """Where `owner`'s outputs are saved: the sandbox's apart from real ones (contract, Sandbox), in a
    `sandbox` folder inside the user's folder (`<output dir>/u-<digest>/sandbox`), so that everything of
    one user's is below one folder."""
    folder = user_output_dir(settings, owner)
    return folder / "sandbox" if settings.sandbox else folder


def open_saved(settings: Settings, path: str, owner: str = "") -> BinaryIO | None:
    """The saved output at `path`, opened for reading if it is a regular file inside `owner`'s folder of
    the output dir reached without following any link below it; else None. Recorded paths come from the
    history, and a link put in the output dir must not turn an output resource into a way to read any
    file on the machine, nor another user's."""
    return open_inside(user_output_dir(settings, owner), path)


# --- download=false, remembered -----------------------------------------------------------------------


def _choice_marker(settings: Settings, generation_id: str) -> Path:
    return settings.data_dir / "declined-downloads" / hashlib.sha256(generation_id.encode()).hexdigest()[:32]


def _remember_choice(settings: Settings, generation_id: str, wanted: bool) -> None:
    """A completed generation fetched with download=false is not saved behind the user's back by recovery;
    a later download=true lifts that. Kept beside the history, per data dir, for every process."""
    marker = _choice_marker(settings, generation_id)
    try:
        if wanted:
            marker.unlink(missing_ok=True)
        elif not marker.exists():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    except OSError as exc:
        logger.info("Could not record the download choice for %s: %s", generation_id, exc.strerror)


def _declined(settings: Settings, generation_id: str) -> bool:
    return _choice_marker(settings, generation_id).exists()


# --- recovery -----------------------------------------------------------------------------------------


async def recover(runtime: Runtime, limit: int = 50) -> None:
    """After a restart: settle what the last process left unfinished, without an agent having to ask.

    Generations it was still waiting on are checked once, and finished ones without a saved file are
    saved; creates it was still sending are marked unknown; stale partial downloads are removed. What
    cannot be done is logged and skipped: recovery runs in the server's background and must never end it.
    """
    try:
        await _recover(runtime, limit)
    except Exception as exc:  # a broken history or disk: the server still answers, and says so per call
        logger.warning("Recovery stopped: %s: %s", type(exc).__name__, exc, exc_info=True)


async def _recover(runtime: Runtime, limit: int) -> None:
    settings = runtime.settings
    for folder in {settings.output_dir, output_folder(settings)}:
        await anyio.to_thread.run_sync(_remove_stale_parts, folder)
    await settle_abandoned(runtime, await runtime.store.list(limit, owner=None))
    if settings.configuration_error() is not None:
        return  # a malformed key or URL: nothing may be sent
    providers = runtime.providers
    await settle_unknown(runtime, await runtime.store.list(limit, owner=None))
    records = [
        record
        for record in await runtime.store.list(limit, owner=None)
        if _unsettled(record)
        and providers.is_available(provider_of_id(record.id))
        and not await anyio.to_thread.run_sync(_declined, settings, record.id)
    ]
    # Only now build a provider's client: that is the costliest part of a start.
    for record in records:
        try:
            await _recover_one(runtime, record)
        except Exception as exc:  # one generation that cannot be settled must not stop the others
            logger.warning("Recovery skipped %s: %s: %s", record.id, type(exc).__name__, exc, exc_info=True)


async def _recover_one(runtime: Runtime, record: Record) -> None:
    try:
        generation = await runtime.providers.for_id(record.id).get(record.id)
    except ProviderError as exc:
        logger.info("Recovery could not check %s: %s", record.id, type(exc).__name__)
        return
    await runtime.store.update_state(
        generation.id, generation.state, generation.failure_code, generation.failure_reason, owner=record.owner
    )
    for item in await save_outputs(runtime, generation, record.paths, record.prompt, owner=record.owner):
        if item.error is not None:
            logger.warning("Recovery could not save output %d of %s: %s", item.index, record.id, item.error)


async def settle_leased(runtime: Runtime, record: Record) -> None:
    """Settle one generation another replica left (replicas.py leases it to this one): checked once, its
    finished outputs saved under its owner, as start-up recovery does; skipped when its provider is off
    here or its owner declined the download."""
    if not runtime.providers.is_available(provider_of_id(record.id)):
        return
    if await anyio.to_thread.run_sync(_declined, runtime.settings, record.id):
        return
    await _recover_one(runtime, record)


def submit_grace_seconds(settings: Settings) -> float:
    """How long a live process may take to send a create (its retries and their timeouts) and write the
    answer: a `submitting` row older than this was left by a process that died while sending."""
    return 2 * settings.api_timeout_seconds + 120


async def settle_abandoned(runtime: Runtime, records: list[Record]) -> int:
    """Creates left `submitting` by a process that died mid-send become `unknown`, with their age: the
    request may or may not have reached the provider. Returns how many."""
    grace = submit_grace_seconds(runtime.settings)
    settled = 0
    for record in records:
        age = _age_seconds(record.updated_at)
        if record.state != SUBMITTING or age is None or age <= grace:
            continue
        reason = (
            f"The server stopped while sending this request, {_duration(age)} ago; whether the provider "
            "received it is unknown."
        )
        await runtime.store.mark_unknown(record.id, reason, owner=record.owner)
        settled += 1
    return settled


def _age_seconds(stamp: str) -> float | None:
    try:
        then = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return (datetime.now(UTC) - then).total_seconds()


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours = minutes // 60
    return f"{hours} h {minutes % 60} min" if hours < 48 else f"{hours // 24} days"


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
        if await runtime.store.get(generation.id, owner=record.owner) is None:
            await runtime.store.confirm_submission(record.id, generation.id, generation.state, None, owner=record.owner)
        else:  # already known under its real id (met through get_generation): the stand-in row goes
            await runtime.store.forget_submission(record.id, owner=record.owner)
        settled += 1
    return settled


def _name(record: Record) -> ProviderName:
    return next((name for name in PROVIDER_NAMES if name == record.provider), "luma")


def _unsettled(record: Record) -> bool:
    waiting = record.state in ("queued", "processing") or (record.state == "completed" and not record.paths)
    return waiting and not record.id.startswith("pending-")


def _remove_stale_parts(folder: Path) -> None:
    """Partial downloads and claims that no live process is keeping fresh."""
    if not folder.is_dir():
        return
    now = time.time()
    for pattern, most in ((".*.part", STALE_PART_SECONDS), (".*.claim", CLAIM_STALE_SECONDS)):
        for leftover in folder.glob(pattern):
            try:
                if leftover.lstat().st_mtime < now - most:
                    leftover.unlink()
            except OSError:
                continue
