"""A parsed expression: parse once, evaluate many times."""

from __future__ import annotations

import math
from collections.abc import Mapping

from .errors import EvaluationError, ExpressionLimitError
from .evaluator import Compiler, Evaluator
from .limits import DEFAULT_LIMITS, Limits
from .nodes import Node
from .parser import parse
from .references import Reference, collect_references
from .runtime import EvalState
from .values import JSONValue


class Expression:
    """A parsed, compiled expression.

    Immutable and safe to share between threads and evaluations. Evaluating never re-parses.

    Attributes:
        source: the text that was parsed (offsets in errors and references point into it).
    """

    __slots__ = ("_cost", "_evaluate", "_references", "source", "tree")

    def __init__(self, source: str, tree: Node, evaluate: Evaluator, cost: int) -> None:
        self.source = source
        self.tree = tree
        self._evaluate = evaluate
        self._cost = cost
        self._references: tuple[Reference, ...] | None = None

    @property
    def cost(self) -> int:
        """Steps charged up front on every evaluation (one per node)."""
        return self._cost

    def references(self) -> tuple[Reference, ...]:
        """Every use of a free name, in source order (function names and map keys excluded)."""
        if self._references is None:
            self._references = collect_references(self.tree, self.source)
        return self._references

    def evaluate(
        self, context: Mapping[str, JSONValue], *, limits: Limits = DEFAULT_LIMITS
    ) -> JSONValue:
        """The value of the expression with names resolved in ``context``.

        Raises EvaluationError (missing key, wrong type, ...) or ExpressionLimitError (step
        budget, result size), never anything else. The result may share structure with the
        context: treat it as read-only.
        """
        return self._run(EvalState(context, limits))

    def _run(self, state: EvalState) -> JSONValue:
        # Also used by Template, whose expressions share one budget per render.
        # Each node runs at most once (there are no loops), so the node count is charged up
        # front; inlined because this is the hot path.
        state.steps_left -= self._cost
        if state.steps_left < 0:
            state.charge(0, 0)
        try:
            value = self._evaluate(state)
        except RecursionError:
            # Unreachable within the depth ceiling; kept so the error contract always holds.
            raise ExpressionLimitError("the expression is nested too deeply", offset=0) from None
        if type(value) is str:
            if len(value) >= state.limits.max_result_bytes:
                state.check_size(len(value) + 2, 0)
        elif type(value) is list or type(value) is dict:
            state.measure(value, 0)
        elif type(value) is float and not math.isfinite(value):
            raise EvaluationError("NaN and infinite numbers are not JSON values", offset=0)
        return value

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other.source == self.source

    def __hash__(self) -> int:
        return hash((Expression, self.source))


def parse_expression(source: str, *, limits: Limits = DEFAULT_LIMITS) -> Expression:
    """Parse and compile ``source`` (the text inside ``${{ }}``, without the braces).

    Raises ExpressionSyntaxError, ExpressionForbiddenError (and UnknownFunctionError) or
    ExpressionLimitError, each with the offset of the problem in ``source``.
    """
    if not isinstance(source, str):
        raise TypeError(f"expression source must be a str, not {type(source).__name__}")
    tree = parse(source, limits)
    compiler = Compiler(source)
    try:
        evaluate = compiler.compile(tree)
    except RecursionError:
        raise ExpressionLimitError("the expression is nested too deeply", offset=0) from None
    return Expression(source, tree, evaluate, compiler.cost)
