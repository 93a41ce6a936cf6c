"""Parsing: literals, precedence and every syntax error with its exact offset."""

from __future__ import annotations

import pytest

from flowwright.workflow.domain.expressions import (
    ExpressionForbiddenError,
    ExpressionLimitError,
    ExpressionSyntaxError,
    JSONValue,
    Limits,
    UnknownFunctionError,
    parse_expression,
)

CONTEXT: dict[str, JSONValue] = {"a": 1, "b": 2, "c": 3, "t": True, "f": False, "n": None}


def evaluate(source: str) -> JSONValue:
    return parse_expression(source).evaluate(CONTEXT)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("null", None),
        ("true", True),
        ("false", False),
        ("0", 0),
        ("42", 42),
        ("9223372036854775807", 2**63 - 1),
        ("-9223372036854775807", -(2**63) + 1),
        ("1.5", 1.5),
        ("0.25", 0.25),
        ("1e3", 1000.0),
        ("2.5E-1", 0.25),
        ("1e+2", 100.0),
        ("'single'", "single"),
        ('"double"', "double"),
        ("''", ""),
        (r"'a\nb\tc'", "a\nb\tc"),
        (r"'back\\slash'", "back\\slash"),
        (r"'it\'s'", "it's"),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'\u00e9t\u00E9'", "été"),
        (r"'\ud83d\ude00'", "\U0001f600"),
        (r"'\r\b\f\/\0'", "\r\b\f/\0"),
        ("'multi\nline'", "multi\nline"),
        ("'caf\u00e9 \u2603'", "café ☃"),
        (r"r'\d+\.\w'", r"\d+\.\w"),
        (r'r"a\"', "a\\"),
        ("[]", []),
        ("[1, 'two', null, [true]]", [1, "two", None, [True]]),
        ("[1, 2,]", [1, 2]),
        ("{}", {}),
        ('{"k": 1, k2: 2, "with space": 3}', {"k": 1, "k2": 2, "with space": 3}),
        ("{'nested': {'x': [1]},}", {"nested": {"x": [1]}}),
        ("{true: 1, null: 2}", {"true": 1, "null": 2}),
        ("{('a' + 'b'): 1}", {"ab": 1}),
        ("  1  ", 1),
    ],
)
def test_literals_evaluate_to_their_json_values(source: str, expected: JSONValue) -> None:
    result = evaluate(source)

    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # * / % bind tighter than + -
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("2 * 3 % 4", 2),
        ("a + b * c - a", 6),
        ("12 / 2 / 3", 2),
        # unary minus binds tightest
        ("-a + b", 1),
        ("-(a + b)", -3),
        ("- -a", 1),
        ("2 * -a", -2),
        # arithmetic binds tighter than comparison
        ("a + b == c", True),
        ("a < b + c", True),
        # comparison binds tighter than && and ||
        ("a == 1 && b == 2", True),
        ("a == 2 || b == 2", True),
        # && binds tighter than ||
        ("t || f && f", True),
        ("(t || f) && f", False),
        ("f && f || t", True),
        ("true or false and false", True),
        # ! binds looser than comparison at the start of an operand...
        ("!a == 2", True),
        ("not a == 1", False),
        ("!t == f", True),
        ("not a in [1, 2]", False),
        # ...and tightly on the right of a comparison
        ("f == !t", True),
        ("!t && t", False),
        ("!(t && f)", True),
        ("!!t", True),
        ("not not t", True),
        # ?? binds looser than ||
        ("n ?? f || t", True),
        ("n ?? 1 + 1", 2),
        ("n ?? n ?? 3", 3),
        # ?: binds loosest and is right-associative
        ("t ? 1 : 2", 1),
        ("f ? 1 : 2", 2),
        ("f ? 1 : t ? 2 : 3", 2),
        ("f ? 1 : f ? 2 : 3", 3),
        ("t ? f ? 1 : 2 : 3", 2),
        ("n ?? t ? 'yes' : 'no'", "yes"),
        ("a == 1 ? 'one' : 'other'", "one"),
        # postfix binds tightest of all
        ("[1, 2, 3][1] * 2", 4),
        ("-[5][0]", -5),
        ("{'a': [7]}.a[0]", 7),
        # membership at comparison level
        ("1 + 1 in [2]", True),
        ("a not in [2, 3]", True),
        ("'x' in ['x'] && t", True),
    ],
)
def test_operators_follow_the_documented_precedence(source: str, expected: JSONValue) -> None:
    assert evaluate(source) == expected


