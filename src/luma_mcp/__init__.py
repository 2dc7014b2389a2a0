"""luma-mcp: an MCP server for Luma's Ray 3.2 video and Uni-1 image generation.

Nothing runs at import: `main()` is the console script, and everything heavy is imported where used.
"""

from __future__ import annotations

__version__ = "0.1.0"


def main() -> None:
    from .cli import main as cli_main

    cli_main()
