"""Ask the user before a costly or unpriced request, where the client can ask (form elicitation).

The answer must be the user's, to this very request:
- asked only in a mode the client declared (form elicitation, or the bare `elicitation: {}` that means
  form), and on the legacy protocols only where the transport can carry a request back to the client;
- on the 2026-07-28 protocol the question travels in the result and the answer in the client's retry,
  so the question leaves a digest of what was priced (tool, price, source length, wording) in the
  request state, which the SDK seals and binds to the call's arguments: an answer arriving without that
  state (unsolicited), for other arguments, or for a request that now prices differently (a local file
  swapped in the meantime) is not an answer, and the user is asked again;
- where the server cannot ask at all and LUMA_MCP_CONFIRM_ABOVE_USD was set explicitly, the request is
  refused with the reason rather than submitted silently (with the default threshold, the caps alone
  apply, as they always did for clients that cannot ask).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any, Literal

from mcp.server.elicitation import render_elicitation_schema
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field

from ..media.wording import with_article
from ..providers.base import ProviderName
from ..providers.registry import check_rules
from ..runtime import Runtime
from ..settings import Settings
from .input import NeedsInput

logger = logging.getLogger(__name__)

CONFIRM_KEY = "confirm_cost"
Way = Literal["in_result", "back_channel"]


class Confirmation(BaseModel):
    submit: bool = Field(description="Submit this paid generation?")


@dataclasses.dataclass(frozen=True)
class Draft:
    """A cheaper version of the request the user may prefer: the tool argument to change, and its price."""

    argument: str
    value: str
    cost: float

    def offer(self) -> str:
        return f"{with_article(self.value)} draft costs about ${self.cost:.2f} ({self.argument}='{self.value}')"


@dataclasses.dataclass(frozen=True)
class Priced:
    """What the user is asked about: the request as it will be sent (before its uploads), and its price."""

    tool: str
    provider: ProviderName
    body: Mapping[str, Any]
    cost: float | None
    source_seconds: float | None = None


def needs_confirmation(settings: Settings, cost: float | None) -> bool:
    """Above the threshold, or of unknown price (an unknown price may be any price); never with `off`."""
    threshold = settings.confirm_above_usd
    return threshold is not None and (cost is None or cost > threshold)


def way_to_ask(ctx: Context[Any, Any]) -> Way | None:
    """How this client can be asked now, or None when it cannot: no form elicitation declared, or a legacy
    session whose transport cannot carry a request to the client (stateless HTTP)."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    # A bare `elicitation: {}` predates modes and means form; url-only cannot show a form.
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return None
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        return "in_result"
    return "back_channel" if ctx.request_context.session.can_send_request else None


def refuse_if_unaskable(ctx: Context[Any, Any], settings: Settings, priced: Priced) -> None:
    """The refusal a request gets when it needs the user's word, the server cannot ask for it, and the
    user set LUMA_MCP_CONFIRM_ABOVE_USD themselves. Shared with dry runs, which answer as the call would."""
    if not needs_confirmation(settings, priced.cost) or way_to_ask(ctx) is not None or not explicit_threshold(settings):
        return
    threshold = settings.confirm_above_usd
    assert threshold is not None  # needs_confirmation said so
    price = "has an unpublished price" if priced.cost is None else f"costs an estimated ${priced.cost:.2f}"
    raise ToolError(
        f"Not submitted: this request {price}, and LUMA_MCP_CONFIRM_ABOVE_USD=${threshold:.2f} asks for the "
        "user's confirmation above that, but this client cannot be asked (it declares no form elicitation, or "
        "the connection cannot carry a question back to it). Choose cheaper settings, use a client that supports "
        "elicitation, or raise LUMA_MCP_CONFIRM_ABOVE_USD (or set it to off). Nothing was sent."
    )


def explicit_threshold(settings: Settings) -> bool:
    """Whether the user set LUMA_MCP_CONFIRM_ABOVE_USD, rather than running on the default: only a threshold
    they chose may turn a client that cannot be asked away."""
    return settings.confirm_above_explicit and settings.confirm_above_usd is not None


async def confirm(ctx: Context[Any, Any], runtime: Runtime, priced: Priced) -> None:
    """Return when the request may go; raise ToolError (declined, or cannot be asked) or NeedsInput (the
    question, on the 2026-07-28 protocol)."""
    settings = runtime.settings
    if not needs_confirmation(settings, priced.cost):
        return
    refuse_if_unaskable(ctx, settings, priced)
    way = way_to_ask(ctx)
    if way is None:
        return  # the default threshold, and no way to ask: the caps and the budget alone apply
    draft = await cheaper_draft(runtime, priced)
    question = _question(priced, settings.confirm_above_usd, draft)
    if way == "in_result":
        answer = _answer_in_retry(ctx, question, _digest(priced, question))
    else:
        answer = await _ask_back(ctx, question, priced.cost)
    if not _confirmed(answer):
        offer = f" If a cheaper version suits: {draft.offer()}." if draft else ""
        raise ToolError(f"Not submitted: the user did not confirm the {_price(priced.cost)} request. "
                        f"Nothing was sent and nothing was charged.{offer}")  # fmt: skip


