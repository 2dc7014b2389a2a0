"""Generation lookups: get_generation (poll, wait, save) and list_generations (the local history)."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from mcp.server.apps import client_supports_apps
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from ..history import SUBMITTING, UNKNOWN, Record
from ..outputs import settle_unknown
from ..providers import errors
from ..providers.base import ProviderName
from ..providers.luma.rules import GenerationType
from ..runtime import Runtime
from ..ui import PROGRESS_META
from ..waiting import job_age
from .base import LumaTool, ToolArgs, make_tool
from .common import GenerationId, WaitSeconds
from .jobs import follow, runtime_of
from .results import GenerationResult

HistoryState = Literal["queued", "processing", "completed", "failed", "submitting", "unknown"]


class GetGenerationArgs(ToolArgs):
    generation_id: GenerationId
    wait_seconds: WaitSeconds = 0
    download: bool = Field(True, description="Save finished outputs to the output folder (once).")
    preview: bool = Field(False, description="Attach the preview image again for a job already seen finished.")


class ListGenerationsArgs(ToolArgs):
    limit: Annotated[int, Field(ge=1, le=100, description="How many, newest first.")] = 20
    type: GenerationType | None = Field(None, description="Only this generation type.")
    state: HistoryState | None = Field(None, description="Only this state.")
    provider: ProviderName | None = Field(None, description="Only this provider's.")


class HistoryEntry(BaseModel):
    id: str
    provider: str
    type: str
    model: str
    state: str = Field(description="Last known state; 'unknown' = the create's outcome is uncertain.")
    prompt: str
    created_at: str
    estimated_cost_usd: float | None
    failure_code: str | None
    paths: list[str]


class GenerationList(BaseModel):
    generations: list[HistoryEntry]
    next_step: str


async def get_generation(args: GetGenerationArgs, ctx: Context[Any, Any]) -> CallToolResult:
    runtime = runtime_of(ctx)
    try:
        generation = await runtime.lookup(args.generation_id)
    except errors.NotFound:
        raise ToolError(_not_found(runtime, args.generation_id)) from None
    except errors.ProviderError as exc:
        raise ToolError(f"get_generation: {exc} Try again in a few seconds; nothing is lost.") from None
    result = await follow(ctx, generation, wait_seconds=args.wait_seconds, download=args.download, preview=args.preview)
    shown = result.structured_content or {}
    if shown.get("state") in ("queued", "processing") and client_supports_apps(ctx):
        # For the player's progress bar: elapsed time against the typical run, beside what the model reads.
        result.meta = {**(result.meta or {}), PROGRESS_META: await _timing(runtime, shown)}
    return result


def _not_found(runtime: Runtime, generation_id: str) -> str:
    if runtime.settings.hosted:  # the same words whether the id is another user's or nobody's
        return f"generation_id: no generation '{generation_id}' of yours. list_generations shows your ids."
    return (
        f"generation_id: no generation '{generation_id}' for this API key (another key's ids look "
        "missing too). list_generations shows the ids this server submitted."
    )


async def _timing(runtime: Runtime, shown: dict[str, Any]) -> dict[str, float]:
    record = await runtime.history.get(shown["id"])
    body = record.request if record and record.request else {"type": shown.get("type")}
    if runtime.settings.sandbox:  # as the wait loop reckons it: the emulators' fixed schedule
        expected = runtime.settings.sandbox_job_seconds + 1
    else:
        expected = runtime.provider_for_id(shown["id"]).expected_seconds(body)
    elapsed = job_age(shown.get("created_at"), time.time())
    return {"elapsed_seconds": round(elapsed, 1), "expected_seconds": round(expected, 1)}


async def list_generations(args: ListGenerationsArgs, ctx: Context[Any, Any]) -> CallToolResult:
    runtime = runtime_of(ctx)
    query = (args.limit, args.type, args.state, args.provider)
    # Creates of unknown outcome that the provider can now account for are listed under their real ids.
    await settle_unknown(runtime, await runtime.history.list(*query))
    records = await runtime.history.list(*query)
    entries = [_entry(record) for record in records]
    unsettled = [e.id for e in entries if e.state in (UNKNOWN, SUBMITTING)]
    next_step = (
        "Use get_generation with an id to refresh its state or save its files."
        if not unsettled
        else f"{len(unsettled)} submission(s) have an uncertain outcome; check the provider's dashboard before"
        " resubmitting."
    )
    result = GenerationList(generations=entries, next_step=next_step)
    lines = [f"{len(entries)} generation(s), newest first:"] + [
        f"- {e.id} · {e.provider} · {e.type} · {e.state} · {e.created_at} · {e.prompt[:60]!r}"
        + (f" · {e.paths[0]}" if e.paths else "")
        for e in entries
    ]
    return CallToolResult(
        content=[TextContent(type="text", text="\n".join(lines))], structured_content=result.model_dump(mode="json")
    )


def _entry(record: Record) -> HistoryEntry:
    return HistoryEntry(
        id=record.id,
        provider=record.provider,
        type=record.type,
        model=record.model,
        state=record.state,
        prompt=record.prompt,
        created_at=record.created_at,
        estimated_cost_usd=record.estimated_cost_usd,
        failure_code=record.failure_code,
        paths=[record.paths[i] for i in sorted(record.paths)],
    )


# get_generation saves finished outputs to disk (not read-only), and asking twice leaves the same files
# (idempotent); nothing it writes replaces what was there.
GET_ANNOTATIONS = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)


def generation_tools() -> list[LumaTool]:
    return [
        make_tool(
            get_generation,
            name="get_generation",
            title="Check a generation",
            description=(
                "Fetch a generation's state by id; optionally wait up to wait_seconds for it to finish "
                "(with progress). When completed, saves its files (once) and returns their paths. Free."
            ),
            args_model=GetGenerationArgs,
            output_model=GenerationResult,
            annotations=GET_ANNOTATIONS,
        ),
        make_tool(
            list_generations,
            name="list_generations",
            title="List past generations",
            description="Generations this server submitted, newest first, from the local history. Free.",
            args_model=ListGenerationsArgs,
            output_model=GenerationList,
            annotations=ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
        ),
    ]
