"""The life of a generation, shared by every generation tool: check, price, record, submit, wait, save."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.elicitation import render_elicitation_schema
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field

from ..media.preview import build_preview
from ..outputs import SavedOutput, save_outputs
from ..providers import errors
from ..providers.luma.pricing import estimate_cost
from ..providers.luma.requests import elide_inline_data
from ..providers.luma.rules import check_generation
from ..providers.retry import create_with_retries
from ..runtime import Runtime
from ..waiting import WaitPolicy, expected_seconds, progress_fraction, wait_for
from .base import describe_violations
from .input import NeedsInput
from .results import GenerationResult, Output, next_step_for, output_uri, to_call_result

if TYPE_CHECKING:
    from ..providers.luma.client import Generation

logger = logging.getLogger(__name__)


def runtime_of(ctx: Context[Any, Any]) -> Runtime:
    runtime = ctx.request_context.lifespan_context
    assert isinstance(runtime, Runtime), "the server's lifespan always provides a Runtime"
    return runtime


def wait_budget(runtime: Runtime, wait_seconds: float | None) -> float:
    return runtime.settings.wait_seconds if wait_seconds is None else wait_seconds


def retry_budget(runtime: Runtime, wait_seconds: float | None) -> float:
    """How long refused creates may be retried: within the call's wait, at least a few seconds."""
    return min(max(wait_budget(runtime, wait_seconds), 5.0), 60.0)


def validate(tool: str, body: dict[str, Any], rename: Callable[[str], str]) -> None:
    violations = check_generation(body, strict=True)
    if violations:
        raise ToolError(describe_violations(tool, violations, rename))


async def submit(
    ctx: Context[Any, Any],
    tool: str,
    body: dict[str, Any],
    *,
    wait_seconds: float | None,
    dry_run: bool,
    rename: Callable[[str], str],
    source_seconds: float | None = None,
) -> CallToolResult:
    """Validate `body`, then either describe it (dry run) or buy it and follow it to the end."""
    runtime = runtime_of(ctx)
    validate(tool, body, rename)
    cost = estimate_cost(body, source_seconds)
    if dry_run:
        return _dry_run_result(body, cost)
    api = runtime.require_api()
    _check_caps(runtime, cost)
    # Reserved before the first await, so concurrent calls cannot all fit under the budget; refunded
    # only when nothing was bought (an unknown outcome stays counted).
    runtime.spent_usd += cost or 0.0
    try:
        await _confirm(ctx, runtime, tool, cost)
        generation = await _create(runtime, api, tool, body, cost, wait_seconds)
    except (ToolError, NeedsInput) as stop:  # not on cancellation: a job cut short may have been bought
        if not isinstance(stop, PossiblyBought):
            runtime.spent_usd -= cost or 0.0
        raise
    return await follow(ctx, generation, wait_seconds=wait_seconds, download=True, body=body, cost=cost)


class PossiblyBought(ToolError):
    """A create whose outcome is unknown: its cost stays counted against the budget."""


async def _create(
    runtime: Runtime, api: Any, tool: str, body: dict[str, Any], cost: float | None, wait_seconds: float | None
) -> Generation:
    """Submit, with the history row written before the request leaves.

    Shielded from cancellation: a client that gives up mid-request must not leave a paid job without
    its id in the history. The retry budget bounds how long the shield can hold.
    """
    record_id = await runtime.history.begin_submission(elide_inline_data(body), cost)
    with anyio.CancelScope(shield=True):
        try:
            generation: Generation = await create_with_retries(
                api, body, budget_seconds=retry_budget(runtime, wait_seconds)
            )
        except errors.OutcomeUnknown as exc:
            await runtime.history.mark_unknown(record_id, str(exc))
            raise PossiblyBought(
                f"{exc} It is recorded in the history as '{record_id}' (state unknown). Do not resubmit yet: "
                "wait a minute, then check list_generations and your Luma dashboard before trying again."
            ) from None
        except errors.LumaApiError as exc:
            await runtime.history.forget_submission(record_id)
            raise ToolError(_refusal_message(tool, exc)) from None
        await runtime.history.confirm_submission(record_id, generation.id, generation.state, generation.created_at)
    return generation


def _check_caps(runtime: Runtime, cost: float | None) -> None:
    settings = runtime.settings
    price = "an unpublished price" if cost is None else f"an estimated ${cost:.2f}"
    if settings.max_cost_usd is not None and (cost is None or cost > settings.max_cost_usd):
        raise ToolError(
            f"Not submitted: this request costs {price}, above LUMA_MCP_MAX_COST_USD=${settings.max_cost_usd:.2f}. "
            "Lower the resolution or duration, or raise the cap."
        )
    if settings.budget_usd is not None and runtime.spent_usd + (cost or 0.0) > settings.budget_usd:
        raise ToolError(
            f"Not submitted: {price} would bring this session's spend to ${runtime.spent_usd + (cost or 0):.2f}, "
            f"past LUMA_MCP_BUDGET_USD=${settings.budget_usd:.2f}."
        )