def _question(priced: Priced, threshold: float | None, draft: Draft | None) -> str:
    if priced.cost is None:
        head = f"{priced.tool} has no published price (it may cost more than your ${threshold:.2f} threshold)."
    else:
        head = f"{priced.tool} will cost about ${priced.cost:.2f} (above your ${threshold:.2f} confirmation threshold)."
    offer = f" Instead, {draft.offer()}: decline, and ask for the draft." if draft else ""
    return f"{head} Submit it?{offer}"


def _price(cost: float | None) -> str:
    return "unpriced" if cost is None else f"${cost:.2f}"


def _digest(priced: Priced, question: str) -> str:
    """What the answer is bound to, beyond the call's arguments (which the SDK binds the sealed state to):
    the price and the measured source length the user was shown, and the very question. Not the body
    itself: each round mints its own server-chosen ids (Hedra's) and fresh output URLs, which would make
    every answer look stale and the question come back forever."""
    canonical = json.dumps(
        {
            "tool": priced.tool,
            "provider": priced.provider,
            "cost": priced.cost,
            "source_seconds": priced.source_seconds,
            "question": question,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _answer_in_retry(ctx: Context[Any, Any], question: str, digest: str) -> ElicitResult:
    """The user's answer to this exact question, or NeedsInput to ask it. The request state comes back
    unsealed by the SDK only if this server minted it for these same arguments; its digest then says
    whether it was minted for this request as priced now."""
    answer = (ctx.input_responses or {}).get(CONFIRM_KEY)
    if isinstance(answer, ElicitResult) and _asked_digest(ctx.request_state) == digest:
        return answer
    if answer is not None:
        logger.info("Ignoring a confirmation that answers no question asked for this request")
    schema = render_elicitation_schema(Confirmation)
    request = ElicitRequest(params=ElicitRequestFormParams(message=question, requested_schema=schema))
    state = json.dumps({"confirm": digest})
    raise NeedsInput(InputRequiredResult(input_requests={CONFIRM_KEY: request}, request_state=state))


def _asked_digest(request_state: str | None) -> str | None:
    if not request_state:
        return None
    try:
        state = json.loads(request_state)
    except ValueError:
        return None
    digest = state.get("confirm") if isinstance(state, dict) else None
    return digest if isinstance(digest, str) else None


async def _ask_back(ctx: Context[Any, Any], question: str, cost: float | None) -> ElicitResult:
    try:
        return await ctx.request_context.session.elicit_form(
            message=question,
            requested_schema=render_elicitation_schema(Confirmation),
            related_request_id=ctx.request_id,
        )
    except Exception as exc:  # the question was due and did not get through: not a yes
        logger.info("Could not ask for confirmation: %s", type(exc).__name__)
        raise ToolError(
            f"Not submitted: the {_price(cost)} request needs the user's confirmation, and asking failed "
            f"({type(exc).__name__}). Nothing was sent and nothing was charged; call again to be asked again."
        ) from None


def _confirmed(answer: ElicitResult) -> bool:
    return answer.action == "accept" and (answer.content or {}).get("submit") is True


# --- drafts -----------------------------------------------------------------------------------------

# Per provider: where a body keeps the setting that a draft lowers, the tool argument that sets it, and
# the cheapest value (what a user would try first to see whether the idea works).
_DRAFT_SETTINGS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "luma:video": (("video", "resolution"), "resolution", "360p"),
    "luma:video_edit": (("video", "resolution"), "resolution", "360p"),
    "luma:video_reframe": (("video", "resolution"), "resolution", "540p"),
    "luma:image": (("model",), "model", "uni-1"),
    "luma:image_edit": (("model",), "model", "uni-1"),
    "aimlapi:video": (("resolution",), "resolution", "540p"),
    "hedra:video": (("generated_video_inputs", "resolution"), "resolution", "540p"),
}


async def cheaper_draft(runtime: Runtime, priced: Priced) -> Draft | None:
    """The request at its cheapest setting, when that is valid, priced, and cheaper; else None."""
    gen_type = str(priced.body.get("type") or ("video" if priced.provider != "luma" else "image"))
    setting = _DRAFT_SETTINGS.get(f"{priced.provider}:{gen_type}")
    if setting is None:
        return None
    path, argument, value = setting
    draft = _with(priced.body, path, value)
    if draft is None or check_rules(priced.provider, draft):
        return None
    try:
        cost = await runtime.providers.price(priced.provider, draft, priced.source_seconds)
    except Exception:  # a draft is a courtesy: it never fails the question
        return None
    if cost is None or (priced.cost is not None and cost >= priced.cost):
        return None
    return Draft(argument, value, cost)


def _with(body: Mapping[str, Any], path: tuple[str, ...], value: str) -> dict[str, Any] | None:
    """`body` with the setting at `path` set to `value`; None when it is absent or already that."""
    copy: dict[str, Any] = json.loads(json.dumps(body, default=str))
    node = copy
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            return None
        node = child
    current = node.get(path[-1])
    if current is None and path[-1] != "resolution":
        return None
    if current == value:
        return None
    node[path[-1]] = value
    return copy
