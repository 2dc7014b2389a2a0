"""The life of a generation, shared by every generation tool: check, price, record, submit, wait, save."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult

from ..history import Record, Submission
from ..media.preview import build_preview
from ..outputs import SavedOutput, save_outputs
from ..providers import errors
from ..providers.base import Generation, Provider, ProviderName, elide_inline_data
from ..providers.registry import check_rules
from ..providers.retry import create_with_retries
from ..runtime import Runtime
from ..waiting import WaitPolicy, progress_fraction, wait_for
from .base import describe_violations
from .confirm import confirm
from .input import NeedsInput
from .results import GenerationResult, Output, next_step_for, output_uri, to_call_result

logger = logging.getLogger(__name__)

DASHBOARDS: dict[str, str] = {
    "luma": "Luma dashboard",
    "aimlapi": "AI/ML API usage logs (aimlapi.com, Usage)",
    "hedra": "Hedra library",
}


def runtime_of(ctx: Context[Any, Any]) -> Runtime:
    runtime = ctx.request_context.lifespan_context
    assert isinstance(runtime, Runtime), "the server's lifespan always provides a Runtime"
    return runtime


def wait_budget(runtime: Runtime, wait_seconds: float | None) -> float:
    return runtime.settings.wait_seconds if wait_seconds is None else wait_seconds


def retry_budget(runtime: Runtime, wait_seconds: float | None) -> float:
    """How long refused creates may be retried: within the call's wait, at least a few seconds."""
    return min(max(wait_budget(runtime, wait_seconds), 5.0), 60.0)


def validate(tool: str, body: dict[str, Any], rename: Callable[[str], str], provider: ProviderName = "luma") -> None:
    violations = check_rules(provider, body)
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
    provider: ProviderName = "luma",
    prepare: Callable[[], Awaitable[dict[str, Any]]] | None = None,
    credits: int | None = None,
) -> CallToolResult:
    """Validate `body` against `provider`'s rules, then either describe it (dry run) or buy it and follow it.

    `prepare`, when given, makes the body that is sent (e.g. uploads its media) and runs only once the
    caps, the budget and the user's confirmation have passed: a refused call leaves nothing behind."""
    runtime = runtime_of(ctx)
    validate(tool, body, rename, provider)
    cost = await runtime.providers.price(provider, body, source_seconds)
    if dry_run:
        return _dry_run_result(runtime, provider, body, cost, credits)
    runtime.provider(provider)  # no key: say how to set one, before anything is reserved or asked
    _check_caps(runtime, cost)
    # Reserved before the first await, so concurrent calls cannot all fit under the budget; refunded
    # only when nothing was bought (an unknown outcome stays counted).
    runtime.spent_usd += cost or 0.0
    try:
        await confirm(ctx, runtime, tool, cost)
        if prepare is not None:
            body = await prepare()
            validate(tool, body, rename, provider)
        generation = await _create(runtime, provider, tool, body, cost, wait_seconds)
    except (ToolError, NeedsInput) as stop:  # not on cancellation: a job cut short may have been bought
        if not isinstance(stop, PossiblyBought):
            runtime.spent_usd -= cost or 0.0
        raise
    return await follow(
        ctx, generation, wait_seconds=wait_seconds, download=True, body=body, cost=cost, credits=credits
    )


class PossiblyBought(ToolError):
    """A create whose outcome is unknown: its cost stays counted against the budget."""


async def _create(
    runtime: Runtime,
    name: ProviderName,
    tool: str,
    body: dict[str, Any],
    cost: float | None,
    wait_seconds: float | None,
) -> Generation:
    """Submit, with the history row (and the create's trace id) written before the request leaves.

    Shielded from cancellation: a client that gives up mid-request must not leave a paid job without
    its id in the history. The retry budget bounds how long the shield can hold.
    """
    provider = runtime.provider(name)
    gen_type, model, prompt = runtime.providers.describe(name, body)
    request_id = provider.trace_id(body)
    submission = Submission(name, gen_type, model, elide_inline_data(body), cost, request_id, prompt)
    record_id = await runtime.history.begin_submission(submission)
    with anyio.CancelScope(shield=True):
        try:
            generation = await create_with_retries(
                provider, body, request_id=request_id, budget_seconds=retry_budget(runtime, wait_seconds)
            )
        except errors.OutcomeUnknown as exc:
            await runtime.history.mark_unknown(record_id, str(exc))
            raise PossiblyBought(
                f"{exc} It is recorded in the history as '{record_id}' (state unknown; request id {request_id}). "
                f"Do not resubmit yet: wait a minute, then check list_generations and your {DASHBOARDS[name]} "
                "before trying again."
            ) from None
        except errors.ProviderError as exc:
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


