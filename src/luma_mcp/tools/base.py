"""How our tools plug into MCPServer: typed argument models in, friendly errors out.

MCPServer builds a tool's schema from its function signature and answers bad arguments with pydantic's
raw report. Our tools take one Pydantic model instead (so each tool family owns its argument model and
its cross-field validators), and a bad call gets a short message that names the field and the fix.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..ui import player_link
from .input import NeedsInput
from .messages import describe_validation_error
from .results import GenerationResult
from .steps import Call, calling

logger = logging.getLogger(__name__)

Handler = Callable[[Any, Context[Any, Any]], Awaitable[CallToolResult]]


class ToolArgs(ArgModelBase):
    """Base of every tool's argument model: unknown arguments are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class LumaTool(Tool):
    args_model: type[ToolArgs] = Field(exclude=True)

    async def run(self, arguments: dict[str, Any], context: Context[Any, Any], convert_result: bool = False) -> Any:
        try:
            args = self.args_model.model_validate(_pre_parse(arguments, self.args_model))
        except ValidationError as exc:
            raise ToolError(describe_validation_error(self.name, exc, self.args_model)) from None
        # What a result's `next_call` repeats when its next step is this very call again.
        current = calling.set(Call(self.name, args.model_dump(mode="json", by_alias=True, exclude_unset=True)))
        try:
            result = await self.fn(args, context)
        except NeedsInput as needed:
            return needed.result
        except (ToolError, MCPError):
            raise
        except Exception as exc:
            # The model sees only the tool name; the traceback goes to the server's log.
            raise UnexpectedToolError(f"Error executing tool {self.name}") from exc
        finally:
            calling.reset(current)
        return self.fn_metadata.convert_result(result) if convert_result else result


def make_tool(
    handler: Handler,
    *,
    name: str,
    title: str,
    description: str,
    args_model: type[ToolArgs],
    output_model: type[BaseModel],
    annotations: ToolAnnotations,
    defaults: Mapping[str, Any] | None = None,
) -> LumaTool:
    schema = compact_schema(args_model.model_json_schema(by_alias=True))
    for field_name, value in (defaults or {}).items():
        schema["properties"][field_name]["default"] = value
    metadata = FuncMetadata(arg_model=args_model, output_model=output_model)
    metadata.output_schema = compact_schema(metadata.output_schema or {}, output=True)
    return LumaTool(
        fn=handler,
        name=name,
        title=title,
        description=description,
        parameters=schema,
        fn_metadata=metadata,
        is_async=True,
        context_kwarg=None,
        annotations=annotations,
        # A generation is shown in the player by hosts that speak MCP Apps; the others ignore `_meta`.
        meta=player_link() if output_model is GenerationResult else None,
        args_model=args_model,
    )


def compact_schema(schema: dict[str, Any], *, output: bool = False) -> dict[str, Any]:
    """The schema as short as it can be without losing a rule: every token of tools/list is read by the model.

    Drops pydantic's generated titles (they repeat the property names) and null defaults. An optional
    argument is written as its plain type (omitting it is how an agent says "none"); in an output schema,
    where results do carry nulls, as a `["type", "null"]` union.
    """
    compacted: dict[str, Any] = _compact(schema, output=output, in_properties=False)
    return compacted


def _compact(node: Any, *, output: bool, in_properties: bool) -> Any:
    if isinstance(node, list):
        return [_compact(item, output=output, in_properties=False) for item in node]
    if not isinstance(node, dict):
        return node
    if not in_properties:
        node = _without_null_arm(node, output=output)
    return {
        key: _compact(value, output=output, in_properties=key in ("properties", "$defs") and not in_properties)
        for key, value in node.items()
        if in_properties or not _noise(key, value, output)
    }


def _noise(key: str, value: Any, output: bool) -> bool:
    if key == "title" and isinstance(value, str):
        return True
    if key == "default":
        return value is None or output
    return output and key == "additionalProperties" and value is True


def _without_null_arm(node: dict[str, Any], *, output: bool) -> dict[str, Any]:
    arms = node.get("anyOf")
    if not isinstance(arms, list) or len(arms) != 2 or {"type": "null"} not in arms:
        return node
    [kept] = [arm for arm in arms if arm != {"type": "null"}]
    rest = {key: value for key, value in node.items() if key != "anyOf"}
    if not output:
        return {**kept, **rest}
    if isinstance(kept.get("type"), str):
        merged = {**kept, **rest, "type": [kept["type"], "null"]}
        if "enum" in kept:
            merged["enum"] = [*kept["enum"], None]
        return merged
    return node


def _pre_parse(arguments: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """Some clients send nested objects as JSON text; accept that where a string was not expected."""
    parsed = dict(arguments)
    for key, value in arguments.items():
        model_field = model.model_fields.get(key)
        if model_field is None or model_field.annotation is str or not isinstance(value, str):
            continue
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            continue
        if isinstance(decoded, dict | list):
            parsed[key] = decoded
    return parsed