@pytest.mark.parametrize(
    ("source", "offset", "message", "hint"),
    [
        ("", 0, "empty expression", "inputs.name"),
        ("   ", 0, "empty expression", None),
        ("1 +", 3, "unexpected end of expression", "incomplete"),
        ("(1", 2, "expected ')'", "opened at offset 0"),
        ("(1))", 3, "unexpected ')'", "unbalanced"),
        ("[1, 2", 5, "expected ']'", None),
        ("{'a': 1", 7, "expected '}'", None),
        ("{'a' 1}", 5, "expected ':'", None),
        ("'abc", 0, "unterminated string", "close the string"),
        ("x + 'abc", 4, "unterminated string", None),
        (r"'bad \q escape'", 5, "unknown escape", "raw string"),
        (r"'\u12'", 1, "four hex digits", None),
        (r"'\ud800'", 1, "unpaired surrogate", None),
        ("a b", 2, "unexpected name 'b'", "operator"),
        ("1 2", 2, "unexpected number 2", None),
        ("a 'b'", 2, "unexpected string", None),
        ("a = 1", 2, "'=' is not an operator", "'=='"),
        ("a === 1", 2, "'===' is not an operator", None),
        ("a !== 1", 2, "'!==' is not an operator", None),
        ("2 ** 3", 2, "'**' is not an operator", "exponentiation"),
        ("7 // 2", 2, "'//' is not an operator", "int(a / b)"),
        ("a & b", 2, "'&' is not an operator", "&&"),
        ("a | b", 2, "'|' is not an operator", "||"),
        ("a?.b", 1, "'?.' is not an operator", "??"),
        ("x => x", 2, "'=>' is not an operator", "lambdas"),
        ("a # comment", 2, "'#' is not allowed", None),
        ("a; b", 1, "';' is not allowed", None),
        ("`a`", 0, "backticks", None),
        ("${{ a }}", 0, "'$' cannot appear", "nested"),
        ("a @ b", 2, "unexpected character '@'", None),
        ("café", 3, "unexpected character 'é'", "a['key']"),
        ("a\u00a0+ b", 1, "whitespace character U+00A0", None),
        ("+1", 0, "unary '+'", None),
        ("a < b < c", 6, "cannot be chained", "&&"),
        ("a == b != c", 7, "cannot be chained", None),
        ("t ? 1", 5, "expected ':'", "condition ? value : other_value"),
        ("()", 0, "empty parentheses", None),
        ("a[]", 1, "empty index", None),
        ("a[1:2]", 3, "slices are not supported", None),
        ("a[1.5]", 2, "cannot index with float", None),
        ("a[true]", 2, "cannot index with bool", None),
        ("a.0", 2, "expected a name after '.'", "[0]"),
        ("a.'b'", 2, "expected a name after '.'", None),
        ("a.", 2, "expected a name after '.'", None),
        ("(a)(1)", 3, "only functions can be called", None),
        ("a[0](1)", 4, "only functions can be called", None),
        ("{1: 'x'}", 1, "map keys must be strings", None),
        ("{'a': 1, 'a': 2}", 9, "duplicate map key 'a'", None),
        ("{a: 1, a: 2}", 7, "duplicate map key 'a'", None),
        ("True", 0, "'True' is not a keyword", "true"),
        ("None", 0, "'None' is not a keyword", "null"),
        ("x == undefined", 5, "'undefined' is not a keyword", "null"),
        ("and", 0, "unexpected keyword 'and'", None),
        ("1 + in", 4, "unexpected keyword 'in'", None),
        ("1 not 2", 2, "unexpected keyword 'not'", None),
        ("0x1F", 0, "malformed number", "decimal"),
        ("12abc", 0, "malformed number", None),
        ("1e", 0, "exponent has no digits", None),
        ("007", 0, "leading zeros", None),
        ("9223372036854775808", 0, "out of range", "64-bit"),
        ("123456789012345678901234567890", 0, "out of range", None),
        ("1e999", 0, "out of range", None),
        ("f'{x}'", 0, "string prefixes", "template"),
        ("b'x'", 0, "string prefixes", None),
        ("len()", 0, "len() takes exactly 1 argument, got 0", "len(x)"),
        ("replace('a', 'b')", 0, "replace() takes exactly 3 arguments, got 2", None),
        ("join([], ',', 'x')", 0, "join() takes 1 to 2 arguments, got 3", None),
        ("min()", 0, "min() takes at least 1 argument, got 0", None),
        ("len(1 2)", 6, "expected ')' to close the arguments of len()", "','"),
        ("has(1)", 4, "has() needs a member path", "has(inputs.name)"),
        ("has(len(x))", 4, "has() needs a member path", None),
        ("has((a).b)", 4, "has() needs a member path", None),
        ("matches(x, '(')", 11, "invalid pattern", None),
        ("matches(x, 'a{3,1}')", 11, "min repeat greater than max repeat", None),
        ("matches(x, r'(a)\\1')", 11, "backreferences are not supported", "linear-time"),
    ],
)
def test_syntax_errors_report_the_exact_offset_and_a_hint(
    source: str, offset: int, message: str, hint: str | None
) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression(source)

    error = caught.value
    assert error.code == "EXPR_SYNTAX"
    assert error.offset == offset, (error.offset, error.message)
    assert message in error.message
    if hint is not None:
        assert error.hint is not None and hint in error.hint


