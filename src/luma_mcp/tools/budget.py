"""The money checks before a create: the per-request cap, the server's day budget and each user's own.

The day budgets are kept in the store (`Store.reserve`), which judges both in one transaction: the
server-wide `LUMA_MCP_BUDGET_USD` over every user's spend, and `LUMA_MCP_USER_BUDGET_USD` over the
caller's. A refusal tells a user their own figures only: in hosted mode the others' spend is theirs.
"""

from __future__ import annotations

from mcp.server.mcpserver.exceptions import ToolError

from ..runtime import Runtime
from ..settings import Settings
from ..store import over_budget

BUDGET = "LUMA_MCP_BUDGET_USD"
USER_BUDGET = "LUMA_MCP_USER_BUDGET_USD"


def check_caps(settings: Settings, cost: float | None) -> None:
    """The per-request cap; and, under any cap or budget, an unknown price is refused, never taken as $0."""
    limits = {"LUMA_MCP_MAX_COST_USD": settings.max_cost_usd, BUDGET: settings.budget_usd}
    limits[USER_BUDGET] = settings.user_budget_usd
    named = [name for name, value in limits.items() if value is not None]
    if cost is None and named:
        held_to = " and ".join(f"{name}=${limits[name]:.2f}" for name in named)
        raise ToolError(
            "Not submitted: this request has an unpublished price (none is published for these settings, or the "
            f"provider's price list cannot be read now), so it cannot be held to {held_to}: an unknown price is "
            "not counted as free. Choose settings with a published price (dry_run shows estimated_cost_usd), or "
            f"remove {' and '.join(named)} to allow unpriced requests. Nothing was sent."
        )
    if settings.max_cost_usd is not None and cost is not None and cost > settings.max_cost_usd:
        raise ToolError(
            f"Not submitted: this request costs an estimated ${cost:.2f}, above "
            f"LUMA_MCP_MAX_COST_USD=${settings.max_cost_usd:.2f}. Lower the resolution or duration, or raise the cap. "
            "Nothing was sent."
        )


async def check_budgets(runtime: Runtime, cost: float | None) -> None:
    """A dry run's judgement of the day budgets, as `reserve` would judge them, without booking anything."""
    settings = runtime.settings
    if cost is None or (settings.budget_usd is None and settings.user_budget_usd is None):
        return
    mine = await runtime.history.spent_today(runtime.history.owner)
    if over_budget(mine, cost, settings.user_budget_usd):
        raise _past_user_budget(settings, cost, mine)
    spent = await runtime.history.spent_today()
    if over_budget(spent, cost, settings.budget_usd):
        raise _past_budget(settings, cost, spent)


async def reserve(runtime: Runtime, cost: float | None) -> str | None:
    """Book `cost` in the caller's day spend, or refuse past a budget; None when there is no price to book."""
    if cost is None:
        return None
    settings = runtime.settings
    booked = await runtime.history.reserve(cost, settings.budget_usd, user_budget_usd=settings.user_budget_usd)
    if booked.id is not None:
        return booked.id
    if over_budget(booked.user_spent_before, cost, settings.user_budget_usd):
        raise _past_user_budget(settings, cost, booked.user_spent_before)
    raise _past_budget(settings, cost, booked.spent_before)


def _past_budget(settings: Settings, cost: float, spent_today: float) -> ToolError:
    budget = settings.budget_usd
    assert budget is not None, "only a budget refuses a booking"
    if settings.hosted:  # every user's spend is in this figure: none of it is this user's to know
        return ToolError(
            f"Not submitted: an estimated ${cost:.2f} does not fit in what is left today of {BUDGET}=${budget:.2f}, "
            "the budget per UTC day that every user of this server shares. It starts again at 00:00 UTC; to go on "
            "today, ask the server's operator to raise it. Nothing was sent."
        )
    return ToolError(
        f"Not submitted: an estimated ${cost:.2f} would bring today's spend to ${spent_today + cost:.2f}, past "
        f"{BUDGET}=${budget:.2f} (a budget per UTC day for every server using this data dir; "
        f"${spent_today:.2f} spent today). It starts again at 00:00 UTC; to go on today, raise "
        f"{BUDGET}. Nothing was sent."
    )


def _past_user_budget(settings: Settings, cost: float, mine: float) -> ToolError:
    budget = settings.user_budget_usd
    assert budget is not None, "only a budget refuses a booking"
    raise_it = "ask the server's operator to raise" if settings.hosted else "raise"
    return ToolError(
        f"Not submitted: an estimated ${cost:.2f} would bring your spend today to ${mine + cost:.2f}, past "
        f"{USER_BUDGET}=${budget:.2f} (each user's budget per UTC day; you have spent ${mine:.2f} today). It "
        f"starts again at 00:00 UTC; to go on today, {raise_it} {USER_BUDGET}. Nothing was sent."
    )
