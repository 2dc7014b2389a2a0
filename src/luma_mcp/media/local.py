"""Local files given by path: confined to the allowed folders, then sniffed and measured.

Every check that needs no bytes comes first: where the path really leads (symlinks followed), whether
that is inside an allowed folder, whether it is a plain file (not a FIFO, device, folder or /proc
entry) and whether its size fits the API's limits. Only then is it opened, without following a
symlink and without blocking, and the open file is checked to be the one that was examined. Its kind
is told by its first bytes, never its name. Messages name the field and never quote file contents,
and say nothing of a file outside the allowed folders (not whether it exists, nor what it is).

What is sent is what was checked: `open_checked` opens the file again for an upload only if it is still
the very file examined (same device, inode, size and modification time, reached without a link), so a
link or another file swapped in after the checks is refused, never sent.

Blocking (stat, reads, PyAV probes): `inspect_local` runs in a worker thread.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, Protocol
from urllib.parse import unquote_to_bytes

from ..providers.luma.rules.vocabulary import IMAGE_MAX_BYTES, IMAGE_MAX_SIDE, VIDEO_SOURCE_MAX_BYTES
from . import probe
from .sniff import SNIFF_BYTES, sniff_kind

__all__ = ["INLINE_MAX_BYTES", "LocalMedia", "RefError", "RefLike", "decode_data_uri", "inspect_local", "open_checked"]


class RefLike(Protocol):
    """A MediaRef as an agent gives it: exactly one of the three is set."""

    @property
    def generation_id(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def path(self) -> str | None: ...


Want = Literal["image", "video", "audio"]
# Audio has no limit of Luma's: Hedra's v2 defaults (hedra-spec H23) bound it.
AUDIO_MAX_BYTES = 100 * 1024 * 1024

# Images up to this size go inline as base64; the docs keep `data` "for small media files".
INLINE_MAX_BYTES = 4 * 1024 * 1024
MAX_BYTES: dict[str, int] = {"image": IMAGE_MAX_BYTES, "video": VIDEO_SOURCE_MAX_BYTES, "audio": AUDIO_MAX_BYTES}
# Kernel pseudo-filesystems: their "files" are process state and devices, never media, even when a
# configured root (say "/") covers them.
_SYSTEM_DIRS = (Path("/proc"), Path("/sys"), Path("/dev"))
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_SHOWN_ROOTS = 6
_A = {"image": "an image", "video": "a video", "audio": "an audio file"}
_WANTED = {
    "image": "an image file (PNG, JPEG, WebP, GIF)",
    "video": "a video file (MP4, MOV, WebM)",
    "audio": "an audio file (WAV, MP3, M4A, OGG)",
}


SHOWN_PATH_CHARS = 200


def shown(raw: str) -> str:
    """A path as quoted in messages: whole when short, cut when an agent sent something huge."""
    return repr(raw) if len(raw) <= SHOWN_PATH_CHARS else repr(raw[:SHOWN_PATH_CHARS]) + f"... ({len(raw)} chars)"


class RefError(ValueError):
    """A reference that cannot be used; the message says why and what to give instead."""


@dataclass(frozen=True, slots=True)
class LocalMedia:
    """A checked local file: where it really is, what it is, and its bytes when small enough to inline."""

    path: Path
    size: int
    kind: Want
    media_type: str
    width: int | None
    height: int | None
    seconds: float | None
    inline: bytes | None
    identity: tuple[int, int, int, int] = (0, 0, 0, 0)  # device, inode, size, mtime (ns) of the checked file


def inspect_local(raw: str, want: Want, name: str, roots: Sequence[Path], working_dir: Path) -> LocalMedia:
    """Check the file at `raw` (as the agent wrote it) for use where `want` media is expected."""
    path, status = confine(raw, name, roots, working_dir)
    _check_size(status.st_size, want, name, raw)
    try:
        fd = os.open(path, _OPEN_FLAGS)
        with os.fdopen(fd, "rb") as handle:
            opened = os.fstat(fd)
            _check_same_file(opened, status, name, raw)
            media = _examine(handle, path, status.st_size, want, name, raw)
    except OSError as exc:  # a link swapped in (O_NOFOLLOW), permission denied, an I/O error
        raise RefError(f"{name}: {shown(raw)} cannot be read ({_reason(exc)})") from None
    return dataclasses.replace(media, identity=_identity(opened))


def open_checked(media: LocalMedia) -> BinaryIO:
    """`media`'s file, opened again to be sent: only if it is still the file that was checked (no link
    followed, same device, inode, size and modification time). Raises `RefError` otherwise."""
    try:
        fd = os.open(media.path, _OPEN_FLAGS)
    except OSError as exc:
        raise RefError(f"{media.path.name} cannot be read any more ({_reason(exc)}); nothing was sent") from None
    handle = os.fdopen(fd, "rb")
    opened = os.fstat(fd)
    if not stat.S_ISREG(opened.st_mode) or _identity(opened) != media.identity:
        handle.close()
        raise RefError(f"{media.path.name} changed after it was checked; nothing was sent, call again")
    _blocking(fd)
    return handle


def open_unchecked(path: Path) -> BinaryIO:
    """A file the caller made itself (a scratch copy), opened without following a link; OSError if not."""
    fd = os.open(path, _OPEN_FLAGS)
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        handle.close()
        raise IsADirectoryError(path)
    _blocking(fd)
    return handle


def _identity(status: os.stat_result) -> tuple[int, int, int, int]:
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


def _blocking(fd: int) -> None:
    """O_NONBLOCK kept a FIFO swapped in from hanging the open; a regular file reads the same either way,
    but streaming readers expect blocking reads."""
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)


def decode_data_uri(uri: str, name: str, max_bytes: int) -> tuple[str, bytes]:
    """(the claimed media type, the bytes) of a `data:` URI, refused by its size before it is decoded: a
    payload of 100 MB never becomes 75 MB of bytes in memory only to be refused."""
    header, comma, payload = uri[len("data:") :].partition(",")
    if not comma:
        raise RefError(f"{name}: the data: URI has no ',' before its payload")
    parts = header.split(";")
    encoded = "base64" in parts[1:]
    # base64 holds 3 bytes per 4 characters; a percent-encoded payload holds at most one per character.
    at_least = len(payload) * 3 // 4 - 2 if encoded else len(payload) // 3
    if at_least > max_bytes:
        raise RefError(
            f"{name}: the data: URI holds about {at_least / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB "
            "allowed here; give a path to the file or a URL instead"
        )
    try:
        data = base64.b64decode(payload, validate=True) if encoded else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise RefError(f"{name}: the data: URI payload is not valid base64") from None
    if len(data) > max_bytes:
        raise RefError(f"{name}: the data: URI holds {len(data) / 2**20:.1f} MB, over {max_bytes / 2**20:.0f} MB")
    return parts[0] or "text/plain", data


def confine(raw: str, name: str, roots: Sequence[Path], working_dir: Path) -> tuple[Path, os.stat_result]:
    """The real path behind `raw` and its status, if it is a plain file inside an allowed folder.

    Containment is judged before existence, so that nothing can be learnt about files outside the
    allowed folders (they are all "outside", whether they exist or not). No allowed folder at all is a
    hosted server's (tools/media.py `allowed_roots`): every path is refused before anything is looked at."""
    if not roots:
        raise RefError(
            f"{name}: this server is hosted and reads no local files (the client's disk is not its own); in hosted "
            "mode give media by url (an http(s) URL or a data: URI) or by generation_id"
        )
    if "\x00" in raw:
        raise RefError(f"{name}: the path contains a NUL character")
    allowed = [_real(root, working_dir) for root in roots]
    candidate = _absolute(raw, name, working_dir, allowed)
    # realpath, not resolve(): in non-strict mode it never raises (3.11 raises on a loop) and never
    # tells anything about a path outside the roots.
    if not _inside(Path(os.path.realpath(candidate)), allowed):
        raise RefError(_outside_message(name, raw, allowed))
    path = _resolve(candidate, name, raw, working_dir)
    if not _inside(path, allowed):  # a link swapped in between the two looks
        raise RefError(_outside_message(name, raw, allowed))
    try:
        status = os.lstat(path)
    except OSError as exc:
        raise RefError(f"{name}: {shown(raw)} cannot be read ({_reason(exc)})") from None
    _check_plain_file(path, status, name, raw)
    return path, status


