"""Escape attempts and resource attacks: each is refused with an ExpressionError, quickly."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from flowwright.workflow.domain.expressions import (
    DEFAULT_LIMITS,
    EvaluationError,
    ExpressionError,
    JSONValue,
    Limits,
    parse_expression,
    parse_template,
)

# Generous source limits let the deep-nesting attacks reach the depth check instead of
# stopping at the length check (which the default limits would do first).
ROOMY = Limits(max_source_length=2_000_000)
BIG_TEXT = "a" * 500_000


def _deep_value(levels: int) -> JSONValue:
    value: JSONValue = []
    for _ in range(levels):
        value = [value]
    return value


DEEP_VALUE = _deep_value(50_000)


@dataclass(frozen=True)
class Attempt:
    source: str
    context: dict[str, JSONValue] = field(default_factory=lambda: {"x": {"a": 1}, "s": "abc"})
    limits: Limits = DEFAULT_LIMITS
    template: bool = False

    def __str__(self) -> str:
        return self.source[:60]


CORPUS = [
    # Python object model
    Attempt("__class__"),
    Attempt("x.__class__.__mro__"),
    Attempt("''.__class__"),
    Attempt("[].__class__.__base__"),
    Attempt("{}.__class__"),
    Attempt("x.__dict__"),
    Attempt("x.__getattribute__('a')"),
    Attempt("().__class__.__bases__[0].__subclasses__()"),
    Attempt("x.__class__.__init__.__globals__['os']"),
    Attempt("__builtins__"),
    Attempt("x._private"),
    Attempt("x['__class__']"),
    Attempt("x['__class__']['__init__']['__globals__']"),
    Attempt("s['__len__']"),
    Attempt("x['constructor']"),
    Attempt("x['__proto__']"),
    # Python builtins and statements
    Attempt("__import__('os')"),
    Attempt("__import__('os').system('id')"),
    Attempt("getattr(x, '__globals__')"),
    Attempt("eval('1 + 1')"),
    Attempt("exec('import os')"),
    Attempt("open('/etc/passwd')"),
    Attempt("compile('1', 'f', 'eval')"),
    Attempt("globals()"),
    Attempt("type(x)"),
    Attempt("import os"),
    Attempt("os.system('id')"),
    Attempt("lambda: 1"),
    Attempt("lambda q: q.__globals__"),
    Attempt("[q for q in x]"),
    Attempt("1 if True else 2"),
    Attempt("x := 1"),
    Attempt("x; y"),
    # string formatting and methods
    Attempt('"{0.__class__}".format(x)'),
    Attempt("'%s' % x"),
    Attempt('f"{x.__class__}"'),
    Attempt("f'{x}'"),
    Attempt("s.lower()"),
    Attempt("s.join(s)"),
    Attempt("x.mro()"),
    Attempt(r"'\x41'"),
    # nesting
    Attempt("(" * 10_000 + "1" + ")" * 10_000),
    Attempt("(" * 10_000 + "1" + ")" * 10_000, limits=ROOMY),
    Attempt("-" * 10_000 + "1", limits=ROOMY),
    Attempt("!" * 10_000 + "true", limits=ROOMY),
    Attempt("[" * 10_000 + "]" * 10_000, limits=ROOMY),
    Attempt("{a: " * 10_000 + "1" + "}" * 10_000, limits=ROOMY),
    Attempt("len(" * 10_000 + "s" + ")" * 10_000, limits=ROOMY),
    Attempt("x[" * 10_000 + "0" + "]" * 10_000, limits=ROOMY),
    Attempt("true ? " * 10_000 + "1" + " : 2" * 10_000, limits=ROOMY),
    Attempt("${{ " + "(" * 10_000 + " }}", template=True),
    Attempt("${{ ${{ x }} }}", template=True),
    # size
    Attempt("'" + "a" * 1_000_000 + "'"),
    Attempt("'" + "a" * 1_000_000 + "'", limits=Limits(max_source_length=1_000_010)),
    Attempt('"a" * 100000'),
    Attempt("s * 100000"),
    Attempt("[s] * 100000"),
    Attempt("10**10**10"),
    Attempt("9999999999 ** 9999999999"),
    Attempt("pow(10, 10000)"),
    Attempt("9223372036854775807 * 9223372036854775807"),
    Attempt("[" + "1," * 500_000 + "]"),
    Attempt("t + t + t + t", context={"t": BIG_TEXT}),
    Attempt("json([t, t, t])", context={"t": BIG_TEXT}),
    Attempt("[[t, t], [t, t]]", context={"t": BIG_TEXT}),
    Attempt("split(t + t, '')", context={"t": BIG_TEXT}),
    Attempt("replace(t, 'a', t)", context={"t": BIG_TEXT}),
    Attempt(
        "replace(" * 30 + "'ab'" + ", 'a', 'aa')" * 30,
        context={},
    ),
    Attempt("join([t, t, t], t)", context={"t": BIG_TEXT}),
    Attempt("t + t", context={"t": "a" * 600_000}),
    Attempt("xs + xs + xs", context={"xs": list(range(200_000))}),
    Attempt("contains(xs, -1)", context={"xs": list(range(200_000))}),
    Attempt("xs == ys", context={"xs": list(range(200_000)), "ys": list(range(200_000))}),
    Attempt("parseJson(t)", context={"t": "[" * 200_000 + "]" * 200_000}),
    Attempt("parseJson(t)", context={"t": "1" * 5_000}),
    Attempt("json(deep)", context={"deep": DEEP_VALUE}),
    Attempt("deep == deep2", context={"deep": DEEP_VALUE, "deep2": _deep_value(50_000)}),
    Attempt("deep", context={"deep": DEEP_VALUE}),
    Attempt("matches(s, r'(a)\\1')"),
    Attempt("matches(s, p)", context={"s": "a", "p": "(?=a)"}),
    Attempt("matches(t, 'a')", context={"t": "a" * 200_000}),
    Attempt("${{ x.__class__ }}", template=True),
    Attempt("${{ t }}${{ t }}${{ t }}", context={"t": BIG_TEXT}, template=True),
]


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("attempt", CORPUS, ids=str)
def test_escape_and_resource_attempts_are_refused_with_an_expression_error(
    attempt: Attempt,
) -> None:
    started = time.monotonic()

    with pytest.raises(ExpressionError):
        if attempt.template:
            parse_template(attempt.source, limits=attempt.limits).render(
                attempt.context, limits=attempt.limits
            )
        else:
            parse_expression(attempt.source, limits=attempt.limits).evaluate(
                attempt.context, limits=attempt.limits
            )

    assert time.monotonic() - started < 2


@pytest.mark.parametrize("key", ["__class__", "__dict__", "__globals__", "__init__", "mro"])
def test_dunder_keys_are_plain_missing_map_keys(key: str) -> None:
    with pytest.raises(EvaluationError) as caught:
        parse_expression(f"x[{key!r}]").evaluate({"x": {"a": 1}})

    assert f"x has no key '{key}'" in caught.value.message


def test_a_map_may_really_have_a_dunder_key_and_it_is_only_data() -> None:
    assert parse_expression("x['__class__']").evaluate({"x": {"__class__": "data"}}) == "data"
