"""Templates: literal text, typed single expressions, interpolation and escaping."""

from __future__ import annotations

import pytest

from flowwright.workflow.domain.expressions import (
    EvaluationError,
    ExpressionError,
    ExpressionLimitError,
    ExpressionSyntaxError,
    JSONValue,
    Limits,
    contains_expression,
    parse_template,
    render_value,
)

CONTEXT: dict[str, JSONValue] = {
    "inputs": {
        "name": "Ada",
        "n": 3,
        "x": 1.5,
        "ok": True,
        "none": None,
        "items": [1, "two"],
        "obj": {"k": "v"},
    },
}


def render(text: str) -> JSONValue:
    return parse_template(text).render(CONTEXT)


@pytest.mark.parametrize(
    "text", ["", "plain text", "costs $5", "$ {{ not }}", "{{ x }}", "${ x }", "$${{ x }}", "}}"]
)
def test_text_without_expressions_is_literal(text: str) -> None:
    template = parse_template(text)

    assert template.is_literal
    assert not template.is_single_expression
    assert template.expressions == ()
    assert template.references() == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("costs $5 and $$10", "costs $5 and $$10"),
        ("a $ {{ b }}", "a $ {{ b }}"),
        ("$${{ inputs.name }}", "${{ inputs.name }}"),
        ("literal $${{ and ${{ inputs.name }}", "literal ${{ and Ada"),
        ("$$${{ inputs.name }}", "$${{ inputs.name }}"),
    ],
)
def test_dollars_and_escapes(text: str, expected: str) -> None:
    assert render(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${{ inputs.n }}", 3),
        ("${{inputs.n}}", 3),
        ("  ${{ inputs.x }}\n", 1.5),
        ("${{ inputs.ok }}", True),
        ("${{ inputs.none }}", None),
        ("${{ inputs.items }}", [1, "two"]),
        ("${{ inputs.obj }}", {"k": "v"}),
        ("${{ inputs.name }}", "Ada"),
        ("${{ {'a': {'b': [1]}} }}", {"a": {"b": [1]}}),
        ("${{ '}}' }}", "}}"),
        ("${{ \"{{\" + '}}' }}", "{{}}"),
        ("${{ r'\\}}' }}", "\\}}"),
    ],
)
def test_a_single_expression_renders_to_its_typed_value(text: str, expected: JSONValue) -> None:
    template = parse_template(text)

    assert template.is_single_expression
    assert not template.is_literal
    result = template.render(CONTEXT)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello ${{ inputs.name }}!", "Hello Ada!"),
        ("n=${{ inputs.n }}, x=${{ inputs.x }}", "n=3, x=1.5"),
        ("ok=${{ inputs.ok }}", "ok=true"),
        ("none=[${{ inputs.none }}]", "none=[]"),
        ("items=${{ inputs.items }}", 'items=[1,"two"]'),
        ("obj=${{ inputs.obj }}", 'obj={"k":"v"}'),
        ("${{ inputs.name }}${{ inputs.n }}", "Ada3"),
        ("${{ inputs.name }} ${{ inputs.name }}", "Ada Ada"),
        ("unicode ${{ 'é' + '☃' }}", "unicode é☃"),
        ("${{ 1.0 }} ${{ 10 / 4 }}", "1.0 2.5"),
        ("${{ 'x' }}\n${{ 'y' }}", "x\ny"),
    ],
)
def test_text_with_expressions_interpolates_them(text: str, expected: str) -> None:
    template = parse_template(text)

    assert not template.is_single_expression
    assert template.render(CONTEXT) == expected


def test_expressions_are_listed_with_the_offset_of_their_source() -> None:
    text = "a ${{ inputs.n }} b ${{\n  inputs.name\n}}"

    template = parse_template(text)

    assert [(offset, e.source) for offset, e in template.expressions] == [
        (6, "inputs.n"),
        (26, "inputs.name"),
    ]
    for offset, expression in template.expressions:
        assert text[offset : offset + len(expression.source)] == expression.source


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("a ${{ inputs.n", 2, "unterminated '${{'"),
        ("${{", 0, "unterminated '${{'"),
        ("ok ${{ x }} then ${{ y", 17, "unterminated '${{'"),
        ("${{ 'abc }}", 4, "unterminated string literal"),
        ("${{ {'a': 1 }}", 0, "unterminated '${{'"),
        ("x ${{ }}", 2, "empty expression"),
        ("x ${{\n}}", 2, "empty expression"),
        ("x ${{ a + }}", 9, "unexpected end of expression"),
        ("x ${{ a.lower() }}", 8, "method calls are not supported"),
        ("\n\n${{ inputs..name }}", 13, "expected a name after '.'"),
        ("${{ ${{ x }} }}", 4, "'$' cannot appear"),
    ],
)
def test_template_syntax_errors_have_offsets_absolute_within_the_text(
    text: str, offset: int, message: str
) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_template(text)

    assert caught.value.offset == offset
    assert message in caught.value.message


