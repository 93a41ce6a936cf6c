"""Property tests: whatever the input, the only failure is an ExpressionError, and it is quick."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowwright.workflow.domain.expressions import (
    FUNCTIONS,
    Expression,
    ExpressionError,
    JSONValue,
    Limits,
    parse_expression,
    parse_template,
    render_value,
)

T = TypeVar("T")

PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow]
)

NAMES = ["a", "b", "inputs", "steps", "item", "index"]
KEYS = ["a", "b", "k", "name", "0"]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)
contexts = st.dictionaries(st.sampled_from(NAMES), json_values, max_size=len(NAMES))

# Characters that steer random text into the lexer's and parser's interesting corners.
EXPRESSION_ALPHABET = st.sampled_from(
    [
        *"abxyz019._ \t\n()[]{},:?!=<>+-*/%&|'\"\\$#@`;eE",
        *["in", "not", "and", "or", "null", "true", "??", "${{", "}}", "len(", "has(", "\\u00"],
    ]
)


def expression_text() -> st.SearchStrategy[str]:
    return st.text() | st.lists(EXPRESSION_ALPHABET, max_size=40).map("".join)


def template_text() -> st.SearchStrategy[str]:
    return st.text() | st.lists(
        EXPRESSION_ALPHABET | st.sampled_from(["${{ a }}", "$${{", " text ", "${{ '}}' }}"]),
        max_size=30,
    ).map("".join)


def attempt(action: Callable[[], T]) -> T | ExpressionError:
    """The result of ``action``, or the ExpressionError it raised (anything else propagates)."""
    try:
        return action()
    except ExpressionError as error:
        return error


def assert_is_json(value: object, depth: int = 0) -> None:
    assert depth < 200
    if isinstance(value, list):
        assert type(value) is list
        for item in value:
            assert_is_json(item, depth + 1)
    elif isinstance(value, dict):
        assert type(value) is dict
        for key, item in value.items():
            assert type(key) is str
            assert_is_json(item, depth + 1)
    elif isinstance(value, float):
        assert math.isfinite(value)
    else:
        assert value is None or type(value) in (bool, int, str)


@PROPERTY_SETTINGS
@given(source=expression_text())
def test_any_text_parses_or_raises_an_expression_error(source: str) -> None:
    expression = attempt(lambda: parse_expression(source))
    if isinstance(expression, ExpressionError):
        assert 0 <= expression.offset <= len(source)
        return
    assert isinstance(expression, Expression)
    for reference in expression.references():
        assert source[reference.offset :].startswith(reference.root)


@PROPERTY_SETTINGS
@given(text=template_text())
def test_any_text_parses_as_a_template_or_raises_an_expression_error(text: str) -> None:
    template = attempt(lambda: parse_template(text))
    if isinstance(template, ExpressionError):
        assert 0 <= template.offset <= len(text)
        return
    for offset, expression in template.expressions:
        assert text[offset : offset + len(expression.source)] == expression.source
    for reference in template.references():
        assert text[reference.offset :].startswith(reference.text)


# -- generated well-formed expressions --------------------------------------------------------


def _literal(value: JSONValue) -> str:
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        # Negative numbers go in parentheses so '1 - -2' stays unambiguous.
        return f"({value!r})" if value < 0 else repr(value)
    return json.dumps(value)


literals: st.SearchStrategy[str] = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63) + 1, 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
).map(_literal)
paths: st.SearchStrategy[str] = st.builds(
    lambda root, keys: root + "".join(keys),
    st.sampled_from(NAMES),
    st.lists(
        st.sampled_from([".a", ".b", ".k", ".name", "[0]", "[1]", "[-1]", "['a']", "[index]"]),
        max_size=3,
    ),
)
BINARY = [
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "??",
    "in",
    "not in",
    "and",
    "or",
]
CALLABLE = sorted(name for name in FUNCTIONS if name != "has")


@st.composite
def expression_sources(draw: st.DrawFn, depth: int = 4) -> str:
    """A syntactically valid expression (a composite keeps the strategy's repr small)."""
    kind = draw(st.integers(0, 9 if depth > 0 else 1))
    if kind == 0:
        return draw(literals)
    if kind == 1:
        return draw(paths)

    def child() -> str:
        source: str = draw(expression_sources(depth - 1))
        return source

    if kind == 2:
        return f"({child()} {draw(st.sampled_from(BINARY))} {child()})"
    if kind == 3:
        return f"{draw(st.sampled_from(['-', '!', 'not ']))}{child()}"
    if kind == 4:
        return f"({child()} ? {child()} : {child()})"
    if kind == 5:
        return "[" + ", ".join(child() for _ in range(draw(st.integers(0, 3)))) + "]"
    if kind == 6:
        keys = draw(st.lists(st.sampled_from(KEYS[:4]), max_size=3, unique=True))
        return "{" + ", ".join(f"{key}: {child()}" for key in keys) + "}"
    if kind == 7:
        spec = FUNCTIONS[draw(st.sampled_from(CALLABLE))]
        high = spec.max_arity if spec.max_arity is not None else spec.min_arity + 2
        count = draw(st.integers(spec.min_arity, high))
        return f"{spec.name}({', '.join(child() for _ in range(count))})"
    if kind == 8:
        return f"has({draw(paths)})"
    return f"({child()}){draw(st.sampled_from(['.a', '[0]', '.k']))}"


generated_expressions = expression_sources()


@PROPERTY_SETTINGS
@given(source=generated_expressions, context=contexts)
def test_generated_expressions_evaluate_to_json_or_raise_an_expression_error(
    source: str, context: dict[str, JSONValue]
) -> None:
    expression = attempt(lambda: parse_expression(source))
    if isinstance(expression, ExpressionError):
        # Only the regex check of matches() with a literal pattern can reject these.
        assert "pattern" in expression.message, (source, expression.message)
        return
    result = attempt(lambda: expression.evaluate(context))
    if isinstance(result, ExpressionError):
        assert 0 <= result.offset <= len(source)
        return
    assert_is_json(result)
    json.dumps(result, allow_nan=False)


@PROPERTY_SETTINGS
@given(source=generated_expressions, context=contexts)
def test_evaluation_is_deterministic_and_leaves_the_context_unchanged(
    source: str, context: dict[str, JSONValue]
) -> None:
    snapshot = json.dumps(context, sort_keys=True)
    try:
        expression = parse_expression(source)
        first = expression.evaluate(context)
    except ExpressionError:
        return
    assert expression.evaluate(context) == first
    assert json.dumps(context, sort_keys=True) == snapshot


@PROPERTY_SETTINGS
@given(source=generated_expressions, context=contexts)
def test_tight_limits_only_ever_produce_expression_errors(
    source: str, context: dict[str, JSONValue]
) -> None:
    limits = Limits(max_depth=3, max_steps=5, max_result_bytes=20, max_value_depth=2)
    try:
        result = parse_expression(source, limits=limits).evaluate(context, limits=limits)
    except ExpressionError:
        return
    assert_is_json(result)


@PROPERTY_SETTINGS
@given(value=json_values)
def test_json_and_parse_json_round_trip_any_value(value: JSONValue) -> None:
    assert parse_expression("parseJson(json(v)) == v").evaluate({"v": value}) is True


@PROPERTY_SETTINGS
@given(value=json_values, context=contexts)
def test_render_value_returns_json_for_any_value(
    value: JSONValue, context: dict[str, JSONValue]
) -> None:
    result = attempt(lambda: render_value(value, context))
    if not isinstance(result, ExpressionError):
        assert_is_json(result)


@PROPERTY_SETTINGS
@given(text=st.text(alphabet=st.characters(blacklist_characters="$")))
def test_text_without_a_dollar_renders_to_itself(text: str) -> None:
    assert parse_template(text).render({}) == text
