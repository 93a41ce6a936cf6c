"""The value model: JSON values only, checked by exact type.

Types are compared with ``type(x) is ...`` rather than ``isinstance`` on purpose: a subclass of
``str`` or ``dict`` could override ``__eq__``, ``__hash__`` or ``__getitem__`` and run code
while an expression looks at it. Only the seven plain JSON types are ever operated on.
"""

from __future__ import annotations

import json
from typing import TypeAlias, TypeGuard

JSONValue: TypeAlias = bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"] | None
"""A value that round-trips through JSON: the only kind of value expressions see or produce."""

JSON_TYPES: frozenset[type] = frozenset({type(None), bool, int, float, str, list, dict})
NUMBER_TYPES: frozenset[type] = frozenset({int, float})

# Integers follow CEL: 64-bit signed. Arithmetic outside this range is an evaluation error
# rather than an ever-growing Python int.
INT_MAX = 2**63 - 1
INT_MIN = -(2**63)

_TYPE_NAMES: dict[type, str] = {
    type(None): "null",
    bool: "bool",
    int: "int",
    float: "float",
    str: "string",
    list: "list",
    dict: "map",
}


def type_name(value: object) -> str:
    """The language's name for the type of ``value`` (``"map"``, ``"string"``, ...)."""
    name = _TYPE_NAMES.get(type(value))
    if name is not None:
        return name
    # Never call repr() or str() on a foreign object: either could run arbitrary code.
    return f"unsupported Python type {type(value).__name__}"


def is_number(value: object) -> TypeGuard[int | float]:
    """True for ints and floats, false for bools (which are ints to Python, not to JSON)."""
    return type(value) in NUMBER_TYPES


def dumps(value: JSONValue) -> str:
    """Compact JSON, keeping non-ASCII characters as they are.

    Callers make sure ``value`` is valid JSON of bounded size and depth first.
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def to_text(value: JSONValue) -> str:
    """How a value is written into a template: strings as-is, null as "", the rest as JSON.

    Raises ``ValueError`` for integers too long to print (Python refuses past 4300 digits).
    """
    if type(value) is str:
        return value
    if value is None:
        return ""
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        # repr() is the shortest round-tripping form, the same digits json.dumps writes.
        return repr(value)
    return dumps(value)
