"""The linear-time regex engine behind matches()."""

from __future__ import annotations

import re
import time
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowwright.workflow.domain.expressions import (
    EvaluationError,
    ExpressionLimitError,
    Limits,
    parse_expression,
)
from flowwright.workflow.domain.expressions.regex import (
    MAX_PATTERN_LENGTH,
    Regex,
    RegexError,
    compile_regex,
)


def search(pattern: str, text: str) -> bool:
    return compile_regex(pattern).search(text, lambda steps: None)


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("", "anything", True),
        ("b", "abc", True),
        ("d", "abc", False),
        ("^a", "abc", True),
        ("^b", "abc", False),
        ("c$", "abc", True),
        ("c$", "abc\n", False),
        (r"\Aa", "abc", True),
        (r"c\Z", "abc", True),
        ("^$", "", True),
        ("a.c", "abc", True),
        ("a.c", "a\nc", False),
        ("(?s)a.c", "a\nc", True),
        ("(?i)ABC", "xabcx", True),
        ("(?i)[a-c]+", "BBB", True),
        ("(?i)[^a]", "A", False),
        ("[abc]", "xbx", True),
        ("[^abc]", "abc", False),
        ("[a-c]{3}", "abd", False),
        ("[]a]", "]", True),
        ("[a-]", "-", True),
        (r"[\d.]+", "3.14", True),
        (r"\d+", "abc123", True),
        (r"\D", "123", False),
        (r"\w+@\w+\.com", "me@example.com", True),
        (r"\W", "abc_1", False),
        (r"\s", "a b", True),
        (r"\S", "   ", False),
        (r"\bcat\b", "a cat sat", True),
        (r"\bcat\b", "concatenate", False),
        (r"\Bcat\B", "concatenate", True),
        ("a|b|c", "zzc", True),
        ("(ab)+$", "xababab", True),
        ("(?:ab){2}", "abab", True),
        ("(?:ab){3}", "abab", False),
        ("a{2,}", "aa", True),
        ("a{,2}b", "b", True),
        ("a{2,3}?b", "aab", True),
        ("colou?r", "color", True),
        ("x*", "", True),
        ("(?P<year>[0-9]{4})-[0-9]{2}", "in 2024-05", True),
        (r"\x41\u00e9\.", "Aé.", True),
        (r"\t", "a\tb", True),
        ("a{", "a{", True),
        ("x{}", "x{}", True),
        ("(^)*a", "ba", True),
        ("(a|ab)(c|bcd)(d*)", "abcd", True),
        (r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", "ada@example.org", True),
        (r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", "not an email", False),
    ],
)
def test_supported_syntax(pattern: str, text: str, expected: bool) -> None:
    assert search(pattern, text) is expected


@pytest.mark.parametrize(
    ("pattern", "position", "message"),
    [
        ("(", 0, "missing ), unterminated subpattern"),
        ("a)", 1, "unbalanced parenthesis"),
        ("[a", 0, "unterminated character set"),
        ("[z-a]", 1, "bad character range"),
        (r"[\d-z]", 1, "bad character range"),
        ("*a", 0, "nothing to repeat"),
        ("a|*", 2, "nothing to repeat"),
        ("^*", 0, "nothing to repeat"),
        ("{2}", 0, "nothing to repeat"),
        ("a**", 2, "multiple repeat"),
        ("a{2}{3}", 4, "multiple repeat"),
        ("a*+", 2, "possessive quantifiers"),
        ("a{3,1}", 1, "min repeat greater than max repeat"),
        ("a{1001}", 1, "repeat counts above 1000"),
        (r"\q", 0, "bad escape"),
        (r"\x4", 0, "incomplete escape"),
        ("\\", 0, "bad escape"),
        (r"(a)\1", 3, "backreferences are not supported"),
        ("(?P=name)", 0, "backreferences are not supported"),
        ("(?=a)", 0, "lookahead is not supported"),
        ("(?!a)", 0, "lookahead is not supported"),
        ("(?<=a)b", 0, "lookbehind is not supported"),
        ("(?>a)", 0, "atomic groups are not supported"),
        ("(?(1)a|b)", 0, "conditionals are not supported"),
        ("(?#note)", 0, "comments are not supported"),
        ("(?m)^a", 0, "unsupported flag 'm'"),
        ("a(?i)b", 1, "only supported at the start"),
        ("(?P<1>a)", 0, "bad group name"),
        ("(" * 40 + ")" * 40, 32, "nested deeper than 32"),
        ("(a{1000}){1000}", 0, "too complex"),
    ],
)
def test_malformed_unsupported_or_oversized_patterns_are_rejected(
    pattern: str, position: int, message: str
) -> None:
    with pytest.raises(RegexError) as caught:
        compile_regex(pattern)

    assert message in caught.value.message
    assert caught.value.position == position


