"""Precedence-climbing parser from tokens to the syntax tree.

Precedence, loosest first::

    ?:            conditional (right-associative)
    ??            null-coalescing
    || or
    && and
    ! not         applied to a whole comparison: !a == b means !(a == b)
    == != < <= > >= in, not in   (not chainable)
    + -
    * / %
    - ! not       unary, on a single operand (as in a == !b)
    . [] ()       member, index, call

Each nested sub-expression costs one level of ``Limits.max_depth``, checked before recursing,
so no input can reach Python's recursion limit.
"""

from __future__ import annotations

import difflib

from .errors import (
    ExpressionForbiddenError,
    ExpressionLimitError,
    ExpressionSyntaxError,
    UnknownFunctionError,
)
from .functions import FUNCTIONS
from .lexer import EOF, FLOAT, INT, NAME, OP, STRING, Token, tokenize
from .limits import Limits
from .nodes import (
    Call,
    Chain,
    Compare,
    Conditional,
    ListNode,
    Literal,
    MapEntry,
    MapNode,
    Name,
    Node,
    Path,
    Segment,
    Unary,
)
from .regex import RegexError, compile_regex

_CONDITIONAL = 1
_COALESCE = 2
_OR = 3
_AND = 4
_NOT = 5
_COMPARE = 6
_ADDITIVE = 7
_MULTIPLICATIVE = 8
_UNARY = 9

_OPERATOR_PRECEDENCE = {
    "?": _CONDITIONAL,
    "??": _COALESCE,
    "||": _OR,
    "&&": _AND,
    "==": _COMPARE,
    "!=": _COMPARE,
    "<": _COMPARE,
    "<=": _COMPARE,
    ">": _COMPARE,
    ">=": _COMPARE,
    "+": _ADDITIVE,
    "-": _ADDITIVE,
    "*": _MULTIPLICATIVE,
    "/": _MULTIPLICATIVE,
    "%": _MULTIPLICATIVE,
}
_WORD_OPERATORS = {"or": ("||", _OR), "and": ("&&", _AND), "in": ("in", _COMPARE)}
_KEYWORDS = frozenset({"null", "true", "false", "and", "or", "not", "in"})
_CONSTANTS: dict[str, bool | None] = {"null": None, "true": True, "false": False}
# Spellings from other languages, caught early because they would otherwise be names.
_FOREIGN_CONSTANTS = {
    "True": "true",
    "False": "false",
    "None": "null",
    "nil": "null",
    "undefined": "null",
}


def parse(source: str, limits: Limits) -> Node:
    """Parse ``source`` into a tree. Raises ExpressionError subclasses with exact offsets."""
    if len(source) > limits.max_source_length:
        raise ExpressionLimitError(
            f"the expression is longer than {limits.max_source_length} characters",
            offset=limits.max_source_length,
            hint="move the logic into a step, or split it over several fields",
        )
    parser = _Parser(source, tokenize(source), limits.max_depth)
    try:
        return parser.parse()
    except RecursionError:
        # Not expected with the depth check in place; kept so the contract holds regardless.
        raise ExpressionLimitError(
            "the expression is nested too deeply", offset=parser.peek().start
        ) from None


def _describe(token: Token) -> str:
    if token.kind == EOF:
        return "end of expression"
    if token.kind == NAME:
        return f"keyword '{token.text}'" if token.text in _KEYWORDS else f"name '{token.text}'"
    if token.kind == STRING:
        return "string"
    if token.kind in (INT, FLOAT):
        return f"number {token.text}"
    return f"'{token.text}'"


def _forbidden(name: str, offset: int) -> ExpressionForbiddenError:
    return ExpressionForbiddenError(
        f"'{name}' is forbidden: names starting with '_' are reserved",
        offset=offset,
        hint="to read a key that starts with '_', use a['_key']",
    )


