"""How the server presents itself to hosts beyond its tools: description, web address, icons, cache hints.

Hosts show the description and icons in their server lists and tool pickers; the cache hints (protocol
2026-07-28) tell a client which lists it may keep instead of asking again.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from mcp.server.caching import CacheableMethod, CacheHint
from mcp.server.mcpserver.tools import Tool

from .icons import tool_icons

DESCRIPTION = (
    "Video and image generation for agents: Luma Ray video (generate, extend, edit, reframe), Uni-1 images, "
    "Ray 2 through the AI/ML API and Hedra talking avatars, with every argument checked and priced before "
    "anything is bought, results saved as files, and a free sandbox."
)
DAY_MS = 24 * 60 * 60 * 1000

# What a process lists never changes while it runs (its tools, prompts and templates follow its settings,
# read once at start), and is the same for every caller; the history (resources/list) changes with every
# generation. Saved outputs are immutable, but reading one is a per-resource hint: see `OUTPUT_HINT`.
CACHE_HINTS: Mapping[CacheableMethod, CacheHint] = {
    "tools/list": CacheHint(ttl_ms=DAY_MS, scope="public"),
    "prompts/list": CacheHint(ttl_ms=DAY_MS, scope="public"),
    "resources/templates/list": CacheHint(ttl_ms=DAY_MS, scope="public"),
    "resources/list": CacheHint(ttl_ms=0, scope="private"),
    "resources/read": CacheHint(ttl_ms=0, scope="private"),
}
# A saved output's bytes never change under its URI (a new generation gets a new id); private: it is
# one user's file.
OUTPUT_HINT = CacheHint(ttl_ms=365 * DAY_MS, scope="private")


@functools.cache
def website_url() -> str | None:
    """The project's home page as the package's metadata states it (one place to change it)."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("luma-agents-mcp").get_all("Project-URL") or []
    except PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "homepage":
            return str(url.strip())
    return None


def with_icons(tools: Sequence[Tool]) -> list[Tool]:
    """Each tool with its own icon (hosts show the server's for any without)."""
    for tool in tools:
        tool.icons = tool_icons(tool.name)
    return list(tools)
