"""Every function of the whitelist: results, edge cases and errors."""

from __future__ import annotations

import pytest

from flowwright.workflow.domain.expressions import (
    FUNCTIONS,
    EvaluationError,
    ExpressionLimitError,
    JSONValue,
    Limits,
    parse_expression,
)

CONTEXT: dict[str, JSONValue] = {
    "s": "Hello World",
    "xs": [3, 1, 2],
    "m": {"b": 1, "a": [2]},
    "n": None,
    "f": 2.5,
}


def evaluate(source: str) -> JSONValue:
    return parse_expression(source).evaluate(CONTEXT)


RESULTS: list[tuple[str, JSONValue]] = [
    ("len('héllo')", 5),
    ("len(xs)", 3),
    ("len(m)", 2),
    ("len('')", 0),
    ("lower(s)", "hello world"),
    ("upper(s)", "HELLO WORLD"),
    ("upper('straße')", "STRASSE"),
    ("trim('  \t padded \n ')", "padded"),
    ("contains(s, 'World')", True),
    ("contains(s, 'world')", False),
    ("contains(xs, 2)", True),
    ("contains(m, 'a')", True),
    ("startsWith(s, 'Hell')", True),
    ("startsWith(s, 'World')", False),
    ("endsWith(s, 'World')", True),
    ("replace(s, 'o', '0')", "Hell0 W0rld"),
    ("replace('aaa', 'a', '')", ""),
    ("replace('ab', '', '-')", "-a-b-"),
    ("split('a,b,,c', ',')", ["a", "b", "", "c"]),
    ("split('abc', '')", ["a", "b", "c"]),
    ("split('', ',')", [""]),
    ("join(['a', 'b'], ', ')", "a, b"),
    ("join(['a', 'b'])", "ab"),
    ("join([1, 2.5, true, null, 'x', [1], {'k': 'v'}], '|')", '1|2.5|true||x|[1]|{"k":"v"}'),
    ("join([], ',')", ""),
    ("keys(m)", ["b", "a"]),
    ("values(m)", [1, [2]]),
    ("keys({})", []),
    ("int(7)", 7),
    ("int(2.9)", 2),
    ("int(-2.9)", -2),
    ("int('42')", 42),
    ("int(' -17 ')", -17),
    ("int('+5')", 5),
    ("float(2)", 2.0),
    ("float(2.5)", 2.5),
    ("float('1.5e3')", 1500.0),
    ("float(' -.5 ')", -0.5),
    ("float('3')", 3.0),
    ("string('x')", "x"),
    ("string(1)", "1"),
    ("string(1.5)", "1.5"),
    ("string(true)", "true"),
    ("string(null)", ""),
    ("string([1, 'a'])", '[1,"a"]'),
    ("string({'a': null})", '{"a":null}'),
    ("bool(true)", True),
    ("bool(null)", False),
    ("bool(0)", False),
    ("bool(0.0)", False),
    ("bool(-1)", True),
    ("bool('TRUE')", True),
    ("bool(' false ')", False),
    ("bool([])", False),
    ("bool([0])", True),
    ("bool({})", False),
    ("json('x')", '"x"'),
    ("json(null)", "null"),
    ("json({'a': [1, 2.5, true], 'é': 'ü'})", '{"a":[1,2.5,true],"é":"ü"}'),
    ("parseJson('{\"a\": [1, null]}')", {"a": [1, None]}),
    ("parseJson('\"text\"')", "text"),
    ("parseJson('3.5')", 3.5),
    ("parseJson(json(m)) == m", True),
    ("round(2.5)", 3),
    ("round(-2.5)", -3),
    ("round(2.4)", 2),
    ("round(2.675, 2)", 2.68),
    ("round(1.005, 2)", 1.01),
    ("round(1234.5, -2)", 1200),
    ("round(1250, -2)", 1300),
    ("round(7)", 7),
    ("round(7, 2)", 7),
    ("min(3, 1, 2)", 1),
    ("min(xs)", 1),
    ("min(2, 1.5)", 1.5),
    ("min(['b', 'a'])", "a"),
    ("max(3, 1, 2)", 3),
    ("max(xs)", 3),
    ("max('a', 'b')", "b"),
    ("max([7])", 7),
    ("abs(-3)", 3),
    ("abs(-2.5)", 2.5),
    ("abs(4)", 4),
    ("default(n, 'x')", "x"),
    ("default(m.missing, 'x')", "x"),
    ("default(m.missing.deeper, 1)", 1),
    ("default(m.b, 'x')", 1),
    ("default(false, true)", False),
    ("default(undefined_root.a, 0)", 0),
    ("coalesce(n, m.missing, xs[10], 'first', 'second')", "first"),
    ("coalesce(n, m.missing)", None),
    ("coalesce(0)", 0),
    ("has(m.b)", True),
    ("has(m.missing)", False),
    ("has(m.a[0])", True),
    ("has(m.a[5])", False),
    ("has(n.x)", False),
    ("has(s)", True),
    ("has(undefined_root)", False),
    ("has(undefined_root.x.y)", False),
    ("matches(s, '^Hello')", True),
    ("matches(s, 'world')", False),
    ("matches(s, '(?i)world')", True),
    ("matches('2024-01-31', r'^\\d{4}-\\d{2}-\\d{2}$')", True),
]