def _resolve(candidate: Path, name: str, raw: str, working_dir: Path) -> Path:
    try:
        return candidate.resolve(strict=True)
    except FileNotFoundError:
        start = "" if Path(raw).expanduser().is_absolute() else f" (relative paths start at {working_dir})"
        raise RefError(f"{name}: no file at {shown(raw)}; check the path{start}") from None
    except RuntimeError:  # 3.11's word for ELOOP
        raise RefError(f"{name}: {shown(raw)} is a loop of symbolic links") from None
    except OSError as exc:
        raise RefError(f"{name}: {shown(raw)} cannot be read ({_reason(exc)})") from None


def _absolute(raw: str, name: str, working_dir: Path, allowed: Sequence[Path]) -> Path:
    try:
        candidate = Path(raw).expanduser()
    except RuntimeError:
        if raw == "~" or raw.startswith(("~/", "~" + os.sep)):  # no home directory to expand it to
            raise RefError(f"{name}: cannot expand '~' in {shown(raw)}; give an absolute path") from None
        # "~someone" who is not a user here: said as for any path outside, so that whether a user of that
        # name exists cannot be learnt from the answer.
        raise RefError(_outside_message(name, raw, allowed)) from None
    return candidate if candidate.is_absolute() else working_dir / candidate


def _real(root: Path, working_dir: Path) -> Path:
    """An allowed root with its links followed (a root that is a link allows what it points to).
    Roots come expanded from the settings; a relative one is taken from the working dir."""
    return Path(os.path.realpath(root if root.is_absolute() else working_dir / root))


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path.is_relative_to(root) for root in roots)


