"""Semantics of every operator, including the type errors they raise."""

from __future__ import annotations

import pytest

from flowwright.workflow.domain.expressions import (
    EvaluationError,
    ExpressionLimitError,
    JSONValue,
    Limits,
    parse_expression,
)

CONTEXT: dict[str, JSONValue] = {
    "i": 7,
    "x": 2.5,
    "s": "abc",
    "xs": [1, 2, 3],
    "m": {"k": 1, "other": [True]},
    "t": True,
    "f": False,
    "n": None,
    "big": 2**62,
}


def evaluate(source: str, context: dict[str, JSONValue] | None = None) -> JSONValue:
    return parse_expression(source).evaluate(CONTEXT if context is None else context)


def evaluation_error(source: str) -> EvaluationError:
    with pytest.raises(EvaluationError) as caught:
        evaluate(source)
    assert caught.value.code == "EXPR_EVAL"
    return caught.value


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2", 3),
        ("i + x", 9.5),
        ("0.1 + 0.2", 0.1 + 0.2),
        ("'ab' + 'cd'", "abcd"),
        ("s + ''", "abc"),
        ("[1] + [2, 3]", [1, 2, 3]),
        ("xs + []", [1, 2, 3]),
        ("5 - 7", -2),
        ("x - 0.5", 2.0),
        ("3 * 4", 12),
        ("x * 2", 5.0),
        ("10 / 2", 5),
        ("7 / 2", 3.5),
        ("-9 / 3", -3),
        ("1.0 / 4", 0.25),
        ("7 % 3", 1),
        ("-7 % 3", 2),
        ("7 % -3", -2),
        ("7.5 % 2", 1.5),
        ("-i", -7),
        ("-x", -2.5),
    ],
)
def test_arithmetic(source: str, expected: JSONValue) -> None:
    result = evaluate(source)

    assert result == expected
    assert type(result) is type(expected)


def test_adding_lists_builds_a_new_list() -> None:
    context: dict[str, JSONValue] = {"xs": [1]}

    result = evaluate("xs + [2]", context)

    assert result == [1, 2]
    assert context == {"xs": [1]}


@pytest.mark.parametrize(
    ("source", "offset", "message", "hint"),
    [
        ("s + 1", 2, "cannot apply '+' to string and int", "string(x)"),
        ("1 + s", 2, "cannot apply '+' to int and string", "string(x)"),
        ("xs + 1", 3, "cannot apply '+' to list and int", "[item]"),
        ("m + m", 2, "cannot apply '+' to map and map", None),
        ("n + 1", 2, "cannot apply '+' to null and int", "??"),
        ("t + 1", 2, "cannot apply '+' to bool and int", "booleans are not numbers"),
        ("s - 'a'", 2, "cannot apply '-' to string and string", None),
        ("s * 3", 2, "cannot apply '*' to string and int", "cannot be repeated"),
        ("xs * 2", 3, "cannot apply '*' to list and int", "cannot be repeated"),
        ("s / 2", 2, "cannot apply '/' to string and int", None),
        ("s % 2", 2, "cannot apply '%' to string and int", None),
        ("1 / 0", 2, "division by zero", None),
        ("1 / 0.0", 2, "division by zero", None),
        ("1 % 0", 2, "modulo by zero", None),
        ("-s", 0, "cannot negate string", None),
        ("-t", 0, "cannot negate bool", "!"),
        ("big * 4", 4, "integer overflow", "floats"),
        ("9223372036854775807 + 1", 20, "integer overflow", None),
        ("-9223372036854775807 - 2", 21, "integer overflow", None),
        ("1e308 * 10", 6, "float overflow", None),
        ("1e308 + 1e308", 6, "float overflow", None),
        ("1 + 2 + s", 6, "cannot apply '+' to int and string", None),
    ],
)
def test_arithmetic_type_errors_point_at_the_operator(
    source: str, offset: int, message: str, hint: str | None
) -> None:
    error = evaluation_error(source)

    assert error.offset == offset
    assert message in error.message
    if hint is not None:
        assert error.hint is not None and hint in error.hint


def test_integers_grow_into_floats_only_explicitly() -> None:
    assert evaluate("big * 4.0") == float(2**64)


