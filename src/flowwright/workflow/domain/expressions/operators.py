"""Semantics of the operators, on JSON values only.

Rules in brief: numbers are ints (64-bit, overflow is an error) and finite floats; bools are
not numbers; ``+`` also joins two strings or two lists; ``* / %`` are for numbers only; ``/``
gives an int when both operands are ints and the division is exact, otherwise a float; ``%``
takes the sign of the divisor (floored, as in Python). Type mismatches are errors with a hint,
except equality, which is simply false between different types.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from .errors import EvaluationError
from .runtime import CHARS_PER_STEP, EvalState
from .values import INT_MAX, INT_MIN, JSONValue, is_number, type_name

BinaryOp = Callable[[JSONValue, JSONValue, EvalState, int], JSONValue]


def checked_int(value: int, offset: int) -> int:
    if INT_MIN <= value <= INT_MAX:
        return value
    raise EvaluationError(
        "integer overflow: the result does not fit in 64 bits",
        offset=offset,
        hint="use floats (e.g. 1.0 * x) for very large numbers",
    )


def checked_float(value: float, offset: int) -> float:
    if math.isfinite(value):
        return float(value)
    raise _overflow(offset)


def type_error(op: str, left: JSONValue, right: JSONValue, offset: int) -> EvaluationError:
    kinds = {type(left), type(right)}
    hint: str | None = None
    if type(None) in kinds:
        hint = "an operand is null; supply a default with x ?? fallback"
    elif op == "+" and str in kinds:
        hint = "convert the other operand with string(x), or use a template"
    elif op == "+" and list in kinds:
        hint = "to append one item, wrap it in a list: items + [item]"
    elif op == "*" and (str in kinds or list in kinds):
        hint = "strings and lists cannot be repeated"
    elif bool in kinds and op in "+-*/%":
        hint = "booleans are not numbers; use cond ? 1 : 0"
    return EvaluationError(
        f"cannot apply '{op}' to {type_name(left)} and {type_name(right)}",
        offset=offset,
        hint=hint,
    )


def add(left: JSONValue, right: JSONValue, state: EvalState, offset: int) -> JSONValue:
    if type(left) is int and type(right) is int:
        return checked_int(left + right, offset)
    if type(left) is str and type(right) is str:
        # Checked before concatenating: the point is never to build the oversized string.
        state.check_size(len(left) + len(right) + 2, offset)
        return left + right
    if type(left) is list and type(right) is list:
        size = state.measure(left, offset) + state.measure(right, offset)
        state.check_size(size, offset)
        state.charge(1 + (len(left) + len(right)) // CHARS_PER_STEP, offset)
        joined = left + right
        state.remember(joined, size)
        return joined
    if is_number(left) and is_number(right):
        try:
            return checked_float(left + right, offset)
        except OverflowError:
            raise _overflow(offset) from None
    raise type_error("+", left, right, offset)


def subtract(left: JSONValue, right: JSONValue, state: EvalState, offset: int) -> JSONValue:
    if type(left) is int and type(right) is int:
        return checked_int(left - right, offset)
    if is_number(left) and is_number(right):
        try:
            return checked_float(left - right, offset)
        except OverflowError:
            raise _overflow(offset) from None
    raise type_error("-", left, right, offset)


def multiply(left: JSONValue, right: JSONValue, state: EvalState, offset: int) -> JSONValue:
    if type(left) is int and type(right) is int:
        return checked_int(left * right, offset)
    if is_number(left) and is_number(right):
        try:
            return checked_float(left * right, offset)
        except OverflowError:
            raise _overflow(offset) from None
    raise type_error("*", left, right, offset)


def divide(left: JSONValue, right: JSONValue, state: EvalState, offset: int) -> JSONValue:
    if not (is_number(left) and is_number(right)):
        raise type_error("/", left, right, offset)
    if right == 0:
        raise EvaluationError("division by zero", offset=offset)
    if type(left) is int and type(right) is int:
        quotient, remainder = divmod(left, right)
        if remainder == 0:
            return checked_int(quotient, offset)
    try:
        return checked_float(left / right, offset)
    except OverflowError:
        raise _overflow(offset) from None


def modulo(left: JSONValue, right: JSONValue, state: EvalState, offset: int) -> JSONValue:
    if not (is_number(left) and is_number(right)):
        raise type_error("%", left, right, offset)
    if right == 0:
        raise EvaluationError("modulo by zero", offset=offset)
    if type(left) is int and type(right) is int:
        return left % right
    try:
        return checked_float(left % right, offset)
    except OverflowError:
        raise _overflow(offset) from None


def _overflow(offset: int) -> EvaluationError:
    return EvaluationError("float overflow: the result is not a finite number", offset=offset)


ARITHMETIC: dict[str, BinaryOp] = {
    "+": add,
    "-": subtract,
    "*": multiply,
    "/": divide,
    "%": modulo,
}


def negate(value: JSONValue, offset: int) -> JSONValue:
    if type(value) is int:
        return checked_int(-value, offset)
    if type(value) is float:
        return -value
    raise EvaluationError(
        f"cannot negate {type_name(value)}",
        offset=offset,
        hint="booleans are negated with !" if type(value) is bool else None,
    )


def bool_error(value: JSONValue, what: str, offset: int) -> EvaluationError:
    return EvaluationError(
        f"{what} needs a bool, got {type_name(value)}",
        offset=offset,
        hint="compare explicitly (x != null, len(x) > 0) or convert with bool(x)",
    )


def require_bool(value: JSONValue, what: str, offset: int) -> bool:
    if type(value) is bool:
        return value
    raise bool_error(value, what, offset)


ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def order(op: str, left: JSONValue, right: JSONValue, offset: int) -> bool:
    """``<``, ``<=``, ``>``, ``>=`` on two numbers or two strings."""
    if is_number(left) and is_number(right):
        return bool(ORDERINGS[op](left, right))
    if type(left) is str and type(right) is str:
        return bool(ORDERINGS[op](left, right))
    hint = None
    if str in (type(left), type(right)) and (is_number(left) or is_number(right)):
        hint = "convert first: int(x) or float(x) for numbers, string(x) for text"
    elif type(None) in (type(left), type(right)):
        hint = "an operand is null; supply a default with x ?? fallback"
    raise EvaluationError(
        f"cannot compare {type_name(left)} with {type_name(right)} using '{op}'",
        offset=offset,
        hint=hint,
    )


def contains(container: JSONValue, item: JSONValue, state: EvalState, offset: int) -> bool:
    """``item in container``: list element, map key or substring."""
    if type(container) is list:
        state.charge(len(container), offset)
        return any(state.equal(item, element, offset) for element in container)
    if type(container) is dict:
        if type(item) is not str:
            raise EvaluationError(
                f"map keys are strings; cannot look up a {type_name(item)} with 'in'",
                offset=offset,
            )
        return item in container
    if type(container) is str:
        if type(item) is not str:
            raise EvaluationError(
                f"cannot search for a {type_name(item)} in a string",
                offset=offset,
                hint="convert it with string(x)",
            )
        state.charge(1 + len(container) // CHARS_PER_STEP, offset)
        return item in container
    raise EvaluationError(
        f"'in' needs a list, map or string on the right, got {type_name(container)}",
        offset=offset,
    )
