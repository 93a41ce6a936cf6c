"""Implementations of the eager functions in ``FUNCTIONS``.

The lazy ones (``has``, ``default``, ``coalesce``) need unevaluated arguments and live in the
evaluator. Every implementation checks argument types itself, charges the step budget for
work proportional to its input and checks the size of what it builds *before* building it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .errors import EvaluationError
from .operators import checked_int, contains
from .regex import MAX_INPUT_LENGTH, RegexError, compile_regex
from .runtime import EvalState
from .values import JSONValue, is_number, type_name


@dataclass(frozen=True, slots=True)
class CallSite:
    """Where a call appears in the source, for error offsets."""

    name: str
    offset: int
    arg_offsets: tuple[int, ...]

    def error(
        self, message: str, *, arg: int | None = None, hint: str | None = None
    ) -> EvaluationError:
        offset = self.offset if arg is None else self.arg_offsets[arg]
        return EvaluationError(f"{self.name}(): {message}", offset=offset, hint=hint)


Builtin = Callable[[Sequence[JSONValue], EvalState, CallSite], JSONValue]


def _string_arg(args: Sequence[JSONValue], index: int, site: CallSite) -> str:
    value = args[index]
    if type(value) is str:
        return value
    hint = "convert it with string(x)" if value is not None else "supply a default: x ?? ''"
    raise site.error(
        f"argument {index + 1} must be a string, got {type_name(value)}", arg=index, hint=hint
    )


def _list_arg(args: Sequence[JSONValue], index: int, site: CallSite) -> list[JSONValue]:
    value = args[index]
    if type(value) is list:
        return value
    raise site.error(f"argument {index + 1} must be a list, got {type_name(value)}", arg=index)


def _map_arg(args: Sequence[JSONValue], index: int, site: CallSite) -> dict[str, JSONValue]:
    value = args[index]
    if type(value) is dict:
        return value
    raise site.error(f"argument {index + 1} must be a map, got {type_name(value)}", arg=index)


def _len(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    value = args[0]
    if type(value) is str or type(value) is list or type(value) is dict:
        return len(value)
    raise site.error(f"needs a string, list or map, got {type_name(value)}", arg=0)


def _recase(convert: Callable[[str], str]) -> Builtin:
    def run(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
        text = _string_arg(args, 0, site)
        state.charge_chars(len(text), site.offset)
        state.check_size(len(text) + 2, site.offset)
        # Case mapping can lengthen text ('ß' -> 'SS'), by at most three times.
        result = convert(text)
        state.check_size(len(result) + 2, site.offset)
        return result

    return run


def _trim(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    return _string_arg(args, 0, site).strip()


def _contains(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    container, item = args
    if type(container) not in (str, list, dict):
        raise site.error(
            f"argument 1 must be a string, list or map, got {type_name(container)}", arg=0
        )
    return contains(container, item, state, site.arg_offsets[1])


def _starts_with(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    return _string_arg(args, 0, site).startswith(_string_arg(args, 1, site))


def _ends_with(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    return _string_arg(args, 0, site).endswith(_string_arg(args, 1, site))


def _replace(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    text, old, new = (_string_arg(args, i, site) for i in range(3))
    state.charge_chars(len(text), site.offset)
    count = text.count(old) if old else len(text) + 1
    state.check_size(len(text) + count * (len(new) - len(old)) + 2, site.offset)
    return text.replace(old, new)


def _split(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    text = _string_arg(args, 0, site)
    separator = _string_arg(args, 1, site)
    parts = text.count(separator) + 1 if separator else len(text)
    state.charge(parts, site.offset)
    # Each part costs its quotes and a comma on top of its characters.
    state.check_size(len(text) + 3 * parts + 2, site.offset)
    result: list[JSONValue] = list(text.split(separator) if separator else text)
    state.remember(result, len(text) + 3 * parts + 2)
    return result


def _join(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    items = _list_arg(args, 0, site)
    separator = _string_arg(args, 1, site) if len(args) > 1 else ""
    state.charge(len(items), site.offset)
    pieces: list[str] = []
    total = 0
    for item in items:
        piece = state.text(item, site.arg_offsets[0])
        total += len(piece) + len(separator)
        state.check_size(total, site.offset)
        pieces.append(piece)
    return separator.join(pieces)


def _keys(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    mapping = _map_arg(args, 0, site)
    state.charge(len(mapping), site.offset)
    return list(mapping)


def _values(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    mapping = _map_arg(args, 0, site)
    state.charge(len(mapping), site.offset)
    return list(mapping.values())


# Fixed patterns without nested repetition: safe for the standard library's re.
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _int(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    value = args[0]
    if type(value) is int:
        return value
    if type(value) is float:
        if not math.isfinite(value):
            raise site.error("cannot convert a non-finite number", arg=0)
        return checked_int(math.trunc(value), site.offset)
    if type(value) is str:
        text = value.strip()
        # Our own pattern, not int()'s: int() also accepts '1_000' and non-ASCII digits.
        if _INT_TEXT.fullmatch(text):
            if len(text.lstrip("+-")) > 19:
                raise site.error(f"{_preview(value)} is out of range for a 64-bit integer", arg=0)
            return checked_int(int(text), site.offset)
        raise site.error(
            f"cannot convert {_preview(value)} to an integer",
            arg=0,
            hint="for decimals use int(float(x))" if _FLOAT_TEXT.fullmatch(text) else None,
        )
    raise site.error(f"cannot convert {type_name(value)} to an integer", arg=0)


def _float(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    value = args[0]
    if type(value) is float:
        return value
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:
            raise site.error("the integer is too large for a float", arg=0) from None
    if type(value) is str:
        text = value.strip()
        # float() alone would also accept 'nan', 'inf' and '1_0'.
        if len(text) <= 400 and _FLOAT_TEXT.fullmatch(text):
            result = float(text)
            if math.isfinite(result):
                return result
            raise site.error(f"{_preview(value)} is out of range for a float", arg=0)
        raise site.error(f"cannot convert {_preview(value)} to a float", arg=0)
    raise site.error(f"cannot convert {type_name(value)} to a float", arg=0)


def _string(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    return state.text(args[0], site.arg_offsets[0])


def _bool(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    value = args[0]
    if type(value) is bool:
        return value
    if value is None:
        return False
    if is_number(value):
        return value != 0
    if type(value) is str:
        word = value.strip().lower()
        if word in ("true", "false"):
            return word == "true"
        raise site.error(
            f"cannot convert {_preview(value)} to a bool",
            arg=0,
            hint="only 'true' and 'false' convert; test text with x != ''",
        )
    if type(value) is list or type(value) is dict:
        return len(value) > 0
    raise site.error(f"cannot convert {type_name(value)} to a bool", arg=0)


def _json(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    text = state.json(args[0], site.arg_offsets[0])
    state.charge_chars(len(text), site.offset)
    return text


def _reject_constant(name: str) -> JSONValue:
    raise ValueError(f"{name} is not valid JSON")


def _parse_json(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    text = _string_arg(args, 0, site)
    state.charge_chars(len(text), site.offset)
    state.check_size(len(text), site.offset)
    try:
        value: JSONValue = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise site.error("the JSON text is nested too deeply", arg=0) from None
    except ValueError as exc:
        raise site.error(f"invalid JSON: {exc}", arg=0) from None
    # Validates depth and size of what was produced (and remembers its size).
    state.measure(value, site.arg_offsets[0])
    return value


def _round(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    value = args[0]
    if not is_number(value):
        raise site.error(f"argument 1 must be a number, got {type_name(value)}", arg=0)
    digits = args[1] if len(args) > 1 else 0
    if type(digits) is not int or not -15 <= digits <= 15:
        raise site.error("digits must be an integer between -15 and 15", arg=1)
    if type(value) is int and digits >= 0:
        return value
    if type(value) is float and not math.isfinite(value):
        raise site.error("cannot round a non-finite number", arg=0)
    # Decimal of the shortest repr rounds what people see: round(2.675, 2) is 2.68, and
    # halves go away from zero (round(2.5) is 3), unlike Python's round().
    try:
        rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    except InvalidOperation:
        rounded = Decimal(repr(value))  # more digits than Decimal keeps: already that precise
    if digits > 0:
        return float(rounded)
    return checked_int(int(rounded), site.offset)


def _extreme(pick: Callable[[list[Any]], JSONValue]) -> Builtin:
    def run(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
        if len(args) == 1:
            if type(args[0]) is not list:
                raise site.error(
                    "with one argument, it must be a list",
                    arg=0,
                    hint=f"write {site.name}(a, b) or {site.name}([a, b])",
                )
            items = args[0]
            if not items:
                raise site.error("the list is empty", arg=0)
        else:
            items = list(args)
        state.charge(len(items), site.offset)
        if all(is_number(item) for item in items) or all(type(item) is str for item in items):
            return pick(items)
        kinds = sorted({type_name(item) for item in items})
        raise site.error(f"needs all numbers or all strings, got {', '.join(kinds)}")

    return run


def _abs(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    value = args[0]
    if type(value) is int:
        return checked_int(abs(value), site.offset)
    if type(value) is float:
        return abs(value)
    raise site.error(f"argument 1 must be a number, got {type_name(value)}", arg=0)


def _matches(args: Sequence[JSONValue], state: EvalState, site: CallSite) -> JSONValue:
    text = _string_arg(args, 0, site)
    pattern = _string_arg(args, 1, site)
    if len(text) > MAX_INPUT_LENGTH:
        raise site.error(
            f"the text is longer than {MAX_INPUT_LENGTH} characters",
            arg=0,
            hint="match on a shorter part, e.g. a single field",
        )
    try:
        regex = compile_regex(pattern)
    except RegexError as exc:
        raise site.error(
            f"{exc.message} (at pattern position {exc.position})", arg=1, hint=exc.hint
        ) from None
    return regex.search(text, lambda steps: state.charge(steps, site.offset))


def _preview(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def _smallest(items: list[Any]) -> JSONValue:
    result: JSONValue = min(items)
    return result


def _largest(items: list[Any]) -> JSONValue:
    result: JSONValue = max(items)
    return result


BUILTINS: dict[str, Builtin] = {
    "len": _len,
    "lower": _recase(str.lower),
    "upper": _recase(str.upper),
    "trim": _trim,
    "contains": _contains,
    "startsWith": _starts_with,
    "endsWith": _ends_with,
    "replace": _replace,
    "split": _split,
    "join": _join,
    "keys": _keys,
    "values": _values,
    "int": _int,
    "float": _float,
    "string": _string,
    "bool": _bool,
    "json": _json,
    "parseJson": _parse_json,
    "round": _round,
    "min": _extreme(_smallest),
    "max": _extreme(_largest),
    "abs": _abs,
    "matches": _matches,
}
