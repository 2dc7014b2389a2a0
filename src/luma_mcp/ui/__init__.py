"""The player: an MCP Apps view that hosts render beside a generation's result (see `player.py`).

Only names live here, so `tools/base.py` can link every generation tool to the view without importing
the view itself.
"""

from __future__ import annotations

from typing import Any

PLAYER_URI = "ui://luma-mcp/player.html"
# Where get_generation puts a running job's timing for the player, beside (never inside) the result
# the model reads.
PROGRESS_META = "luma-mcp/progress"


def player_link() -> dict[str, Any]:
    """A tool's `_meta`: hosts that speak MCP Apps show its results in the player; others ignore it."""
    return {"ui": {"resourceUri": PLAYER_URI}}
