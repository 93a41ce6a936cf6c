"""Compiles a syntax tree into nested closures, once, at parse time.

Evaluating is then a chain of plain function calls with no dispatch on node types, which is
what keeps the per-evaluation overhead around a microsecond for typical expressions.

The language has no loops, so each node runs at most once per evaluation: the node count,
known after compiling, is charged up front, and only data-proportional work (functions,
``in``, equality, list concatenation) is charged as it happens.

Paths have a *soft* form used by ``??``, ``has``, ``default`` and ``coalesce``: a missing key,
an index out of range, a missing name or a null in the middle of the path yields ``MISSING``
instead of an error. Type errors (indexing a list with a string, reading a key of a number)
stay errors in both forms: they are bugs, not absent data.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Callable, Iterable, Mapping
from typing import cast

from .builtins import BUILTINS, CallSite
from .errors import EvaluationError
from .nodes import (
    Call,
    Chain,
    Compare,
    Conditional,
    ListNode,
    Literal,
    MapNode,
    Name,
    Node,
    Path,
    Segment,
    Unary,
)
from .operators import (
    ARITHMETIC,
    ORDERINGS,
    bool_error,
    contains,
    negate,
    order,
    require_bool,
)
from .runtime import EvalState, not_json_error
from .values import JSON_TYPES, JSONValue, type_name


class _Missing(enum.Enum):
    MISSING = "MISSING"


MISSING = _Missing.MISSING

Evaluator = Callable[[EvalState], JSONValue]
SoftEvaluator = Callable[[EvalState], JSONValue | _Missing]


def _quote(key: str | int) -> str:
    if type(key) is int:
        return str(key)
    text = repr(key)
    return text if len(text) <= 60 else text[:57] + "...'"


def _suggest(wanted: str, available: Iterable[object], noun: str) -> str:
    names = [name for name in available if type(name) is str]
    close = difflib.get_close_matches(wanted, names[:1000], n=1, cutoff=0.6)
    listing = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    prefix = f"did you mean '{close[0]}'? " if close else ""
    if not names:
        return prefix + f"there are no {noun}s here"
    return prefix + f"{noun}s: {listing}"


class Compiler:
    """Turns one tree into an evaluator; ``cost`` is its node count."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.cost = 0

    def compile(self, node: Node) -> Evaluator:
        self.cost += 1
        if isinstance(node, Literal):
            return self._literal(node)
        if isinstance(node, Name):
            return self._name(node)
        if isinstance(node, Path):
            return self._path(node)
        if isinstance(node, Chain):
            return self._chain(node)
        if isinstance(node, Compare):
            return self._compare(node)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, Conditional):
            return self._conditional(node)
        if isinstance(node, Unary):
            return self._unary(node)
        if isinstance(node, ListNode):
            return self._list(node)
        return self._map(node)

    def soft(self, node: Node) -> SoftEvaluator:
        """Like ``compile``, but a path that cannot be followed gives MISSING."""
        if isinstance(node, Name):
            self.cost += 1
            return self._soft_name(node)
        if isinstance(node, Path):
            self.cost += 1
            return self._soft_path(node)
        return self.compile(node)

    # -- values -----------------------------------------------------------------------------

    def _literal(self, node: Literal) -> Evaluator:
        value = node.value
        return lambda state: value

    def _name(self, node: Name) -> Evaluator:
        name, offset = node.name, node.start

        def run(state: EvalState) -> JSONValue:
            value = state.context.get(name, MISSING)
            if value is MISSING:
                raise _unknown_name(name, offset, state.context)
            if type(value) not in JSON_TYPES:
                raise not_json_error(value, offset)
            return value

        return run

    def _soft_name(self, node: Name) -> SoftEvaluator:
        name, offset = node.name, node.start

        def run(state: EvalState) -> JSONValue | _Missing:
            value = state.context.get(name, MISSING)
            if value is not MISSING and type(value) not in JSON_TYPES:
                raise not_json_error(value, offset)
            return value

        return run

    def _path(self, node: Path) -> Evaluator:
        # With a hard base and soft=False the walker raises rather than return MISSING.
        walk = cast(Evaluator, self._walker(node, self.compile(node.base), soft=False))
        keys = tuple(segment.key for segment in node.segments)
        if not (isinstance(node.base, Name) and all(type(key) is str for key in keys)):
            return walk
        root = node.base.name

        def fast(state: EvalState) -> JSONValue:
            # The common case, steps.a.output.text over plain maps, in one tight loop. Anything
            # unusual (a missing key, a list, null, a foreign type) re-walks the general way,
            # which is free of side effects and produces the precise result or error.
            value = state.context.get(root)
            for key in keys:
                if type(value) is not dict:
                    return walk(state)
                value = value.get(key, MISSING)  # type: ignore[arg-type]
            if type(value) in JSON_TYPES:
                return value
            return walk(state)

        return fast

    def _soft_path(self, node: Path) -> SoftEvaluator:
        return self._walker(node, self.soft(node.base), soft=True)

    def _walker(self, node: Path, base: SoftEvaluator, *, soft: bool) -> SoftEvaluator:
        steps = tuple(
            (segment.key, None if segment.expr is None else self.compile(segment.expr), segment)
            for segment in node.segments
        )
        slow_step = self._slow_step

        def run(state: EvalState) -> JSONValue | _Missing:
            value = base(state)
            if value is MISSING:
                return MISSING
            for static_key, key_of, segment in steps:
                key = static_key if key_of is None else key_of(state)
                if type(value) is dict and type(key) is str:
                    found = value.get(key, MISSING)
                    if found is MISSING:
                        if soft:
                            return MISSING
                        raise self._missing_key(node, segment, key, value)
                    value = found
                else:
                    value = slow_step(node, segment, value, key, soft)
                    if value is MISSING:
                        return MISSING
                if type(value) not in JSON_TYPES:
                    raise not_json_error(value, segment.start)
            return value

        return run

    def _prefix(self, node: Path, segment: Segment) -> str:
        """Source text of the path up to (not including) ``segment``."""
        return self.source[node.start : segment.start].rstrip().removesuffix(".").rstrip()

    def _missing_key(
        self, node: Path, segment: Segment, key: str, mapping: Mapping[str, object]
    ) -> EvaluationError:
        prefix = self._prefix(node, segment)
        return EvaluationError(
            f"{prefix} has no key {_quote(key)}",
            offset=segment.start,
            hint=_suggest(key, mapping, "key")
            + f"; if it can be absent, write {self.source[node.start : segment.end]} ?? default",
        )

    def _slow_step(
        self, node: Path, segment: Segment, value: JSONValue, key: object, soft: bool
    ) -> JSONValue | _Missing:
        """Every access other than a present string key of a map."""
        offset = segment.start
        if type(key) is not str and type(key) is not int:
            raise EvaluationError(
                f"an index must be an integer or a string, got {type_name(key)}", offset=offset
            )
        if type(value) is dict:
            if type(key) is str:  # only reached for a missing key
                if soft:
                    return MISSING
                raise self._missing_key(node, segment, key, value)
            raise EvaluationError(
                f"{self._prefix(node, segment)} is a map; its keys are strings, not {key}",
                offset=offset,
                hint=f"write ['{key}'] to read the key \"{key}\"",
            )
        if type(value) is list or type(value) is str:
            if type(key) is not int:
                kind = "list" if type(value) is list else "string"
                raise EvaluationError(
                    f"{self._prefix(node, segment)} is a {kind}, which has no key {_quote(key)}",
                    offset=offset,
                    hint="index it with a number such as [0]",
                )
            length = len(value)
            if -length <= key < length:
                return value[key]
            if soft:
                return MISSING
            raise EvaluationError(
                f"index {key} is out of range for {self._prefix(node, segment)} (length {length})",
                offset=offset,
                hint=f"if it can be absent, write {self.source[node.start : segment.end]} ?? "
                "default",
            )
        if value is None:
            if soft:
                return MISSING
            raise EvaluationError(
                f"cannot read {_quote(key)} of null: {self._prefix(node, segment)} is null",
                offset=offset,
                hint=f"write {self.source[node.start : node.end]} ?? default",
            )
        raise EvaluationError(
            f"cannot read {_quote(key)} of {type_name(value)}: "
            f"{self._prefix(node, segment)} is not a map or list",
            offset=offset,
        )

    # -- operators --------------------------------------------------------------------------

    def _chain(self, node: Chain) -> Evaluator:
        op = node.ops[0]
        if op == "&&":
            return self._all_true(node)
        if op == "||":
            return self._any_true(node)
        if op == "??":
            return self._coalesce(node.operands[:-1], self.compile(node.operands[-1]))
        first = self.compile(node.operands[0])
        rest = tuple(
            (ARITHMETIC[name], self.compile(operand), offset)
            for name, operand, offset in zip(
                node.ops, node.operands[1:], node.op_offsets, strict=True
            )
        )
        if len(rest) == 1:
            ((apply, second, op_offset),) = rest
            return lambda state: apply(first(state), second(state), state, op_offset)

        def run(state: EvalState) -> JSONValue:
            value = first(state)
            for apply, operand, offset in rest:
                value = apply(value, operand(state), state, offset)
            return value

        return run

    def _all_true(self, node: Chain) -> Evaluator:
        operands = tuple((self.compile(o), o.start) for o in node.operands)

        def run(state: EvalState) -> JSONValue:
            for operand, offset in operands:
                value = operand(state)
                if value is False:
                    return False
                if value is not True:
                    raise bool_error(value, "'&&'", offset)
            return True

        return run

    def _any_true(self, node: Chain) -> Evaluator:
        operands = tuple((self.compile(o), o.start) for o in node.operands)

        def run(state: EvalState) -> JSONValue:
            for operand, offset in operands:
                value = operand(state)
                if value is True:
                    return True
                if value is not False:
                    raise bool_error(value, "'||'", offset)
            return False

        return run

    def _coalesce(self, candidates: Iterable[Node], fallback: Evaluator | None) -> Evaluator:
        tries = tuple(self.soft(candidate) for candidate in candidates)

        def run(state: EvalState) -> JSONValue:
            for attempt in tries:
                value = attempt(state)
                if value is not MISSING and value is not None:
                    return value
            return None if fallback is None else fallback(state)

        return run

    def _compare(self, node: Compare) -> Evaluator:
        left, right, op, offset = (
            self.compile(node.left),
            self.compile(node.right),
            node.op,
            node.op_offset,
        )
        if op == "==" or op == "!=":
            negated = op == "!="

            def equality(state: EvalState) -> JSONValue:
                a, b = left(state), right(state)
                if type(a) is type(b) and type(a) in _FAST_EQUALITY:
                    return (a == b) is not negated
                return state.equal(a, b, offset) is not negated

            return equality
        if op == "in":
            return lambda state: _in(state, left, right, offset)
        if op == "not in":
            return lambda state: not _in(state, left, right, offset)
        compare = ORDERINGS[op]

        def ordering(state: EvalState) -> JSONValue:
            a, b = left(state), right(state)
            kind = type(a)
            if (kind is int or kind is float or kind is str) and type(b) is kind:
                return bool(compare(a, b))
            return order(op, a, b, offset)

        return ordering

    def _conditional(self, node: Conditional) -> Evaluator:
        condition, then, otherwise = (
            self.compile(node.condition),
            self.compile(node.then),
            self.compile(node.otherwise),
        )
        offset = node.condition.start

        def run(state: EvalState) -> JSONValue:
            chosen = condition(state)
            if chosen is True:
                return then(state)
            if chosen is False:
                return otherwise(state)
            raise bool_error(chosen, "the condition of '?:'", offset)

        return run

    def _unary(self, node: Unary) -> Evaluator:
        operand, offset = self.compile(node.operand), node.start
        if node.op == "-":
            return lambda state: negate(operand(state), offset)
        return lambda state: not require_bool(operand(state), "'!'", offset)

    # -- constructors -----------------------------------------------------------------------

    def _list(self, node: ListNode) -> Evaluator:
        items = tuple(self.compile(item) for item in node.items)
        offset = node.start

        def run(state: EvalState) -> JSONValue:
            values = [item(state) for item in items]
            size = 2
            for value in values:
                size += state.measure(value, offset) + 1
            state.check_size(size, offset)
            state.remember(values, size)
            return values

        return run

    def _map(self, node: MapNode) -> Evaluator:
        entries = tuple(
            (
                entry.key,
                None if entry.key_expr is None else self.compile(entry.key_expr),
                self.compile(entry.value),
                entry.start,
            )
            for entry in node.entries
        )
        offset = node.start

        def run(state: EvalState) -> JSONValue:
            result: dict[str, JSONValue] = {}
            size = 2
            for static_key, key_of, value_of, entry_offset in entries:
                key = static_key if key_of is None else key_of(state)
                if type(key) is not str:
                    raise EvaluationError(
                        f"map keys must be strings, got {type_name(key)}",
                        offset=entry_offset,
                        hint="convert the key with string(x)",
                    )
                value = value_of(state)
                size += len(key) + 4 + state.measure(value, entry_offset)
                result[key] = value
            state.check_size(size, offset)
            state.remember(result, size)
            return result

        return run

    # -- calls ------------------------------------------------------------------------------

    def _call(self, node: Call) -> Evaluator:
        name, args = node.name, node.args
        if name == "has":
            present = self.soft(args[0])
            return lambda state: present(state) is not MISSING
        if name == "default":
            return self._coalesce(args[:1], self.compile(args[1]))
        if name == "coalesce":
            return self._coalesce(args, None)
        implementation = BUILTINS[name]
        site = CallSite(name, node.start, tuple(arg.start for arg in args))
        evaluators = tuple(self.compile(arg) for arg in args)
        if len(evaluators) == 1:
            (only,) = evaluators
            return lambda state: implementation((only(state),), state, site)
        if len(evaluators) == 2:
            first, second = evaluators
            return lambda state: implementation((first(state), second(state)), state, site)
        return lambda state: implementation(
            tuple(evaluate(state) for evaluate in evaluators), state, site
        )


# Same-type scalars whose Python equality is JSON equality.
_FAST_EQUALITY = frozenset({str, int, float, bool, type(None)})


def _in(state: EvalState, left: Evaluator, right: Evaluator, offset: int) -> bool:
    item = left(state)
    return contains(right(state), item, state, offset)


def _unknown_name(name: str, offset: int, context: Mapping[str, object]) -> EvaluationError:
    return EvaluationError(
        f"unknown name '{name}'",
        offset=offset,
        hint=_suggest(name, list(context), "name"),
    )
