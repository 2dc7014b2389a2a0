"""Hypothesis strategies for tool calls, built from the input schemas that `tools/list` publishes.

Three families, so that both the validator's edges and its deep corners are reached:
- "schema": anything the published schema allows (hypothesis-jsonschema), so every schema-valid
  call must either work or be refused with a message naming a field;
- "near-valid": plausible values (enum members, seeded generation ids, real local files, frames at
  the timeline's edges) for the required fields and a few optional ones: cross-field rules
  (10s + start_frame, hdr at 540p, loop + keyframes, duplicate frames) come out of the combinations;
- "mutated:<how>": a near-valid call with one value somewhere in it replaced by a wrong one
  (wrong type, out of range, null, huge, an extra key, a MediaRef with 0 or 2 fields, ...).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from fuzz_harness import Call, Seeds

Json = Any
REF_FIELDS = frozenset({"generation_id", "url", "path"})
PROMPTS = ("A paper boat drifting down a rain-soaked street at dusk", "slow dolly over a misty lake", "a")
HUGE = "x" * 100_000
FAST = {"wait_seconds": 0}


def calls(tools: dict[str, Any], seeds: Seeds) -> st.SearchStrategy[Call]:
    per_tool = [tool_calls(name, tool.input_schema, seeds) for name, tool in sorted(tools.items())]
    return st.one_of(per_tool)


def tool_calls(name: str, schema: dict[str, Any], seeds: Seeds) -> st.SearchStrategy[Call]:
    return st.one_of(
        schema_calls(name, schema),
        near_valid_calls(name, schema, seeds),
        near_valid_calls(name, schema, seeds).flatmap(lambda call: mutated(call, seeds)),
        junk_calls(name),
    )


def schema_calls(name: str, schema: dict[str, Any]) -> st.SearchStrategy[Call]:
    return schema_values(schema, schema).map(lambda args: Call(name, _fast(args, schema), "schema"))


def schema_values(schema: Json, root: dict[str, Any]) -> st.SearchStrategy[Json]:
    """Anything `schema` allows. Objects, arrays and anyOf are walked here and only leaves go to
    hypothesis-jsonschema: its object strategy uses hypothesis internals that the pinned hypothesis
    no longer has (`'many' object has no attribute 'more'`)."""
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        return st.one_of([schema_values(variant, root) for variant in schema["anyOf"]])
    if schema.get("type") == "object" and "properties" in schema:
        values = {key: schema_values(sub, root) for key, sub in schema["properties"].items()}
        required = {key: values.pop(key) for key in schema.get("required", []) if key in values}
        return st.fixed_dictionaries(required, optional=values)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        low, high = schema.get("minItems", 0), min(schema.get("maxItems", 4), 4)
        return st.lists(schema_values(schema["items"], root), min_size=low, max_size=max(low, high))
    return from_schema(schema)


def junk_calls(name: str) -> st.SearchStrategy[Call]:
    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner))
    return st.dictionaries(st.text(max_size=20), values, max_size=4).map(lambda args: Call(name, args, "junk"))


def _fast(args: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Valid calls must return at once: no waiting on a job (dry_run is left to chance)."""
    waits = "wait_seconds" in schema.get("properties", {})
    return {**args, **FAST} if waits and isinstance(args, dict) else args


@st.composite
def near_valid_calls(draw: st.DrawFn, name: str, schema: dict[str, Any], seeds: Seeds) -> Call:
    properties: dict[str, Any] = schema.get("properties", {})
    required = [key for key in schema.get("required", []) if key in properties]
    optional = sorted(set(properties) - set(required) - {"wait_seconds", "dry_run"})
    chosen = required + draw(st.lists(st.sampled_from(optional), unique=True, max_size=3)) if optional else required
    args = {key: draw(valid_value(key, properties[key], schema, seeds)) for key in chosen}
    if "dry_run" in properties:
        args["dry_run"] = draw(st.booleans())
    return Call(name, _fast(args, schema), "near-valid")


def valid_value(name: str, schema: Json, root: dict[str, Any], seeds: Seeds) -> st.SearchStrategy[Json]:
    """Plausible values for one property: what an agent that read the schema would send."""
    schema = _resolve(schema, root)
    variants = [_resolve(v, root) for v in schema.get("anyOf", []) if _resolve(v, root).get("type") != "null"]
    if variants:
        return st.one_of([valid_value(name, variant, root, seeds) for variant in variants])
    if set(schema.get("properties", {})) == REF_FIELDS:
        return media_refs(seeds)
    if "enum" in schema or "const" in schema:
        return st.sampled_from(schema.get("enum", [schema.get("const")]))
    maker = _BY_TYPE.get(schema.get("type", ""))
    return maker(name, schema, root, seeds) if maker else schema_values(schema, root)


def media_refs(seeds: Seeds) -> st.SearchStrategy[dict[str, str]]:
    inputs = seeds.inputs
    return st.sampled_from(
        [
            {"url": "https://example.com/media/frame"},
            {"url": "https://example.com/media/shot.png"},
            {"url": "https://example.com/media/clip.mp4"},
            {"generation_id": seeds.image_id},
            {"generation_id": seeds.video_id},
            {"path": str(inputs / "still.png")},
            {"path": str(inputs / "clip.mp4")},
        ]
    )


def _string(name: str, schema: Json, root: dict[str, Any], seeds: Seeds) -> st.SearchStrategy[Json]:
    if name.endswith("generation_id"):
        return st.sampled_from([seeds.image_id, seeds.video_id])
    if "prompt" in name:
        return st.sampled_from(PROMPTS)
    return schema_values(schema, root)


