"""The life of a generation, shared by every generation tool: check, price, record, submit, wait, save."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult

from ..history import Record, Submission
from ..outputs import save_outputs
from ..providers import errors
from ..providers.base import Generation, Provider, ProviderName, elide_inline_data
from ..providers.registry import check_rules
from ..providers.retry import create_with_retries
from ..runtime import Runtime
from ..waiting import WaitPolicy, job_age, wait_for
from .budget import check_budgets, check_caps, reserve
from .confirm import Priced, confirm, refuse_if_unaskable
from .input import NeedsInput
from .messages import describe_violations, in_argument_names
from .outcome import Known, generation_result, preview_of_saved, progress_report
from .results import GenerationResult, to_call_result
from .steps import set_next_step

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

    The money checks come first, in the same order for a dry run as for the real call, which they refuse
    alike: the per-request cap, the day's budget, the user's confirmation. `prepare`, when given, makes
    the body that is sent (e.g. uploads its media) and runs only once they have passed: a refused or
    declined call has sent nothing, and a call re-run to carry the user's answer uploads once."""
    runtime = runtime_of(ctx)
    try:
        return await _submit(ctx, runtime, tool, body, wait_seconds, dry_run, rename, source_seconds, provider,
                             prepare, credits)  # fmt: skip
    except ToolError as refused:  # the server's own account of why nothing (or maybe something) was bought
        logger.info("%s refused: %s", tool, str(refused)[:300])
        raise


async def _submit(
    ctx: Context[Any, Any],
    runtime: Runtime,
    tool: str,
    body: dict[str, Any],
    wait_seconds: float | None,
    dry_run: bool,
    rename: Callable[[str], str],
    source_seconds: float | None,
    provider: ProviderName,
    prepare: Callable[[], Awaitable[dict[str, Any]]] | None,
    credits: int | None,
) -> CallToolResult:
    validate(tool, body, rename, provider)
    cost = await runtime.providers.price(provider, body, source_seconds)
    priced = Priced(tool, provider, body, cost, source_seconds)
    if not dry_run:
        runtime.provider(provider)  # no key: say how to set one, before anything is reserved or asked
    check_caps(runtime.settings, cost)
    if dry_run:
        await check_budgets(runtime, cost)
        refuse_if_unaskable(ctx, runtime.settings, priced)
        return _dry_run_result(runtime, provider, body, cost, credits)
    # Booked before the user is asked, so concurrent calls (and other processes on the data dir) cannot
    # all fit under the budget; taken back only when nothing can have been bought.
    reservation = await reserve(runtime, cost)
    sending = Sending()
    try:
        await confirm(ctx, runtime, priced)
        if prepare is not None:
            body = await prepare()
            validate(tool, body, rename, provider)
        generation = await _create(runtime, provider, tool, body, cost, wait_seconds, sending, rename)
    except BaseException as stop:
        if reservation is not None and _nothing_bought(stop, sending.started):
            with anyio.CancelScope(shield=True):
                await runtime.history.release(reservation)
        raise
    return await follow(
        ctx, generation, wait_seconds=wait_seconds, download=True, body=body, cost=cost, credits=credits
    )


class PossiblyBought(ToolError):
    """A create whose outcome is unknown: its cost stays counted against the budget."""


@dataclasses.dataclass
class Sending:
    """Whether the create request has started to leave: before that, no failure can have bought anything."""

    started: bool = False


def _nothing_bought(stop: BaseException, sending: bool) -> bool:
    """Whether a call that stopped with `stop` certainly bought nothing. An unknown outcome, or a
    cancellation once the create may have left, stays counted."""
    if isinstance(stop, PossiblyBought):
        return False
    return not sending or isinstance(stop, ToolError | NeedsInput)


