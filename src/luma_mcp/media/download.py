"""Streamed, atomic saves of finished outputs.

Bytes go to a hidden `.part` file beside the destination and are renamed only when whole, so a file
with a final name is always complete, whatever happened to the process while it was written. A `.part`
is removed however the save ends (a cancelled save included). A disk that cannot take the file is a
`SaveFailed`, never a crash: the file is paid for, and the caller must still answer with its URL.

`claimed` gives one writer per destination across calls, processes and hosts sharing the folder (an
O_EXCL claim file); `sweep_abandoned` clears what dead holders left; `open_inside` reads a saved file back
without following a link out of its folder.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import re
import socket
import stat
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import anyio
import anyio.to_thread

if TYPE_CHECKING:
    import httpx

CHUNK_BYTES = 1 << 20
_EXTENSIONS = {"video": ".mp4", "image": ".png", "exr": ".exr"}
_CONTENT_EXTENSIONS = {"video/mp4": ".mp4", "image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


class UrlExpired(Exception):
    """The presigned URL is past its hour (HTTP 403): fetch the generation again for a fresh one."""


class DownloadFailed(Exception):
    pass


class SaveFailed(DownloadFailed):
    """The bytes could not be written here (a full disk, an output dir that is a file, no permission)."""


def _declared_length(response: httpx.Response) -> int | None:
    raw = response.headers.get("content-length")
    return int(raw) if raw is not None and raw.isdigit() else None


def output_filename(
    generation_id: str, created_at: str | None, prompt: str, index: int, output_type: str, url: str
) -> str:
    """`2026-11-21_misty-greenhouse-dolly_d290f1ee.mp4`: sortable, readable, unique per output.
    A provider's prefix (`aimlapi:`, `hedra:`) is left out of the name: the id's own head is what differs."""
    date = created_at[:10] if created_at and re.fullmatch(r"\d{4}-\d\d-\d\d", created_at[:10]) else "undated"
    counter = f"-{index + 1}" if index else ""
    head = re.sub(r"[^A-Za-z0-9]", "", re.sub(r"^[a-z]+:", "", generation_id))[:8] or "output"
    name = f"{date}_{slug(prompt)}_{head}{counter}{_suffix(url, output_type)}"
    # Every part above is made of these characters; a name that is not means a bug, never a path to follow.
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"unsafe output file name {name!r}")
    return name


_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,150}")
_KNOWN_SUFFIXES = frozenset({".mp4", ".mov", ".webm", ".png", ".jpg", ".webp", ".gif", ".exr"})


def _suffix(url: str, output_type: str) -> str:
    """The file's extension: the URL's when it is a media type we know, else the output type's. A URL
    comes from the API's answer: its path never chooses more than one of these few extensions."""
    from urllib.parse import urlsplit

    suffix = Path(urlsplit(url).path).suffix.lower().replace(".jpeg", ".jpg")
    return suffix if suffix in _KNOWN_SUFFIXES else _EXTENSIONS.get(output_type, ".bin")


_FILLER = frozenset({"a", "an", "the", "of", "and", "in", "on", "at", "to", "with", "into", "as"})


