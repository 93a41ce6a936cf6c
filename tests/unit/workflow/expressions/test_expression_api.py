"""The public surface: exports, error classes, limits and the function registry."""

from __future__ import annotations

import pickle

import pytest

import flowwright.workflow.domain.expressions as expressions
from flowwright.kernel.errors import NonRetryableError, ValidationFailed
from flowwright.workflow.domain.expressions import (
    DEFAULT_LIMITS,
    FUNCTIONS,
    MAX_DEPTH_CEILING,
    EvaluationError,
    Expression,
    ExpressionError,
    ExpressionForbiddenError,
    ExpressionLimitError,
    ExpressionSyntaxError,
    FunctionSpec,
    Limits,
    UnknownFunctionError,
    parse_expression,
)

ERROR_CODES = [
    (ExpressionSyntaxError, "EXPR_SYNTAX"),
    (ExpressionForbiddenError, "EXPR_FORBIDDEN"),
    (UnknownFunctionError, "EXPR_UNKNOWN_FUNCTION"),
    (ExpressionLimitError, "EXPR_LIMIT"),
    (EvaluationError, "EXPR_EVAL"),
]


def test_the_package_exports_exactly_its_public_api() -> None:
    for name in expressions.__all__:
        assert hasattr(expressions, name), name
    assert {
        "JSONValue",
        "ExpressionError",
        "ExpressionSyntaxError",
        "ExpressionForbiddenError",
        "ExpressionLimitError",
        "EvaluationError",
        "Limits",
        "DEFAULT_LIMITS",
        "Reference",
        "Expression",
        "Template",
        "parse_expression",
        "parse_template",
        "contains_expression",
        "render_value",
        "FUNCTIONS",
        "FunctionSpec",
    } <= set(expressions.__all__)


@pytest.mark.parametrize(("error_class", "code"), ERROR_CODES)
def test_every_error_class_has_its_code_and_is_a_validation_failure(
    error_class: type[ExpressionError], code: str
) -> None:
    error = error_class("boom", offset=3, hint="do this")

    assert isinstance(error, ExpressionError)
    assert isinstance(error, ValidationFailed)
    assert isinstance(error, NonRetryableError)
    assert error.retryable is False
    assert error.code == code
    assert (error.message, error.offset, error.hint) == ("boom", 3, "do this")
    assert error.details == {"code": code, "offset": 3, "hint": "do this"}
    assert str(error) == "boom"


def test_an_unknown_function_error_is_a_forbidden_error() -> None:
    assert issubclass(UnknownFunctionError, ExpressionForbiddenError)


def test_an_error_without_a_hint_leaves_it_out_of_the_details() -> None:
    error = EvaluationError("boom", offset=0)

    assert error.hint is None
    assert "hint" not in error.details


def test_shifting_an_error_moves_its_offset_and_keeps_everything_else() -> None:
    error = ExpressionSyntaxError("bad", offset=2, hint="fix", details={"extra": 1})

    moved = error.shifted(10)

    assert type(moved) is ExpressionSyntaxError
    assert (moved.message, moved.offset, moved.hint) == ("bad", 12, "fix")
    assert moved.details == {"code": "EXPR_SYNTAX", "offset": 12, "hint": "fix", "extra": 1}


@pytest.mark.parametrize(("error_class", "code"), ERROR_CODES)
def test_errors_survive_pickling(error_class: type[ExpressionError], code: str) -> None:
    error = error_class("boom", offset=7, hint="h", details={"value_path": "$.a"})

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes

    assert type(copy) is error_class
    assert (copy.code, copy.message, copy.offset, copy.hint) == (code, "boom", 7, "h")
    assert copy.details == error.details


def test_default_limits_are_the_documented_ones() -> None:
    assert Limits() == DEFAULT_LIMITS
    assert (
        DEFAULT_LIMITS.max_source_length,
        DEFAULT_LIMITS.max_depth,
        DEFAULT_LIMITS.max_steps,
        DEFAULT_LIMITS.max_result_bytes,
    ) == (4096, 64, 10_000, 1_000_000)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_source_length": 0},
        {"max_steps": -1},
        {"max_result_bytes": 1.5},
        {"max_depth": MAX_DEPTH_CEILING + 1},
        {"max_value_depth": 0},
    ],
)
def test_limits_reject_values_that_cannot_be_enforced(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="Limits"):
        Limits(**kwargs)  # type: ignore[arg-type]


def test_limits_are_immutable() -> None:
    with pytest.raises(AttributeError):
        DEFAULT_LIMITS.max_steps = 1  # type: ignore[misc]


def test_the_function_registry_lists_the_whitelist_with_arities_and_docs() -> None:
    assert set(FUNCTIONS) == {
        "len",
        "lower",
        "upper",
        "trim",
        "contains",
        "startsWith",
        "endsWith",
        "replace",
        "split",
        "join",
        "keys",
        "values",
        "int",
        "float",
        "string",
        "bool",
        "json",
        "parseJson",
        "round",
        "min",
        "max",
        "abs",
        "default",
        "coalesce",
        "has",
        "matches",
    }
    for name, spec in FUNCTIONS.items():
        assert isinstance(spec, FunctionSpec)
        assert spec.name == name
        assert spec.min_arity >= 1
        assert spec.max_arity is None or spec.max_arity >= spec.min_arity
        assert spec.doc and "\n" not in spec.doc
        assert spec.signature.startswith(name + "(")
    assert {name for name, spec in FUNCTIONS.items() if spec.lazy} == {"has", "default", "coalesce"}


def test_the_function_registry_cannot_be_modified() -> None:
    with pytest.raises(TypeError):
        FUNCTIONS["eval"] = FUNCTIONS["len"]  # type: ignore[index]


def test_there_are_no_time_functions() -> None:
    assert not {"now", "today", "format_date", "timestamp"} & set(FUNCTIONS)


def test_an_expression_keeps_its_source_and_compares_by_it() -> None:
    first = parse_expression("inputs.a + 1")

    assert isinstance(first, Expression)
    assert first.source == "inputs.a + 1"
    assert first == parse_expression("inputs.a + 1")
    assert hash(first) == hash(parse_expression("inputs.a + 1"))
    assert first != parse_expression("inputs.a + 2")
    assert repr(first) == "Expression('inputs.a + 1')"


def test_an_expression_can_be_evaluated_many_times_with_different_contexts() -> None:
    expression = parse_expression("inputs.a * 2")

    assert [expression.evaluate({"inputs": {"a": n}}) for n in range(3)] == [0, 2, 4]