async def _create(
    runtime: Runtime,
    name: ProviderName,
    tool: str,
    body: dict[str, Any],
    cost: float | None,
    wait_seconds: float | None,
    sending: Sending | None,
    rename: Callable[[str], str],
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
        if sending is not None:
            sending.started = True
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
            raise ToolError(_refusal_message(tool, exc, rename)) from None
        except Exception as exc:  # a bug or an SDK surprise: the request may have left, so it may be bought
            logger.exception("Unexpected failure while creating %s", record_id)
            await runtime.history.mark_unknown(record_id, f"unexpected {type(exc).__name__} while sending")
            raise PossiblyBought(
                f"{tool}: an unexpected error ({type(exc).__name__}) broke off the request after it may have left. "
                f"It is recorded in the history as '{record_id}' (state unknown; request id {request_id}). Do not "
                f"resubmit yet: wait a minute, then check list_generations and your {DASHBOARDS[name]}."
            ) from None
        await runtime.history.confirm_submission(record_id, generation.id, generation.state, generation.created_at)
        price = "unpriced" if cost is None else f"est. ${cost:.2f}"
        logger.info("%s submitted to %s (%s, %s): %s", tool, name, model, price, generation.id)
    return generation


def _refusal_message(tool: str, exc: errors.ProviderError, rename: Callable[[str], str]) -> str:
    tail = "Nothing was charged."
    if isinstance(exc, errors.RateLimited):
        wait = f" in {exc.retry_after:.0f} s" if exc.retry_after else " shortly"
        return f"{tool}: {exc} Try again{wait}. {tail}"
    if isinstance(exc, errors.InvalidRequest):
        detail = in_argument_names(exc.detail or str(exc), rename)  # the API's words are wire paths too
        return f"{tool}: the API rejected the request: {detail}. Fix that argument and call again. {tail}"
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
        next_call=None,
        sandbox=runtime.settings.sandbox,
        estimated_credits=credits,
        dry_run=True,
        request=elide_inline_data(body),
    )
    set_next_step(result)
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
    preview: bool = False,
) -> CallToolResult:
    """Wait (within budget) for `generation`, record what we learn, save outputs when done. The preview
    image goes with a result the first time it is seen completed, or when `preview` asks for it again:
    a job polled to death must not fill the context with the same picture."""
    runtime = runtime_of(ctx)
    record = await runtime.history.get(generation.id)
    seen_done = record is not None and record.state == "completed" and bool(record.paths)
    if record is None:  # made elsewhere with the same key: remember it from now on
        await runtime.history.import_generation(
            generation.id, generation.provider, generation.type, generation.model, generation.created_at
        )
    generation = _with_known_time(generation, record)
    body = body or (record.request if record else {}) or {"type": generation.type}
    provider = runtime.provider(generation.provider)
    policy = _policy(runtime, provider, body, wait_budget(runtime, wait_seconds))
    # Progress and advice count from the job's creation: a wait resumed later is not "0 s" into the job.
    start, born_age = _clock(), job_age(generation.created_at, time.time())

    async def report(elapsed: float, latest: Generation) -> None:
        await ctx.report_progress(*progress_report(born_age + elapsed, latest, policy.expected_seconds))

    generation = _with_known_time(await wait_for(provider, generation, policy, report), record)
    if record is None or (record.state, record.failure_code) != (generation.state, generation.failure_code):
        await runtime.history.update_state(
            generation.id, generation.state, generation.failure_code, generation.failure_reason
        )
        failure = f" ({generation.failure_code}: {generation.failure_reason})" if generation.failure_code else ""
        logger.info("%s is %s%s", generation.id, generation.state, failure)
    prompt = (record.prompt if record else "") or runtime.providers.describe(generation.provider, body)[2]
    saved = await save_outputs(runtime, generation, record.paths if record else {}, prompt, download=download)
    age = born_age + _clock() - start
    if generation.state == "completed":
        await ctx.report_progress(100, 100, f"completed · {age:.0f} s")
    known = Known(record, prompt, cost, credits, runtime.settings.sandbox)
    result = generation_result(generation, saved, known, age)
    return to_call_result(result, await preview_of_saved(saved) if preview or not seen_done else None)


def _with_known_time(generation: Generation, record: Record | None) -> Generation:
    """Where the API keeps no creation time (AI/ML), ours: it paces polling and dates the file names."""
    if generation.created_at is None and record is not None:
        return dataclasses.replace(generation, created_at=record.created_at)
    return generation


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
