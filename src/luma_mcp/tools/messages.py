"""Refusals in the agent's words: bad arguments and broken API rules, named as the tool's arguments.

The rule tables speak the wire (`video.keyframe_indexes`, `generated_video_inputs.duration_ms`) and carry
rule ids for their own tests; an agent knows neither. Every path in a rule's text goes through the
tool's `rename`, and the rule id stays out. A wrong nested object is answered with the shape wanted
(an example object), never with the name of the Pydantic class behind it.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..providers.base import Violation

Rename = Callable[[str], str]

# A wire path as the rule tables write it: `video.keyframes[2]`, `generated_video_inputs.duration_ms`, `image_ref`.
_PATH = re.compile(r"(?<![\w.'])[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*|\[\d*\])*(?![\w'])")
_NOT_AN_OBJECT = ("model_type", "model_attributes_type", "dict_type")


def describe_violations(tool: str, violations: Iterable[Violation], rename: Rename) -> str:
    lines = [f"{tool}: the request breaks the API's rules; nothing was sent and nothing was charged."]
    lines.extend(_violation_line(violation, rename) for violation in violations)
    return "\n".join(lines)


def _violation_line(violation: Violation, rename: Rename) -> str:
    field = rename(violation.field)
    # Rule texts often open with their own path ("video.loop is not ..."): said once, after the dash.
    detail = in_argument_names(violation.detail.removeprefix(f"{violation.field}: "), rename).removeprefix(f"{field} ")
    return f"- {field}: {detail}. Fix: {in_argument_names(violation.fix, rename)}"


def in_argument_names(text: str, rename: Rename) -> str:
    """`text` with every wire path in it replaced by the argument it stands for (quoted values left alone)."""
    return _PATH.sub(lambda match: rename(match.group(0)), text)


def describe_validation_error(tool: str, exc: ValidationError, model: type[BaseModel] | None = None) -> str:
    lines = [f"{tool}: invalid arguments; nothing was sent and nothing was charged."]
    lines.extend(f"- {_location(error['loc'])}: {_message(error, model)}" for error in exc.errors(include_url=False))
    return "\n".join(lines)


def _location(loc: Iterable[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "arguments"


def _message(error: ErrorDetails, model: type[BaseModel] | None) -> str:
    kind, message, loc = error["type"], error["msg"], tuple(error["loc"])
    nested = _model_at(model, loc[:-1]) if model is not None and len(loc) > 1 else None
    if kind == "extra_forbidden" and nested is not None:
        return f"unknown field; {_location(loc[:-1])} takes {', '.join(nested.model_fields)}{_example(nested)}"
    if kind == "extra_forbidden":
        return "unknown argument; remove it (see the tool's input schema for the valid names)"
    if kind == "missing":
        return "required; add it"
    wanted = _model_at(model, loc) if model is not None and kind in _NOT_AN_OBJECT else None
    if wanted is not None:
        return f"expected an object{_example(wanted) or ' with ' + ', '.join(wanted.model_fields)}{_got(error)}"
    return message.removeprefix("Value error, ") + ("" if kind == "value_error" else _got(error))


def _got(error: ErrorDetails) -> str:
    value = error.get("input")
    if not isinstance(value, str | int | float | bool):
        return ""
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "...'"
    return f" (got {shown})"


def _example(model: type[BaseModel]) -> str:
    example = getattr(model, "EXAMPLE", None)
    return f", e.g. {json.dumps(example)}" if isinstance(example, dict) else ""


def _model_at(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The argument model class found at `loc` (list indexes stepped over), or None."""
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        model = next(_models_in(field.annotation), None) if field is not None else None
    return model


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    if typing.get_origin(annotation) in (typing.Annotated,):
        yield from _models_in(typing.get_args(annotation)[0])
        return
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            yield from _models_in(arg)
