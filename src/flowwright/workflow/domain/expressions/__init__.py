"""The workflow expression language: ``${{ ... }}`` inside DSL strings.

A small CEL-like language over JSON values. It is ours rather than cel-python because the
platform needs things a general-purpose library does not give together:

* exact character offsets on every error, which the DSL compiler maps to line and column for
  the loop that repairs workflows from compiler errors;
* a static walk of every reference (``Expression.references()``), so the compiler can check
  that each ``steps.X`` is upstream before anything runs;
* hard bounds on source length, nesting, evaluation steps and result size, because
  expressions from many tenants run on shared workers (including regex matching, which runs
  in linear time instead of on a backtracking engine);
* parse-once, closure-compiled evaluation, cheap enough for the engine's hot path;
* no route to Python internals: names starting with ``_`` are rejected when parsing, member
  access only reads keys of JSON maps, values are checked by exact type, and there are no
  methods, attributes, lambdas or user-defined functions.

There are no time functions: they would break deterministic replay. The engine puts
time-dependent values in the context instead (``run.started_at``).

Entry points: ``parse_expression`` and ``parse_template`` (parse once, evaluate many times),
``render_value`` (render every string in a JSON structure) and ``contains_expression``.
"""

from .errors import (
    EvaluationError,
    ExpressionError,
    ExpressionForbiddenError,
    ExpressionLimitError,
    ExpressionSyntaxError,
    UnknownFunctionError,
)
from .expression import Expression, parse_expression
from .functions import FUNCTIONS, FunctionSpec
from .limits import DEFAULT_LIMITS, MAX_DEPTH_CEILING, Limits
from .references import Reference
from .template import Template, contains_expression, parse_template, render_value
from .values import JSONValue

__all__ = [
    "DEFAULT_LIMITS",
    "FUNCTIONS",
    "MAX_DEPTH_CEILING",
    "EvaluationError",
    "Expression",
    "ExpressionError",
    "ExpressionForbiddenError",
    "ExpressionLimitError",
    "ExpressionSyntaxError",
    "FunctionSpec",
    "JSONValue",
    "Limits",
    "Reference",
    "Template",
    "UnknownFunctionError",
    "contains_expression",
    "parse_expression",
    "parse_template",
    "render_value",
]
