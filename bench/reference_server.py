"""The cold-start reference: a bare mcp 2.3 MCPServer with one trivial tool, on stdio.

`bench/cold_start.py` starts it exactly as it starts `python -m luma_mcp`, so the ratio between the
two is the cost of everything luma-mcp adds on top of the SDK.
"""

from __future__ import annotations

from mcp.server import MCPServer

server: MCPServer = MCPServer("reference")


@server.tool()
def echo(text: str) -> str:
    """Return `text` unchanged."""
    return text


if __name__ == "__main__":
    server.run("stdio")
