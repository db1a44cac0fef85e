"""Validate plain data against a model; turn pydantic's errors into short problems with lines."""

from __future__ import annotations

import re
import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from luckyctl.loader.problems import Problem, did_you_mean
from luckyctl.loader.source_map import SourceMap, node_at
from luckyctl.loader.yaml_lines import describe
from luckyctl.model import ID_PATTERN

M = TypeVar("M", bound=BaseModel)
_QUOTED = re.compile(r"'([A-Za-z_][A-Za-z0-9_]*)'")

_KIND_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date like 2026-12-07",
    "date_parsing": "a date like 2026-12-07",
    "date_from_datetime_parsing": "a date like 2026-12-07",
    "date_from_datetime_inexact": "a date like 2026-12-07",
}


def validate(model: type[M], data: Any, source: SourceMap) -> tuple[M | None, list[Problem]]:
    """The validated model, or None and one problem per wrong place."""
    try:
        return model.model_validate(data), []
    except ValidationError as failure:
        problems: list[Problem] = []
        seen: set[tuple[str, int, tuple[Any, ...]]] = set()
        locate = source.locator(data)
        for error in failure.errors(include_url=False):
            loc = _refined(tuple(error["loc"]), error, model, data)
            depth = source.reached(data, loc)
            path, line = locate(loc)
            # A value checked against a union fails once per member: report it once.
            key = (path, line, loc[:depth])
            if key in seen:
                continue
            seen.add(key)
            problems.append(Problem(_message(error, model, loc, depth), path, line))
        return None, problems


def _refined(loc: tuple[Any, ...], error: Any, model: type[BaseModel], data: Any) -> tuple[Any, ...]:
    """A mapping's own check names the key it is about ("'days' is …"): point at that key."""
    if error["type"] != "value_error" or _model_at(model, loc) is None:
        return loc
    mapping = node_at(data, loc)
    if isinstance(mapping, dict):
        for word in _QUOTED.findall(error["msg"]):
            if word in mapping:
                return (*loc, word)
    return loc


def _message(error: Any, model: type[BaseModel], loc: tuple[Any, ...], depth: int) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}'{_allowed(model, loc[:-1], str(loc[-1]))}"
    if kind == "missing":
        return f"missing required key '{loc[-1]}'"
    label = _label(loc[:depth])
    prefix = f"{label}: " if label else ""
    if kind in ("value_error", "assertion_error"):
        text = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
        return prefix + text if _model_at(model, tuple(error["loc"])) is None else text
    if kind == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") == ID_PATTERN:
        return f"bad id {value!r}: use only letters, digits, '.', '_' and '-'"
    if kind in _KIND_WORDS:
        return f"{prefix}expected {_KIND_WORDS[kind]}, got {_shown(value)}"
    text = error["msg"]
    return f"{prefix}{text[:1].lower()}{text[1:]}, got {_shown(value)}"


def _shown(value: Any) -> str:
    if isinstance(value, dict | list) or value is None:
        return describe(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _label(loc: tuple[Any, ...]) -> str:
    """The keys after the last list index (``http.expect.status``); a trailing index stays: ``tasks[0]``."""
    end = len(loc)
    while end and isinstance(loc[end - 1], int):
        end -= 1
    start = end
    while start and not isinstance(loc[start - 1], int):
        start -= 1
    return ".".join(map(str, loc[start:end])) + "".join(f"[{index}]" for index in loc[end:])


def _allowed(model: type[BaseModel], loc: tuple[Any, ...], key: str) -> str:
    owner = _model_at(model, loc)
    if owner is None:
        return ""
    names = [field.alias or name for name, field in owner.model_fields.items()]
    hint = did_you_mean(key, names)
    return hint or f" (expected one of: {', '.join(names)})"


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that validates the value at ``loc``, if it is a model."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (field for name, field in current.model_fields.items() if part in (name, field.alias)),
                None,
            )
            if field is None:
                return None
            current = field.annotation
            continue
        origin, args = typing.get_origin(current), typing.get_args(current)
        if origin in (list, tuple) and isinstance(part, int) and args:
            current = args[0]
        elif origin is dict and args:
            current = args[1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """``Annotated[X, …]`` → X and ``X | None`` → X; other unions stay as they are."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation
