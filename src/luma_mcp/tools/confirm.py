"""Ask the user before a costly request, where the client can ask (MCP elicitation), in both protocol eras."""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.elicitation import render_elicitation_schema
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field

from ..runtime import Runtime
from .input import NeedsInput

logger = logging.getLogger(__name__)


class Confirmation(BaseModel):
    submit: bool = Field(description="Submit this paid generation?")


CONFIRM_KEY = "confirm_cost"


async def confirm(ctx: Context[Any, Any], runtime: Runtime, tool: str, cost: float | None) -> None:
    """Ask the user before a costly request, where the client can ask (MCP elicitation); else caps alone apply."""
    threshold = runtime.settings.confirm_above_usd
    capabilities = ctx.client_capabilities
    if threshold is None or cost is None or cost <= threshold or capabilities is None or not capabilities.elicitation:
        return
    question = f"{tool} will cost about ${cost:.2f} (above your ${threshold:.2f} confirmation threshold). Submit it?"
    if not _confirmed(await _ask(ctx, question)):
        raise ToolError(f"Not submitted: the user did not confirm the ${cost:.2f} request. Nothing was charged.")


async def _ask(ctx: Context[Any, Any], question: str) -> ElicitResult | None:
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        # Modern sessions have no back-channel: the question travels in the result, the answer in the retry.
        answer = (ctx.input_responses or {}).get(CONFIRM_KEY)
        if isinstance(answer, ElicitResult):
            return answer
        schema = render_elicitation_schema(Confirmation)
        request = ElicitRequest(params=ElicitRequestFormParams(message=question, requested_schema=schema))
        raise NeedsInput(InputRequiredResult(input_requests={CONFIRM_KEY: request}))
    try:
        return await ctx.request_context.session.elicit_form(
            message=question,
            requested_schema=render_elicitation_schema(Confirmation),
            related_request_id=ctx.request_id,
        )
    except Exception as exc:  # a client that cannot ask now is treated like one that cannot ask at all
        logger.info("Could not ask for confirmation: %s", type(exc).__name__)
        return None


def _confirmed(answer: ElicitResult | None) -> bool:
    if answer is None:
        return True  # no way to ask: the caps alone apply
    return answer.action == "accept" and bool((answer.content or {}).get("submit"))
