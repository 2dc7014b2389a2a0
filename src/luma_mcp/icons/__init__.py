"""The icons hosts show beside the server and each tool (drawn by scripts/make_icons.py), as data URIs.

Small PNGs (under 1 kB per tool) inline in tools/list and the server's info: a host needs no network, and
a local server has no web address to serve them from.
"""

from __future__ import annotations

import base64
import functools
from importlib import resources

from mcp_types import Icon

__all__ = ["server_icons", "tool_icons"]


@functools.cache
def _icon(name: str) -> Icon | None:
    source = resources.files(__name__).joinpath(f"{name}.png")
    if not source.is_file():
        return None
    data = base64.b64encode(source.read_bytes()).decode("ascii")
    size = "64x64" if name == "server" else "48x48"
    return Icon(src=f"data:image/png;base64,{data}", mime_type="image/png", sizes=[size])


def server_icons() -> list[Icon]:
    icon = _icon("server")
    return [icon] if icon is not None else []


def tool_icons(tool: str) -> list[Icon] | None:
    """None for a tool without an icon of its own: hosts then show the server's."""
    icon = _icon(tool)
    return [icon] if icon is not None else None
