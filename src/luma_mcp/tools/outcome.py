"""A followed job, told: its progress while it runs, and its result (outputs, price, next step, preview)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ..history import Record
from ..media.preview import Preview, preview_of
from ..outputs import SavedOutput
from ..providers.base import Generation
from ..waiting import progress_fraction
from .results import GenerationResult, Output, output_uri, url_expires_at
from .steps import set_next_step


@dataclass(frozen=True)
class Known:
    """What the server knows of a job beyond the provider's answer: its history row, the prompt, the price."""

    record: Record | None
    prompt: str
    cost: float | None
    credits: int | None
    sandbox: bool


def progress_report(age: float, latest: Generation, expected: float) -> tuple[float, float, str]:
    """(progress, total, message) for a job `age` seconds old: the provider's own progress and ETA where it
    reports them (Hedra), else an honest estimate from the job's age against the typical run."""
    if latest.progress is None:
        fraction = progress_fraction(age, expected)
        return round(100 * fraction, 1), 100, f"{latest.state} · {age:.0f} s elapsed (typically ~{expected:.0f} s)"
    eta = f", about {latest.eta_seconds:.0f} s left" if latest.eta_seconds is not None else ""
    percent = round(100 * min(max(latest.progress, 0.0), 0.999), 1)
    return percent, 100, f"{latest.state} · {percent:.0f}% · {age:.0f} s elapsed{eta}"


def generation_result(generation: Generation, saved: list[SavedOutput], known: Known, age: float) -> GenerationResult:
    """The result of `generation` as it stands, `age` seconds after its creation."""
    record, failed = known.record, generation.state == "failed"
    fetched = time.time()
    result = GenerationResult(
        id=generation.id,
        provider=generation.provider,
        type=generation.type,
        model=record.model if record and record.model else generation.model,
        state=generation.state,
        created_at=generation.created_at,
        prompt=known.prompt,
        outputs=[_output(generation.id, generation.provider, item, fetched) for item in saved],
        failure_code=generation.failure_code,
        failure_reason=generation.failure_reason,
        # A failed job's estimate is not what it cost (see `results.failed_billing`): not shown as a price.
        estimated_cost_usd=None if failed else _cost(known),
        estimated_credits=None if failed else known.credits,
        next_step="",
        next_call=None,
        sandbox=known.sandbox,
        saved=all(item.path for item in saved) if generation.state == "completed" else None,
        save_error=next((item.error for item in saved if item.error), None),
    )
    set_next_step(result, age)
    return result


def _cost(known: Known) -> float | None:
    if known.cost is not None:
        return known.cost
    return known.record.estimated_cost_usd if known.record else None


def _output(generation_id: str, provider: str, item: SavedOutput, fetched: float) -> Output:
    return Output(
        type=item.type,
        url=item.url,
        url_expires_at=url_expires_at(item.url, provider, fetched),
        path=item.path,
        resource_uri=output_uri(generation_id, item.index) if item.path else None,
        width=item.width,
        height=item.height,
        duration_seconds=item.seconds,
    )


async def preview_of_saved(saved: list[SavedOutput]) -> Preview | None:
    """A look at the first saved video or image; None when there is none (a preview never fails a call)."""
    for item in saved:
        if item.path is not None and item.type in ("video", "image"):
            return await preview_of(Path(item.path), "video" if item.type == "video" else "image")
    return None
