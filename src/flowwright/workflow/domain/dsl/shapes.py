"""Static shapes of step outputs, to catch ``steps.x.output.typo`` before a run does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ShapeKind = Literal["any", "object", "array", "string", "number", "boolean", "null"]


@dataclass(frozen=True, slots=True)
class Shape:
    """What is known of a value: its kind and, for closed objects, its exact fields."""

    kind: ShapeKind = "any"
    fields: Mapping[str, Shape] = field(default_factory=dict)
    #: Only for objects: no field exists beyond ``fields``.
    closed: bool = False
    items: Shape | None = None
    #: How to describe the value in a message, e.g. "text (an llm step without output_schema)".
    description: str = ""


ANY = Shape()


def obj(description: str = "", **fields: Shape) -> Shape:
    """A closed object shape with the given fields."""
    return Shape("object", fields, closed=True, description=description)


def scalar(kind: ShapeKind, description: str = "") -> Shape:
    return Shape(kind, description=description)


_SCHEMA_KINDS: dict[str, ShapeKind] = {
    "object": "object",
    "array": "array",
    "string": "string",
    "number": "number",
    "integer": "number",
    "boolean": "boolean",
    "null": "null",
}


def from_json_schema(schema: Any, depth: int = 0) -> Shape:
    """The shape a JSON Schema promises; anything unclear becomes ``any``."""
    if not isinstance(schema, Mapping) or depth > 16:
        return ANY
    kind = schema.get("type")
    if isinstance(kind, str) and kind in _SCHEMA_KINDS:
        shape_kind = _SCHEMA_KINDS[kind]
    elif "properties" in schema:
        shape_kind = "object"
    else:
        return ANY
    if shape_kind == "object":
        properties = schema.get("properties")
        if not isinstance(properties, Mapping):
            return Shape("object")
        fields = {str(k): from_json_schema(v, depth + 1) for k, v in properties.items()}
        extra = schema.get("additionalProperties", False)
        pattern = schema.get("patternProperties")
        # Declared properties are the contract a designer reads from; a schema that declares
        # some but allows others explicitly stays open.
        closed = extra is False and not pattern
        return Shape("object", fields, closed=closed)
    if shape_kind == "array":
        return Shape("array", items=from_json_schema(schema.get("items"), depth + 1))
    return Shape(shape_kind)


def from_literal(value: Any, is_dynamic: Any, depth: int = 0) -> Shape:
    """The shape of a JSON value whose strings may be templates (``is_dynamic(str)``)."""
    if depth > 16:
        return ANY
    if isinstance(value, Mapping):
        return Shape(
            "object",
            {str(k): from_literal(v, is_dynamic, depth + 1) for k, v in value.items()},
            closed=True,
        )
    if isinstance(value, list):
        return Shape("array")
    if isinstance(value, str):
        return ANY if is_dynamic(value) else Shape("string")
    if isinstance(value, bool):
        return Shape("boolean")
    if isinstance(value, int | float):
        return Shape("number")
    if value is None:
        return Shape("null")
    return ANY


@dataclass(frozen=True, slots=True)
class ShapeMiss:
    """Where a path leaves the known shape: ``index`` into the path and why."""

    index: int
    message: str
    suggestions: tuple[str, ...] = ()


def follow(shape: Shape, path: tuple[str | int, ...]) -> ShapeMiss | None:
    """Walk ``path`` through ``shape``; ``None`` when it is fine or cannot be known."""
    current = shape
    for index, part in enumerate(path):
        if current.kind == "any":
            return None
        if current.kind == "object":
            if isinstance(part, str) and part in current.fields:
                current = current.fields[part]
                continue
            if not current.closed:
                return None
            known = tuple(sorted(current.fields))
            listed = ", ".join(known) if known else "none"
            return ShapeMiss(index, f"has no field {part!r} (fields: {listed})", known)
        if current.kind == "array":
            if isinstance(part, int):
                current = current.items or ANY
                continue
            return ShapeMiss(index, f"is a list; use an index like [0], not {part!r}")
        what = current.description or f"a {current.kind}"
        return ShapeMiss(index, f"is {what}; it has no field {part!r}")
    return None
