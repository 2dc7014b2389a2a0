"""Argument completion (`completion/complete`) for the resource templates and the workflow prompts.

A generation id completes from the history, newest first, kept to what fits where it goes (a completed
video where a video is wanted; a generation with saved files for an output); an output's index from
the files saved for that generation; a prompt's enumerated argument from its schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from mcp.server import MCPServer
from mcp_types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference

from .history import Record
from .prompts import Workflow
from .runtime import Runtime

GENERATION_TEMPLATE = "luma://generations/{generation_id}"
OUTPUT_TEMPLATE = "luma://generations/{generation_id}/outputs/{index}"
MAX_VALUES = 100  # the protocol's cap on one answer
HISTORY_SCAN = 500  # the newest records looked through: what anyone would scroll through in a picker


def add_completions(server: MCPServer[Any], workflows: list[Workflow], runtime: Callable[[], Runtime | None]) -> None:
    """`runtime` gives the running server's runtime (None before start-up and after shut-down)."""
    by_name = {workflow.name: workflow for workflow in workflows}

    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        current = runtime()
        given = (context.arguments if context else None) or {}
        if isinstance(ref, ResourceTemplateReference):
            return await _template(current, ref.uri, argument, given)
        workflow = by_name.get(ref.name)
        return None if workflow is None else await _prompt(current, workflow, argument)

    # MCPServer.completion() carries no type annotations; the handler it registers is typed above.
    server.completion()(complete)  # type: ignore[no-untyped-call]


async def _template(
    runtime: Runtime | None, uri: str, argument: CompletionArgument, given: dict[str, str]
) -> Completion | None:
    if argument.name == "generation_id" and uri in (GENERATION_TEMPLATE, OUTPUT_TEMPLATE):
        records = await _history(runtime)
        if uri == OUTPUT_TEMPLATE:
            records = [record for record in records if record.paths]
        return _answer((record.id for record in records), argument.value)
    if argument.name == "index" and uri == OUTPUT_TEMPLATE and runtime is not None:
        generation_id = unquote(given.get("generation_id", ""))
        record = await runtime.history.get(generation_id) if generation_id else None
        return _answer([str(index) for index in sorted(record.paths)] if record else [], argument.value)
    return None


async def _prompt(runtime: Runtime | None, workflow: Workflow, argument: CompletionArgument) -> Completion | None:
    for name, types, providers in workflow.history:
        if argument.name == name:
            fits = [
                record.id
                for record in await _history(runtime)
                if record.state == "completed"
                and record.type in types
                and (providers is None or record.provider in providers)
            ]
            return _answer(fits, argument.value)
    values = workflow.enums().get(argument.name)
    return None if values is None else _answer(values, argument.value)


async def _history(runtime: Runtime | None) -> list[Record]:
    """Newest first; local records of a create whose outcome is unknown are no provider's id."""
    if runtime is None:
        return []
    return [record for record in await runtime.history.list(HISTORY_SCAN) if not record.id.startswith("pending-")]


def _answer(candidates: Iterable[str], typed: str) -> Completion:
    typed = typed.strip().lower()
    matches = [value for value in candidates if value.lower().startswith(typed)]
    return Completion(values=matches[:MAX_VALUES], total=len(matches), has_more=len(matches) > MAX_VALUES)