def test_patterns_longer_than_the_limit_are_rejected() -> None:
    with pytest.raises(RegexError, match="longer than 256"):
        compile_regex("a" * (MAX_PATTERN_LENGTH + 1))


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("(a+)+$", "a" * 50_000 + "b"),
        ("(a|a)*b", "a" * 50_000),
        ("(a|aa)*c", "a" * 50_000),
        (".*a.*b.*c.*d", "a" * 50_000),
        (r"(\w+\s?)*$", "word " * 10_000 + "!"),
        ("(x+x+)+y", "x" * 50_000),
        ("^(a?){25}a{25}$", "a" * 25),
        ("(.*){10}z", "y" * 50_000),
    ],
)
def test_patterns_that_make_backtracking_engines_explode_run_in_linear_time(
    pattern: str, text: str
) -> None:
    started = time.monotonic()

    search(pattern, text)

    assert time.monotonic() - started < 2


def test_matching_charges_the_step_budget() -> None:
    expression = parse_expression("matches(s, '(a|b)*c')")

    with pytest.raises(ExpressionLimitError):
        expression.evaluate({"s": "ab" * 40_000}, limits=Limits(max_steps=500))


def test_a_pattern_error_from_data_is_an_evaluation_error_on_the_pattern_argument() -> None:
    with pytest.raises(EvaluationError) as caught:
        parse_expression("matches('x', p)").evaluate({"p": "(?<=x)"})

    assert caught.value.offset == 13
    assert "lookbehind" in caught.value.message


def test_a_compiled_pattern_gives_the_same_answers_when_its_cache_is_reset() -> None:
    regex = compile_regex("(a|b)*a(a|b){8}")
    texts = [
        "".join("ab"[(i * 7 + j * 3) % 2 ^ (i >> j) % 2] for j in range(40)) for i in range(400)
    ]

    first = [regex.search(text, lambda steps: None) for text in texts]
    second = [regex.search(text, lambda steps: None) for text in texts]

    assert first == second
    assert first == [re.search("(a|b)*a(a|b){8}", text) is not None for text in texts]


# -- differential testing against Python's re on the common subset ---------------------------

_CHARS = ["a", "b", "A", "_", "1", " ", r"\.", r"\n"]
_CLASSES = ["[ab]", "[^a]", "[a-b]", "[a1 ]", r"[\d_]", r"\d", r"\w", r"\s", r"\W", "."]


@st.composite
def _patterns(draw: st.DrawFn, depth: int = 0) -> tuple[str, str]:
    """A pattern in our syntax and its equivalent for Python's re."""
    choice = draw(st.integers(0, 9 if depth < 3 else 3))
    if choice <= 1:
        char = draw(st.sampled_from(_CHARS))
        return char, char
    if choice == 2:
        cls = draw(st.sampled_from(_CLASSES))
        return cls, cls
    if choice == 3:
        ours, python = draw(
            st.sampled_from(
                [
                    ("^", "^"),
                    ("$", r"\Z"),
                    (r"\b", r"\b"),
                    (r"\B", r"\B"),
                    (r"\A", r"\A"),
                    (r"\Z", r"\Z"),
                ]
            )
        )
        return ours, python
    if choice <= 5:
        parts = draw(st.lists(_patterns(depth + 1), min_size=2, max_size=3))
        return "".join(p[0] for p in parts), "".join(p[1] for p in parts)
    if choice == 6:
        parts = draw(st.lists(_patterns(depth + 1), min_size=2, max_size=3))
        return "|".join(p[0] for p in parts), "|".join(p[1] for p in parts)
    inner = draw(_patterns(depth + 1))
    group = draw(st.sampled_from(["({})", "(?:{})"]))
    ours, python = group.format(inner[0]), group.format(inner[1])
    quantifier = draw(
        st.sampled_from(["", "*", "+", "?", "{2}", "{0,2}", "{1,}", "*?", "+?", "??", "{1,3}?"])
    )
    return ours + quantifier, python + quantifier


@settings(max_examples=400, deadline=2000)
@given(
    pattern=_patterns(),
    ignore_case=st.booleans(),
    dot_all=st.booleans(),
    text=st.text(alphabet="abAB1 _.\n", max_size=12),
)
def test_matches_agrees_with_python_re_on_the_common_subset(
    pattern: tuple[str, str], ignore_case: bool, dot_all: bool, text: str
) -> None:
    flags = ("i" if ignore_case else "") + ("s" if dot_all else "")
    prefix = f"(?{flags})" if flags else ""
    ours, python = prefix + pattern[0], prefix + pattern[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = re.search(python, text) is not None

    assert search(ours, text) is expected, (ours, python, text)


@settings(max_examples=300, deadline=2000)
@given(
    pattern=st.text(alphabet="ab()[]{}|*+?.^$\\-,:=!<>P0123dwsbBAZ", max_size=30),
    text=st.text(alphabet="ab01", max_size=10),
)
def test_arbitrary_patterns_compile_or_raise_a_regex_error(pattern: str, text: str) -> None:
    regex = _compile_or_error(pattern)
    if isinstance(regex, RegexError):
        assert 0 <= regex.position <= len(pattern)
        return
    assert search(pattern, text) in (True, False)
    assert regex.program_size > 0


def _compile_or_error(pattern: str) -> Regex | RegexError:
    try:
        return compile_regex(pattern)
    except RegexError as error:
        return error
