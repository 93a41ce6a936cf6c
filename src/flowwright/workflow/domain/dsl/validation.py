"""Turning pydantic validation errors into the language's diagnostics.

Pydantic locations include union tags (``steps, 0, 'llm', 'prompt'``); they are dropped by
walking the location through the raw data, so every diagnostic names a real document path.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.model_types import CODE_ERROR_PREFIX
from flowwright.workflow.domain.dsl.paths import Path, PathPart
from flowwright.workflow.domain.dsl.registry import STEP_TYPES
from flowwright.workflow.domain.dsl.reporter import Reporter
from flowwright.workflow.domain.dsl.suggest import did_you_mean

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean (true or false)",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "none_required": "null",
}
#: Fields whose value is one expression; a literal there is usually meant as one.
_EXPRESSION_FIELDS = frozenset({"items", "when", "until", "filter"})
_SCHEMA_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array"})
_RANGE = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


@dataclass(frozen=True, slots=True)
class _Located:
    path: Path
    at_key: bool
    through_union: bool


def report_validation_error(
    error: ValidationError,
    *,
    raw: Any,
    model: type[BaseModel],
    prefix: Path,
    reporter: Reporter,
    subject: str | None = None,
) -> None:
    """Report every error of ``error``, raised validating ``raw`` (found at ``prefix``)."""
    merged: dict[Path, list[tuple[ErrorDetails, _Located]]] = {}
    order: list[Path] = []
    for details in error.errors(include_url=False):
        located = _locate(raw, tuple(details["loc"]))
        key = located.path if located.through_union else (*located.path, f"#{len(order)}")
        if key not in merged:
            merged[key] = []
            order.append(key)
        merged[key].append((details, located))
    for key in order:
        if reporter.full:
            return
        group = merged[key]
        details, located = group[0]
        if len(group) > 1 and all(d["type"] in _TYPE_NAMES for d, _ in group):
            expected = _join_alternatives([_TYPE_NAMES[d["type"]] for d, _ in group])
            field = _field_name(located.path)
            reporter.report(
                Code.INVALID_TYPE,
                f"{field} must be {expected}, not {_describe(details['input'])}",
                (*prefix, *located.path),
            )
            continue
        _report_one(details, located, raw, model, prefix, reporter, subject)


def _report_one(
    details: ErrorDetails,
    located: _Located,
    raw: Any,
    model: type[BaseModel],
    prefix: Path,
    reporter: Reporter,
    subject: str | None,
) -> None:
    kind = details["type"]
    path = (*prefix, *located.path)
    field = _field_name(located.path)
    value = details["input"]
    context = details.get("ctx") or {}
    where = f" in {subject}" if subject else ""
    if kind.startswith(CODE_ERROR_PREFIX):
        code = Code(kind[len(CODE_ERROR_PREFIX) :])
        reporter.report(code, details["msg"], path, key=located.at_key)
    elif kind == "extra_forbidden":
        allowed = allowed_keys(model, tuple(details["loc"])[:-1])
        hint = did_you_mean(field, allowed) or _other_type_hint(field)
        reporter.report(
            Code.UNKNOWN_FIELD, f"unknown field {field!r}{where}", path, key=True, hint=hint
        )
    elif kind == "missing":
        reporter.report(Code.MISSING_FIELD, f"missing required field {field!r}{where}", path)
    elif kind == "union_tag_not_found":
        reporter.report(
            Code.MISSING_FIELD, f"missing required field 'type'{where}", (*path, "type")
        )
    elif kind == "union_tag_invalid":
        expected = [t.strip(" '") for t in str(context.get("expected_tags", "")).split(",")]
        tag = str(context.get("tag", ""))
        reporter.report(
            Code.INVALID_VALUE,
            f"{tag!r} is not a valid type; use one of {', '.join(expected)}",
            (*path, "type"),
            hint=did_you_mean(tag, expected),
        )
    elif kind in _TYPE_NAMES:
        reporter.report(
            Code.INVALID_TYPE,
            f"{field} must be {_TYPE_NAMES[kind]}, not {_describe(value)}",
            path,
            key=located.at_key,
            hint=_type_hint(kind, value, field),
        )
    elif kind in ("literal_error", "enum"):
        expected_text = str(context.get("expected", ""))
        options = [part.strip(" '") for part in expected_text.replace(" or ", ",").split(",")]
        reporter.report(
            Code.INVALID_VALUE,
            f"{_short(value)} is not a valid {field}; use {expected_text}",
            path,
            hint=did_you_mean(str(value), [o for o in options if o]),
        )
    elif kind in _RANGE:
        bound = next(iter(context.values()), "?")
        reporter.report(
            Code.INVALID_VALUE, f"{field} must be {_RANGE[kind]} {bound}, not {_short(value)}", path
        )
    elif kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        reporter.report(Code.INVALID_VALUE, f"{field}: {details['msg'].lower()}", path)
    else:
        reporter.report(Code.INVALID_VALUE, f"{field}: {details['msg']}", path)


def _locate(raw: Any, loc: tuple[PathPart, ...]) -> _Located:
    """Map a pydantic location onto the raw document, dropping union tags."""
    path: list[PathPart] = []
    node = raw
    through_union = False
    at_key = False
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if part == "[key]":
            at_key = True
            break
        if isinstance(node, Mapping) and isinstance(part, str):
            if part in node:
                path.append(part)
                node = node[part]
                continue
            if last:
                path.append(part)
                break
        elif isinstance(node, list) and isinstance(part, int):
            path.append(part)
            node = node[part] if 0 <= part < len(node) else None
            continue
        # Anything else is the tag of a union member: not part of the document.
        through_union = True
    return _Located(tuple(path), at_key, through_union)


def allowed_keys(model: type[BaseModel], loc: Sequence[PathPart]) -> list[str]:
    """Keys accepted by the mapping that ``loc`` (a pydantic location) designates."""
    current: Any = model
    for part in loc:
        current = _descend(current, part)
        if current is None:
            return []
    target = _as_model(current)
    if target is None:
        return []
    return [info.alias or name for name, info in target.model_fields.items()]


def _descend(annotation: Any, part: PathPart) -> Any:
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple) and isinstance(part, int) and args:
        return args[0]
    if origin is dict and isinstance(part, str) and len(args) == 2:
        return args[1]
    if origin in (typing.Union, types.UnionType):
        for member in args:
            if _tag_of(member) == part:
                return member
        for member in args:
            found = _descend(member, part)
            if found is not None:
                return found
    return None


def _tag_of(member: Any) -> str | None:
    for meta in getattr(member, "__metadata__", ()):
        tag = getattr(meta, "tag", None)
        if isinstance(tag, str):
            return tag
    model = _as_model(member)
    if model is not None and "type" in model.model_fields:
        literal = typing.get_args(model.model_fields["type"].annotation)
        if len(literal) == 1 and isinstance(literal[0], str):
            return literal[0]
    return None


def _as_model(annotation: Any) -> type[BaseModel] | None:
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [m for m in map(_as_model, typing.get_args(annotation)) if m is not None]
        return models[0] if len(models) == 1 else None
    return None


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _other_type_hint(field: str) -> str | None:
    owners = [spec.name for spec in STEP_TYPES.specs() if field in spec.model.model_fields]
    if owners:
        return f"{field!r} belongs to {' and '.join(owners)} steps"
    return None


def _type_hint(kind: str, value: Any, field: str) -> str | None:
    if kind == "string_type" and field in _EXPRESSION_FIELDS and not isinstance(value, str):
        return f"write it as an expression: {field}: ${{{{ {json.dumps(value)} }}}}"
    if kind in ("list_type", "tuple_type") and isinstance(value, str):
        return f"write a list: {field}: [{value}]"
    if kind == "string_type" and isinstance(value, int | float | bool):
        return f'quote it: "{value}"'
    if kind in ("dict_type", "model_type") and isinstance(value, str):
        if value in _SCHEMA_TYPES:
            return f"write {field}: {{type: {value}}}"
        if ":" not in value:
            return "write a mapping of key: value lines"
    return None


def _field_name(path: Path) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "value"


def _join_alternatives(names: list[str]) -> str:
    unique = list(dict.fromkeys(names))
    if len(unique) == 1:
        return unique[0]
    return ", ".join(unique[:-1]) + " or " + unique[-1]


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {_short(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