def slug(text: str, limit: int = 40) -> str:
    """The prompt's telling words, whole, within `limit` characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = [word for word in re.split(r"[^a-z0-9]+", ascii_text) if word and word not in _FILLER]
    kept: list[str] = []
    for word in words:
        if len("-".join([*kept, word])) > limit:
            break
        kept.append(word)
    return "-".join(kept) or (words[0][:limit] if words else "untitled")


class TooLarge(DownloadFailed):
    """The download passed the size its caller allows (checked as the bytes arrive)."""


async def save_url(http: httpx.AsyncClient, url: str, destination: Path, *, max_bytes: int | None = None) -> Path:
    """Stream `url` to `destination`; never holds the whole file in memory, never writes past `max_bytes`.

    Raises `UrlExpired`, `TooLarge`, `SaveFailed` (the disk refused) or `DownloadFailed` (the network did)."""
    import httpx

    partial = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        await anyio.to_thread.run_sync(lambda: destination.parent.mkdir(parents=True, exist_ok=True))
        async with http.stream("GET", url) as response:
            if response.status_code == 403:
                raise UrlExpired("the download link was refused (HTTP 403): expired, or not public")
            if response.status_code != 200:
                raise DownloadFailed(f"download answered HTTP {response.status_code}")
            await _write(response, partial, max_bytes)
        await anyio.to_thread.run_sync(os.replace, partial, destination)
    except httpx.HTTPError as exc:
        raise DownloadFailed(f"download failed ({type(exc).__name__})") from exc
    except OSError as exc:
        raise SaveFailed(f"could not write to {destination.parent} ({disk_reason(exc)})") from exc
    finally:
        # Shielded: a client that gives up mid-download cancels this task, and a cancelled await would
        # skip the removal and leave the partial file behind.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(lambda: partial.unlink(missing_ok=True))
    return destination


async def _write(response: httpx.Response, partial: Path, max_bytes: int | None) -> None:
    expected = _declared_length(response)
    if max_bytes is not None and expected is not None and expected > max_bytes:
        raise TooLarge(f"the file is {expected / 2**20:.1f} MB, over {max_bytes / 2**20:.0f} MB")
    written = 0
    async with await anyio.open_file(partial, "wb") as sink:
        async for chunk in response.aiter_bytes(CHUNK_BYTES):
            written += len(chunk)
            if max_bytes is not None and written > max_bytes:
                raise TooLarge(f"the file is over {max_bytes / 2**20:.0f} MB")
            await sink.write(chunk)
    if written == 0 or (expected is not None and written != expected):
        raise DownloadFailed(f"download ended early ({written} of {expected or '?'} bytes)")


def disk_reason(exc: OSError) -> str:
    """An OSError in the words a user acts on ("No space left on device"), without a traceback."""
    return exc.strerror or type(exc).__name__


# A claim's holder touches it this often; one untouched for CLAIM_STALE_SECONDS has no live holder.
CLAIM_REFRESH_SECONDS = 10.0
CLAIM_STALE_SECONDS = 60.0
CLAIM_POLL_SECONDS = 0.1


def claim_path(destination: Path) -> Path:
    return destination.with_name(f".{destination.name}.claim")


@asynccontextmanager
async def claimed(destination: Path) -> AsyncIterator[None]:
    """Hold the sole right to write `destination`, against other calls and other processes sharing the
    folder: an O_EXCL claim file beside it, kept fresh while held and removed on exit (cancelled or not).
    Waits while another holder lives; takes over a claim whose holder died (killed, or gone quiet).
    The caller checks, once inside, whether the other holder already saved the file."""
    path = claim_path(destination)
    # Another process's claim can only be watched, not awaited: poll.
    while not await anyio.to_thread.run_sync(_try_claim, path):  # noqa: ASYNC110
        await anyio.sleep(CLAIM_POLL_SECONDS)
    try:
        # Only a holder writes a .part: any there now was left by a holder that died mid-download.
        await anyio.to_thread.run_sync(_remove_parts, destination, None)
        async with anyio.create_task_group() as keeper:
            keeper.start_soon(_keep_fresh, path)
            try:
                yield
            finally:
                keeper.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))


def _try_claim(path: Path) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        seen = _abandoned(path)
        if seen is not None:
            _remove_unchanged(path, seen)  # its holder is gone; the next round claims it
        return False
    except OSError as exc:
        raise SaveFailed(f"could not write to {path.parent} ({disk_reason(exc)})") from exc
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{os.getpid()} {this_host()}\n")
    return True


@functools.cache
def this_host() -> str:
    """Where a pid names the same process: the hostname, then (on Linux) the boot and the pid namespace.
    Containers on one machine may share a hostname (host networking) but not their process ids, and a
    rebooted host reuses them: a claim made anywhere else is judged by its age alone."""
    return f"{socket.gethostname() or '-'} {_process_scope()}"


def _process_scope() -> str:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:  # not Linux: the hostname alone says where a pid means something
        return "-"
    return f"{boot}/{namespace}".replace(" ", "") or "-"


def _abandoned(path: Path) -> os.stat_result | None:
    """The claim's stat when its holder is gone, else None. Gone: a process of this host that no longer
    runs, or a claim no one has touched for CLAIM_STALE_SECONDS, the only sign a holder on another host
    gives (hosts sharing the folder need clocks that agree to well within that)."""
    try:
        seen = path.stat()
        pid, _, host = path.read_text().strip().partition(" ")
    except (OSError, UnicodeDecodeError):
        return None  # gone meanwhile: look again next round
    if time.time() - seen.st_mtime > CLAIM_STALE_SECONDS:
        return seen
    # An empty claim is one being written; a claim of another host, or one written before hosts were
    # told apart ("pid hostname"), waits for its age.
    here = host == this_host() and pid.isdigit()
    return seen if here and not _alive(int(pid)) else None


def _remove_unchanged(path: Path, seen: os.stat_result) -> bool:
    """Remove the claim judged abandoned from `seen`, unless it is another file by now: a process that
    judged it first may have removed it and claimed anew, and that live claim must stay."""
    try:
        now = path.stat()
        if (now.st_ino, now.st_mtime_ns) != (seen.st_ino, seen.st_mtime_ns):
            return False
        path.unlink()
    except OSError:
        return False
    return True


def _remove_parts(destination: Path, older_than: float | None) -> int:
    """Remove `destination`'s partial downloads (those last written before `older_than`, when given)."""
    removed = 0
    for part in destination.parent.glob(f".{glob.escape(destination.name)}.*.part"):
        try:
            if older_than is None or part.lstat().st_mtime < older_than:
                part.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def sweep_abandoned(root: Path, depth: int = 2) -> int:
    """Remove, in `root` and its folders `depth` levels down (users' folders, their sandbox folders),
    claims whose holder is gone and partial downloads no claim covers, which a holder killed mid-download
    leaves. Returns how many files went. For a process that settles other processes' work (hosted
    replicas): a single server cleans its own at start-up."""
    removed = 0
    for folder in _folders(root, depth):
        for claim in folder.glob(".*.claim"):
            seen = _abandoned(claim)
            if seen is not None and _remove_unchanged(claim, seen):
                removed += 1
        # A part is written only under its destination's claim; one without a claim was left by a dead
        # holder. The age spares a part whose claim is being taken over right now by a live process.
        for part in folder.glob(".*.part"):
            destination = folder / part.name[1:].rsplit(".", 2)[0]
            if not claim_path(destination).exists():
                removed += _remove_parts(destination, time.time() - CLAIM_REFRESH_SECONDS)
    return removed