@pytest.mark.parametrize(("source", "expected"), RESULTS)
def test_function_results(source: str, expected: JSONValue) -> None:
    result = evaluate(source)

    assert result == expected
    assert type(result) is type(expected)


def test_every_function_has_result_tests() -> None:
    tested = {source.split("(")[0] for source, _ in RESULTS}

    assert tested == set(FUNCTIONS)


def test_has_is_true_for_a_key_whose_value_is_null() -> None:
    assert parse_expression("has(x.k)").evaluate({"x": {"k": None}}) is True


def test_default_and_coalesce_only_evaluate_what_they_need() -> None:
    assert evaluate("default(1, 1 / 0)") == 1
    assert evaluate("coalesce(1, 1 / 0)") == 1


def test_lazy_functions_still_report_type_errors_in_paths() -> None:
    with pytest.raises(EvaluationError, match="is a list, which has no key 'key'"):
        evaluate("default(xs.key, 1)")
    with pytest.raises(EvaluationError, match="cannot read 'c' of int"):
        evaluate("has(m.b.c)")


@pytest.mark.parametrize(
    ("source", "offset", "message"),
    [
        ("len(1)", 4, "len(): needs a string, list or map, got int"),
        ("len(n)", 4, "got null"),
        ("lower(1)", 6, "lower(): argument 1 must be a string, got int"),
        ("upper(xs)", 6, "got list"),
        ("trim(n)", 5, "got null"),
        ("contains(1, 1)", 9, "argument 1 must be a string, list or map"),
        ("contains(s, 1)", 12, "cannot search for a int in a string"),
        ("startsWith(s, 1)", 14, "argument 2 must be a string"),
        ("endsWith(1, s)", 9, "argument 1 must be a string"),
        ("replace(s, 1, 'x')", 11, "argument 2 must be a string"),
        ("split(s, 1)", 9, "argument 2 must be a string"),
        ("join('abc', ',')", 5, "argument 1 must be a list"),
        ("join(xs, 1)", 9, "argument 2 must be a string"),
        ("keys(xs)", 5, "argument 1 must be a map, got list"),
        ("values('x')", 7, "argument 1 must be a map"),
        ("int('4.5')", 4, "cannot convert '4.5' to an integer"),
        ("int('abc')", 4, "cannot convert 'abc' to an integer"),
        ("int('1_000')", 4, "cannot convert"),
        ("int('٣')", 4, "cannot convert"),
        ("int('99999999999999999999')", 4, "out of range"),
        ("int(true)", 4, "cannot convert bool to an integer"),
        ("int(1e300)", 0, "integer overflow"),
        ("float('nan')", 6, "cannot convert 'nan' to a float"),
        ("float('inf')", 6, "cannot convert"),
        ("float('1e999')", 6, "out of range"),
        ("float([])", 6, "cannot convert list to a float"),
        ("bool('yes')", 5, "cannot convert 'yes' to a bool"),
        ("parseJson('{')", 10, "invalid JSON"),
        ("parseJson('NaN')", 10, "invalid JSON"),
        ("parseJson(1)", 10, "argument 1 must be a string"),
        ("round('1')", 6, "argument 1 must be a number"),
        ("round(1.5, 'x')", 11, "digits must be an integer between -15 and 15"),
        ("round(1.5, 16)", 11, "digits must be an integer"),
        ("round(1e300)", 0, "integer overflow"),
        ("min([])", 4, "the list is empty"),
        ("min(1)", 4, "with one argument, it must be a list"),
        ("min(1, 'a')", 0, "needs all numbers or all strings, got int, string"),
        ("max([true, false])", 0, "got bool"),
        ("abs('1')", 4, "argument 1 must be a number"),
        ("abs(-9223372036854775807 - 1)", 0, "integer overflow"),
        ("matches(1, 'a')", 8, "argument 1 must be a string"),
        ("matches(s, 1)", 11, "argument 2 must be a string"),
        ("matches(s, '(' + 'a')", 11, "missing ), unterminated subpattern"),
    ],
)
def test_function_errors_point_at_the_argument_or_the_call(
    source: str, offset: int, message: str
) -> None:
    with pytest.raises(EvaluationError) as caught:
        evaluate(source)

    assert caught.value.offset == offset, caught.value.message
    assert message in caught.value.message