def _outside_message(name: str, raw: str, roots: Sequence[Path]) -> str:
    folders = ", ".join(str(root) for root in roots[:_SHOWN_ROOTS]) + (", ..." if len(roots) > _SHOWN_ROOTS else "")
    return (
        f"{name}: {shown(raw)} is outside the folders this server may read ({folders or 'none'});"
        " move or copy the file into one of them, or allow its folder: add it to LUMA_MCP_INPUT_DIRS"
        " in the server's environment, or as a root in the MCP client"
    )


def _check_plain_file(path: Path, status: os.stat_result, name: str, raw: str) -> None:
    if stat.S_ISDIR(status.st_mode):
        raise RefError(f"{name}: {shown(raw)} is a folder; give the path of a file inside it")
    if not stat.S_ISREG(status.st_mode):
        raise RefError(f"{name}: {shown(raw)} is not a regular file (a pipe, socket or device); give a media file")
    if _inside(path, _SYSTEM_DIRS):
        raise RefError(f"{name}: {shown(raw)} is a system file (/proc, /sys, /dev), not media")
    if status.st_size == 0:
        raise RefError(f"{name}: {shown(raw)} is empty")


def _check_size(size: int, want: Want, name: str, raw: str) -> None:
    """Before any byte is read: a huge (or sparse) file is refused by its size alone."""
    limit = MAX_BYTES[want]
    if size > limit:
        raise RefError(
            f"{name}: {shown(raw)} is {size / 2**20:.1f} MB, over the API's {limit // 2**20} MB limit"
            f" for {_A[want] if want != 'video' else 'a source video'}; {_shrink(want)}"
        )


def _shrink(want: Want) -> str:
    if want == "image":
        return "downscale or recompress it (JPEG)"
    return "trim it or re-encode it at a lower bitrate" + (" (MP3, M4A)" if want == "audio" else "")


def _check_same_file(opened: os.stat_result, examined: os.stat_result, name: str, raw: str) -> None:
    if (opened.st_dev, opened.st_ino) != (examined.st_dev, examined.st_ino) or not stat.S_ISREG(opened.st_mode):
        raise RefError(f"{name}: {shown(raw)} changed while it was being checked; try again")


def _examine(handle: BinaryIO, path: Path, size: int, want: Want, name: str, raw: str) -> LocalMedia:
    head = handle.read(SNIFF_BYTES)
    media_type = _check_kind(head, want, name, raw)
    if want == "image":
        width, height = _image_size(handle, name, raw)
        inline = _read_inline(handle, size, name, raw) if size <= INLINE_MAX_BYTES else None
        return LocalMedia(path, size, "image", media_type, width, height, None, inline)
    if want == "audio":
        seconds = probe.audio_seconds(handle)
        if seconds is None:
            raise RefError(f"{name}: {shown(raw)} could not be decoded as audio; re-encode it as MP3 or WAV")
        return LocalMedia(path, size, "audio", media_type, None, None, seconds, None)
    info = probe.video_info(handle)
    if info is None:
        raise RefError(f"{name}: {shown(raw)} could not be decoded as a video; re-encode it as H.264 MP4")
    return LocalMedia(path, size, "video", media_type, info.width, info.height, info.seconds, None)


def _check_kind(head: bytes, want: Want, name: str, raw: str) -> str:
    """The file's MIME type, if its bytes are the kind of media wanted in a format the API takes."""
    kind, media_type = sniff_kind(head), probe.media_type(head)
    if kind == "other":
        raise RefError(
            f"{name}: {shown(raw)} is not an image, video or audio file this server recognises (PNG, JPEG, WebP,"
            " GIF; MP4, MOV, WebM; WAV, MP3, M4A, OGG), whatever its name says"
        )
    if kind != want:
        raise RefError(f"{name}: {shown(raw)} is {_A[kind]}, but {_A[want]} is wanted here; give {_WANTED[want]}")
    if media_type is None:
        raise RefError(
            f"{name}: {shown(raw)} is in {_A[kind]} format the API does not take; convert it to {_usual(kind)}"
        )
    return media_type


def _usual(kind: str) -> str:
    return {"image": "PNG or JPEG", "video": "H.264 MP4"}.get(kind, "MP3 or WAV")


def _image_size(handle: BinaryIO, name: str, raw: str) -> tuple[int, int]:
    size = probe.image_size(handle)
    if size is None:
        raise RefError(f"{name}: {shown(raw)} could not be decoded as an image; re-save it as PNG or JPEG")
    if max(size) > IMAGE_MAX_SIDE:
        raise RefError(
            f"{name}: {shown(raw)} is {size[0]}x{size[1]} px, over the API's {IMAGE_MAX_SIDE} px limit per side;"
            " downscale it"
        )
    return size


def _read_inline(handle: BinaryIO, size: int, name: str, raw: str) -> bytes:
    handle.seek(0)
    data = handle.read(size + 1)
    if len(data) != size:
        raise RefError(f"{name}: {shown(raw)} changed while it was being read; try again")
    return data


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