class _Parser:
    def __init__(self, source: str, tokens: list[Token], max_depth: int) -> None:
        self.source = source
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.max_depth = max_depth

    # -- tokens -----------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        index = min(self.index + ahead, len(self.tokens) - 1)
        return self.tokens[index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != EOF:
            self.index += 1
        return token

    def at_op(self, text: str) -> bool:
        token = self.tokens[self.index]
        return token.kind == OP and token.text == text

    def expect_op(self, text: str, context: str, hint: str | None = None) -> Token:
        token = self.peek()
        if token.kind == OP and token.text == text:
            return self.advance()
        raise ExpressionSyntaxError(
            f"expected '{text}' {context}, found {_describe(token)}",
            offset=token.start,
            hint=hint,
        )

    def unexpected(self, token: Token, hint: str | None = None) -> ExpressionSyntaxError:
        if hint is None:
            if token.kind == EOF:
                hint = "the expression is incomplete"
            elif token.kind in (NAME, STRING, INT, FLOAT):
                hint = "is an operator or a comma missing before it?"
            elif token.kind == OP and token.text in ")]}":
                hint = "brackets are unbalanced"
        return ExpressionSyntaxError(
            f"unexpected {_describe(token)}", offset=token.start, hint=hint
        )

    # -- entry ------------------------------------------------------------------------------

    def parse(self) -> Node:
        if self.peek().kind == EOF:
            raise ExpressionSyntaxError(
                "empty expression", offset=0, hint="write a value such as inputs.name"
            )
        node = self.expression(0)
        token = self.peek()
        if token.kind != EOF:
            raise self.unexpected(token)
        return node

    def binary_operator(self) -> tuple[str, int, int]:
        """(operator, precedence, tokens it spans) at the cursor; precedence 0 if none."""
        token = self.peek()
        if token.kind == OP:
            precedence = _OPERATOR_PRECEDENCE.get(token.text, 0)
            return token.text, precedence, 1
        if token.kind == NAME:
            if token.text in _WORD_OPERATORS:
                op, precedence = _WORD_OPERATORS[token.text]
                return op, precedence, 1
            following = self.peek(1)
            if token.text == "not" and following.kind == NAME and following.text == "in":
                return "not in", _COMPARE, 2
        return "", 0, 0

    def expression(self, min_precedence: int) -> Node:
        self.depth += 1
        if self.depth > self.max_depth:
            raise ExpressionLimitError(
                f"the expression is nested more than {self.max_depth} levels deep",
                offset=self.peek().start,
                hint="simplify it, or move the logic into a step",
            )
        left = self.operand(min_precedence)
        while True:
            op, precedence, width = self.binary_operator()
            if precedence == 0 or precedence < min_precedence:
                break
            if precedence == _CONDITIONAL:
                left = self.conditional(left)
            elif precedence == _COMPARE:
                left = self.comparison(left, op, width)
            else:
                left = self.chain(left, precedence)
        self.depth -= 1
        return left

    def conditional(self, condition: Node) -> Node:
        self.advance()  # '?'
        then = self.expression(0)
        self.expect_op(":", "in conditional", hint="write condition ? value : other_value")
        otherwise = self.expression(_CONDITIONAL)
        return Conditional(condition, then, otherwise, condition.start, otherwise.end)

    def comparison(self, left: Node, op: str, width: int) -> Node:
        op_token = self.peek()
        for _ in range(width):
            self.advance()
        right = self.expression(_ADDITIVE)
        node = Compare(op, left, right, op_token.start, left.start, right.end)
        _, precedence, _ = self.binary_operator()
        if precedence == _COMPARE:
            raise ExpressionSyntaxError(
                "comparisons cannot be chained",
                offset=self.peek().start,
                hint="combine them with &&, e.g. a < b && b < c",
            )
        return node

    def chain(self, first: Node, precedence: int) -> Node:
        operands = [first]
        ops: list[str] = []
        offsets: list[int] = []
        while True:
            op, next_precedence, _ = self.binary_operator()
            if next_precedence != precedence:
                break
            offsets.append(self.advance().start)
            ops.append(op)
            operands.append(self.expression(precedence + 1))
        return Chain(tuple(operands), tuple(ops), tuple(offsets), first.start, operands[-1].end)

    # -- operands ---------------------------------------------------------------------------

    def operand(self, min_precedence: int) -> Node:
        token = self.peek()
        if (token.kind == OP and token.text == "!") or (token.kind == NAME and token.text == "not"):
            self.advance()
            # At the start of a comparison, '!' negates the whole comparison (as Python's
            # 'not' does); inside arithmetic or on the right of a comparison it negates one
            # operand.
            inner = self.expression(_NOT if min_precedence <= _NOT else _UNARY)
            return Unary("!", inner, token.start, inner.end)
        if token.kind == OP and token.text == "-":
            self.advance()
            inner = self.expression(_UNARY)
            if (
                isinstance(inner, Literal)
                and isinstance(inner.value, int | float)
                and not isinstance(inner.value, bool)
            ):
                # Fold so that [-1] is a static index and -5 a literal in the tree.
                return Literal(-inner.value, token.start, inner.end)
            return Unary("-", inner, token.start, inner.end)
        if token.kind == OP and token.text == "+":
            raise ExpressionSyntaxError(
                "unary '+' is not supported", offset=token.start, hint="remove the '+'"
            )
        # A parenthesized primary starts at its '(' and is not the root of an access chain:
        # in (a).b, the reference is to a alone.
        return self.postfix(self.primary(), token.start)

    def primary(self) -> Node:
        token = self.peek()
        if token.kind in (INT, FLOAT, STRING):
            self.advance()
            return Literal(token.value, token.start, token.end)
        if token.kind == NAME:
            return self.name()
        if token.kind == OP:
            if token.text == "(":
                self.advance()
                if self.at_op(")"):
                    raise ExpressionSyntaxError(
                        "empty parentheses", offset=token.start, hint="put a value inside"
                    )
                inner = self.expression(0)
                self.expect_op(")", "to close '('", hint=f"'(' opened at offset {token.start}")
                return inner
            if token.text == "[":
                return self.list_literal()
            if token.text == "{":
                return self.map_literal()
        raise self.unexpected(token, hint="expected a value" if token.kind == OP else None)

    def name(self) -> Node:
        token = self.advance()
        text = token.text
        if text in _CONSTANTS:
            return Literal(_CONSTANTS[text], token.start, token.end)
        if text in _KEYWORDS:
            raise self.unexpected(token, hint="keywords cannot be used as names")
        if text.startswith("_"):
            raise _forbidden(text, token.start)
        if self.at_op("("):
            return self.call(token)
        if text in _FOREIGN_CONSTANTS:
            raise ExpressionSyntaxError(
                f"'{text}' is not a keyword here",
                offset=token.start,
                hint=f"use {_FOREIGN_CONSTANTS[text]}",
            )
        return Name(text, token.start, token.end)

    def call(self, name: Token) -> Node:
        spec = FUNCTIONS.get(name.text)
        if spec is None:
            # Case-insensitive, and strict enough that 'eval' does not suggest 'values'.
            by_lower = {known.lower(): known for known in FUNCTIONS}
            close = difflib.get_close_matches(name.text.lower(), list(by_lower), n=3, cutoff=0.65)
            if close:
                hint = "did you mean " + " or ".join(f"{by_lower[c]}()" for c in close) + "?"
            else:
                hint = "available functions: " + ", ".join(FUNCTIONS)
            raise UnknownFunctionError(
                f"unknown function '{name.text}'", offset=name.start, hint=hint
            )
        self.advance()  # '('
        args: list[Node] = []
        while not self.at_op(")"):
            args.append(self.expression(0))
            if not self.at_op(","):
                break
            self.advance()
        close_paren = self.expect_op(
            ")", f"to close the arguments of {name.text}()", hint="separate arguments with ','"
        )
        count = len(args)
        if count < spec.min_arity or (spec.max_arity is not None and count > spec.max_arity):
            raise ExpressionSyntaxError(
                f"{name.text}() takes {spec.arity_text()}, got {count}",
                offset=name.start,
                hint=f"usage: {spec.signature}",
            )
        node = Call(name.text, tuple(args), name.start, close_paren.end)
        self.check_call(node)
        return node

    def check_call(self, node: Call) -> None:
        """Static checks that make errors appear at parse time rather than at run time."""
        if node.name == "has":
            arg = node.args[0]
            if not (isinstance(arg, Name) or (isinstance(arg, Path) and rooted(arg))):
                raise ExpressionSyntaxError(
                    "has() needs a member path",
                    offset=arg.start,
                    hint="write has(inputs.name) or has(steps.fetch.output['key'])",
                )
        elif node.name == "matches":
            pattern = node.args[1]
            if isinstance(pattern, Literal) and type(pattern.value) is str:
                try:
                    compile_regex(pattern.value)
                except RegexError as exc:
                    raise ExpressionSyntaxError(
                        f"invalid pattern: {exc.message} (at pattern position {exc.position})",
                        offset=pattern.start,
                        hint=exc.hint,
                    ) from None

    def list_literal(self) -> Node:
        start = self.advance().start  # '['
        items: list[Node] = []
        while not self.at_op("]"):
            items.append(self.expression(0))
            if not self.at_op(","):
                break
            self.advance()
        end = self.expect_op("]", "to close the list", hint="separate items with ','").end
        return ListNode(tuple(items), start, end)

    def map_literal(self) -> Node:
        start = self.advance().start  # '{'
        entries: list[MapEntry] = []
        seen: set[str] = set()
        while not self.at_op("}"):
            token = self.peek()
            following = self.peek(1)
            key: str | None = None
            key_expr: Node | None = None
            if token.kind == NAME and following.kind == OP and following.text == ":":
                if token.text.startswith("_"):
                    raise _forbidden(token.text, token.start)
                key = token.text
                self.advance()
            else:
                key_node = self.expression(0)
                if isinstance(key_node, Literal):
                    if type(key_node.value) is not str:
                        raise ExpressionSyntaxError(
                            "map keys must be strings",
                            offset=key_node.start,
                            hint='quote the key: {"1": value}',
                        )
                    key = key_node.value
                else:
                    key_expr = key_node
            if key is not None:
                if key in seen:
                    raise ExpressionSyntaxError(f"duplicate map key '{key}'", offset=token.start)
                seen.add(key)
            self.expect_op(":", "after a map key", hint='write {"key": value}')
            value = self.expression(0)
            entries.append(MapEntry(key, key_expr, value, token.start))
            if not self.at_op(","):
                break
            self.advance()
        end = self.expect_op("}", "to close the map", hint="separate entries with ','").end
        return MapNode(tuple(entries), start, end)

    # -- postfix ----------------------------------------------------------------------------

    def postfix(self, base: Node, start: int) -> Node:
        segments: list[Segment] = []
        while True:
            token = self.peek()
            if token.kind != OP:
                break
            if token.text == ".":
                segments.append(self.member(start, token))
            elif token.text == "[":
                segments.append(self.index_segment(token))
            elif token.text == "(":
                raise ExpressionSyntaxError(
                    "only functions can be called",
                    offset=token.start,
                    hint="call a function by name, e.g. len(x)",
                )
            else:
                break
        if not segments:
            return base
        return Path(base, tuple(segments), start, segments[-1].end)

    def member(self, start: int, dot: Token) -> Segment:
        self.advance()  # '.'
        token = self.peek()
        if token.kind != NAME:
            hint = None
            if token.kind == INT:
                hint = f"use [{token.text}] to index a list"
            raise ExpressionSyntaxError(
                f"expected a name after '.', found {_describe(token)}",
                offset=token.start,
                hint=hint,
            )
        self.advance()
        if token.text.startswith("_"):
            raise _forbidden(token.text, token.start)
        if self.at_op("("):
            receiver = self.source[start : dot.start]
            if token.text in FUNCTIONS:
                hint = f"use {token.text}({receiver})"
            else:
                hint = "there are no methods; call functions by name, e.g. len(x)"
            raise ExpressionSyntaxError(
                f"method calls are not supported: '.{token.text}(...)'",
                offset=token.start,
                hint=hint,
            )
        return Segment(token.text, None, token.start, token.end)

    def index_segment(self, bracket: Token) -> Segment:
        self.advance()  # '['
        if self.at_op("]"):
            raise ExpressionSyntaxError(
                "empty index", offset=bracket.start, hint="write a[0] or a['key']"
            )
        inner = self.expression(0)
        if self.at_op(":"):
            raise ExpressionSyntaxError(
                "slices are not supported",
                offset=self.peek().start,
                hint="index a single element, e.g. a[0] or a[-1]",
            )
        end = self.expect_op("]", "to close the index").end
        if isinstance(inner, Literal):
            value = inner.value
            if type(value) is str or type(value) is int:
                return Segment(value, None, bracket.start, end)
            raise ExpressionSyntaxError(
                f"cannot index with {'null' if value is None else type(value).__name__}",
                offset=inner.start,
                hint="indexes are integers (lists, strings) or strings (maps)",
            )
        return Segment(None, inner, bracket.start, end)


def rooted(path: Path) -> bool:
    """True if ``path`` is an access chain on a free name, like ``steps.a.output``."""
    return isinstance(path.base, Name) and path.start == path.base.start