def _refusal_message(tool: str, exc: errors.ProviderError) -> str:
    tail = "Nothing was charged."
    if isinstance(exc, errors.RateLimited):
        wait = f" in {exc.retry_after:.0f} s" if exc.retry_after else " shortly"
        return f"{tool}: {exc} Try again{wait}. {tail}"
    if isinstance(exc, errors.InvalidRequest):
        return f"{tool}: the API rejected the request: {exc.detail}. Fix that argument and call again. {tail}"
    return f"{tool}: {exc} {tail}"


def _dry_run_result(
    runtime: Runtime, provider: ProviderName, body: dict[str, Any], cost: float | None, credits: int | None
) -> CallToolResult:
    gen_type, model, prompt = runtime.providers.describe(provider, body)
    result = GenerationResult(
        id=None,
        provider=provider,
        type=gen_type,
        model=model,
        state=None,
        prompt=prompt,
        estimated_cost_usd=cost,
        next_step="",
        sandbox=runtime.settings.sandbox,
        estimated_credits=credits,
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
    credits: int | None = None,
) -> CallToolResult:
    """Wait (within budget) for `generation`, record what we learn, save outputs when done."""
    runtime = runtime_of(ctx)
    record = await runtime.history.get(generation.id)
    if record is None:  # made elsewhere with the same key: remember it from now on
        await runtime.history.import_generation(
            generation.id, generation.provider, generation.type, generation.model, generation.created_at
        )
    generation = _with_known_time(generation, record)
    body = body or (record.request if record else {}) or {"type": generation.type}
    provider = runtime.provider(generation.provider)
    policy = _policy(runtime, provider, body, wait_budget(runtime, wait_seconds))
    start = _clock()

    async def report(elapsed: float, latest: Generation) -> None:
        await ctx.report_progress(*progress_report(elapsed, latest, policy.expected_seconds))

    generation = _with_known_time(await wait_for(provider, generation, policy, report), record)
    if record is None or (record.state, record.failure_code) != (generation.state, generation.failure_code):
        await runtime.history.update_state(
            generation.id, generation.state, generation.failure_code, generation.failure_reason
        )
    prompt = (record.prompt if record else "") or runtime.providers.describe(generation.provider, body)[2]
    saved = await save_outputs(runtime, generation, record.paths if record else {}, prompt, download=download)
    outputs = [
        Output(
            type=item.type,
            url=item.url,
            path=item.path,
            resource_uri=output_uri(generation.id, item.index) if item.path else None,
            width=item.width,
            height=item.height,
            duration_seconds=item.seconds,
        )
        for item in saved
    ]
    if generation.state == "completed":
        await ctx.report_progress(100, 100, f"completed · {_clock() - start:.0f} s")
    result = GenerationResult(
        id=generation.id,
        provider=generation.provider,
        type=generation.type,
        model=record.model if record and record.model else generation.model,
        state=generation.state,
        created_at=generation.created_at,
        prompt=prompt,
        outputs=outputs,
        failure_code=generation.failure_code,
        failure_reason=generation.failure_reason,
        estimated_cost_usd=cost if cost is not None else (record.estimated_cost_usd if record else None),
        next_step="",
        sandbox=runtime.settings.sandbox,
        estimated_credits=credits,
    )
    result.next_step = next_step_for(result, _clock() - start)
    return to_call_result(result, await _preview(saved))


def progress_report(elapsed: float, latest: Generation, expected: float) -> tuple[float, float, str]:
    """(progress, total, message): the provider's own progress and ETA where it reports them (Hedra),
    else an honest estimate from the elapsed time against the typical run."""
    if latest.progress is None:
        fraction = progress_fraction(elapsed, expected)
        return round(100 * fraction, 1), 100, f"{latest.state} · {elapsed:.0f} s elapsed (typically ~{expected:.0f} s)"
    eta = f", about {latest.eta_seconds:.0f} s left" if latest.eta_seconds is not None else ""
    percent = round(100 * min(max(latest.progress, 0.0), 0.999), 1)
    return percent, 100, f"{latest.state} · {percent:.0f}% · {elapsed:.0f} s elapsed{eta}"


def _with_known_time(generation: Generation, record: Record | None) -> Generation:
    """Where the API keeps no creation time (AI/ML), ours: it paces polling and dates the file names."""
    if generation.created_at is None and record is not None:
        return dataclasses.replace(generation, created_at=record.created_at)
    return generation


async def _preview(saved: list[SavedOutput]) -> bytes | None:
    """A look at the first saved video or image; None when there is none (a preview never fails a call)."""
    for item in saved:
        if item.path is not None and item.type in ("video", "image"):
            return await build_preview(Path(item.path), "video" if item.type == "video" else "image")
    return None


def _clock() -> float:
    return anyio.current_time()


def _policy(runtime: Runtime, provider: Provider, body: dict[str, Any], budget: float) -> WaitPolicy:
    settings = runtime.settings
    expected = settings.sandbox_job_seconds + 1 if settings.sandbox else provider.expected_seconds(body)
    return WaitPolicy(
        budget_seconds=budget,
        expected_seconds=expected,
        min_poll_interval=settings.min_poll_interval,
        progress_interval=settings.progress_interval,
    )