def test_errors_about_conversions_carry_useful_hints() -> None:
    with pytest.raises(EvaluationError) as caught:
        evaluate("int('4.5')")
    assert caught.value.hint == "for decimals use int(float(x))"

    with pytest.raises(EvaluationError) as caught:
        evaluate("lower(n)")
    assert caught.value.hint is not None and "??" in caught.value.hint


def test_matches_refuses_inputs_longer_than_its_limit() -> None:
    expression = parse_expression("matches(s, 'a')")

    with pytest.raises(EvaluationError, match="longer than 100000"):
        expression.evaluate({"s": "a" * 100_001})


def test_parse_json_rejects_text_nested_deeper_than_the_value_limit() -> None:
    expression = parse_expression("parseJson(s)")

    with pytest.raises(EvaluationError, match="nested"):
        expression.evaluate({"s": "[" * 200 + "]" * 200})


def test_parse_json_rejects_text_nested_beyond_the_recursion_limit() -> None:
    expression = parse_expression("parseJson(s)")

    with pytest.raises(EvaluationError, match="nested too deeply"):
        expression.evaluate({"s": "[" * 100_000 + "]" * 100_000})


@pytest.mark.parametrize(
    "source",
    [
        "replace(s, 'a', s + s + s)",
        "split(s, '')",
        "join([s, s, s], s)",
        "json([s, s, s])",
        "string([s, s, s])",
    ],
)
def test_functions_refuse_to_build_values_over_the_size_limit(source: str) -> None:
    limits = Limits(max_result_bytes=1000, max_steps=1_000_000)

    with pytest.raises(ExpressionLimitError):
        parse_expression(source, limits=limits).evaluate({"s": "a" * 400}, limits=limits)


def test_case_mapping_that_lengthens_text_is_size_checked() -> None:
    limits = Limits(max_result_bytes=1000)
    expression = parse_expression("upper(s)")

    assert expression.evaluate({"s": "ß" * 400}, limits=limits) == "SS" * 400
    with pytest.raises(ExpressionLimitError):
        expression.evaluate({"s": "ß" * 600}, limits=limits)


@pytest.mark.parametrize(
    "source",
    [
        "contains(xs, 0)",
        "0 in xs",
        "join(xs, ',')",
        "keys(m)",
        "values(m)",
        "max(xs)",
        "split(s, ',')",
        "xs == ys",
    ],
)
def test_functions_charge_steps_for_the_data_they_walk(source: str) -> None:
    context: dict[str, JSONValue] = {
        "xs": list(range(500)),
        "ys": list(range(500)),
        "m": {str(i): i for i in range(500)},
        "s": "," * 500,
    }
    limits = Limits(max_steps=200)

    with pytest.raises(ExpressionLimitError, match="more than 200 steps"):
        parse_expression(source).evaluate(context, limits=limits)