def test_forbidden_names_in_templates_are_reported_at_their_absolute_offset() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_template("abc ${{ x.__class__ }}")

    assert caught.value.code == "EXPR_FORBIDDEN"
    assert caught.value.offset == 10


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("${{ inputs.nope }}", 11),
        ("Hi ${{ inputs.nope }}", 14),
        ("Hi ${{ inputs.name }} and ${{ 1 / 0 }}", 32),
    ],
)
def test_evaluation_errors_in_templates_have_absolute_offsets(text: str, offset: int) -> None:
    with pytest.raises(EvaluationError) as caught:
        render(text)

    assert caught.value.offset == offset


def test_each_expression_is_limited_on_its_own_length() -> None:
    limits = Limits(max_source_length=10)
    long_text = "x" * 100 + " ${{ inputs.n }} " + "y" * 100

    assert parse_template(long_text, limits=limits).render(CONTEXT) == (
        "x" * 100 + " 3 " + "y" * 100
    )
    with pytest.raises(ExpressionLimitError) as caught:
        parse_template("ab ${{ inputs.name }}", limits=limits)
    assert caught.value.offset == 7 + 10


def test_rendering_shares_one_step_budget_across_expressions() -> None:
    expression = " + ".join(["1"] * 30)
    template = parse_template(f"${{{{ {expression} }}}} ${{{{ {expression} }}}}")
    cost = template.expressions[0][1].cost

    assert template.render({}, limits=Limits(max_steps=2 * cost)) == "30 30"
    with pytest.raises(ExpressionLimitError):
        template.render({}, limits=Limits(max_steps=2 * cost - 1))


def test_the_rendered_text_is_bounded_by_the_result_size() -> None:
    template = parse_template("${{ s }}-${{ s }}")
    limits = Limits(max_result_bytes=1000)

    assert template.render({"s": "a" * 400}, limits=limits) == "a" * 400 + "-" + "a" * 400
    with pytest.raises(ExpressionLimitError) as caught:
        template.render({"s": "a" * 600}, limits=limits)
    assert caught.value.offset == 13


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", False),
        ("plain", False),
        ("$${{ x }}", False),
        ("${{ x }}", True),
        ("a ${{", True),
        ("$${{ a }} ${{ b }}", True),
    ],
)
def test_contains_expression(text: str, expected: bool) -> None:
    assert contains_expression(text) is expected


def test_render_value_walks_lists_and_maps() -> None:
    value: JSONValue = {
        "prompt": "Hello ${{ inputs.name }}",
        "count": "${{ inputs.n }}",
        "list": ["${{ inputs.items }}", "static", 7, None, True],
        "${{ keys }}": "keys are not rendered",
        "nested": {"deep": ["${{ inputs.x * 2 }}"]},
    }

    assert render_value(value, CONTEXT) == {
        "prompt": "Hello Ada",
        "count": 3,
        "list": [[1, "two"], "static", 7, None, True],
        "${{ keys }}": "keys are not rendered",
        "nested": {"deep": [3.0]},
    }


def test_render_value_leaves_the_input_unchanged() -> None:
    value: JSONValue = {"a": ["${{ inputs.n }}"]}

    render_value(value, CONTEXT)

    assert value == {"a": ["${{ inputs.n }}"]}


def test_render_value_errors_say_which_string_failed() -> None:
    with pytest.raises(EvaluationError) as caught:
        render_value({"with": {"items": ["ok", "bad ${{ inputs.nope }}"]}}, CONTEXT)

    assert caught.value.details["value_path"] == "$.with.items[1]"
    assert caught.value.offset == 15


def test_render_value_rejects_non_json_leaves() -> None:
    with pytest.raises(EvaluationError) as caught:
        render_value({"a": [object()]}, CONTEXT)  # type: ignore[list-item]

    assert caught.value.details["value_path"] == "$.a[0]"


def test_render_value_bounds_nesting() -> None:
    value: JSONValue = "${{ 1 }}"
    for _ in range(50):
        value = [value]

    with pytest.raises(ExpressionLimitError):
        render_value(value, CONTEXT, limits=Limits(max_value_depth=20))
