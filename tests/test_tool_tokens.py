"""What the model reads about our tools: small enough, and every rule the models declare is in the schema.

Generic over tools/list: a tool added tomorrow is checked the same way. The declared constraints are
read from each tool's Pydantic argument model (Literal values, Field bounds) and looked for in the
inputSchema a real client receives, so a rule that lives only in prose or in a validator is caught.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import annotated_types as at
import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from conftest import session
from luma_mcp.server import build_server
from luma_mcp.settings import Settings
from luma_mcp.tools.base import LumaTool

ROOT = Path(__file__).resolve().parents[1]

# annotated_types constraint -> the JSON Schema keys pydantic may render it as.
SCHEMA_KEYS: dict[type[Any], tuple[str, ...]] = {
    at.Ge: ("minimum",),
    at.Gt: ("exclusiveMinimum",),
    at.Le: ("maximum",),
    at.Lt: ("exclusiveMaximum",),
    at.MinLen: ("minLength", "minItems"),
    at.MaxLen: ("maxLength", "maxItems"),
    at.MultipleOf: ("multipleOf",),
}


def _tool_tokens() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("tool_tokens", ROOT / "scripts" / "tool_tokens.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def test_all_tools_fit_the_token_budget(capsys: pytest.CaptureFixture[str]) -> None:
    """The script's own verdict (exit 0 within budget), so the test and `scripts/tool_tokens.py` agree."""
    status = _tool_tokens().main([])
    report = capsys.readouterr().out
    assert "generate_video" in report and "instructions:" in report
    assert status == 0, report


async def listed_schemas(settings: Settings) -> dict[str, dict[str, Any]]:
    async with session(settings) as client:
        listed = await client.list_tools()
    return {tool.name: tool.input_schema for tool in listed.tools}


def args_models(settings: Settings) -> dict[str, type[BaseModel]]:
    # MCPServer has no public way back from a listed tool to its argument model.
    tools = build_server(settings)._tool_manager.list_tools()
    assert all(isinstance(tool, LumaTool) for tool in tools), "every tool should be made with make_tool"
    return {tool.name: tool.args_model for tool in tools if isinstance(tool, LumaTool)}


def declared(annotation: Any, metadata: list[Any]) -> Iterator[tuple[str, Any]]:
    """("enum", value), (schema key options, bound) and ("model", class) that a field's type declares."""
    for item in metadata:
        yield from _constraint(item)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        yield from declared(base, list(extra))
    elif origin is typing.Literal:
        yield from (("enum", value) for value in typing.get_args(annotation))
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield "model", annotation
    else:
        for arg in typing.get_args(annotation):
            yield from declared(arg, [])


def _constraint(item: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(item, FieldInfo):
        for inner in item.metadata:
            yield from _constraint(inner)
        return
    for kind, keys in SCHEMA_KEYS.items():
        if isinstance(item, kind):
            yield keys, getattr(item, dataclasses.fields(item)[0].name)
    if getattr(item, "pattern", None) is not None:
        yield ("pattern",), item.pattern


def rendered(schema: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) in a property's schema, through anyOf/items but not into $refs."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "enum":
                yield from (("enum", item) for item in value)
            elif key == "const":
                yield "enum", value
            elif not isinstance(value, dict | list):
                yield key, value
            else:
                yield from rendered(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from rendered(item)


def missing_rules(model: type[BaseModel], schema: dict[str, Any], defs: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    for name, info in model.model_fields.items():
        prop = schema.get("properties", {}).get(info.alias or name)
        if prop is None:
            problems.append(f"{where}.{name}: not in the schema")
            continue
        present = set(rendered(prop))
        for keys, value in declared(info.annotation, list(info.metadata)):
            if keys == "model":
                nested = defs.get(value.__name__)
                problems += (
                    missing_rules(value, nested, defs, value.__name__)
                    if nested
                    else [f"{where}.{name}: {value.__name__} not in $defs"]
                )
            elif keys == "enum":
                if ("enum", value) not in present:
                    problems.append(f"{where}.{name}: enum value {value!r} missing")
            elif not any((key, value) in present for key in keys):
                problems.append(f"{where}.{name}: {'/'.join(keys)}={value!r} missing")
    return problems


async def test_every_enum_value_and_range_is_in_the_schema(settings: Settings) -> None:
    schemas, models = await listed_schemas(settings), args_models(settings)
    assert set(schemas) == set(models)
    problems = [
        problem
        for name, schema in schemas.items()
        for problem in missing_rules(models[name], schema, schema.get("$defs", {}), name)
    ]
    assert not problems, "\n".join(problems)


async def test_every_parameter_has_a_description(settings: Settings) -> None:
    """Top-level arguments and the fields of nested objects ($defs) alike: the model sees no other doc."""
    schemas = await listed_schemas(settings)
    top = [f"{tool}.{name}" for tool, s in schemas.items() for name, p in s["properties"].items() if not _said(p)]
    nested = sorted(
        {
            f"{model}.{name}"
            for s in schemas.values()
            for model, d in s.get("$defs", {}).items()
            for name, p in d.get("properties", {}).items()
            if not _said(p)
        }
    )
    assert not top + nested, f"without a description: {top + nested}"


def _said(prop: dict[str, Any]) -> bool:
    return bool(str(prop.get("description", "")).strip())


async def test_the_checker_sees_a_rule_missing_from_a_schema(settings: Settings) -> None:
    """The checks above must be able to fail: drop one enum value and one bound, and both are reported."""
    schemas, models = await listed_schemas(settings), args_models(settings)
    schema = schemas["list_generations"]
    schema["properties"]["limit"] = {"type": "integer", "minimum": 1, "description": "How many."}
    holder = _holding(schema["properties"]["state"], "enum")
    holder["enum"] = holder["enum"][1:]
    problems = missing_rules(models["list_generations"], schema, {}, "list_generations")
    assert any("limit: maximum" in problem for problem in problems), problems
    assert any("state: enum value" in problem for problem in problems), problems


def _holding(schema: Any, key: str) -> dict[str, Any]:
    """The first object in `schema` (depth first) that has `key`."""
    if isinstance(schema, dict):
        if key in schema:
            return schema
        schema = list(schema.values())
    for item in schema if isinstance(schema, list) else []:
        if isinstance(item, dict | list):
            with contextlib.suppress(LookupError):
                return _holding(item, key)
    raise LookupError(key)
