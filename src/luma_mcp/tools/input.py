"""A tool call that must go back to the client for the user's answer (the 2026-07-28 input_required flow)."""

from __future__ import annotations

from mcp_types import InputRequiredResult


class NeedsInput(Exception):
    """Raised deep in a tool; the tool runner answers with `result` and the client retries with the answer."""

    def __init__(self, result: InputRequiredResult) -> None:
        super().__init__("input required")
        self.result = result