@pytest.mark.parametrize(
    ("source", "offset", "name"),
    [
        ("__class__", 0, "__class__"),
        ("_private", 0, "_private"),
        ("x.__class__", 2, "__class__"),
        ("x.__class__.__mro__", 2, "__class__"),
        ("''.__class__", 3, "__class__"),
        ("[].__len__", 3, "__len__"),
        ("x._secret", 2, "_secret"),
        ("__import__('os')", 0, "__import__"),
        ("_('x')", 0, "_"),
        ("{_key: 1}", 1, "_key"),
        ("a[__b__]", 2, "__b__"),
        ("x.__class__()", 2, "__class__"),
    ],
)
def test_names_starting_with_an_underscore_are_forbidden_at_parse_time(
    source: str, offset: int, name: str
) -> None:
    with pytest.raises(ExpressionForbiddenError) as caught:
        parse_expression(source)

    assert type(caught.value) is ExpressionForbiddenError
    assert caught.value.code == "EXPR_FORBIDDEN"
    assert caught.value.offset == offset
    assert f"'{name}'" in caught.value.message


def test_a_key_starting_with_an_underscore_can_still_be_read_by_index() -> None:
    assert parse_expression("x['_key']").evaluate({"x": {"_key": 1}}) == 1


@pytest.mark.parametrize(
    ("source", "offset", "hint"),
    [
        ("lenght(x)", 0, "did you mean len()?"),
        ("x + lowr(y)", 4, "did you mean lower()?"),
        ("startswith(x, 'a')", 0, "did you mean startsWith()?"),
        ("parse_json(x)", 0, "did you mean parseJson()?"),
        ("eval('1')", 0, "available functions: len, lower"),
        ("getattr(x, 'y')", 0, "available functions"),
        ("open('/etc/passwd')", 0, None),
        ("now()", 0, None),
    ],
)
def test_unknown_functions_are_rejected_with_a_suggestion(
    source: str, offset: int, hint: str | None
) -> None:
    with pytest.raises(UnknownFunctionError) as caught:
        parse_expression(source)

    assert caught.value.code == "EXPR_UNKNOWN_FUNCTION"
    assert caught.value.offset == offset
    assert "unknown function" in caught.value.message
    if hint is not None:
        assert caught.value.hint is not None and hint in caught.value.hint


@pytest.mark.parametrize(
    ("source", "offset", "hint"),
    [
        ("x.lower()", 2, "use lower(x)"),
        ("inputs.name.upper()", 12, "use upper(inputs.name)"),
        ("inputs.items.len()", 13, "use len(inputs.items)"),
        ("(a + b).trim()", 8, "use trim((a + b))"),
        ("'{0}'.format(x)", 6, "there are no methods"),
        ("os.system('ls')", 3, "there are no methods"),
    ],
)
def test_method_calls_are_syntax_errors_that_suggest_the_function_form(
    source: str, offset: int, hint: str
) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression(source)

    assert "method calls are not supported" in caught.value.message
    assert caught.value.offset == offset
    assert caught.value.hint is not None and hint in caught.value.hint


def test_a_source_longer_than_the_limit_is_rejected_at_the_limit_offset() -> None:
    with pytest.raises(ExpressionLimitError) as caught:
        parse_expression("1" + " + 1" * 10, limits=Limits(max_source_length=20))

    assert caught.value.code == "EXPR_LIMIT"
    assert caught.value.offset == 20


@pytest.mark.parametrize(
    ("source", "offset"),
    [
        ("(" * 5 + "1" + ")" * 5, 4),
        ("-" * 5 + "1", 4),
        ("[" * 5 + "]" * 5, 4),
        ("len(" * 5 + "x" + ")" * 5, 16),
    ],
)
def test_nesting_deeper_than_the_limit_is_rejected_where_it_happens(
    source: str, offset: int
) -> None:
    with pytest.raises(ExpressionLimitError) as caught:
        parse_expression(source, limits=Limits(max_depth=4))

    assert caught.value.offset == offset
    assert "nested more than 4 levels" in caught.value.message


def test_long_flat_chains_do_not_count_as_nesting() -> None:
    limits = Limits(max_depth=4)

    assert parse_expression(" + ".join(["1"] * 200), limits=limits).evaluate({}) == 200
    assert parse_expression("a" + ".b" * 200, limits=limits) is not None
    assert parse_expression(" && ".join(["true"] * 200), limits=limits).evaluate({}) is True


def test_trailing_commas_are_allowed_in_arguments_lists_and_maps() -> None:
    assert parse_expression("max(1, 2,)").evaluate({}) == 2
    assert parse_expression("[max(1, 2,),]").evaluate({}) == [2]


def test_keywords_are_allowed_as_member_names() -> None:
    context: dict[str, JSONValue] = {"x": {"in": 1, "not": 2, "null": 3}}

    assert parse_expression("x.in + x.not + x.null").evaluate(context) == 6