def _folders(root: Path, depth: int) -> list[Path]:
    if depth < 0 or not root.is_dir() or root.is_symlink():
        return []
    found = [root]
    with contextlib.suppress(OSError):
        for child in root.iterdir():
            if child.is_dir() and not child.is_symlink():
                found += _folders(child, depth - 1)
    return found


def _alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) is not a probe on Windows: rely on the claim's age there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


async def _keep_fresh(path: Path) -> None:
    while True:
        await anyio.sleep(CLAIM_REFRESH_SECONDS)
        with contextlib.suppress(OSError):
            await anyio.to_thread.run_sync(os.utime, path)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def open_inside(root: Path, path: str) -> BinaryIO | None:
    """`path` opened for reading if it is a regular file below `root`, reached without following a link
    below `root` (the root itself may be one: the user chose it); else None."""
    base = Path(os.path.abspath(root))
    target = Path(os.path.abspath(path))
    if not target.is_relative_to(base) or target == base:
        return None
    try:
        if os.open in os.supports_dir_fd:
            fd = _open_below(base, target.relative_to(base).parts)
        else:
            fd = _open_checked(base, target)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def _open_below(root: Path, parts: tuple[str, ...]) -> int:
    """Walk from `root` one name at a time (openat), refusing a link at every step."""
    folder = os.open(root, os.O_RDONLY | _DIRECTORY)
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=folder)
            os.close(folder)
            folder = inner
        return os.open(parts[-1], os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0), dir_fd=folder)
    finally:
        os.close(folder)


def _open_checked(root: Path, target: Path) -> int:
    """Where openat is missing (Windows): the real path must stay inside, and the file be no link."""
    if not Path(os.path.realpath(target)).is_relative_to(os.path.realpath(root)) or target.is_symlink():
        raise FileNotFoundError(target)
    return os.open(target, os.O_RDONLY | getattr(os, "O_BINARY", 0))
