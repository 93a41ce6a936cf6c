"""The whitelist of functions: names, arities and one-line documentation.

Only names in ``FUNCTIONS`` can be called; anything else is rejected when the expression is
parsed. There are no time functions on purpose: a workflow must replay deterministically, so
the engine provides the values that depend on time (``run.started_at``) in the context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One callable function.

    Attributes:
        name: as written in expressions.
        min_arity: fewest arguments.
        max_arity: most arguments, ``None`` for any number.
        signature: how a call looks, for documentation and hints.
        doc: one line saying what it returns.
        lazy: arguments are evaluated by the function itself (``has``, ``default``,
            ``coalesce``): a missing key in them means "absent", not an error.
    """

    name: str
    min_arity: int
    max_arity: int | None
    signature: str
    doc: str
    lazy: bool = False

    def arity_text(self) -> str:
        if self.max_arity == self.min_arity:
            count = self.min_arity
            return f"exactly {count} argument{'s' if count != 1 else ''}"
        if self.max_arity is None:
            return f"at least {self.min_arity} argument{'s' if self.min_arity != 1 else ''}"
        return f"{self.min_arity} to {self.max_arity} arguments"


_SPECS = (
    FunctionSpec("len", 1, 1, "len(x)", "Length of a string (characters), list or map."),
    FunctionSpec("lower", 1, 1, "lower(s)", "s in lower case."),
    FunctionSpec("upper", 1, 1, "upper(s)", "s in upper case."),
    FunctionSpec("trim", 1, 1, "trim(s)", "s without leading and trailing whitespace."),
    FunctionSpec(
        "contains",
        2,
        2,
        "contains(x, item)",
        "Same as `item in x`: substring of a string, element of a list or key of a map.",
    ),
    FunctionSpec("startsWith", 2, 2, "startsWith(s, prefix)", "True if s starts with prefix."),
    FunctionSpec("endsWith", 2, 2, "endsWith(s, suffix)", "True if s ends with suffix."),
    FunctionSpec(
        "replace", 3, 3, "replace(s, old, new)", "s with every occurrence of old replaced by new."
    ),
    FunctionSpec(
        "split",
        2,
        2,
        "split(s, sep)",
        "List of the parts of s between occurrences of sep; sep '' splits into characters.",
    ),
    FunctionSpec(
        "join",
        1,
        2,
        "join(items, sep='')",
        "The items joined with sep; each item is written as template interpolation writes it.",
    ),
    FunctionSpec("keys", 1, 1, "keys(m)", "List of the keys of map m, in order."),
    FunctionSpec("values", 1, 1, "values(m)", "List of the values of map m, in key order."),
    FunctionSpec(
        "int",
        1,
        1,
        "int(x)",
        "Integer from a number (truncated toward zero) or a decimal string such as '42'.",
    ),
    FunctionSpec(
        "float", 1, 1, "float(x)", "Float from a number or a numeric string such as '1.5e3'."
    ),
    FunctionSpec(
        "string",
        1,
        1,
        "string(x)",
        "x as text, exactly as template interpolation writes it (null becomes '').",
    ),
    FunctionSpec(
        "bool",
        1,
        1,
        "bool(x)",
        "Boolean from a bool, null (false), a number (non-zero), a string ('true'/'false', "
        "any case) or a list/map (non-empty).",
    ),
    FunctionSpec("json", 1, 1, "json(x)", "x serialized as compact JSON text."),
    FunctionSpec("parseJson", 1, 1, "parseJson(s)", "The value encoded by the JSON text s."),
    FunctionSpec(
        "round",
        1,
        2,
        "round(x, digits=0)",
        "x rounded half away from zero to digits decimals; an int when digits <= 0.",
    ),
    FunctionSpec(
        "min",
        1,
        None,
        "min(a, b, ...) or min(list)",
        "Smallest of the arguments, or of the items of one list (all numbers or all strings).",
    ),
    FunctionSpec(
        "max",
        1,
        None,
        "max(a, b, ...) or max(list)",
        "Largest of the arguments, or of the items of one list (all numbers or all strings).",
    ),
    FunctionSpec("abs", 1, 1, "abs(x)", "Absolute value of a number."),
    FunctionSpec(
        "default",
        2,
        2,
        "default(x, fallback)",
        "x, or fallback when x is null or its path is missing (like x ?? fallback).",
        lazy=True,
    ),
    FunctionSpec(
        "coalesce",
        1,
        None,
        "coalesce(a, b, ...)",
        "The first argument that exists and is not null, else null.",
        lazy=True,
    ),
    FunctionSpec(
        "has",
        1,
        1,
        "has(a.b)",
        "True if the member path exists (even when its value is null).",
        lazy=True,
    ),
    FunctionSpec(
        "matches",
        2,
        2,
        "matches(s, pattern)",
        "True if the regular expression matches somewhere in s (linear-time subset of Python "
        "syntax; pattern at most 256 characters, s at most 100000).",
    ),
)

FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})
"""Every function an expression may call, by name."""
