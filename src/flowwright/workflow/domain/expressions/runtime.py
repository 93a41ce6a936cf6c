"""Per-evaluation state: the context, the step budget and size accounting.

Sizes are approximate lengths of the compact JSON form. They are remembered per container for
the length of one evaluation, so ``[x, x]`` nested twenty times costs twenty additions, not a
walk of a million elements: building shared structure cannot hide an exponential result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from .errors import EvaluationError, ExpressionLimitError
from .limits import Limits
from .values import JSONValue, dumps, is_number, to_text, type_name

# Functions that scan text in C (find, replace, case changes) cost one step per this many
# characters; element-wise work costs one step per element.
CHARS_PER_STEP = 64

# Sizes of scalars in compact JSON, rounded up. Exactness does not matter, boundedness does.
_SCALAR_SIZE = 5
_FLOAT_SIZE = 24
_SMALL_INT = 10**18


def _int_size(value: int) -> int:
    if -_SMALL_INT < value < _SMALL_INT:
        return 20
    # About 0.3 decimal digits per bit; avoids printing huge ints just to measure them.
    return value.bit_length() // 3 + 2


def not_json_error(value: object, offset: int) -> EvaluationError:
    return EvaluationError(
        f"the context holds a value that is not JSON ({type_name(value)})",
        offset=offset,
        hint="expressions only read null, booleans, numbers, strings, lists and maps",
    )


class EvalState:
    """Mutable state of one evaluation. Not shared between threads or evaluations."""

    __slots__ = ("_sizes", "context", "limits", "steps_left")

    def __init__(self, context: Mapping[str, JSONValue], limits: Limits) -> None:
        if type(context) is not dict and not isinstance(context, Mapping):
            raise EvaluationError(
                "the evaluation context must be a mapping of names to JSON values", offset=0
            )
        self.context = context
        self.limits = limits
        self.steps_left = limits.max_steps
        # id(container) -> (container, size). Holding the container keeps its id unique.
        self._sizes: dict[int, tuple[object, int]] | None = None

    @property
    def max_bytes(self) -> int:
        return self.limits.max_result_bytes

    # -- budget -----------------------------------------------------------------------------

    def charge(self, steps: int, offset: int) -> None:
        """Spend ``steps`` of the budget; raise ExpressionLimitError when it runs out."""
        self.steps_left -= steps
        if self.steps_left < 0:
            raise ExpressionLimitError(
                f"evaluation needs more than {self.limits.max_steps} steps",
                offset=offset,
                hint="the expression does too much work on this data; simplify it or move "
                "the processing into a step",
            )

    def charge_chars(self, length: int, offset: int) -> None:
        self.charge(1 + length // CHARS_PER_STEP, offset)

    # -- sizes ------------------------------------------------------------------------------

    def check_size(self, size: int, offset: int) -> None:
        if size > self.max_bytes:
            raise ExpressionLimitError(
                f"the value built here is larger than {self.max_bytes} bytes",
                offset=offset,
                hint="expressions cannot build values that large",
            )

    def remember(self, container: list[JSONValue] | dict[str, JSONValue], size: int) -> None:
        """Record the size of a container this evaluation just built."""
        if self._sizes is None:
            self._sizes = {}
        self._sizes[id(container)] = (container, size)

    def measure(self, value: JSONValue, offset: int) -> int:
        """Approximate JSON size of ``value``, checking on the way that it is plain JSON.

        Raises ExpressionLimitError as soon as the size passes ``max_result_bytes`` and
        EvaluationError for non-JSON values (foreign types, non-string keys, NaN, infinities,
        nesting deeper than ``max_value_depth``).
        """
        if type(value) is str:
            size = len(value) + 2
        elif type(value) is list or type(value) is dict:
            if self._sizes is not None:
                known = self._sizes.get(id(value))
                if known is not None:
                    return known[1]
            size = self._walk(value, offset)
            self.remember(value, size)
        else:
            return self._scalar_size(value, offset)
        self.check_size(size, offset)
        return size

    def _scalar_size(self, value: object, offset: int) -> int:
        if type(value) is int:
            return _int_size(value)
        if type(value) is float:
            if not math.isfinite(value):
                raise EvaluationError("NaN and infinite numbers are not JSON values", offset=offset)
            return _FLOAT_SIZE
        if value is None or type(value) is bool:
            return _SCALAR_SIZE
        raise not_json_error(value, offset)

    def _walk(self, root: list[JSONValue] | dict[str, JSONValue], offset: int) -> int:
        # Iterative so that data nested deeper than the recursion limit is reported, not fatal.
        limit = self.limits.max_result_bytes
        max_depth = self.limits.max_value_depth
        sizes = self._sizes
        total = 0
        stack: list[tuple[object, int]] = [(root, 1)]
        while stack:
            value, depth = stack.pop()
            if type(value) is str:
                total += len(value) + 3
            elif type(value) is dict or type(value) is list:
                if sizes is not None and value is not root:
                    known = sizes.get(id(value))
                    if known is not None:
                        total += known[1] + 1
                        if total > limit:
                            break
                        continue
                if depth > max_depth:
                    raise EvaluationError(
                        f"the value is nested deeper than {max_depth} levels", offset=offset
                    )
                total += 2
                if type(value) is dict:
                    for key, item in value.items():
                        if type(key) is not str:
                            raise EvaluationError(
                                f"map keys must be strings, found a {type_name(key)} key",
                                offset=offset,
                            )
                        total += len(key) + 4
                        stack.append((item, depth + 1))
                else:
                    stack.extend([(item, depth + 1) for item in value])
            else:
                total += self._scalar_size(value, offset) + 1
            if total > limit:
                break
        return total

    # -- conversions ------------------------------------------------------------------------

    def text(self, value: JSONValue, offset: int) -> str:
        """``value`` as template interpolation writes it (strings as-is, null as "")."""
        if type(value) is str:
            return value
        if type(value) is list or type(value) is dict:
            self.measure(value, offset)
        elif type(value) is float and not math.isfinite(value):
            raise EvaluationError("NaN and infinite numbers are not JSON values", offset=offset)
        elif value is not None and type(value) not in (bool, int, float):
            raise not_json_error(value, offset)
        try:
            text = to_text(value)
        except (ValueError, RecursionError) as exc:
            raise EvaluationError(
                f"cannot write this value as text: {exc}", offset=offset
            ) from None
        # The measured size is approximate (escapes can make JSON up to six times longer), so
        # the exact length is checked too. Together they bound memory to a small multiple.
        self.check_size(len(text), offset)
        return text

    def json(self, value: JSONValue, offset: int) -> str:
        """``value`` as compact JSON, after checking it is JSON of an allowed size."""
        self.measure(value, offset)
        try:
            text = dumps(value)
        except (ValueError, RecursionError) as exc:
            raise EvaluationError(f"cannot serialize this value: {exc}", offset=offset) from None
        self.check_size(len(text), offset)
        return text

    # -- equality ---------------------------------------------------------------------------

    def equal(self, left: JSONValue, right: JSONValue, offset: int) -> bool:
        """JSON equality: 1 == 1.0, true != 1, maps compare regardless of key order.

        Iterative, and charged one step per element compared, so comparing big values is paid
        for as it happens.
        """
        if type(left) is str and type(right) is str:
            return left == right
        stack: list[tuple[object, object]] = [(left, right)]
        visited = 0
        while stack:
            a, b = stack.pop()
            visited += 1
            if visited == _EQUALITY_BATCH:
                self.charge(visited, offset)
                visited = 0
            if a is b and type(a) is not float:  # NaN is not equal to itself
                continue
            if type(a) is not type(b):
                if is_number(a) and is_number(b):
                    if a != b:
                        return self._equal_done(False, visited, offset)
                    continue
                for item in (a, b):
                    if type(item) not in _JSON_SCALAR_OR_CONTAINER:
                        raise not_json_error(item, offset)
                return self._equal_done(False, visited, offset)
            if type(a) is list and type(b) is list:
                if len(a) != len(b):
                    return self._equal_done(False, visited, offset)
                stack.extend(zip(a, b, strict=True))
            elif type(a) is dict and type(b) is dict:
                if len(a) != len(b):
                    return self._equal_done(False, visited, offset)
                for key, item in a.items():
                    if type(key) is not str:
                        raise not_json_error(key, offset)
                    if key not in b:
                        return self._equal_done(False, visited, offset)
                    stack.append((item, b[key]))
            elif type(a) in _JSON_SCALARS:
                if a != b:
                    return self._equal_done(False, visited, offset)
            else:
                raise not_json_error(a, offset)
        return self._equal_done(True, visited, offset)

    def _equal_done(self, result: bool, visited: int, offset: int) -> bool:
        if visited > 1:
            self.charge(visited - 1, offset)
        return result


_EQUALITY_BATCH = 1024
_JSON_SCALARS: frozenset[type] = frozenset({type(None), bool, int, float, str})
_JSON_SCALAR_OR_CONTAINER: frozenset[type] = _JSON_SCALARS | {list, dict}