def test_huge_context_integers_are_refused_in_float_arithmetic() -> None:
    with pytest.raises(EvaluationError, match="float overflow"):
        evaluate("n * 1.5", {"n": 10**400})


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 == 1", True),
        ("1 == 1.0", True),
        ("1 != 2", True),
        ("'a' == 'a'", True),
        ("'a' == 'A'", False),
        ("null == null", True),
        ("n == null", True),
        ("true == 1", False),
        ("false == 0", False),
        ("1 == '1'", False),
        ("[1, 2] == [1, 2]", True),
        ("[1, 2] == [2, 1]", False),
        ("[1, [2]] == [1.0, [2.0]]", True),
        ("[true] == [1]", False),
        ("{'a': 1, 'b': 2} == {'b': 2, 'a': 1}", True),
        ("{'a': 1} == {'a': 1, 'b': 2}", False),
        ("{'a': 1} == {'b': 1}", False),
        ("{'a': [1]} == {'a': [1]}", True),
        ("[] == {}", False),
        ("xs == xs", True),
        ("m != {'k': 1}", True),
    ],
)
def test_equality_is_json_equality(source: str, expected: bool) -> None:
    assert evaluate(source) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 < 2", True),
        ("2 <= 2", True),
        ("3 > 2.5", True),
        ("2.5 >= 3", False),
        ("'apple' < 'banana'", True),
        ("'b' >= 'a'", True),
        ("i > x", True),
    ],
)
def test_ordering_compares_numbers_or_strings(source: str, expected: bool) -> None:
    assert evaluate(source) is expected


@pytest.mark.parametrize(
    ("source", "offset", "hint"),
    [
        ("1 < '2'", 2, "int(x)"),
        ("s > 1", 2, "int(x)"),
        ("n < 1", 2, "??"),
        ("xs < xs", 3, None),
        ("t < f", 2, None),
    ],
)
def test_ordering_different_types_is_an_error(source: str, offset: int, hint: str | None) -> None:
    error = evaluation_error(source)

    assert error.offset == offset
    assert "cannot compare" in error.message
    if hint is not None:
        assert error.hint is not None and hint in error.hint


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("2 in xs", True),
        ("2.0 in xs", True),
        ("4 in xs", False),
        ("[1] in [[1], [2]]", True),
        ("'k' in m", True),
        ("'nope' in m", False),
        ("'b' in s", True),
        ("'' in s", True),
        ("'bc' not in s", False),
        ("4 not in xs", True),
        ("true in [1]", False),
    ],
)
def test_membership_in_lists_map_keys_and_strings(source: str, expected: bool) -> None:
    assert evaluate(source) is expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1 in m", "map keys are strings"),
        ("1 in s", "cannot search for a int in a string"),
        ("1 in 5", "'in' needs a list, map or string"),
        ("'a' in n", "'in' needs a list, map or string"),
    ],
)
def test_membership_type_errors(source: str, message: str) -> None:
    assert message in evaluation_error(source).message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("t && t", True),
        ("t && f", False),
        ("f || t", True),
        ("f || f", False),
        ("t and f", False),
        ("f or t", True),
        ("!t", False),
        ("not f", True),
        ("t && t && t && f", False),
        ("f || f || f || t", True),
    ],
)
def test_logical_operators(source: str, expected: bool) -> None:
    assert evaluate(source) is expected


@pytest.mark.parametrize(
    "source",
    [
        "f && (1 / 0 == 1)",
        "t || missing.key",
        "f and undefined_name",
        "t ? 1 : 1 / 0",
        "f ? 1 / 0 : 2",
    ],
)
def test_logical_operators_and_conditionals_short_circuit(source: str) -> None:
    evaluate(source)


@pytest.mark.parametrize(
    ("source", "offset", "what"),
    [
        ("1 && t", 0, "'&&'"),
        ("t && 's'", 5, "'&&'"),
        ("f || n", 5, "'||'"),
        ("!1", 0, "'!'"),
        ("not s", 0, "'!'"),
        ("s ? 1 : 2", 0, "the condition of '?:'"),
        ("xs ? 1 : 2", 0, "the condition of '?:'"),
    ],
)
def test_logic_requires_booleans(source: str, offset: int, what: str) -> None:
    error = evaluation_error(source)

    assert error.offset == offset
    assert error.message.startswith(f"{what} needs a bool")
    assert error.hint is not None and "bool(x)" in error.hint


def test_string_concatenation_is_checked_before_the_string_is_built() -> None:
    context: dict[str, JSONValue] = {"s": "a" * 600}
    limits = Limits(max_result_bytes=1000)

    with pytest.raises(ExpressionLimitError) as caught:
        parse_expression("s + s", limits=limits).evaluate(context, limits=limits)

    assert caught.value.offset == 2


def test_list_concatenation_is_size_checked() -> None:
    context: dict[str, JSONValue] = {"xs": ["a" * 100] * 6}
    limits = Limits(max_result_bytes=1000)

    with pytest.raises(ExpressionLimitError):
        parse_expression("xs + xs", limits=limits).evaluate(context, limits=limits)