def _number(name: str, schema: Json, root: dict[str, Any], seeds: Seeds) -> st.SearchStrategy[Json]:
    low, high = schema.get("minimum", 0), schema.get("maximum", max(schema.get("minimum", 0), 10))
    edges = [low, high, (low + high) // 2, 120, 240]  # frame positions at 24 fps: the 5 s and 10 s ends
    in_range = [edge for edge in edges if low <= edge <= high]
    whole = st.integers(int(low), int(high)) if schema.get("type") == "integer" else st.floats(low, high)
    return st.sampled_from(in_range) | whole


def _array(name: str, schema: Json, root: dict[str, Any], seeds: Seeds) -> st.SearchStrategy[Json]:
    low = max(1, schema.get("minItems", 0))
    return st.lists(valid_value(name, schema.get("items", {}), root, seeds), min_size=low, max_size=max(low, 3))


def _object(name: str, schema: Json, root: dict[str, Any], seeds: Seeds) -> st.SearchStrategy[Json]:
    properties = schema.get("properties")
    if not properties:
        return schema_values(schema, root)
    values = {key: valid_value(key, sub, root, seeds) for key, sub in properties.items()}
    required = {key: values[key] for key in schema.get("required", []) if key in values}
    optional = {key: value for key, value in values.items() if key not in required}
    return st.fixed_dictionaries(required, optional=optional)


_BY_TYPE: dict[str, Callable[[str, Json, dict[str, Any], Seeds], st.SearchStrategy[Json]]] = {
    "string": _string,
    "integer": _number,
    "number": _number,
    "array": _array,
    "object": _object,
    "boolean": lambda *_: st.booleans(),
}


def _resolve(schema: Json, root: dict[str, Any]) -> Json:
    while isinstance(schema, dict) and "$ref" in schema:
        target: Json = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


# --- one wrong value, somewhere --------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, call: Call, seeds: Seeds) -> Call:
    args = copy.deepcopy(call.arguments)
    path = draw(st.sampled_from(_paths(args)))
    parent = _follow(args, path[:-1]) if path else None
    if parent is None:  # arguments travel as an object: at the top, only its keys can be wrong
        how, value = draw(st.sampled_from([("extra key", {**args, "bogus_field": 1}), ("empty object", {})]))
        return Call(call.tool, value, f"mutated:{how}")
    how, value = draw(_wrong_values(_follow(args, path), seeds))
    if how == "removed":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return Call(call.tool, args, f"mutated:{how}")


def _paths(value: Json, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = [prefix]
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in children:
        found += _paths(child, (*prefix, key))
    return found


def _follow(value: Json, path: tuple[Any, ...]) -> Json:
    for key in path:
        value = value[key]
    return value


def _wrong_values(current: Json, seeds: Seeds) -> st.SearchStrategy[tuple[str, Json]]:
    common: list[tuple[str, Json]] = [("null", None), ("removed", None)]
    if isinstance(current, bool):
        options = [("wrong type", "true"), ("wrong type", 2), ("wrong type", [])]
    elif isinstance(current, int | float):
        options = [("out of range", -1), ("out of range", 10**12), ("out of range", -(10**30)), ("out of range", 1e308)]
        options += [("wrong type", "7"), ("wrong type", 1.5), ("wrong type", {})]
    elif isinstance(current, str):
        options = _wrong_strings(current)
    elif isinstance(current, list):
        options = [("empty list", []), ("wrong type", "x"), ("wrong type", {})]
        options += [("duplicated item", current + current[:1]), ("too many items", current * 12)]
    else:
        options = _wrong_objects(current, seeds)
    return st.sampled_from(common + options)


def _wrong_strings(current: str) -> list[tuple[str, Json]]:
    return [
        ("empty string", ""),
        ("blank string", "   "),
        ("huge string", HUGE),
        ("wrong type", 0),
        ("wrong type", [current]),
        ("wrong enum", current.upper() + "x"),
        ("wrong enum", f" {current} "),
        ("control chars", "a\x00b\x1b[31m"),
        ("path escape", "../../../../etc/passwd"),
        ("bad url", "ftp://example.com/a.png"),
        ("bad data uri", "data:text/plain,hello"),
        ("bad data uri", "data:image/png;base64,not*base64"),
        ("json text", '{"url": "https://example.com/a.png"}'),
        ("unknown id", "00000000-0000-4000-8000-000000000000"),
    ]


def _wrong_objects(current: dict[str, Any], seeds: Seeds) -> list[tuple[str, Json]]:
    options: list[tuple[str, Json]] = [("extra key", {**current, "bogus_field": 1}), ("wrong type", [current])]
    options.append(("empty object", {}))
    if current and set(current) <= REF_FIELDS:
        options += [
            ("ref with two fields", {"url": "https://example.com/a.png", "generation_id": "x"}),
            ("ref with three fields", {"url": "https://example.com/a.png", "generation_id": "x", "path": "a.png"}),
            ("ref outside allowed dirs", {"path": "/etc/passwd"}),
            ("ref missing file", {"path": "/definitely/not/here.png"}),
            ("ref not media", {"path": str(seeds.inputs / "notes.txt")}),
            ("ref symlink escape", {"path": str(seeds.inputs / "escape.png")}),
            ("ref outside allowed dirs", {"path": str(seeds.outside / "private.png")}),
            ("ref relative path", {"path": "pyproject.toml"}),
            ("ref unknown id", {"generation_id": "00000000-0000-4000-8000-000000000000"}),
        ]
    return options