class Confirmation(BaseModel):
    submit: bool = Field(description="Submit this paid generation?")


CONFIRM_KEY = "confirm_cost"


async def _confirm(ctx: Context[Any, Any], runtime: Runtime, tool: str, cost: float | None) -> None:
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


def _refusal_message(tool: str, exc: errors.LumaApiError) -> str:
    tail = "Nothing was charged."
    if isinstance(exc, errors.RateLimited):
        wait = f" in {exc.retry_after:.0f} s" if exc.retry_after else " shortly"
        return f"{tool}: {exc} Try again{wait}. {tail}"
    if isinstance(exc, errors.InvalidRequest):
        return f"{tool}: the API rejected the request: {exc.detail}. Fix that argument and call again. {tail}"
    return f"{tool}: {exc} {tail}"


def _dry_run_result(body: dict[str, Any], cost: float | None) -> CallToolResult:
    result = GenerationResult(
        id=None,
        type=body["type"],
        model=body["model"],
        state=None,
        prompt=body.get("prompt", ""),
        estimated_cost_usd=cost,
        next_step="",
        dry_run=True,
        request=elide_inline_data(body),
    )
    result.next_step = next_step_for(result)
    return to_call_result(result)


async def follow(
    ctx: Context[Any, Any],
    generation: Generation,
    *,
    wait_seconds: float | None,
    download: bool,
    body: dict[str, Any] | None = None,
    cost: float | None = None,
) -> CallToolResult:
    """Wait (within budget) for `generation`, record what we learn, save outputs when done."""
    runtime = runtime_of(ctx)
    record = await runtime.history.get(generation.id)
    if record is None:  # made elsewhere with the same key: remember it from now on
        await runtime.history.import_generation(generation.id, generation.type, generation.model, generation.created_at)
    body = body or (record.request if record else {}) or {"type": generation.type}
    policy = _policy(runtime, body, wait_budget(runtime, wait_seconds))
    start = _clock()

    async def report(elapsed: float, state: str) -> None:
        message = f"{state} · {elapsed:.0f} s elapsed (typically ~{policy.expected_seconds:.0f} s)"
        await ctx.report_progress(round(100 * progress_fraction(elapsed, policy.expected_seconds), 1), 100, message)

    generation = await wait_for(runtime.require_api(), generation, policy, report)
    if record is None or (record.state, record.failure_code) != (generation.state, generation.failure_code):
        await runtime.history.update_state(
            generation.id, generation.state, generation.failure_code, generation.failure_reason
        )
    saved = await save_outputs(
        runtime, generation, record.paths if record else {}, body.get("prompt") or "", download=download
    )
    outputs = [
        Output(
            type=item.type,
            url=item.url,
            path=item.path,
            resource_uri=output_uri(generation.id, item.index) if item.path else None,
        )
        for item in saved
    ]
    if generation.state == "completed":
        await ctx.report_progress(100, 100, f"completed · {_clock() - start:.0f} s")
    result = GenerationResult(
        id=generation.id,
        type=generation.type,
        model=generation.model,
        state=generation.state,
        created_at=generation.created_at,
        prompt=(record.prompt if record else "") or body.get("prompt", ""),
        outputs=outputs,
        failure_code=generation.failure_code,
        failure_reason=generation.failure_reason,
        estimated_cost_usd=cost if cost is not None else (record.estimated_cost_usd if record else None),
        next_step="",
    )
    result.next_step = next_step_for(result, _clock() - start)
    return to_call_result(result, await _preview(saved))


async def _preview(saved: list[SavedOutput]) -> bytes | None:
    """A look at the first saved video or image; None when there is none (a preview never fails a call)."""
    for item in saved:
        if item.path is not None and item.type in ("video", "image"):
            return await build_preview(Path(item.path), "video" if item.type == "video" else "image")
    return None


def _clock() -> float:
    return anyio.current_time()


def _policy(runtime: Runtime, body: dict[str, Any], budget: float) -> WaitPolicy:
    settings = runtime.settings
    expected = settings.sandbox_job_seconds + 1 if settings.sandbox else expected_seconds(body)
    return WaitPolicy(
        budget_seconds=budget,
        expected_seconds=expected,
        min_poll_interval=settings.min_poll_interval,
        progress_interval=settings.progress_interval,
    )
