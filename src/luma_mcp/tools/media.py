"""MediaRef arguments -> wire references: the placeholders a body is first checked with (made without
any I/O, so an invalid call sends not even a GET), the context real references are resolved in, and
the folders local files may be read from. tools/luma_submit.py runs the passes."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import unquote, urlsplit

import anyio
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPDeprecationWarning

from ..providers.luma.media import RefContext, RefError, RefLike, ResolvedRef, url_ref
from ..providers.luma.requests import Body
from .jobs import runtime_of

logger = logging.getLogger(__name__)

ROOTS_TIMEOUT = 3.0
Want = Literal["image", "video"]
_PLACEHOLDER_IMAGE = {"data": "iVBORw0KGgo=", "media_type": "image/png"}
_PLACEHOLDER_FILE = {"file_id": "00000000-0000-4000-8000-000000000000"}


class Resolver(Protocol):
    async def __call__(self, ref: RefLike, *, want: Want, field: str, source_for: str | None = None) -> ResolvedRef: ...


Build = Callable[[Resolver], Awaitable[tuple[Body, float | None]]]


async def placeholder(ref: RefLike, *, want: Want, field: str, source_for: str | None = None) -> ResolvedRef:
    """The shape `ref` will have on the wire, without touching the network or the disk."""
    if ref.url is not None and want == "image":
        try:
            return ResolvedRef(url_ref(ref.url), want)
        except RefError:
            return ResolvedRef(dict(_PLACEHOLDER_IMAGE), want)  # its own error surfaces in the real pass
    if ref.url is not None:
        return ResolvedRef({"url": "https://placeholder.invalid/v.mp4", "media_type": "video/mp4"}, want)
    if ref.generation_id is not None and want == "video":
        return ResolvedRef({"generation_id": ref.generation_id}, want)
    if ref.generation_id is not None:
        return ResolvedRef({"url": "https://placeholder.invalid/i.png"}, want)
    return ResolvedRef(dict(_PLACEHOLDER_IMAGE if want == "image" else _PLACEHOLDER_FILE), want)


async def media_context(ctx: Context[Any, Any], refs: Iterable[RefLike | None], *, dry_run: bool) -> RefContext:
    """What the MediaRefs of this call may reach (see `allowed_roots`)."""
    runtime = runtime_of(ctx)
    roots = await allowed_roots(ctx, ask_client=any(ref is not None and ref.path is not None for ref in refs))

    async def saved_path_of(generation_id: str) -> Path | None:
        record = await runtime.history.get(generation_id)
        return Path(record.paths[0]) if record and 0 in record.paths else None

    return RefContext(
        api=runtime.api,
        allowed_roots=roots,
        http=runtime.http,
        saved_path_of=saved_path_of,
        dry_run=dry_run,
        owns=runtime.owns,
    )


async def allowed_roots(ctx: Context[Any, Any], *, ask_client: bool = True) -> list[Path]:
    """The folders local paths may be read from: the output dir and LUMA_MCP_INPUT_DIRS (configured, so
    taken as they are); the working dir and, over stdio, the client's MCP roots (implicit, so never `/`,
    the home folder or a system folder: a server started in `/` must not open the whole disk). The
    client is asked for its roots only when `ask_client` (a local path was given). A hosted server has
    none: its users' files are on their own machines, and this machine's are no user's to read."""
    settings = runtime_of(ctx).settings
    if settings.hosted:
        return []
    implicit = [Path.cwd(), *(await client_roots(ctx) if ask_client else [])]
    return [settings.output_dir, *settings.input_dirs, *(root for root in implicit if not too_wide(root))]


def too_wide(root: Path) -> bool:
    """`/` (or a drive), the home folder or one holding it, or a system folder: never allowed implicitly."""
    real = Path(os.path.realpath(root))
    home = Path(os.path.realpath(Path.home())) if _has_home() else None
    if real == Path(real.anchor) or (home is not None and home.is_relative_to(real)):
        return True
    return any(real == folder or (inside and real.is_relative_to(folder)) for folder, inside in _system_folders())


def _has_home() -> bool:
    try:
        Path.home()
    except RuntimeError:
        return False
    return True


_SYSTEM = ("/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/dev", "/proc", "/sys", "/root", "/System")
_SYSTEM_TOPS = ("/var", "/opt", "/private", "/private/var", "/Applications", "/Library", "/Users", "/home")


def _system_folders() -> list[tuple[Path, bool]]:
    """(folder, whether all inside it is the system's too): projects live in /var/www or /opt/app, never
    in /usr or /etc."""
    windows = [os.environ.get(name, "") for name in ("SYSTEMROOT", "PROGRAMFILES", "PROGRAMFILES(X86)")]
    listed = [(name, True) for name in (*_SYSTEM, *windows)] + [(name, False) for name in _SYSTEM_TOPS]
    return [(Path(os.path.realpath(name)), inside) for name, inside in listed if name]


async def client_roots(ctx: Context[Any, Any]) -> list[Path]:
    """The client's file:// roots, when it declares the roots capability and runs on this machine (stdio:
    over HTTP the client is remote, and its roots name its own disk, not ours); none if it cannot say."""
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.roots is None or ctx.headers is not None:
        return []
    try:
        with anyio.fail_after(ROOTS_TIMEOUT), warnings.catch_warnings():
            # Deprecated from 2026-07-28 on, but it is how today's clients (2025-11-25) share their folders.
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            result = await ctx.session.list_roots()
    except Exception as exc:  # a client that cannot answer must not break the call: roots only widen access
        logger.info("Could not list the client's roots: %s", type(exc).__name__)
        return []
    return [Path(unquote(urlsplit(str(root.uri)).path)) for root in result.roots if str(root.uri).startswith("file:")]


async def optional(resolve: Resolver, ref: RefLike | None, *, want: Want, field: str) -> ResolvedRef | None:
    return None if ref is None else await resolve(ref, want=want, field=field)
