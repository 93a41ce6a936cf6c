"""Evaluation bounds: the step budget, result sizes and value depth."""

from __future__ import annotations

import pytest

from flowwright.workflow.domain.expressions import (
    EvaluationError,
    ExpressionLimitError,
    JSONValue,
    Limits,
    parse_expression,
)


def test_every_node_costs_one_step_charged_up_front() -> None:
    expression = parse_expression("1 + 2 + 3")

    assert expression.cost == 4
    assert expression.evaluate({}, limits=Limits(max_steps=4)) == 6
    with pytest.raises(ExpressionLimitError) as caught:
        expression.evaluate({}, limits=Limits(max_steps=3))
    assert caught.value.code == "EXPR_LIMIT"
    assert caught.value.offset == 0
    assert "more than 3 steps" in caught.value.message


def test_the_budget_is_per_evaluation() -> None:
    expression = parse_expression("len(xs)")
    limits = Limits(max_steps=5)

    for _ in range(10):
        assert expression.evaluate({"xs": [1, 2]}, limits=limits) == 2


def test_data_proportional_work_is_charged_where_it_happens() -> None:
    expression = parse_expression("t && 0 in xs")
    context: dict[str, JSONValue] = {"t": True, "xs": list(range(1, 1001))}

    assert expression.evaluate(context, limits=Limits(max_steps=2000)) is False
    with pytest.raises(ExpressionLimitError) as caught:
        expression.evaluate(context, limits=Limits(max_steps=500))
    assert caught.value.offset == 7


def test_a_result_larger_than_the_limit_is_refused_even_when_only_read() -> None:
    expression = parse_expression("s")
    limits = Limits(max_result_bytes=100)

    assert expression.evaluate({"s": "a" * 90}, limits=limits) == "a" * 90
    with pytest.raises(ExpressionLimitError):
        expression.evaluate({"s": "a" * 200}, limits=limits)
    with pytest.raises(ExpressionLimitError):
        expression.evaluate({"s": ["a" * 30] * 4}, limits=limits)


def test_list_and_map_literals_are_size_checked_as_they_are_built() -> None:
    limits = Limits(max_result_bytes=1000)
    context: dict[str, JSONValue] = {"s": "a" * 300}

    assert parse_expression("[s, s]").evaluate(context, limits=limits) == ["a" * 300] * 2
    with pytest.raises(ExpressionLimitError) as caught:
        parse_expression("len([s, s, s, s])").evaluate(context, limits=limits)
    assert caught.value.offset == 4
    with pytest.raises(ExpressionLimitError):
        parse_expression("len({a: s, b: s, c: s, d: s})").evaluate(context, limits=limits)


def test_shared_structure_cannot_hide_an_exponential_size() -> None:
    # Each level doubles the logical size while Python shares the objects; sizes are
    # remembered per container, so the check costs one addition per level.
    nested: JSONValue = ["a" * 100] * 100
    for _ in range(30):
        nested = [nested, nested]
    context: dict[str, JSONValue] = {"big": nested, "x": ["a" * 100] * 100}

    for source in ("json(big)", "[big]", "big", "[[[[x, x], [x, x]], [[x, x], [x, x]]], x]"):
        with pytest.raises(ExpressionLimitError):
            parse_expression(source).evaluate(context, limits=Limits(max_result_bytes=50_000))


def test_doubling_through_replace_stops_at_the_size_limit() -> None:
    source = "'ab'"
    for _ in range(25):
        source = f"replace({source}, 'a', 'aa')"

    with pytest.raises(ExpressionLimitError):
        parse_expression(source).evaluate({}, limits=Limits(max_steps=1_000_000))


def test_values_nested_deeper_than_the_limit_are_refused_when_returned() -> None:
    deep: JSONValue = 1
    for _ in range(40):
        deep = {"k": deep}

    expression = parse_expression("d")
    assert expression.evaluate({"d": deep}, limits=Limits(max_value_depth=40)) == deep
    with pytest.raises(EvaluationError, match="nested deeper than 39 levels"):
        expression.evaluate({"d": deep}, limits=Limits(max_value_depth=39))


def test_a_deep_value_can_still_be_navigated() -> None:
    deep: JSONValue = "bottom"
    for _ in range(500):
        deep = {"k": deep}

    assert parse_expression("d" + ".k" * 500).evaluate({"d": deep}) == "bottom"


def test_comparing_values_deeper_than_the_recursion_limit_does_not_crash() -> None:
    left: JSONValue = []
    right: JSONValue = []
    for _ in range(5000):
        left, right = [left], [right]

    expression = parse_expression("a == b")
    assert expression.evaluate({"a": left, "b": right}, limits=Limits(max_steps=100_000))
